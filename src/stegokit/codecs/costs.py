"""Embedding costs: how detectable a ±1 change of each value is (low in noisy texture, high
in smooth areas).

HILL, after Li, Wang, Huang and Shi, "A new cost function for spatial image steganography",
IEEE ICIP 2014: the magnitude of a high-pass residual (the 3x3 KB filter), averaged over 3x3,
inverted, and spread over 15x15 (a change is costly where any neighbour is smooth). Each
colour channel gets its own map.

The map is computed in bands of rows (each with the filters' 9 rows of context on either
side) and kept as one byte per value: a *level*, ``LEVELS_PER_OCTAVE`` levels per doubling of
the cost on a fixed scale, so that a 12-megapixel colour image needs 36 MB for its map and a
few MB for the band being computed. :func:`level_costs` turns levels into the trellis's
integer costs relative to the image's median level.
"""

from __future__ import annotations

import numpy as np

from . import stc

#: Rows of context a band needs on either side: KB (1), the 3x3 mean (1), the 15x15 mean (7).
_HALO = 9
#: Rows computed at a time (at 4256 pixels a row, ~1.2 MB per float32 array of a band).
_BAND_ROWS = 64
#: Levels per doubling of the cost: a level is a 4.4 % step.
LEVELS_PER_OCTAVE = 16
#: Level 0 is the cost 2**-_LOWEST_OCTAVE (a very noisy neighbourhood); level 255 is 2**8
#: times the cost of a flat area's residual of 1/256 ... all flat areas.
_LOWEST_OCTAVE = 8
#: The trellis cost of the image's median level: cheaper values reach cost 1 four octaves
#: below it, dearer ones ``stc.MAX_COST`` eight octaves above it.
_MEDIAN_COST = 16


def _shifted(x: np.ndarray, radius: int, axis: int) -> tuple[np.ndarray, int]:
    """``x`` with ``radius`` values mirrored onto both ends along ``axis`` (``d c b a | a b
    c d | d c b a``), and the length along ``axis``."""
    pad = [(0, 0)] * x.ndim
    pad[axis] = (radius, radius)
    return np.pad(x, pad, mode="symmetric"), x.shape[axis]


def _second_difference(x: np.ndarray, axis: int) -> np.ndarray:
    """``2 x[i] - x[i - 1] - x[i + 1]`` along ``axis``, the ends mirrored."""
    padded, n = _shifted(x, 1, axis)
    before = padded.take(np.arange(n), axis=axis)
    before += padded.take(np.arange(2, n + 2), axis=axis)
    return 2 * x - before


def _box_mean(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """The mean over ``size`` (odd) values centred on each, along ``axis``, the ends
    mirrored (float64 running sums, float32 out)."""
    padded, n = _shifted(x, size // 2, axis)
    sums = np.cumsum(padded, axis=axis, dtype=np.float64)
    window = sums.take(np.arange(size - 1, n + size - 1), axis=axis)
    window[(slice(None),) * axis + (slice(1, None),)] -= sums.take(np.arange(n - 1), axis=axis)
    window /= size
    return window.astype(np.float32)


def hill(channel: np.ndarray) -> np.ndarray:
    """HILL costs of one channel (NumPy; the filters mirror the image at its edges).

    Parameters
    ----------
    channel : ndarray, shape (H, W), uint8

    Returns
    -------
    ndarray, shape (H, W), float32, positive
    """
    # the KB filter is -1/4 times the outer product of [-1, 2, -1] with itself
    residual = _second_difference(_second_difference(channel.astype(np.float32), 0), 1)
    np.abs(residual, out=residual)
    residual /= 4
    smoothed = _box_mean(_box_mean(residual, 3, 0), 3, 1)
    smoothed += 1e-3  # a flat area is very costly, not infinitely so
    np.reciprocal(smoothed, out=smoothed)
    return _box_mean(_box_mean(smoothed, 15, 0), 15, 1)


def _to_levels(cost: np.ndarray, out: np.ndarray) -> None:
    np.log2(cost, out=cost)
    cost += _LOWEST_OCTAVE
    cost *= LEVELS_PER_OCTAVE
    np.rint(cost, out=cost)
    np.clip(cost, 0, 255, out=cost)
    out[...] = cost


def levels(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HILL cost levels of every value of an image, and how many values have each level.

    Parameters
    ----------
    data : ndarray, shape (H, W, C), uint8, the data channels (no alpha)

    Returns
    -------
    levels : ndarray, shape (H, W, C), uint8: ``LEVELS_PER_OCTAVE * (log2(cost) + 8)``,
        rounded and clipped to 0-255
    counts : ndarray, shape (256,), int64
    """
    height = data.shape[0]
    out = np.empty(data.shape, dtype=np.uint8)
    counts = np.zeros(256, dtype=np.int64)
    for top in range(0, height, _BAND_ROWS):
        bottom = min(top + _BAND_ROWS, height)
        # at the image's edges the band has no context to take, and the filters reflect
        # there as they would on the whole image
        first, last = max(top - _HALO, 0), min(bottom + _HALO, height)
        for c in range(data.shape[2]):
            cost = hill(data[first:last, :, c])[top - first : bottom - first]
            _to_levels(cost, out[top:bottom, :, c])
            counts += np.bincount(out[top:bottom, :, c].reshape(-1), minlength=256)
    return out, counts


def level_costs(counts: np.ndarray) -> np.ndarray:
    """The trellis cost of each level for an image with these level ``counts``: the median
    level costs ``_MEDIAN_COST``, each level 4.4 % more than the one below, within
    1..``stc.MAX_COST``.

    Returns
    -------
    ndarray, shape (256,), uint16
    """
    median = int(np.searchsorted(np.cumsum(counts), (int(counts.sum()) + 1) // 2))
    exponent = (np.arange(256) - median) / LEVELS_PER_OCTAVE
    return np.clip(np.rint(_MEDIAN_COST * np.exp2(exponent)), 1, stc.MAX_COST).astype(np.uint16)


def value_costs(data: np.ndarray) -> np.ndarray:
    """Trellis costs of every data value of an image (the whole map at once: for small
    images and tests).

    Parameters
    ----------
    data : ndarray, shape (H, W, C), uint8, the data channels (no alpha)

    Returns
    -------
    ndarray, shape (H, W, C), uint16 in 1..``stc.MAX_COST``
    """
    found, counts = levels(data)
    return level_costs(counts)[found]
