"""Regenerate container_v2.json, the container format's test vectors (docs/format.md).

Run from the repository root: ``python tests/vectors/make_vectors.py``. Every random input
(salt, IV, ephemeral key, Elligator tweak) is fixed here, so the output is the same on every
run. container_v1.json, made by version 1 of this script, is kept as it was: version 1
containers must stay readable.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

from stegokit import container, crypto
from stegokit.container import Payload

CHEAP_JSON = {"log2_memory_kib": 13, "iterations": 1, "lanes": 1}
CHEAP = crypto.KdfParams(**CHEAP_JSON)
SALT = bytes(range(32))
IV = bytes(range(100, 116))
RECIPIENT_PRIVATE = bytes.fromhex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
#: Bits 0-2: the low-order point added; bit 3: which representative; bits 6-7: top bits.
TWEAK = 0b1100_1101


def _ephemeral_private() -> bytes:
    """The first of a fixed series of private keys whose dirty point has a representative."""
    public = crypto.public_key_of(RECIPIENT_PRIVATE)
    for counter in range(100):
        candidate = hashlib.sha256(b"stegokit vector ephemeral %d" % counter).digest()
        try:
            crypto.recipient_key_block(public, ephemeral_private=candidate, tweak=TWEAK)
        except ValueError:
            continue
        return candidate
    raise RuntimeError("no representable ephemeral key in 100 tries")


def _payload_json(payload: Payload) -> dict:
    return {"kind": payload.kind, "name": payload.name, "data_hex": payload.data.hex()}


def generate() -> list[dict]:
    cases = [
        ("plain text", Payload.from_text("hello"), None),
        ("plain empty text", Payload.from_text(""), None),
        ("plain file with a name", Payload(bytes(range(8)), "file", "key.bin"), None),
        ("plain text, 2 bits", Payload.from_text("ünïcödé ✓"), None),
        ("passphrase", Payload.from_text("attack at dawn"), "correct horse"),
        ("recipient", Payload.from_text("for Alice only"), "recipient"),
    ]
    out = []
    for description, payload, secret in cases:
        entry = {"description": description, "payload": _payload_json(payload),
                 "codec": container.CODEC_LSB, "param": 2 if "2 bits" in description else 1}
        lock = None
        if secret == "recipient":
            public = crypto.public_key_of(RECIPIENT_PRIVATE)
            ephemeral = _ephemeral_private()
            lock = crypto.recipient_key_block(public, ephemeral_private=ephemeral, tweak=TWEAK)
            entry.update(recipient_public_hex=public.hex(),
                         recipient_private_hex=RECIPIENT_PRIVATE.hex(),
                         ephemeral_private_hex=ephemeral.hex(), tweak=TWEAK, iv_hex=IV.hex())
        elif secret:
            lock = crypto.passphrase_key_block(secret, params=CHEAP, salt=SALT)
            entry.update(passphrase=secret, salt_hex=SALT.hex(), iv_hex=IV.hex(),
                         kdf=CHEAP_JSON)
        data = container.pack(payload, codec=entry["codec"], param=entry["param"], lock=lock,
                              iv=IV if lock else None)
        entry["container_hex"] = data.hex()
        out.append(entry)
    return out


def _compressed_text() -> dict:
    text = "la " * 40
    data = container.pack(Payload.from_text(text), codec=container.CODEC_LSB, param=1)
    header = container.parse_header(data, room=len(data))
    assert header.compressed, "the verify vector must exercise compression"
    return {"description": "plain text, compressed", "container_hex": data.hex(),
            "payload": _payload_json(Payload.from_text(text))}


def invalid(good: list[dict]) -> list[dict]:
    plain = bytes.fromhex(good[0]["container_hex"])
    sealed = bytes.fromhex(good[4]["container_hex"])
    flipped = bytearray(sealed)
    flipped[-40] ^= 1
    wrong_crc = bytearray(plain)
    wrong_crc[-1] ^= 0xFF
    damaged_version = bytearray(plain)
    damaged_version[4] = 3
    fields = plain[:4] + b"\x03" + plain[5:12]
    header = fields + (zlib.crc32(fields) & 0xFFFF).to_bytes(2, "big")
    body = header + plain[14:-4]
    future = body + zlib.crc32(body).to_bytes(4, "big")
    return [
        {"description": "not a container", "container_hex": "00" * 32,
         "error": "NoPayloadError"},
        {"description": "plain, CRC mismatch", "container_hex": bytes(wrong_crc).hex(),
         "error": "AuthenticationError"},
        {"description": "plain, truncated", "container_hex": plain[:-3].hex(),
         "error": "AuthenticationError"},
        {"description": "version byte damaged", "container_hex": bytes(damaged_version).hex(),
         "error": "AuthenticationError"},
        {"description": "unknown version 3 (valid header check)", "container_hex": future.hex(),
         "error": "FormatError"},
        {"description": "wrong passphrase", "container_hex": sealed.hex(),
         "passphrase": "incorrect horse", "kdf": CHEAP_JSON, "error": "AuthenticationError"},
        {"description": "right passphrase, another KDF cost", "container_hex": sealed.hex(),
         "passphrase": "correct horse", "error": "AuthenticationError"},
        {"description": "a plain container opened with a passphrase",
         "container_hex": plain.hex(), "passphrase": "correct horse", "kdf": CHEAP_JSON,
         "error": "AuthenticationError"},
        {"description": "flipped ciphertext bit", "container_hex": bytes(flipped).hex(),
         "passphrase": "correct horse", "kdf": CHEAP_JSON, "error": "AuthenticationError"},
        {"description": "truncated ciphertext", "container_hex": sealed[:-1].hex(),
         "passphrase": "correct horse", "kdf": CHEAP_JSON, "error": "AuthenticationError"},
    ]


def main() -> None:
    good = generate()
    vectors = {"generate": good, "verify": [*good, _compressed_text()],
               "invalid": invalid(good)}
    path = Path(__file__).with_name("container_v2.json")
    path.write_text(json.dumps(vectors, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
