"""Stego PSNR of the default LSB embedding on real 1-megapixel photos.

    python benchmarks/core_psnr.py

Every wallpaper of Debian's plasma-workspace-wallpapers (fetched by photos.py) is scaled to
a 1024 px short side and centre-cropped to 1024x1024; each crop gets a 20-character message
and a random payload of its exact 1-bit capacity (stegokit.capacity). Prints a Markdown table
(the targets of issue #2: >= 70 dB and >= 51 dB).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from photos import wallpapers

import stegokit

SIDE = 1024
SHORT = "twenty characters!!!"


def crops() -> dict[str, np.ndarray]:
    """Name -> 1024x1024 RGB crop of each wallpaper (largest file of each)."""
    found = {}
    for folder in sorted(wallpapers().iterdir()):
        files = sorted((folder / "contents" / "images").glob("*.*"),
                       key=lambda p: p.stat().st_size)
        if not files:
            continue
        with Image.open(files[-1]) as image:
            image = image.convert("RGB")
            scale = SIDE / min(image.size)
            image = image.resize((max(SIDE, round(image.width * scale)),
                                  max(SIDE, round(image.height * scale))), Image.LANCZOS)
            left, top = (image.width - SIDE) // 2, (image.height - SIDE) // 2
            found[folder.name] = np.asarray(image.crop((left, top, left + SIDE, top + SIDE)))
    return found


def main() -> None:
    rows = []
    for name, pixels in crops().items():
        short = stegokit.embed_text(pixels, SHORT, rng=0)
        capacity = stegokit.capacity(pixels).lsb[1]
        full = stegokit.embed_text(pixels, np.random.default_rng(0).bytes(capacity), rng=0)
        rows.append((name, short.psnr, capacity, full.psnr))
    print(f"{len(rows)} photos, {SIDE}x{SIDE}, default embedding (1 bit per value)\n")
    print("| photo | PSNR, 20 characters | 1-bit capacity B | PSNR, full capacity |")
    print("| --- | ---: | ---: | ---: |")
    for name, short, capacity, full in rows:
        print(f"| {name} | {short:.1f} | {capacity:,} | {full:.1f} |")
    shorts, fulls = [r[1] for r in rows], [r[3] for r in rows]
    print(f"| **min / median** | {min(shorts):.1f} / {statistics.median(shorts):.1f} | | "
          f"{min(fulls):.1f} / {statistics.median(fulls):.1f} |")


if __name__ == "__main__":
    main()
