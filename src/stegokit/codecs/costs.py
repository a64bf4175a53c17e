"""Embedding costs: how detectable a ±1 change of each value is (low in noisy texture, high
in smooth areas).

HILL, after Li, Wang, Huang and Shi, "A new cost function for spatial image steganography",
IEEE ICIP 2014: the magnitude of a high-pass residual (the 3x3 KB filter), averaged over 3x3,
inverted, and spread over 15x15 (a change is costly where any neighbour is smooth). Each
colour channel gets its own map.
"""

from __future__ import annotations

import numpy as np

from . import stc

#: The KB high-pass filter (a 3x3 predictor's residual).
_KB = np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]], dtype=np.float32) / 4
#: Costs at or above this many times the median cost are all ``stc.MAX_COST``.
_SPREAD = 64


def hill(channel: np.ndarray) -> np.ndarray:
    """HILL costs of one channel.

    Parameters
    ----------
    channel : ndarray, shape (H, W), uint8

    Returns
    -------
    ndarray, shape (H, W), float32, positive
    """
    from scipy import ndimage  # (only when embedding: it takes a while to import)

    residual = ndimage.convolve(channel.astype(np.float32), _KB, mode="reflect")
    np.abs(residual, out=residual)
    smoothed = ndimage.uniform_filter(residual, 3, mode="reflect")
    smoothed += 1e-3  # a flat area is very costly, not infinitely so
    np.reciprocal(smoothed, out=smoothed)
    return ndimage.uniform_filter(smoothed, 15, mode="reflect")


def quantised(costs: np.ndarray) -> np.ndarray:
    """Costs as integers 1..``stc.MAX_COST`` for the trellis: the median maps to
    ``MAX_COST / _SPREAD``, anything ``_SPREAD`` times dearer to ``MAX_COST``.

    Parameters
    ----------
    costs : ndarray, positive floats, any shape

    Returns
    -------
    ndarray, same shape, uint16
    """
    flat = costs.reshape(-1)
    sample = flat[:: max(1, flat.size // 65536)]
    scale = stc.MAX_COST / _SPREAD / max(float(np.median(sample)), 1e-12)
    scaled = costs * np.float32(scale)
    np.clip(scaled, 1, stc.MAX_COST, out=scaled)
    return scaled.astype(np.uint16)


def value_costs(data: np.ndarray) -> np.ndarray:
    """Quantised HILL costs of every data value of an image.

    Parameters
    ----------
    data : ndarray, shape (H, W, C), uint8, the data channels (no alpha)

    Returns
    -------
    ndarray, shape (H, W, C), uint16 in 1..``stc.MAX_COST``
    """
    out = np.empty(data.shape, dtype=np.uint16)
    for c in range(data.shape[2]):
        out[..., c] = quantised(hill(data[..., c]))
    return out
