"""Container format v1: how a payload is framed before a codec writes it into pixels.

The byte layout is specified in ``docs/format.md``; in short::

    plain:      header(14) | record (maybe zlib)                     | CRC-32(4)
    encrypted:  key block(36) | header(14) | iv(16) + AES-CBC(record) | HMAC-SHA256(32)

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
VERSION = 1
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
#: Refuse to inflate a compressed record beyond this (a zip bomb in a hostile image).
MAX_RECORD_BYTES = 1 << 30

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

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)

    @property
    def compressed(self) -> bool:
        return bool(self.flags & FLAG_COMPRESSED)

    def pack(self) -> bytes:
        fields = _HEADER.pack(MAGIC, VERSION, self.flags, self.codec, self.param, self.length)
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
    malformed = AuthenticationError("integrity check failed: the hidden record is malformed")
    if len(record) < RECORD_OVERHEAD or record[0] >= len(KINDS):
        raise malformed
    end = RECORD_OVERHEAD + record[1]
    try:
        name = record[RECORD_OVERHEAD:end].decode("utf-8")
    except UnicodeDecodeError:
        raise malformed from None
    return Payload(record[end:], KINDS[record[0]], safe_name(name))


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


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        record = inflater.decompress(body, MAX_RECORD_BYTES)
    except zlib.error:
        raise AuthenticationError("integrity check failed: bad compressed data") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise FormatError(f"the hidden payload inflates beyond {MAX_RECORD_BYTES} bytes")
    return record


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
    if version != VERSION:
        raise FormatError(
            f"this message uses container version {version}; this stegokit reads version "
            f"{VERSION}: upgrade stegokit"
        )
    header = Header(flags, codec, param, length)
    if flags & ~_KNOWN_FLAGS or codec not in CODEC_NAMES:
        raise AuthenticationError("integrity check failed: the header is damaged")
    if length + header.trailer_size() > room:
        raise AuthenticationError(
            "integrity check failed: the hidden data is truncated (was the image cropped?)"
        )
    return header


def open_plain(header: Header, rest: bytes) -> Payload:
    """Check the CRC of a plain container and return its payload."""
    body = rest[: header.length]
    (crc,) = struct.unpack(">I", rest[header.length : header.length + CRC_SIZE])
    if zlib.crc32(header.pack() + body) != crc:
        raise AuthenticationError("integrity check failed: the hidden data is damaged")
    return decode_record(_inflate(body) if header.compressed else body)


def open_sealed(block: bytes, header: Header, rest: bytes, keys: crypto.Keys) -> Payload:
    """Check the HMAC of an encrypted container, decrypt it and return its payload."""
    sealed = rest[: header.length + crypto.TAG_SIZE]
    body = crypto.unseal(sealed, keys, block + header.pack())
    return decode_record(_inflate(body) if header.compressed else body)


def unpack(data: bytes, *, passphrase: str | bytes | None = None,
           private_key: bytes | None = None) -> tuple[Header, Payload]:
    """Open a whole container held in memory (used by test vectors and tools)."""
    try:
        header = parse_header(data, room=len(data) - HEADER_SIZE)
        return header, open_plain(header, data[HEADER_SIZE:])
    except NoPayloadError:
        if passphrase is None and private_key is None:
            raise
    if len(data) < crypto.KEY_BLOCK_SIZE + HEADER_SIZE:
        raise AuthenticationError("authentication failed: the container is truncated")
    block = data[: crypto.KEY_BLOCK_SIZE]
    keys = crypto.open_key_block(block, passphrase=passphrase, private_key=private_key)
    rest = data[crypto.KEY_BLOCK_SIZE :]
    try:
        header = parse_header(rest, room=len(rest) - HEADER_SIZE)
    except NoPayloadError:
        raise AuthenticationError("authentication failed: wrong passphrase or key") from None
    if not header.encrypted:
        raise AuthenticationError("integrity check failed: the header is damaged")
    return header, open_sealed(block, header, rest[HEADER_SIZE:], keys)


def max_record(room: int, *, encrypted: bool) -> int:
    """The largest record (after compression) that fits in ``room`` carrier bytes.

    For an encrypted container ``room`` counts the bytes after the key block.
    """
    if encrypted:
        return crypto.max_plaintext(room - HEADER_SIZE)
    return room - HEADER_SIZE - CRC_SIZE
