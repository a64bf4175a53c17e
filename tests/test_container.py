"""The container format against its test vectors (tests/vectors/container_v2.json, and
container_v1.json, which version 1 wrote and must stay readable)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from stegokit import container, crypto, errors
from stegokit.container import Payload

_FOLDER = Path(__file__).parent / "vectors"
VECTORS = json.loads((_FOLDER / "container_v2.json").read_text())
V1_VECTORS = json.loads((_FOLDER / "container_v1.json").read_text())


def _payload(entry: dict) -> Payload:
    p = entry["payload"]
    return Payload(bytes.fromhex(p["data_hex"]), p["kind"], p["name"])


def _secrets(entry: dict) -> dict:
    if "recipient_private_hex" in entry:
        return {"private_key": bytes.fromhex(entry["recipient_private_hex"])}
    if "passphrase" in entry:
        kdf = crypto.KdfParams(**entry["kdf"]) if "kdf" in entry else crypto.KdfParams()
        return {"passphrase": entry["passphrase"], "kdf": kdf}
    return {}


@pytest.mark.parametrize("entry", VECTORS["generate"], ids=lambda e: e["description"])
def test_generate(entry):
    lock = None
    if "salt_hex" in entry:
        lock = crypto.passphrase_key_block(entry["passphrase"],
                                           params=crypto.KdfParams(**entry["kdf"]),
                                           salt=bytes.fromhex(entry["salt_hex"]))
    elif "recipient_public_hex" in entry:
        lock = crypto.recipient_key_block(
            bytes.fromhex(entry["recipient_public_hex"]),
            ephemeral_private=bytes.fromhex(entry["ephemeral_private_hex"]),
            tweak=entry["tweak"])
    iv = bytes.fromhex(entry["iv_hex"]) if "iv_hex" in entry else None
    made = container.pack(_payload(entry), codec=entry["codec"], param=entry["param"],
                          lock=lock, iv=iv)
    assert made.hex() == entry["container_hex"]


@pytest.mark.parametrize("entry", VECTORS["verify"], ids=lambda e: e["description"])
def test_verify(entry):
    header, payload = container.unpack(bytes.fromhex(entry["container_hex"]), **_secrets(entry))
    assert payload == _payload(entry)
    assert header.encrypted == bool(_secrets(entry))


@pytest.mark.parametrize("entry", V1_VECTORS["verify"], ids=lambda e: e["description"])
def test_version_1_containers_stay_readable(entry):
    header, payload = container.unpack(bytes.fromhex(entry["container_hex"]), **_secrets(entry))
    assert payload == _payload(entry)
    assert header.version == 1


@pytest.mark.parametrize("entry", VECTORS["invalid"] + V1_VECTORS["invalid"],
                         ids=lambda e: e["description"])
def test_invalid(entry):
    error = getattr(errors, entry["error"])
    with pytest.raises(error):
        container.unpack(bytes.fromhex(entry["container_hex"]), **_secrets(entry))


def test_recipient_vector_refuses_other_key():
    sealed = next(e for e in VECTORS["generate"] if "recipient_private_hex" in e)
    other_private, _ = crypto.generate_keypair()
    with pytest.raises(errors.AuthenticationError):
        container.unpack(bytes.fromhex(sealed["container_hex"]), private_key=other_private)


def test_compression_only_when_smaller():
    repetitive = container.pack(Payload.from_text("ab" * 500), codec=1)
    short = container.pack(Payload.from_text("hi"), codec=1)
    assert container.parse_header(repetitive, room=10**6).compressed
    assert not container.parse_header(short, room=10**6).compressed
    assert len(repetitive) < 200


def test_file_names_are_reduced_to_a_safe_base_name():
    data = container.pack(Payload(b"x", "file", "../../etc/pass\nwd"), codec=1)
    _, payload = container.unpack(data)
    assert payload.name == "passwd"


def test_large_incompressible_records_are_stored_without_a_compression_pass():
    noise = np.random.default_rng(3).bytes(1 << 20)
    packed = container.pack(Payload(noise, "file", "noise.bin"), codec=container.CODEC_LSB)
    header = container.parse_header(packed[: container.HEADER_SIZE], room=len(packed))
    assert not header.compressed
    text = (b"all work and no play " * 60000) + noise[:1000]  # compressible around the noise
    packed = container.pack(Payload(text, "file", "notes.txt"), codec=container.CODEC_LSB)
    header = container.parse_header(packed[: container.HEADER_SIZE], room=len(packed))
    assert header.compressed and header.length < len(text) // 10


# --- File names ---

@pytest.mark.parametrize(("name", "safe"), [
    ("notes.txt", "notes.txt"),
    ("a/b/c.txt", "c.txt"),
    ("a\\b\\c.txt", "c.txt"),
    ("dir\\sub/name.bin", "name.bin"),
    ("my file.txt", "my file.txt"),
    ("  padded  ", "padded"),
    ("pass\nwd\x00", "passwd"),
    ("\u202etxt.exe", "txt.exe"),  # a right-to-left override (format character) is dropped
    (".", ""), ("..", ""), ("a/..", ""), ("a\\.", ""),
    ("a" * 300, "a" * 255),
    ("é" * 300, "é" * 127),  # 255 bytes, without the half character
])
def test_file_names_are_reduced_to_a_safe_base_name_of_at_most_255_bytes(name, safe):
    assert container.safe_name(name) == safe


# --- Records ---

def test_a_record_is_kind_name_length_name_data():
    assert container.encode_record(Payload(b"data", "file", "d/n.txt")) == b"\x01\x05n.txtdata"
    assert container.encode_record(Payload(b"img", "image")) == b"\x02\x00img"
    assert container.encode_record(Payload.from_text("hé")) == b"\x00\x00h\xc3\xa9"
    assert Payload.from_text("hé") == Payload("hé".encode(), "text", "")


@pytest.mark.parametrize(("record", "payload"), [
    (b"\x00\x00", Payload(b"", "text", "")),
    (b"\x01\x05n.txtdata", Payload(b"data", "file", "n.txt")),
    (b"\x02\x00img", Payload(b"img", "image", "")),
    (b"\x01\x04a/b\nd", Payload(b"d", "file", "b")),  # a name is cleaned when read, too
])
def test_records_decode(record, payload):
    assert container.decode_record(record) == payload


@pytest.mark.parametrize("record", [b"", b"\x00", b"\x03\x00", b"\xff\x00data", b"\x00\x05ab",
                                    b"\x01\x02\xff\xfe"])
def test_a_malformed_record_is_an_integrity_error(record):
    with pytest.raises(errors.AuthenticationError) as error:
        container.decode_record(record)
    assert str(error.value) == "integrity check failed: the hidden record is malformed"


def test_an_unknown_payload_kind_is_refused():
    with pytest.raises(ValueError) as error:
        container.encode_record(Payload(b"x", "video"))
    assert str(error.value) == "unknown payload kind 'video'"


# --- The header ---

def _raw_header(version: int = 2, flags: int = 0, codec: int = 1, param: int = 0,
                length: int = 0, magic: bytes = b"STGK") -> bytes:
    fields = struct.pack(">4sBBBBI", magic, version, flags, codec, param, length)
    return fields + struct.pack(">H", zlib.crc32(fields) & 0xFFFF)


def test_the_header_layout():
    header = container.Header(flags=3, codec=2, param=7, length=0x01020304)
    assert header.pack() == _raw_header(flags=3, codec=2, param=7, length=0x01020304)
    assert header.pack()[:12] == b"STGK\x02\x03\x02\x07\x01\x02\x03\x04"
    assert (header.trailer_size(), container.Header(2, 1, 0, 0).trailer_size()) == (32, 4)
    assert container.Header(1, 1, 0, 0, version=1).pack()[4] == 1


def test_a_header_reads_back_every_field():
    raw = _raw_header(version=1, flags=3, codec=3, param=9, length=100)
    assert container.parse_header(raw, room=132) == container.Header(3, 3, 9, 100, 1)
    assert container.parse_header(raw + b"rest", room=132) == container.Header(3, 3, 9, 100, 1)


@pytest.mark.parametrize(("flags", "room", "fits"), [
    (0, 104, True), (0, 103, False), (1, 132, True), (1, 131, False)])
def test_a_header_must_fit_its_body_and_trailer(flags, room, fits):
    raw = _raw_header(flags=flags, length=100)
    if fits:
        assert container.parse_header(raw, room=room).length == 100
    else:
        with pytest.raises(errors.AuthenticationError) as error:
            container.parse_header(raw, room=room)
        assert str(error.value) == (
            "integrity check failed: the hidden data is truncated (was the image cropped?)")


@pytest.mark.parametrize(("raw", "error", "message"), [
    (_raw_header()[:13], errors.NoPayloadError, "no hidden message found"),
    (_raw_header(magic=b"STGk"), errors.NoPayloadError, "no hidden message found"),
    (_raw_header()[:12] + b"\x00\x00", errors.AuthenticationError,
     "integrity check failed: the header is damaged"),
    (_raw_header(flags=4), errors.AuthenticationError,
     "integrity check failed: the header is damaged"),
    (_raw_header(flags=0x80 | 1), errors.AuthenticationError,
     "integrity check failed: the header is damaged"),
    (_raw_header(codec=0), errors.AuthenticationError,
     "integrity check failed: the header is damaged"),
    (_raw_header(codec=4), errors.AuthenticationError,
     "integrity check failed: the header is damaged"),
    (_raw_header(version=3), errors.FormatError,
     "this message uses container version 3; this stegokit reads versions 1 to 2: upgrade "
     "stegokit"),
    (_raw_header(version=0), errors.FormatError,
     "this message uses container version 0; this stegokit reads versions 1 to 2: upgrade "
     "stegokit"),
])
def test_header_errors_say_what_is_wrong(raw, error, message):
    with pytest.raises(error) as caught:
        container.parse_header(raw, room=10**6)
    assert str(caught.value) == message


def test_every_known_flag_and_codec_is_read():
    for flags in (0, 1, 2, 3):
        for codec in (1, 2, 3):
            header = container.parse_header(_raw_header(flags=flags, codec=codec), room=10**6)
            assert (header.flags, header.codec) == (flags, codec)


# --- Packing ---

def test_packing_defaults_and_pre_encoded_payloads():
    payload = Payload.from_text("the same payload, twice: the same payload, twice")
    packed = container.pack(payload, codec=container.CODEC_NEURAL)
    assert container.parse_header(packed, room=10**6).param == 0
    assert container.pack(container.encode(payload), codec=container.CODEC_NEURAL) == packed
    header = container.parse_header(packed, room=len(packed) - container.HEADER_SIZE)
    assert header.length == len(packed) - container.HEADER_SIZE - container.CRC_SIZE


@pytest.mark.parametrize("text", [f"message number {i}" for i in range(12)])
def test_plain_containers_end_with_the_crc_32_of_header_and_body(text):
    packed = container.pack(Payload.from_text(text), codec=1, param=5)
    assert packed[-4:] == struct.pack(">I", zlib.crc32(packed[:-4]))
    assert container.unpack(packed) == (container.Header(0, 1, 5, len(packed) - 18),
                                         Payload.from_text(text))


def test_a_crc_mismatch_says_the_data_is_damaged():
    packed = bytearray(container.pack(Payload.from_text("hello"), codec=1))
    packed[-1] ^= 1
    with pytest.raises(errors.AuthenticationError) as error:
        container.unpack(bytes(packed))
    assert str(error.value) == "integrity check failed: the hidden data is damaged"


def test_compression_is_kept_only_when_strictly_smaller():
    record = b"\x00\x00" + b"abababababa"
    assert len(zlib.compress(record, 6)) == len(record)  # the tie this test is about
    packed = container.pack(Payload.from_text("abababababa"), codec=1)
    assert not container.parse_header(packed, room=10**6).compressed


def test_an_encrypted_compressed_container_round_trips():
    lock = crypto.passphrase_key_block("pw", params=crypto.KdfParams(13, 1, 1))
    payload = Payload(b"spam and eggs " * 200, "file", "menu.txt")
    packed = container.pack(payload, codec=1, lock=lock)
    header, opened = container.unpack(packed, passphrase="pw", kdf=crypto.KdfParams(13, 1, 1))
    assert (header.encrypted, header.compressed, opened) == (True, True, payload)
    assert header.length == crypto.sealed_size(len(container.encode(payload).body)) - 32


def test_a_truncated_encrypted_container_says_so():
    lock = crypto.passphrase_key_block("pw")
    packed = container.pack(Payload.from_text("hello"), codec=1, lock=lock)
    with pytest.raises(errors.AuthenticationError) as error:
        container.unpack(packed[:-10], passphrase="pw")
    assert str(error.value) == (
        "integrity check failed: the hidden data is truncated (was the image cropped?)")


def test_no_container_for_the_secret_says_so():
    packed = container.pack(Payload.from_text("hello"), codec=1)
    with pytest.raises(errors.AuthenticationError) as error:
        container.unpack(packed, passphrase="pw")
    assert str(error.value) == "authentication failed: wrong passphrase or key, or no message"


@pytest.mark.parametrize("room", [20, 100, 1000])
def test_the_largest_record_fills_the_room_exactly(room):
    largest = container.max_record(room, encrypted=False)
    assert largest == room - 18
    assert container.max_record(room, encrypted=True) == crypto.max_plaintext(room - 14)
    data = np.random.default_rng(room).bytes(largest - 2)
    assert len(container.pack(Payload(data, "file"), codec=1)) == room
    sealed_room = container.max_record(room, encrypted=True)
    if sealed_room >= 2:
        lock = crypto.passphrase_key_block("pw")
        packed = container.pack(Payload(data[: sealed_room - 2], "file"), codec=1, lock=lock)
        assert len(packed) - 32 <= room < len(packed) - 32 + 16


# --- Compressed records: inflation limits ---

def _compressed_container(body: bytes) -> tuple[container.Header, bytes]:
    header = container.Header(container.FLAG_COMPRESSED, 1, 0, len(body))
    return header, body + struct.pack(">I", zlib.crc32(header.pack() + body))


def test_a_compressed_record_may_inflate_exactly_to_the_limit():
    payload = Payload(b"a" * 5000, "file", "name.txt")
    record = container.encode_record(payload)
    header, rest = _compressed_container(zlib.compress(record))
    assert container.open_plain(header, rest, limit=len(record)) == payload
    for limit in (len(record) - 1, 100, 10):
        with pytest.raises(errors.FormatError) as error:
            container.open_plain(header, rest, limit=limit)
        assert str(error.value) == (
            f"refused: the hidden payload inflates beyond {limit:,} bytes, this image's limit "
            "(if you trust the image, raise it with --max-payload)")


def test_the_limit_counts_the_name():
    payload = Payload(b"b" * 3000, "file", "a-long-file-name.bin")
    record = container.encode_record(payload)
    header, rest = _compressed_container(zlib.compress(record))
    assert container.open_plain(header, rest, limit=len(record)) == payload
    with pytest.raises(errors.FormatError):
        container.open_plain(header, rest, limit=len(record) - 1)


@pytest.mark.parametrize("body", [
    zlib.compress(b"\x01\x08name.txt" + b"z" * 4000)[:-7],  # cut short
    b"\x78\x9c\xff\xff\xff\xff\xff\xff",  # not deflate
])
def test_bad_compressed_data_is_an_integrity_error(body):
    header, rest = _compressed_container(body)
    with pytest.raises(errors.AuthenticationError) as error:
        container.open_plain(header, rest, limit=10**6)
    assert str(error.value) == "integrity check failed: bad compressed data"


@pytest.mark.parametrize("record", [b"", b"\x00", b"\x01\x09short"])
def test_a_compressed_record_too_short_for_its_head_is_malformed(record):
    header, rest = _compressed_container(zlib.compress(record))
    with pytest.raises(errors.AuthenticationError) as error:
        container.open_plain(header, rest, limit=10**6)
    assert str(error.value) == "integrity check failed: the hidden record is malformed"


def test_record_limits():
    assert container.record_limit(100, 5) == 5
    assert container.record_limit(100) == 1 << 20
    assert container.record_limit(20_000) == 64 * 20_000
    assert container.record_limit(1 << 20) == 64 << 20
    assert container.record_limit(1 << 30) == 64 << 20


# --- When compression is tried ---

_SAMPLE = 1 << 14


def _record_with_noise_at(size: int, starts: list[int]) -> bytes:
    """A text record of ``size`` bytes: zeros, with 16 KiB of noise at each start."""
    record = bytearray(size)
    rng = np.random.default_rng(size)
    for start in starts:
        record[start : start + _SAMPLE] = rng.bytes(_SAMPLE)
    return bytes(record[2:])


@pytest.mark.parametrize(("size", "noisy", "compressed"), [
    # up to 256 KiB every record is compressed when that helps
    (16 * _SAMPLE, ["start", "middle", "end"], True),
    # beyond, a record whose start, middle and end do not compress is stored as it is
    (16 * _SAMPLE + 1, ["start", "middle", "end"], False),
    (40 * _SAMPLE, ["start", "middle", "end"], False),
    # one compressible sample in three is enough to try
    (16 * _SAMPLE + 1, ["start", "middle"], True),
    (16 * _SAMPLE + 1, ["middle", "end"], True),
    (16 * _SAMPLE + 1, ["start", "end"], True),
])
def test_large_records_are_compressed_only_if_their_samples_compress(size, noisy, compressed):
    starts = {"start": 0, "middle": size // 2, "end": size - _SAMPLE}
    data = _record_with_noise_at(size, [starts[where] for where in noisy])
    packed = container.pack(Payload(data, "text"), codec=1)
    header = container.parse_header(packed, room=len(packed))
    assert header.compressed is compressed
    assert container.unpack(packed)[1].data == data
