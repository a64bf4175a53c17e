"""Image quality measures over uint8 arrays."""

from __future__ import annotations

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two same-shape uint8 arrays (``inf`` if equal).

    Works row by row, so a 12-megapixel image needs no full-size temporary array.
    """
    if a.shape != b.shape:
        raise ValueError("psnr needs two arrays of the same shape")
    total = 0
    for row_a, row_b in zip(a, b, strict=True):
        diff = row_a.astype(np.int32) - row_b
        total += int(np.vdot(diff.ravel(), diff.ravel()))
    if total == 0:
        return float("inf")
    return float(10 * np.log10(255.0**2 * a.size / total))
