"""Cover vs stego crops at 4x zoom for the model card.

    PYTHONPATH=src python -m training.figures --out docs/img

For a held-out photo, picks the flattest and the most textured 64x64 window, and writes
``flat.png`` and ``textured.png``: cover | stego | residual amplified 10x around grey,
each upscaled 4x with nearest neighbour.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from stegokit.codecs import neural

WIN = 64
ZOOM = 4


def windows(grey: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]]:
    """Top-left corners of the flattest mid-grey and the most textured windows."""
    h, w = grey.shape
    corners = [(y, x) for y in range(0, h - WIN, WIN // 2) for x in range(0, w - WIN, WIN // 2)]
    texture = {c: float(np.std(np.diff(grey[c[0] : c[0] + WIN, c[1] : c[1] + WIN], axis=1)))
               for c in corners}
    mid = [c for c in corners if 60 < grey[c[0] : c[0] + WIN, c[1] : c[1] + WIN].mean() < 220]
    return min(mid, key=texture.get), max(corners, key=texture.get)


def panel(cover: np.ndarray, stego: np.ndarray, y: int, x: int) -> Image.Image:
    c = cover[y : y + WIN, x : x + WIN]
    s = stego[y : y + WIN, x : x + WIN]
    r = np.clip(128 + 10 * (s.astype(np.int16) - c), 0, 255).astype(np.uint8)
    gap = np.full((WIN, 2, 3), 255, np.uint8)
    strip = Image.fromarray(np.concatenate([c, gap, s, gap, r], axis=1))
    return strip.resize((strip.width * ZOOM, strip.height * ZOOM), Image.Resampling.NEAREST)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--photo", default="lxqt-this-is-not-windows", help="a test-split photo")
    ap.add_argument("--out", type=Path, default=Path("docs/img"))
    args = ap.parse_args(argv)
    split = json.loads((args.data / "split.json").read_text())
    assert args.photo in split["test"], "use a held-out photo"
    with Image.open(args.data / "photos" / split["photos"][args.photo]["file"]) as im:
        cover = np.asarray(im.convert("RGB"))
    stego = neural.embed(cover, b"stegokit neural codec, 32 bytes!"[: neural.CAPACITY])
    flat, textured = windows(cover.mean(axis=2))
    args.out.mkdir(parents=True, exist_ok=True)
    panel(cover, stego, *flat).save(args.out / "flat.png", optimize=True)
    panel(cover, stego, *textured).save(args.out / "textured.png", optimize=True)


if __name__ == "__main__":
    main()
