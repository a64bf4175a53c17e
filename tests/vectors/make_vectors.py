"""Regenerate container_v1.json, the container format's test vectors (docs/format.md).

Run from the repository root: ``python tests/vectors/make_vectors.py``. Every random input
(salt, IV, ephemeral key) is fixed here, so the output is the same on every run.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from stegokit import container, crypto
from stegokit.container import Payload

CHEAP = crypto.KdfParams(log2_memory_kib=13, iterations=1, lanes=1)
SALT = bytes(range(32))
IV = bytes(range(100, 116))
RECIPIENT_PRIVATE = bytes.fromhex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
EPHEMERAL_PRIVATE = bytes.fromhex(
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")


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
            lock = crypto.recipient_key_block(public, ephemeral_private=EPHEMERAL_PRIVATE)
            entry.update(recipient_public_hex=public.hex(),
                         recipient_private_hex=RECIPIENT_PRIVATE.hex(),
                         ephemeral_private_hex=EPHEMERAL_PRIVATE.hex(), iv_hex=IV.hex())
        elif secret:
            lock = crypto.passphrase_key_block(secret, params=CHEAP, salt=SALT)
            entry.update(passphrase=secret, salt_hex=SALT.hex(), iv_hex=IV.hex(),
                         kdf={"log2_memory_kib": 13, "iterations": 1, "lanes": 1})
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
    damaged_version[4] = 2
    fields = plain[:4] + b"\x02" + plain[5:12]
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
        {"description": "unknown version 2 (valid header check)", "container_hex": future.hex(),
         "error": "FormatError"},
        {"description": "wrong passphrase", "container_hex": sealed.hex(),
         "passphrase": "incorrect horse", "error": "AuthenticationError"},
        {"description": "flipped ciphertext bit", "container_hex": bytes(flipped).hex(),
         "passphrase": "correct horse", "error": "AuthenticationError"},
        {"description": "truncated ciphertext", "container_hex": sealed[:-1].hex(),
         "passphrase": "correct horse", "error": "AuthenticationError"},
    ]


def main() -> None:
    good = generate()
    vectors = {"generate": good, "verify": [*good, _compressed_text()],
               "invalid": invalid(good)}
    path = Path(__file__).with_name("container_v1.json")
    path.write_text(json.dumps(vectors, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
