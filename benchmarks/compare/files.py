"""The covers in each tool's file format, the payloads, and the pixel-level measures."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.photos import cover

SHORT = b"twenty characters!!!"
#: The issue's reference case, 450,000 random bytes in the 12 MP cover, is this many message
#: bits per colour value; the other covers get the same rate.
LARGE_RATE = 450_000 * 8 / (4256 * 2832 * 3)
JPEG_QUALITY = 90


def cover_as(size: str, fmt: str, scratch: Path) -> Path:
    """The ``size`` cover in ``fmt`` ("png" is the original; others converted once, untimed)."""
    png = cover(size)
    if fmt == "png":
        return png
    path = scratch / f"cover-{size}.{fmt}"
    if not path.exists():
        with Image.open(png) as image:
            options = {"quality": JPEG_QUALITY} if fmt == "jpg" else {}
            image.convert("RGB").save(path, **options)
    return path


def payload(size: str, case: str) -> bytes:
    """``short``: the 20-character message; ``large``: random bytes at ``LARGE_RATE``."""
    if case == "short":
        return SHORT
    with Image.open(cover(size)) as image:
        values = image.width * image.height * len(image.getbands())
    return np.random.default_rng(0).bytes(round(values * LARGE_RATE / 8))


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("nan")
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255**2 / mse))


def pillow_png_bytes(path: Path) -> int:
    """The size of Pillow's default PNG (level 6) of the same pixels."""
    buffer = io.BytesIO()
    with Image.open(path) as image:
        image.save(buffer, "PNG")
    return buffer.tell()
