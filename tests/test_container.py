"""The container format against its test vectors (tests/vectors/container_v2.json, and
container_v1.json, which version 1 wrote and must stay readable)."""

from __future__ import annotations

import json
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
