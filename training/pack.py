"""Build the portable training pack: random square crops of the photos as JPEG-95 files.

    python -m training.pack --data data --out data/pack.zip

Crops (``--side`` px, default 256) are cut from the training and validation photos of
``data/split.json`` (never the test photos) at a random scale between the crop size and
the photo's short side, so the pack holds both whole-scene views and details. The zip
(``train/NNNNN.jpg``, ``val/NNNNN.jpg``, ``manifest.json`` naming each crop's photo and
package) is what a machine without network access needs to train v2 (``--pack``); at the
default sizes it is about 45 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from training.data import load_photos


def crops(photos: list[np.ndarray], n: int, side: int, rng: random.Random):
    """``n`` random ``side`` x ``side`` crops (photo index, PIL image) at random scales."""
    for i in range(n):
        k = i % len(photos)
        p = photos[k]
        ph, pw = p.shape[:2]
        short = min(ph, pw)
        window = round(side * (short / side) ** rng.random()) if short > side else short
        top, left = rng.randint(0, ph - window), rng.randint(0, pw - window)
        img = Image.fromarray(p[top : top + window, left : left + window])
        yield k, img.resize((side, side), Image.Resampling.LANCZOS)


def load_pack(path: Path, part: str) -> np.ndarray:
    """``(N, side, side, 3)`` uint8 crops of split ``part`` from a pack."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.startswith(part + "/"))
        return np.stack([np.asarray(Image.open(io.BytesIO(z.read(n))).convert("RGB"))
                         for n in names])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--out", type=Path, default=Path("data/pack.zip"))
    ap.add_argument("--train", type=int, default=1600)
    ap.add_argument("--val", type=int, default=96)
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--seed", type=int, default=20261204)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    split = json.loads((args.data / "split.json").read_text())
    manifest = {}
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_STORED) as z:
        for part, n in (("train", args.train), ("val", args.val)):
            ids = split[part]
            for i, (k, img) in enumerate(crops(load_photos(args.data, part), n, args.side, rng)):
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=95)
                name = f"{part}/{i:05d}.jpg"
                z.writestr(name, buf.getvalue())
                meta = split["photos"][ids[k]]
                manifest[name] = {"photo": ids[k], "package": meta.get("package"),
                                  "version": meta.get("version")}
        z.writestr("manifest.json", json.dumps(manifest, indent=0))
    print(f"{args.out}: {len(manifest)} crops, {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
