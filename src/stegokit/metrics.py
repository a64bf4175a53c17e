"""Image quality measures over uint8 arrays."""

from __future__ import annotations

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two same-shape uint8 arrays (``inf`` if equal).

    Works on bands of rows (about a million values each), so a 12-megapixel image needs no
    full-size temporary array.
    """
    if a.shape != b.shape:
        raise ValueError("psnr needs two arrays of the same shape")
    total = 0
    rows = max(1, (1 << 20) // max(1, a[:1].size))
    for start in range(0, len(a), rows):
        diff = np.subtract(a[start : start + rows], b[start : start + rows], dtype=np.int64)
        total += int(np.vdot(diff.ravel(), diff.ravel()))
    return psnr_of_error(total, a.size)


def psnr_of_error(squared_error: int, size: int) -> float:
    """The PSNR of ``size`` values whose squared differences sum to ``squared_error`` (after
    1-bit LSB matching, the number of values changed: each moved by exactly 1)."""
    if squared_error == 0:
        return float("inf")
    return float(10 * np.log10(255.0**2 * size / squared_error))
