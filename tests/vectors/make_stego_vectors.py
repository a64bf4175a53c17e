"""Write stego_vN/, stego images in every LSB and hide-image layout, with stego_vN.json,
N the container version this stegokit writes.

Run from the repository root: ``python tests/vectors/make_stego_vectors.py``. The images are
committed: tests/test_stego_vectors.py reads every version's with the current code, so a
change that would leave images written by an earlier version unreadable fails there. An image
already in stego_vN/ is kept as it is, with its entry (images are the record of what earlier
versions wrote); only new cases are written (stego_v1/ was written by version 1).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from skimage import data as skdata

import stegokit
from stegokit import container, crypto, images
from stegokit.api import make_unlock
from stegokit.codecs import lsb

HERE = Path(__file__).parent
VERSION = container.VERSION
OUT = HERE / f"stego_v{VERSION}"
CHEAP_FIELDS = [13, 1, 1]
CHEAP = crypto.KdfParams(*CHEAP_FIELDS)
RECIPIENT_PRIVATE = bytes.fromhex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")


def _covers() -> dict[str, np.ndarray]:
    rgb = skdata.astronaut()[40:136, 180:276]  # 96 x 96, a face and a dark background
    alpha = np.random.default_rng(7).integers(0, 256, size=(*rgb.shape[:2], 1), dtype=np.uint8)
    grey = rgb.mean(axis=2, keepdims=True).astype(np.uint8)
    return {"RGB": rgb, "RGBA": np.concatenate([rgb, alpha], 2), "L": grey,
            "LA": np.concatenate([grey, alpha], 2)}


def _random(size: int, seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(size)


def _lsb_cases(covers: dict[str, np.ndarray]):
    """``(name, cover, message, options, extract options)`` for each LSB layout."""
    room = lsb.capacity(covers["RGB"], 1, encrypted=False, name="full.bin")
    text = f"v{VERSION} stego vector: ünïcödé, 中文, עברית, 🙂"
    earlier = {"adaptive": False}  # the layouts written before the adaptive one
    return [
        ("text-1bit-code6", "RGB", text, earlier, {}),
        ("file-1bit-code3", "RGB", _random(room // 4, 1), {"filename": "quarter.bin", **earlier},
         {}),
        ("file-1bit-code2", "RGB", _random(room // 2, 2), {"filename": "half.bin", **earlier},
         {}),
        ("file-1bit-full", "RGB", _random(room, 3), {"filename": "full.bin"}, {}),
        ("text-2bits", "RGB", text, {"bits": 2}, {}),
        ("file-3bits", "RGB", _random(2000, 4), {"bits": 3, "filename": "a.bin"}, {}),
        ("file-4bits", "RGB", _random(4000, 5), {"bits": 4, "filename": "b.bin"}, {}),
        ("text-rgba", "RGBA", text, earlier, {}),
        ("text-grey", "L", text, earlier, {}),
        ("text-grey-alpha-2bits", "LA", text, {"bits": 2}, {}),
        ("text-passphrase", "RGB", text,
         {"passphrase": "correct horse", "kdf": CHEAP, **earlier},
         {"passphrase": "correct horse", "kdf": CHEAP_FIELDS}),
        ("file-passphrase-2bits", "RGB", _random(3000, 6),
         {"bits": 2, "filename": "c.bin", "passphrase": "battery staple", "kdf": CHEAP},
         {"passphrase": "battery staple", "kdf": CHEAP_FIELDS}),
        ("text-recipient", "RGB", text,
         {"recipient": crypto.public_key_of(RECIPIENT_PRIVATE), **earlier},
         {"private_key_hex": RECIPIENT_PRIVATE.hex()}),
        # the adaptive layout (codec parameter 1 | 15 << 4)
        ("text-adaptive", "RGB", text, {}, {}),
        ("file-adaptive-rgb", "RGB", _random(room // 3, 7), {"filename": "third.bin"}, {}),
        ("file-adaptive-rgba", "RGBA", _random(room // 8, 8), {"filename": "eighth.bin"}, {}),
        ("file-adaptive-grey", "L", _random(room // 12, 9), {"filename": "grey.bin"}, {}),
        ("text-adaptive-grey-alpha", "LA", text, {}, {}),
        ("file-adaptive-passphrase", "RGB", _random(room // 5, 10),
         {"filename": "d.bin", "passphrase": "tr0ub4dor", "kdf": CHEAP},
         {"passphrase": "tr0ub4dor", "kdf": CHEAP_FIELDS}),
    ]


def _hide_cases():
    secret = skdata.coffee()[::16, ::16]  # 25 x 38
    return [
        ("image-lossless", secret, {"mode": "lossless"}, {}),
        ("image-planes", secret, {"mode": "planes", "bits": 3}, {}),
        ("image-planes-passphrase", secret,
         {"mode": "planes", "bits": 4, "passphrase": "pass", "kdf": CHEAP},
         {"passphrase": "pass", "kdf": CHEAP_FIELDS}),
    ]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    covers = _covers()
    index = HERE / f"stego_v{VERSION}.json"
    kept = {e["file"]: e for e in json.loads(index.read_text())} if index.exists() else {}
    entries = []
    for seed, (name, mode, message, options, unlock) in enumerate(_lsb_cases(covers)):
        if f"{name}.png" in kept and (OUT / f"{name}.png").exists():
            entries.append(kept[f"{name}.png"])
            continue
        stegokit.embed_text(covers[mode], message, rng=seed, **options).save(
            OUT / f"{name}.png", force=True)
        found = lsb.extract(images.load(OUT / f"{name}.png").pixels,
                            unlock=make_unlock(**_unlock(unlock)))
        assert found.encrypted == bool(unlock)
        entries.append({"file": f"{name}.png", "kind": "lsb", "unlock": unlock,
                        "param": found.param, "payload_kind": found.payload.kind,
                        "name": found.payload.name, "size": len(found.payload.data),
                        "sha256": hashlib.sha256(found.payload.data).hexdigest()})
    for seed, (name, secret, options, unlock) in enumerate(_hide_cases()):
        if f"{name}.png" in kept and (OUT / f"{name}.png").exists():
            entries.append(kept[f"{name}.png"])
            continue
        result = stegokit.hide_image(covers["RGB"], secret, rng=seed, **options)
        result.save(OUT / f"{name}.png", force=True)
        revealed = stegokit.reveal_image(OUT / f"{name}.png", **_unlock(unlock))
        entries.append({"file": f"{name}.png", "kind": "image", "unlock": unlock,
                        "mode": revealed.mode, "bits": revealed.bits, "k": revealed.k,
                        "sha256": hashlib.sha256(revealed.pixels.tobytes()).hexdigest()})
    (HERE / f"stego_v{VERSION}.json").write_text(json.dumps(entries, indent=1) + "\n")


def _unlock(unlock: dict) -> dict:
    """Keyword arguments for extract_text / reveal_image from a vector's "unlock" entry."""
    if "private_key_hex" in unlock:
        return {"private_key": bytes.fromhex(unlock["private_key_hex"])}
    if "kdf" in unlock:
        return {**unlock, "kdf": crypto.KdfParams(*unlock["kdf"])}
    return unlock


if __name__ == "__main__":
    main()
