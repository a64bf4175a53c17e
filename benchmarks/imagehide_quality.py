"""PSNR of hide-image's modes on real photos, next to the classic 4-bit scheme.

    python benchmarks/imagehide_quality.py [--size 1280x800] [--figure docs/img/...png]

The photos are the eleven colour photographs of Debian's `plasma-workspace-wallpapers`
(bookworm 4:5.27.5-2, GPL-2+; fetched once by benchmarks/photos.py into benchmarks/.cache/),
halved (which removes most JPEG blocking) and centre-cropped to ``--size``. Photo ``i`` is the
cover of photo ``i + 1``. Rows, as markdown, mean and minimum over the pairs:

- ``classic``: the secret's top 4 bits replace the cover's low 4, zero fill on reveal;
- ``planes k``: the same-size secret through :func:`stegokit.hide_image` (packed when its
  symbols compress, as they do for photos);
- ``planes k fixed-rate``: the layout planes falls back to for a secret that does not
  compress (the codec's :func:`embed_stream`, the same pixels a noise-like secret gets);
- ``nibble``: a secret of half the cover's values (the classic exact scheme, with OPA);
- ``lossless``: a quarter-size secret (auto's first choice);
- ``auto``: the same-size secret, whatever auto picks.

A second table compares ways to cut the secret to 4 bits per value and fill it back (secret
PSNR only): zero fill, mid-value fill, rounding to the nearest of 16 levels spread over 0..255,
random dither before the cut, and planes' per-channel mean fill.

It also draws the side-by-side figure for docs/hide-image.md: cover, stego, secret, revealed
secret, for the classic scheme and for planes (k = 4, fixed-rate, the least favourable case).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

FIGURE = Path(__file__).parent.parent / "docs/img/hide-image-side-by-side.png"
PHOTOS = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow",
          "FallenLeaf", "Kite", "OneStandsOut", "Path", "Volna", "summer_1am")


def load_photos(width: int, height: int) -> list[tuple[str, np.ndarray]]:
    """The photos, halved and centre-cropped to width x height, as (name, RGB array)."""
    import photos

    photos.cover("512x512")  # fetches and unpacks the package on first use
    out = []
    for name in PHOTOS:
        folder = photos.CACHE / "src" / "usr/share/wallpapers" / name / "contents/images"
        largest = max(folder.glob("*.jpg"), key=lambda p: p.stat().st_size)
        with Image.open(largest) as image:
            image = image.convert("RGB")
            image = image.resize((image.width // 2, image.height // 2), Image.LANCZOS)
            left, top = (image.width - width) // 2, (image.height - height) // 2
            out.append((name, np.asarray(image.crop((left, top, left + width, top + height)))))
    return out


def classic(cover: np.ndarray, secret: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classic scheme: stego and zero-filled revealed secret."""
    return (cover & 0xF0) | (secret >> 4), secret & 0xF0


def fixed_rate(cover: np.ndarray, secret: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """planes' fixed-rate layout: stego and revealed secret."""
    from stegokit.codecs import imagehide

    stego, _ = imagehide.embed_stream(cover, secret, mode="planes", k=k, rng=0)
    return stego, imagehide.extract(stego).pixels


def measure(pairs) -> dict[str, list[tuple[float, float, str]]]:
    import stegokit
    from stegokit.metrics import psnr

    rows: dict[str, list[tuple[float, float, str]]] = {}

    def add(row: str, cover_db: float, secret_db: float, note: str = "") -> None:
        rows.setdefault(row, []).append((cover_db, secret_db, note))

    for cover, secret in pairs:
        stego, revealed = classic(cover, secret)
        add("classic (4 bits, zero fill)", psnr(cover, stego), psnr(secret, revealed))
        for k in (1, 2, 3, 4):
            hidden = stegokit.hide_image(cover, secret, mode="planes", bits=k, rng=0)
            found = stegokit.reveal_image(hidden.pixels)
            note = f"{hidden.bits} bit(s), {'packed' if hidden.packed else 'fixed'}"
            add(f"planes k={k}", hidden.cover_psnr, psnr(secret, found.pixels), note)
        for k in (1, 2, 3, 4):
            stego, revealed = fixed_rate(cover, secret, k)
            add(f"planes k={k} fixed-rate", psnr(cover, stego), psnr(secret, revealed))
        half = np.ascontiguousarray(secret[: secret.shape[0] // 2])
        hidden = stegokit.hide_image(cover, half, mode="nibble", rng=0)
        assert np.array_equal(stegokit.reveal_image(hidden.pixels).pixels, half)
        add("nibble (half-size secret)", hidden.cover_psnr, float("inf"))
        quarter = np.ascontiguousarray(secret[::2, ::2])
        hidden = stegokit.hide_image(cover, quarter, mode="lossless", rng=0)
        assert np.array_equal(stegokit.reveal_image(hidden.pixels).pixels, quarter)
        add("lossless (quarter-size secret)", hidden.cover_psnr, float("inf"),
            f"{hidden.bits} bit(s)")
        hidden = stegokit.hide_image(cover, secret, rng=0)
        add("auto (same-size secret)", hidden.cover_psnr, hidden.secret_psnr,
            f"{hidden.mode}, {hidden.bits} bit(s)")
    return rows


def report(rows: dict[str, list[tuple[float, float, str]]], count: int, size: str) -> None:
    def fmt(values: list[float]) -> str:
        if not any(np.isfinite(values)):
            return "exact"
        if not all(np.isfinite(values)):
            finite = [v for v in values if np.isfinite(v)]
            return f"exact ×{len(values) - len(finite)}; {fmt(finite)} ×{len(finite)}"
        return f"{statistics.mean(values):.2f} (min {min(values):.2f})"

    print(f"{count} same-size pairs of real photos, {size}; mean (min) PSNR in dB\n")
    print("| mode | cover PSNR | revealed secret PSNR | layout |")
    print("| --- | ---: | ---: | --- |")
    for row, values in rows.items():
        notes = Counter(note for _, _, note in values if note)
        layout = "; ".join(f"{note} ×{n}" for note, n in sorted(notes.items()))
        print(f"| {row} | {fmt([v[0] for v in values])} | {fmt([v[1] for v in values])} | "
              f"{layout} |")


def quantizers(secrets: list[np.ndarray]) -> None:
    """Secret PSNR of 4-bit reductions, mean (min) over the photos."""
    from stegokit.codecs import imagehide
    from stegokit.metrics import psnr

    rng = np.random.default_rng(0)

    def dither(v: np.ndarray) -> np.ndarray:
        noisy = v.astype(np.int16) + rng.integers(-8, 8, size=v.shape, dtype=np.int16)
        return (np.clip(noisy, 0, 255).astype(np.uint8) & 0xF0) | 8

    def mean_fill(v: np.ndarray) -> np.ndarray:
        levels = imagehide.planes_levels(v, 4)
        return imagehide.planes_pixels(imagehide.planes_symbols(v, 4), v.shape, levels)

    ways = {
        "top 4 bits, zero fill (classic)": lambda v: v & 0xF0,
        "top 4 bits, mid-value fill (+8)": lambda v: (v & 0xF0) | 8,
        "nearest of 16 levels 0, 17, ..., 255": lambda v: (np.rint(v / 17) * 17).astype(np.uint8),
        "random dither, then top 4 bits + 8": dither,
        "top 4 bits, per-channel mean fill (planes)": mean_fill,
    }
    print("\n| 4-bit reduction of the secret | secret PSNR |")
    print("| --- | ---: |")
    for name, way in ways.items():
        values = [psnr(v, way(v)) for v in secrets]
        print(f"| {name} | {statistics.mean(values):.2f} (min {min(values):.2f}) |")


def figure(cover: np.ndarray, secret: np.ndarray, path: Path, crop: int = 160) -> None:
    """Rows of cover | stego | secret | revealed, cut from the same spot at full resolution:
    the classic scheme, planes k=4 fixed-rate, planes k=4 as hide-image picks it (packed)."""
    import stegokit

    top, left = (cover.shape[0] - crop) // 2, (cover.shape[1] - crop) // 2
    window = (slice(top, top + crop), slice(left, left + crop))
    packed = stegokit.hide_image(cover, secret, mode="planes", rng=0).pixels
    rows = []
    for stego, revealed in (classic(cover, secret), fixed_rate(cover, secret, 4),
                            (packed, stegokit.reveal_image(packed).pixels)):
        tiles = [cover, stego, secret, revealed]
        rows.append(np.concatenate([np.pad(t[window], ((2, 2), (2, 2), (0, 0)),
                                           constant_values=255) for t in tiles], axis=1))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path, optimize=True)
    print(f"\nfigure: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    named = load_photos(width, height)
    pairs = [(named[i][1], named[(i + 1) % len(named)][1]) for i in range(len(named))]
    report(measure(pairs), len(pairs), args.size)
    quantizers([secret for _, secret in pairs])
    if args.figure:
        figure(*pairs[PHOTOS.index("Kite")], args.figure)


if __name__ == "__main__":
    main()
