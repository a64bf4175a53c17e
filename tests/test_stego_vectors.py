"""Stego images written by every format version still read back (tests/vectors/stego_vN/).

Each image is a committed output of ``make_stego_vectors.py`` (stego_v1/ by version 1): a
layout (bit depth, matrix code, channel mode, encryption, hide-image mode) whose reading
must never change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import stegokit
from stegokit import crypto
from stegokit.errors import AuthenticationError

HERE = Path(__file__).parent / "vectors"
VERSIONS = (1, 2)
VECTORS = [{**entry, "folder": f"stego_v{version}", "version": version}
           for version in VERSIONS
           for entry in json.loads((HERE / f"stego_v{version}.json").read_text())]


def _unlock(entry: dict) -> dict:
    unlock = dict(entry["unlock"])
    if "private_key_hex" in unlock:
        return {"private_key": bytes.fromhex(unlock.pop("private_key_hex"))}
    if "kdf" in unlock:
        unlock["kdf"] = crypto.KdfParams(*unlock["kdf"])
    return unlock


def _id(entry: dict) -> str:
    return f"{entry['folder']}/{entry['file']}"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_vectors_cover_every_layout(version):
    entries = [entry for entry in VECTORS if entry["version"] == version]
    params = {entry["param"] for entry in entries if entry["kind"] == "lsb"}
    bits, codes = {param & 15 for param in params}, {param >> 4 for param in params}
    assert bits == {1, 2, 3, 4} and {0, 2, 3, 6, 15} <= codes  # 15: the adaptive layout
    adaptive = {entry["file"] for entry in entries if entry.get("param") == 1 | 15 << 4}
    assert {"text-adaptive.png", "file-adaptive-rgba.png", "file-adaptive-grey.png",
            "text-adaptive-grey-alpha.png", "file-adaptive-passphrase.png"} <= adaptive
    assert {entry["mode"] for entry in entries if entry["kind"] == "image"} == \
        {"lossless", "planes"}
    assert {"passphrase" in e["unlock"] for e in entries} == {True, False}
    assert any("private_key_hex" in e["unlock"] for e in entries)


@pytest.mark.parametrize("entry", [e for e in VECTORS if e["kind"] == "lsb"],
                         ids=_id)
def test_lsb_vectors_read_back(entry):
    found = stegokit.extract_text(HERE / entry["folder"] / entry["file"], **_unlock(entry))
    assert found.payload.kind == entry["payload_kind"] and found.payload.name == entry["name"]
    assert len(found.payload.data) == entry["size"]
    assert hashlib.sha256(found.payload.data).hexdigest() == entry["sha256"]
    assert found.encrypted == bool(entry["unlock"])


@pytest.mark.parametrize("entry", [e for e in VECTORS if e["kind"] == "image"],
                         ids=_id)
def test_hidden_image_vectors_read_back(entry):
    revealed = stegokit.reveal_image(HERE / entry["folder"] / entry["file"], **_unlock(entry))
    assert (revealed.mode, revealed.bits, revealed.k) == (entry["mode"], entry["bits"],
                                                         entry["k"])
    assert hashlib.sha256(revealed.pixels.tobytes()).hexdigest() == entry["sha256"]


@pytest.mark.parametrize("entry", [e for e in VECTORS if e["unlock"]], ids=_id)
def test_encrypted_vectors_refuse_a_wrong_secret(entry):
    wrong = ({"private_key": bytes(32)} if "private_key_hex" in entry["unlock"]
             else {"passphrase": "wrong"})
    read = stegokit.extract_text if entry["kind"] == "lsb" else stegokit.reveal_image
    with pytest.raises(AuthenticationError):
        read(HERE / entry["folder"] / entry["file"], **wrong)
