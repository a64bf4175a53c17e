"""Container format v2: how a payload is framed before a codec writes it into pixels.

The byte layout is specified in ``docs/format.md``; in short::

    plain:      header(14) | record (maybe zlib)                     | CRC-32(4)
    encrypted:  key block(32) | header(14) | iv(16) + AES-CBC(record) | HMAC-SHA256(32)

Version 1 differs only in its 36-byte key block (see :mod:`stegokit.crypto`); both are read.

    header:     magic "STGK" | version | flags | codec | codec param | body length (u32 BE)
                | header check (u16 BE: low 16 bits of the CRC-32 of the 12 bytes before)
    record:     kind | name length | name (UTF-8) | data

The header's shape is fixed for every version, so that a newer version is told apart from a
damaged header: a valid header check with an unknown version is :class:`FormatError`.

The CRC (plain) or the HMAC (encrypted, over key block, header and body) is checked before
anything is returned, so extraction gives the exact payload or an error.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib
from dataclasses import dataclass

from . import crypto
from .errors import AuthenticationError, FormatError, NoPayloadError

MAGIC = b"STGK"
VERSION = 2
#: The container versions this stegokit reads.
READABLE_VERSIONS = (1, 2)
HEADER_SIZE = 14
CRC_SIZE = 4

FLAG_ENCRYPTED = 0x01
FLAG_COMPRESSED = 0x02
_KNOWN_FLAGS = FLAG_ENCRYPTED | FLAG_COMPRESSED

CODEC_LSB = 1
CODEC_IMAGE = 2
CODEC_NEURAL = 3
CODEC_NAMES = {CODEC_LSB: "lsb", CODEC_IMAGE: "image", CODEC_NEURAL: "neural"}

KINDS = ("text", "file", "image")
RECORD_OVERHEAD = 2  # kind byte + name length byte
MAX_NAME_BYTES = 255
#: A compressed record inflates to at most this many bytes by default (a zip bomb in a
#: hostile image), and to at most ``INFLATION_RATIO`` times the carrier's room.
MAX_RECORD_BYTES = 64 << 20
INFLATION_RATIO = 64
_MIN_RECORD_LIMIT = 1 << 20

_HEADER = struct.Struct(">4sBBBBI")
_CHECK = struct.Struct(">H")


@dataclass(frozen=True)
class Payload:
    """What is hidden: UTF-8 text, a file (with its base name) or an image file."""

    data: bytes
    kind: str = "text"
    name: str = ""

    @classmethod
    def from_text(cls, text: str) -> Payload:
        return cls(text.encode("utf-8"), "text")

    @property
    def text(self) -> str:
        """The text of a text payload (strict UTF-8)."""
        return self.data.decode("utf-8")


@dataclass(frozen=True)
class Header:
    """The fixed-size header that follows the key block (if any)."""

    flags: int
    codec: int
    param: int
    length: int
    version: int = VERSION

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)

    @property
    def compressed(self) -> bool:
        return bool(self.flags & FLAG_COMPRESSED)

    def pack(self) -> bytes:
        fields = _HEADER.pack(MAGIC, self.version, self.flags, self.codec, self.param,
                              self.length)
        return fields + _header_check(fields)

    def trailer_size(self) -> int:
        """Bytes after the body: the CRC-32 or the HMAC tag."""
        return crypto.TAG_SIZE if self.encrypted else CRC_SIZE


def _header_check(fields: bytes) -> bytes:
    return _CHECK.pack(zlib.crc32(fields) & 0xFFFF)


def safe_name(name: str) -> str:
    """A file's base name, stripped of folders and control characters, at most 255 bytes."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if base in {".", ".."}:
        base = ""
    encoded = base.encode("utf-8")[:MAX_NAME_BYTES]
    return encoded.decode("utf-8", errors="ignore")


def encode_record(payload: Payload) -> bytes:
    """``kind | name length | name | data`` for a payload."""
    if payload.kind not in KINDS:
        raise ValueError(f"unknown payload kind {payload.kind!r}")
    name = safe_name(payload.name).encode("utf-8")
    return bytes([KINDS.index(payload.kind), len(name)]) + name + payload.data


def decode_record(record: bytes) -> Payload:
    """Inverse of :func:`encode_record`; a malformed record is a damaged container."""
    end = RECORD_OVERHEAD + (record[1] if len(record) > 1 else 0)
    return _record_parts(record[:RECORD_OVERHEAD], record[RECORD_OVERHEAD:end], record[end:])


def _record_parts(head: bytes, name: bytes, data: bytes) -> Payload:
    malformed = AuthenticationError("integrity check failed: the hidden record is malformed")
    if len(head) < RECORD_OVERHEAD or head[0] >= len(KINDS) or len(name) != head[1]:
        raise malformed
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed from None
    return Payload(data, KINDS[head[0]], safe_name(text))


_SAMPLE = 1 << 14


def _may_shrink(record: bytes) -> bool:
    """False when a large record's start, middle and end do not compress (photos, archives,
    ciphertext), which spares a full zlib pass that would be thrown away."""
    if len(record) <= 16 * _SAMPLE:
        return True
    sample = b"".join(record[start : start + _SAMPLE]
                      for start in (0, len(record) // 2, len(record) - _SAMPLE))
    return len(zlib.compress(sample, 1)) < 0.98 * len(sample)


def _compress(record: bytes) -> tuple[bytes, int]:
    if _may_shrink(record):
        packed = zlib.compress(record, 6)
        if len(packed) < len(record):
            return packed, FLAG_COMPRESSED
    return record, 0


def record_limit(room: int, max_record: int | None = None) -> int:
    """How many bytes a compressed record may inflate to in a carrier of ``room`` bytes.

    ``max_record`` (the user's ``--max-payload``) replaces the default, which is
    ``INFLATION_RATIO`` times the room (at least 1 MiB) and at most ``MAX_RECORD_BYTES``.
    """
    if max_record is not None:
        return max_record
    return min(MAX_RECORD_BYTES, max(INFLATION_RATIO * room, _MIN_RECORD_LIMIT))


def _inflate_record(body: bytes, limit: int) -> Payload:
    """Inflate and decode a compressed record, refusing to produce more than ``limit`` bytes.

    The data part is inflated into its own buffer, so it is never copied again.
    """
    inflater = zlib.decompressobj()
    try:
        head = inflater.decompress(body, RECORD_OVERHEAD)
        name_size = head[1] if len(head) == RECORD_OVERHEAD else 0
        # (a max_length of 0 would mean "no limit")
        name = inflater.decompress(inflater.unconsumed_tail, name_size) if name_size else b""
        room = limit - len(head) - len(name)
        data = inflater.decompress(inflater.unconsumed_tail, max(room, 0) + 1)
    except zlib.error:
        raise AuthenticationError("integrity check failed: bad compressed data") from None
    if len(data) > room or inflater.unconsumed_tail:
        raise FormatError(
            f"refused: the hidden payload inflates beyond {limit:,} bytes, this image's limit "
            "(if you trust the image, raise it with --max-payload)")
    if not inflater.eof:
        raise AuthenticationError("integrity check failed: bad compressed data")
    return _record_parts(head, name, data)


@dataclass(frozen=True)
class Encoded:
    """A payload's record, compressed when that made it smaller, ready to pack."""

    body: bytes
    flags: int


def encode(payload: Payload) -> Encoded:
    """Encode (and maybe compress) a payload once, to pack it with several parameters."""
    return Encoded(*_compress(encode_record(payload)))


def pack(
    payload: Payload | Encoded,
    *,
    codec: int,
    param: int = 0,
    lock: tuple[bytes, crypto.Keys] | None = None,
    iv: bytes | None = None,
) -> bytes:
    """Frame a payload; ``lock`` is a ``(key block, keys)`` pair to encrypt it.

    ``iv`` is for test vectors only.
    """
    encoded = payload if isinstance(payload, Encoded) else encode(payload)
    body, flags = encoded.body, encoded.flags
    if lock is None:
        header = Header(flags, codec, param, len(body)).pack()
        return header + body + struct.pack(">I", zlib.crc32(header + body))
    block, keys = lock
    flags |= FLAG_ENCRYPTED
    body_size = crypto.sealed_size(len(body)) - crypto.TAG_SIZE
    header = Header(flags, codec, param, body_size).pack()
    return block + header + crypto.seal(body, keys, block + header, iv=iv)


def parse_header(raw: bytes, *, room: int) -> Header:
    """Read a header; ``room`` is how many bytes the carrier holds after it.

    Raises :class:`NoPayloadError` when the bytes are not a stegokit header,
    :class:`FormatError` for a version this stegokit does not know, and
    :class:`AuthenticationError` when the declared length cannot fit (damaged or cropped).
    """
    if len(raw) < HEADER_SIZE:
        raise NoPayloadError("no hidden message found")
    fields = raw[: _HEADER.size]
    magic, version, flags, codec, param, length = _HEADER.unpack(fields)
    if magic != MAGIC:
        raise NoPayloadError("no hidden message found")
    if raw[_HEADER.size : HEADER_SIZE] != _header_check(fields):
        raise AuthenticationError("integrity check failed: the header is damaged")
    if version not in READABLE_VERSIONS:
        raise FormatError(
            f"this message uses container version {version}; this stegokit reads versions "
            f"{READABLE_VERSIONS[0]} to {READABLE_VERSIONS[-1]}: upgrade stegokit"
        )
    header = Header(flags, codec, param, length, version)
    if flags & ~_KNOWN_FLAGS or codec not in CODEC_NAMES:
        raise AuthenticationError("integrity check failed: the header is damaged")
    if length + header.trailer_size() > room:
        raise AuthenticationError(
            "integrity check failed: the hidden data is truncated (was the image cropped?)"
        )
    return header


def _open_body(header: Header, body: bytes, limit: int) -> Payload:
    return _inflate_record(body, limit) if header.compressed else decode_record(body)


def open_plain(header: Header, rest: bytes, *, limit: int = MAX_RECORD_BYTES) -> Payload:
    """Check the CRC of a plain container and return its payload, inflated to at most
    ``limit`` bytes (:func:`record_limit`)."""
    body = rest[: header.length]
    (crc,) = struct.unpack(">I", rest[header.length : header.length + CRC_SIZE])
    if zlib.crc32(header.pack() + body) != crc:
        raise AuthenticationError("integrity check failed: the hidden data is damaged")
    return _open_body(header, body, limit)


def open_sealed(block: bytes, header: Header, rest: bytes, keys: crypto.Keys, *,
                limit: int = MAX_RECORD_BYTES) -> Payload:
    """Check the HMAC of an encrypted container, decrypt it and return its payload, inflated
    to at most ``limit`` bytes."""
    sealed = rest[: header.length + crypto.TAG_SIZE]
    return _open_body(header, crypto.unseal(sealed, keys, block + header.pack()), limit)


def unpack(data: bytes, *, passphrase: str | bytes | None = None,
           private_key: bytes | None = None,
           kdf: crypto.KdfParams | None = None) -> tuple[Header, Payload]:
    """Open a whole container held in memory (used by test vectors and tools).

    Without a secret only a plain container opens; with one, only an encrypted container
    (version 2's 32-byte key block, or version 1's 36-byte one).
    """
    if passphrase is None and private_key is None:
        header = parse_header(data, room=len(data) - HEADER_SIZE)
        return header, open_plain(header, data[HEADER_SIZE:])
    for size in (crypto.KEY_BLOCK_SIZE, crypto.V1_KEY_BLOCK_SIZE):
        block, rest = data[:size], data[size:]
        try:
            header = parse_header(rest, room=len(rest) - HEADER_SIZE)
            keys = crypto.open_key_block(block, passphrase=passphrase,
                                         private_key=private_key, params=kdf)
        except NoPayloadError:
            continue
        if header.encrypted:
            return header, open_sealed(block, header, rest[HEADER_SIZE:], keys)
    raise AuthenticationError("authentication failed: wrong passphrase or key, or no message")


def max_record(room: int, *, encrypted: bool) -> int:
    """The largest record (after compression) that fits in ``room`` carrier bytes.

    For an encrypted container ``room`` counts the bytes after the key block.
    """
    if encrypted:
        return crypto.max_plaintext(room - HEADER_SIZE)
    return room - HEADER_SIZE - CRC_SIZE
