"""Steganalysis of LSB replacement: chi-square attack, RS analysis, sample pair analysis.

All functions take a pixel array of shape ``(H, W, C)``, dtype ``uint8``, C = 1 (grey), 2 (grey
and alpha), 3 (RGB) or 4 (RGBA). An alpha channel is never analysed. Inputs are never modified.

The estimators answer one question: were the least significant bits of this image replaced
by message bits, and what fraction of the values carry them? They are blind to LSB matching
(+/-1 embedding) and to anything that does not work on the LSB plane. RS and SPA leave out
values at the very ends of the range (0, 1, 254, 255) and taper those near them, so clipped
areas neither fake a rate nor show one; see ``docs/analysis.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from itertools import pairwise

import numpy as np

from stegokit.errors import InputError
from stegokit.progress import Progress, stage, steps

__all__ = [
    "VERDICTS",
    "ChiSquareSummary",
    "Report",
    "analyze",
    "bitplane_picture",
    "chi_square",
    "chi_square_windows",
    "plane_correlation",
    "random_planes",
    "rs_rate",
    "spa_rate",
]

VERDICTS = ("clean", "suspicious", "likely stego")

#: Overall rate at or above which the image is called "likely stego" (calibrated, see docs).
LIKELY_RATE = 0.1
#: Overall rate at or above which the image is called "suspicious".
SUSPICIOUS_RATE = 0.05
#: A chi-square window whose p-value reaches this looks fully embedded.
WINDOW_P = 0.5
#: A sequential run needs at least this many flagged windows from the start...
MIN_RUN = 3
#: ...followed by at least this fraction of all windows...
MIN_TAIL = 0.1
#: ...of which at most this fraction is flagged...
MAX_FLAGGED_AFTER = 0.5
#: ...and RS and SPA must estimate at least this rate on the rows of the first ``MIN_RUN``
#: chunks. Even value pairs alone are not LSB replacement (smooth or dark regions and +/-1
#: embedding even them out too), but sequential replacement writes every value there, which RS
#: and SPA read as a rate near 1.
LEADING_RATE = 0.5
#: Low bit planes tested for random data by :func:`random_planes` (0, the LSB, to 3).
PLANES = 4
#: A plane whose :func:`plane_correlation` is within this of 0 looks random...
RANDOM_CORRELATION = 0.01
#: ...when the plane above it keeps at least this much (calibrated on 222 clean images, see
#: docs/analysis.md).
STRUCTURE_ABOVE = 0.15
#: Fewer neighbour pairs than this (about 290 x 290 RGB pixels) measure too little to call
#: planes random.
MIN_PAIRS = 500_000

_MIN_EXPECTED = 5.0  # chi-square: value pairs with fewer expected counts are left out
_MIN_WINDOW_VALUES = 1024
_GROUP = 4  # RS: pixels per group, mask [0, 1, 1, 0]
_MIN_SIDE = 4
_COLOUR_CHANNELS = {1: 1, 2: 1, 3: 3, 4: 3}  # channels in the array -> colour channels
_BAND_ROWS = 64  # RS and SPA: rows per band (at least)
_MAX_BANDS = 64
#: RS and SPA: statistics of values within this distance of either end of the range (0, 1
#: and 254, 255) are left out...
_END_MARGIN = 2
#: ...and the weight of the next ones rises smoothly to 1 over this many values (see
#: :func:`_end_window`).
_END_RAMP = 32
#: RS: a group also weighs what its value nearest an end weighs under this short ramp.
_EDGE_RAMP = 4
#: A band in which fewer than this fraction of the values lie off the ends (0, 1, 254, 255)
#: counts in proportion to that fraction.
_MEASURABLE = 0.1


# --------------------------------------------------------------------------- input


def _colour(pixels: np.ndarray) -> np.ndarray:
    """Check the array and return a view of its colour channels, alpha dropped."""
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise InputError("pixels must be a NumPy uint8 array")
    if pixels.ndim != 3 or pixels.shape[2] not in _COLOUR_CHANNELS:
        raise InputError(f"pixels must have shape (H, W, C) with C in 1..4, not {pixels.shape}")
    if min(pixels.shape[:2]) < _MIN_SIDE:
        raise InputError(f"image too small to analyse: {pixels.shape[1]}x{pixels.shape[0]}")
    return pixels[..., : _COLOUR_CHANNELS[pixels.shape[2]]]


def _channel_names(n: int) -> tuple[str, ...]:
    return ("L",) if n == 1 else ("R", "G", "B")


# --------------------------------------------------------------------------- chi-square


def _chi2_sf(stat: float, dof: int) -> float:
    """Survival function of the chi-square distribution, ``P(X >= stat)``."""
    if stat <= 0.0:
        return 1.0
    a, x = dof / 2.0, stat / 2.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        return max(0.0, 1.0 - math.exp(log_front) * _gamma_series(a, x) / a)
    return math.exp(log_front) * _gamma_fraction(a, x)


def _gamma_series(a: float, x: float) -> float:
    """Series sum of the lower incomplete gamma function, without its front factor."""
    term = total = 1.0
    denominator = a
    while term > total * 1e-15:
        denominator += 1.0
        term *= x / denominator
        total += term
    return total


def _gamma_fraction(a: float, x: float) -> float:
    """Continued fraction of the upper incomplete gamma function (modified Lentz)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c, d = 1.0 / tiny, 1.0 / b
    result = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        result *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return result


def _pair_pvalues(hists: np.ndarray) -> np.ndarray:
    """Westfeld-Pfitzmann p-value for each row of ``hists`` (n, 256) value counts."""
    pairs = hists.reshape(-1, 128, 2).astype(np.float64)
    expected = pairs.sum(axis=2) / 2.0
    used = expected >= _MIN_EXPECTED
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(used, (pairs[..., 0] - expected) ** 2 / expected, 0.0)
    stats = terms.sum(axis=1)
    categories = used.sum(axis=1)
    return np.array(
        [_chi2_sf(s, k - 1) if k >= 2 else 0.0 for s, k in zip(stats, categories, strict=True)]
    )


def chi_square(pixels: np.ndarray) -> np.ndarray:
    """Chi-square attack (Westfeld and Pfitzmann 2000) on each colour channel.

    LSB replacement with random message bits evens out the counts of each value pair
    (2k, 2k+1). The test compares the count of the even value with the pair's mean.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored.

    Returns
    -------
    ndarray, shape (C',), dtype float64
        One p-value in [0, 1] per colour channel (C' = 1 or 3). Near 1: the value pairs are as
        even as fully embedded LSBs make them. Near 0: they are not. Embedding that covers only
        part of the channel leaves the p-value near 0; see :func:`chi_square_windows`.
    """
    colour = _colour(pixels)
    hists = np.stack(
        [np.bincount(colour[..., c].ravel(), minlength=256) for c in range(colour.shape[2])]
    )
    return _pair_pvalues(hists)


def chi_square_windows(pixels: np.ndarray, windows: int = 100,
                       progress: Progress | None = None) -> np.ndarray:
    """Chi-square p-value of each successive chunk of the image, in raster order.

    The colour values are read in the order a sequential embedder writes them (row by row,
    pixel by pixel, channel by channel) and cut into ``windows`` chunks of equal length. A run
    of high p-values from the start, then low ones, shows where sequentially embedded data
    ends.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored.
    windows : int, optional
        Number of chunks; fewer when the image has under 1024 values per chunk.
    progress : callable, optional
        Hears of each chunk counted (:mod:`stegokit.progress`).

    Returns
    -------
    ndarray, shape (n,), dtype float64
        p-values in [0, 1], first chunk first.
    """
    if windows < 1:
        raise InputError("windows must be at least 1")
    values = _colour(pixels).ravel()
    n = max(1, min(windows, values.size // _MIN_WINDOW_VALUES))
    edges = np.arange(n + 1) * values.size // n
    chunks = steps(progress, "Chi-square windows", pairwise(edges), n)
    hists = np.stack([np.bincount(values[start:stop], minlength=256) for start, stop in chunks])
    return _pair_pvalues(hists)


# --------------------------------------------------------------------------- the ends of the range


def _end_window(distance: np.ndarray, ramp: int = _END_RAMP) -> np.ndarray:
    """Weight in [0, 1] of a statistic whose values come within ``distance`` of 0 or 255.

    RS and SPA assume the histogram is smooth across the LSB pairs {2k, 2k+1}. The value range
    itself ends at such a boundary (0 is even, 255 odd), so their balance sums have an unpaired
    term at each end, and clipped photos pile values up right there. The window tapers those
    sums to 0 towards the ends instead of cutting them (a cut is a new unpaired end). It is a
    smoothstep, 0 up to ``_END_MARGIN - 1`` and 1 from ``_END_MARGIN - 1 + ramp`` on, flat at
    both joins, so that a tapered sum of a smooth histogram has no end term either.
    """
    x = np.clip((np.asarray(distance, dtype=np.float64) - _END_MARGIN + 1) / ramp, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _pair_weights(shift: int) -> tuple[np.ndarray, np.ndarray]:
    """RS weights by LSB pair, for the flip that keeps the pairs {2q - shift, 2q + 1 - shift}
    (shift 0: M's pairs {2k, 2k+1}; shift 1: -M's pairs {2k-1, 2k}), indexed by the pair
    numbers q = (v + shift) >> 1: the end window at a group's mean pair midpoint (indexed by the
    sum of its 4 pair numbers) and the short edge window of a pair (its value nearer an end)."""
    pairs = np.arange(128 + shift)
    ends = [np.clip(2 * pairs - shift + k, 0, 255) for k in (0, 1)]
    edge = np.minimum(*(_end_window(np.minimum(v, 255 - v), _EDGE_RAMP) for v in ends))
    midpoints = np.clip(2 * np.arange(4 * len(pairs) - 3) + 2 - 4 * shift, 0, 4 * 255)
    mean = _end_window(np.minimum(midpoints, 4 * 255 - midpoints) / 4.0)
    return mean.astype(np.float32), edge.astype(np.float32)


#: For M (index 0) and for -M (index 1).
_PAIR_WEIGHTS = (_pair_weights(0), _pair_weights(1))


# --------------------------------------------------------------------------- RS analysis


def _group_columns(channel: np.ndarray) -> tuple[np.ndarray, ...]:
    """Disjoint groups of 4 adjacent values, along rows and along columns.

    Returned as 4 int16 arrays (first, second, third, fourth value of every group), so that
    the arithmetic below runs over long contiguous arrays.
    """
    h, w = channel.shape
    rows = channel[:, : w - w % _GROUP].reshape(h, -1, _GROUP)
    cols = channel[: h - h % _GROUP].reshape(-1, _GROUP, w)
    return tuple(
        np.concatenate([rows[..., k].ravel(), cols[:, k, :].ravel()]).astype(np.int16)
        for k in range(_GROUP)
    )


def _regular_minus_singular(
    groups: tuple[np.ndarray, ...], weights: np.ndarray, negative: bool
) -> float:
    """Weighted R - S, as a fraction of the groups' total weight, under the mask [0, 1, 1, 0]
    (or -M if negative).

    Only the three differences that touch the flipped middle pair change the discrimination
    function f (sum of absolute neighbour differences), so only they are computed.
    """
    a, b, c, d = groups
    fb, fc = (((b + 1) ^ 1) - 1, ((c + 1) ^ 1) - 1) if negative else (b ^ 1, c ^ 1)
    change = np.abs(a - fb) + np.abs(fc - fb) + np.abs(d - fc)
    change -= np.abs(a - b) + np.abs(c - b) + np.abs(d - c)
    # A product and a sum, not np.dot: BLAS threads stall on a busy machine.
    return float((np.sign(change) * weights).sum())


def _rs_weights(groups: tuple[np.ndarray, ...], negative: bool) -> np.ndarray:
    """Each group's weight for the statistics under M (or -M if negative): the end window at
    its mean times the short edge window at its value nearest an end, both read off the LSB
    pairs that this flip keeps, so that flipping a group leaves its weight as it was."""
    pairs = tuple((values + 1) >> 1 if negative else values >> 1 for values in groups)
    mean, edge = _PAIR_WEIGHTS[negative]
    lowest = np.minimum(np.minimum(pairs[0], pairs[1]), np.minimum(pairs[2], pairs[3]))
    highest = np.maximum(np.maximum(pairs[0], pairs[1]), np.maximum(pairs[2], pairs[3]))
    return mean[pairs[0] + pairs[1] + pairs[2] + pairs[3]] * np.minimum(edge[lowest],
                                                                       edge[highest])


def _rs_differences(images: tuple[tuple[np.ndarray, ...], ...],
                    negative: bool) -> tuple[float, ...]:
    """Weighted R - S under M (or -M) for each of the images' groups, as fractions of the
    weight, all with the weights of the first (the image analysed)."""
    weights = _rs_weights(images[0], negative)
    total = float(weights.sum())
    if total == 0.0:
        return (0.0,) * len(images)
    return tuple(_regular_minus_singular(groups, weights, negative) / total
                 for groups in images)


def _rate_root(a: float, b: float, c: float) -> float:
    """Embedding rate p from the RS quadratic a*z^2 + b*z + c = 0 with z = p / (2(p - 1)).

    The equation is solved in p, where it stays well conditioned near p = 1 (z goes to
    infinity there).
    """
    return _root_nearest_zero(a + 2.0 * b + 4.0 * c, -(2.0 * b + 8.0 * c), 4.0 * c)


def _root_nearest_zero(a: float, b: float, c: float) -> float:
    """The root of a*x^2 + b*x + c = 0 nearest 0, continued through a double root.

    With a negative discriminant d there is no real root; the value returned is then the
    vertex moved by sqrt(-d) / 2|a| away from 0, the mirror image of what a positive d of
    the same size gives. Sampling noise around a double root (which RS and SPA reach at rate
    1) then averages out instead of always pulling the estimate towards 0.
    """
    if abs(a) < 1e-12:
        return -c / b if b else 0.0
    disc = b * b - 4.0 * a * c
    vertex = -b / (2.0 * a)
    offset = math.sqrt(abs(disc)) / (2.0 * abs(a))
    near, far = sorted((vertex - offset, vertex + offset), key=abs)
    return near if disc >= 0.0 else far


def _bands(channel: np.ndarray) -> list[np.ndarray]:
    """Horizontal bands of whole rows, each estimated on its own, then averaged.

    Sequential embedding fills the first rows; an estimate over bands is the mean of local
    rates, where one over the whole channel would weight smooth regions more.
    """
    count = max(1, min(_MAX_BANDS, channel.shape[0] // _BAND_ROWS))
    return np.array_split(channel, count, axis=0)


def _off_ends(band: np.ndarray) -> float:
    """Fraction of the values in 2..253, which the end window does not zero."""
    inside = (band - np.uint8(_END_MARGIN)) < 256 - 2 * _END_MARGIN  # wraps below the margin
    return float(np.count_nonzero(inside)) / band.size


def _banded(estimate, channel: np.ndarray, tick=None) -> float:
    """Mean of the band estimates, weighted by rows; bands with little left to measure count less.

    A band whose values nearly all sit at the ends of the range (a black border, a blown-out
    sky) leaves the end window almost nothing, and its estimate is noise. Such a band counts
    in proportion to the fraction ``m`` of its values off the ends while ``m < _MEASURABLE``;
    above that, by rows alone, so that the estimate stays the mean of local rates (which is
    what "fraction of the values" means for sequential data).
    """
    bands = _bands(channel)
    weights = np.array(
        [band.shape[0] * min(1.0, _off_ends(band) / _MEASURABLE) for band in bands]
    )
    rates = []
    for band, weight in zip(bands, weights, strict=True):
        rates.append(estimate(band) if weight else 0.0)
        if tick is not None:
            tick()
    if weights.sum() == 0.0:
        return 0.0
    return float(np.average(rates, weights=weights))


def _per_channel(band_estimate, pixels: np.ndarray, progress: Progress | None = None,
                 name: str = "") -> np.ndarray:
    """A banded rate estimate for each colour channel, clipped to [0, 1]; ``progress`` hears
    of each band as a unit of the stage ``name``."""
    colour = _colour(pixels)
    tick = None
    if progress is not None:
        total = colour.shape[2] * len(_bands(colour[..., 0]))
        done = [0]
        progress(name, 0, total)

        def tick():
            done[0] += 1
            progress(name, done[0], total)

    rates = [_banded(band_estimate, colour[..., c], tick) for c in range(colour.shape[2])]
    return np.clip(rates, 0.0, 1.0)


def _rs_band(channel: np.ndarray) -> float:
    groups = _group_columns(channel)
    # A group is weighted by how far its values are from 0 and 255 (the end window at its
    # mean times a short edge window at its value nearest an end, so that groups touching a
    # clipped value drop out), in the image as it is; its LSB-flipped copy keeps the weights.
    # The windows are read off LSB pairs, for each flip its own: M's {2k, 2k+1} and -M's
    # {2k-1, 2k}, so that neither flip ever changes the weight of the group it flips. (With
    # weights by value, a flip moved a group's weight in a way tied to whether it smoothed the
    # group, which read rate 1 as 0.94 in dark photos; with M's pairs for both flips, -M
    # crossed every step of the weights, which biased dark and bright channels by 0.05-0.1.)
    images = (groups, tuple(values ^ 1 for values in groups))
    d0, d1 = _rs_differences(images, negative=False)
    dn0, dn1 = _rs_differences(images, negative=True)
    return _rate_root(2.0 * (d1 + d0), dn0 - dn1 - d1 - 3.0 * d0, d0 - dn0)


def rs_rate(pixels: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """RS analysis (Fridrich, Goljan and Du 2001): estimated LSB embedding rate per channel.

    Groups of 4 neighbouring values (along rows and along columns) are classed regular or
    singular by how flipping LSBs under the mask [0, 1, 1, 0] and its shifted twin -M changes
    their smoothness. The class counts of the image and of its LSB-flipped copy give a
    quadratic whose root is the embedding rate. Groups are weighted by how far their values
    are from 0 and 255 (see ``docs/analysis.md``); the estimate is the mean over horizontal
    bands of at least 64 rows.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored. H and W at least 4.
    progress : callable, optional
        Hears of each band (:mod:`stegokit.progress`).

    Returns
    -------
    ndarray, shape (C',), dtype float64
        Estimated fraction of values that carry message bits, clipped to [0, 1], per colour
        channel (C' = 1 or 3).
    """
    return _per_channel(_rs_band, pixels, progress, "RS analysis")


# --------------------------------------------------------------------------- SPA


def _spa_kernel() -> np.ndarray:
    """Weights that turn the histogram of sample pairs into the SPA quadratic.

    Returns a (3, 65536) array K: with ``hist[256 * lower + upper]`` the count of adjacent
    pairs with those values, ``K @ hist`` gives the coefficients (c0, c1, c2) of the
    polynomial in q = p / 2 whose root is the estimate (see :func:`spa_rate`).

    A pair's *class* is its two LSB pairs (t1, t2) = (lower // 2, upper // 2). Embedding at
    rate p flips each LSB with probability q, so within a class the counts of the four parity
    combinations mix by K(q) (x) K(q), K(q) = [[1 - q, q], [q, 1 - q]]. Inverting, (1 - 2q)^2
    times the cover counts of a class G is (I - qJ) G (I - qJ)^T, J the all-ones 2 x 2 matrix:
    a quadratic in q with coefficients linear in the stego counts. Of an odd difference
    d = 2m + 1, the cover pairs whose lower value is odd (X: (2 t1 + 1, 2 t2), class m + 1)
    balance those whose lower value is even (Y: (2 t1, 2 t2 + 1), class m); each is weighed by
    the end window of ``min(lower, 255 - upper)``, which tapers the balance at both ends of the
    range (with weight 1 everywhere this is Dumitrescu, Wu and Wang's equation).
    """
    lower, upper = np.divmod(np.arange(65536), 256)
    t1, i, t2, j = lower >> 1, lower & 1, upper >> 1, upper & 1
    used = lower <= upper
    same = used & (t1 == t2)  # class 0: D0 pairs and the Y pairs (2k, 2k + 1)
    apart = used & (t1 < t2)
    w_x = np.where(apart, _end_window(np.minimum(2 * t1 + 1, 255 - 2 * t2)), 0.0)
    w_y = np.where(used, _end_window(np.minimum(2 * t1, 254 - 2 * t2)), 0.0)
    # Entries of (I - qJ) G (I - qJ)^T: a count at (i, j) adds to entry (r, s) the polynomial
    # [i == r][j == s] - q ([j == s] + [i == r]) + q^2.
    x = ((i == 1) & (j == 0), -((i == 1).astype(float) + (j == 0)), np.ones(65536))
    y = ((i == 0) & (j == 1), -((i == 0).astype(float) + (j == 1)), np.ones(65536))
    # In class 0, (0, 1) and (1, 0) are the same unordered pair: Y is both entries' sum.
    y_same = ((i == 0) & (j == 1), np.full(65536, -2.0), np.full(65536, 2.0))
    return np.stack(
        [
            w_x * x[k] - np.where(same, w_y * y_same[k], np.where(apart, w_y * y[k], 0.0))
            for k in range(3)
        ]
    )


_SPA_KERNEL = _spa_kernel()


def _pair_histogram(channel: np.ndarray) -> np.ndarray:
    """Counts of horizontally and vertically adjacent pairs, at index 256 * lower + upper."""
    hist = np.zeros(65536, dtype=np.int64)
    for u, v in ((channel[:, :-1], channel[:, 1:]), (channel[:-1, :], channel[1:, :])):
        lower = np.minimum(u, v).astype(np.uint16)
        lower *= np.uint16(256)  # (lower << 8: NumPy's left shifts are slow)
        hist += np.bincount((lower | np.maximum(u, v)).ravel(), minlength=65536)
    return hist


def _spa_band(channel: np.ndarray) -> float:
    c0, c1, c2 = (_SPA_KERNEL * _pair_histogram(channel)).sum(axis=1)  # not BLAS, see RS
    return _root_nearest_zero(c2 / 4.0, c1 / 2.0, c0)


def spa_rate(pixels: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """Sample pair analysis (Dumitrescu, Wu and Wang 2003): estimated rate per channel.

    Over the pairs of horizontally and vertically adjacent values, natural images have, for
    each odd difference, as many pairs whose smaller value is odd (X) as pairs whose smaller
    value is even (Y). LSB replacement breaks that balance in a way that depends on the rate
    p only; unweighted, the balance summed over all differences gives::

        (|C0| / 2) p^2 - (|D0| + |Y| - |X|) p + (|Y| - |X|) = 0

    where C0 counts pairs equal but for the LSB and D0 equal pairs, and the root nearest 0 is
    p. Here each pair is weighted by how far it is from 0 and 255 and the equation is solved
    exactly for the weighted balance (see ``_spa_kernel`` and ``docs/analysis.md``), per
    horizontal band of at least 64 rows; the estimate is the mean over bands.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored.
    progress : callable, optional
        Hears of each band (:mod:`stegokit.progress`).

    Returns
    -------
    ndarray, shape (C',), dtype float64
        Estimated fraction of values that carry message bits, clipped to [0, 1], per colour
        channel (C' = 1 or 3).
    """
    return _per_channel(_spa_band, pixels, progress, "Sample pair analysis")


# --------------------------------------------------------------------------- bit planes


def plane_correlation(pixels: np.ndarray) -> np.ndarray:
    """How much neighbouring values agree modulo ``2**(k + 1)``, for bit planes 0 (the LSB) to
    ``PLANES``: the mean of ``cos(2 pi d / 2**(k + 1))`` over the differences ``d`` of
    horizontally and vertically adjacent values of every colour channel.

    Where the low ``k + 1`` bits of the values are random (encrypted) data, a value modulo
    ``2**(k + 1)`` is uniform and independent of its neighbours', and the mean is 0. In a
    photo, neighbours are close, so the mean is positive, and larger the higher the plane.
    The statistic does not assume that the changed values kept their high bits (optimal
    pixel adjustment moves them by ``2**d``, which misleads a test of bit agreement): with
    random low bits the value modulo ``2**d`` is random whatever was added above.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored.

    Returns
    -------
    ndarray, shape (PLANES + 1,), dtype float64
        Correlation in [-1, 1] per plane, plane 0 first.
    """
    return _circular_means(_difference_histogram(_colour(pixels)))


def _difference_histogram(colour: np.ndarray) -> np.ndarray:
    """Counts of the differences of adjacent values modulo 256 (uint8 subtraction wraps)."""
    hist = np.zeros(256, dtype=np.int64)
    for c in range(colour.shape[2]):
        channel = colour[..., c]
        for u, v in ((channel[:, :-1], channel[:, 1:]), (channel[:-1], channel[1:])):
            hist += np.bincount((u - v).ravel(), minlength=256)
    return hist


def _circular_means(hist: np.ndarray) -> np.ndarray:
    total = max(int(hist.sum()), 1)
    periods = 2 << np.arange(PLANES + 1)  # 2, 4, ... 2**(PLANES + 1): all divide 256
    phases = 2 * np.pi * np.arange(256)[None, :] / periods[:, None]
    return (np.cos(phases) * hist).sum(axis=1) / total


def random_planes(correlation: np.ndarray, pairs: int) -> int:
    """``PLANES`` when the low ``PLANES`` bit planes look like random data written over a
    photo, else 0.

    They do when the correlation of every one of them is within
    ``max(RANDOM_CORRELATION, 8 / sqrt(pairs))`` of 0 while the plane above keeps at least
    ``STRUCTURE_ABOVE`` (the photo's own structure, which random low bits leave there).
    Textures whose low planes are noise in themselves (grass, gravel) have too little
    structure above them to pass; fewer planes are not tested, because many clean photos
    have random-looking low two or three planes (docs/analysis.md); with fewer than
    ``MIN_PAIRS`` neighbour pairs nothing is called random.
    """
    if pairs < MIN_PAIRS:
        return 0
    limit = max(RANDOM_CORRELATION, 8.0 / math.sqrt(pairs))
    low, above = correlation[:PLANES], correlation[PLANES]
    return PLANES if np.abs(low).max() <= limit and above >= STRUCTURE_ABOVE else 0


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class ChiSquareSummary:
    """Chi-square attack results.

    Attributes
    ----------
    pvalues : tuple of float
        Whole-channel p-value per colour channel, in [0, 1].
    window_pvalues : tuple of float
        p-value per successive chunk in raster order (see :func:`chi_square_windows`).
    leading_extent : float
        Fraction of the image, from its first pixel, covered by the run of chunks whose p-value
        is at least ``WINDOW_P``; 0 when the first chunk looks clean. A raw figure: smooth
        clean photos reach 1 (see ``sequential_end``).
    flagged_fraction : float
        Fraction of all chunks whose p-value is at least ``WINDOW_P``.
    leading_rate : float or None
        When at least ``MIN_RUN`` chunks lead: the RS and SPA estimate (mean over channels of
        their mean) on the whole rows that the first ``MIN_RUN`` chunks cover (at least 4
        rows). Sequentially replaced LSBs read near 1 there. None when fewer chunks lead, or
        when nearly all those values sit at the ends of the range (0, 1, 254, 255: a black
        border, say), which RS and SPA leave out.
    sequential_end : float or None
        Where sequentially embedded data seems to end, as a fraction of the image in raster
        order: ``leading_extent`` when at least ``MIN_RUN`` chunks lead, ``leading_rate`` is at
        least ``LEADING_RATE`` (or None for rows RS and SPA cannot measure), at least
        ``MIN_TAIL`` of all chunks follow the run and at most ``MAX_FLAGGED_AFTER`` of those
        are flagged; else None. Images with a smooth histogram flag chunks everywhere, which is
        not this pattern; dark regions and +/-1 embedding flag runs that RS and SPA do not
        confirm; data filling nearly the whole image is left to RS and SPA.
    """

    pvalues: tuple[float, ...]
    window_pvalues: tuple[float, ...]
    leading_extent: float
    flagged_fraction: float
    leading_rate: float | None
    sequential_end: float | None


@dataclass(frozen=True)
class Report:
    """What :func:`analyze` found.

    Attributes
    ----------
    verdict : str
        One of ``VERDICTS``: "clean", "suspicious", "likely stego".
    rate : float
        Overall estimated embedding rate in [0, 1], bits per colour value: the mean over
        channels of the mean of the RS and SPA estimates.
    channels : tuple of str
        Channel names, "L" or "R", "G", "B".
    rs : tuple of float
        RS estimate per channel.
    spa : tuple of float
        SPA estimate per channel.
    chi_square : ChiSquareSummary
    reasons : tuple of str
        One sentence per finding behind the verdict.
    plane_correlation : tuple of float
        :func:`plane_correlation` of planes 0 to ``PLANES``.
    random_planes : int
        ``PLANES`` when the low ``PLANES`` bit planes look like random data written over a
        photo (:func:`random_planes`), else 0.
    """

    verdict: str
    rate: float
    channels: tuple[str, ...]
    rs: tuple[float, ...]
    spa: tuple[float, ...]
    chi_square: ChiSquareSummary
    reasons: tuple[str, ...]
    plane_correlation: tuple[float, ...] = ()
    random_planes: int = 0

    def to_dict(self) -> dict:
        """Plain dict of built-in types (str, float, list, dict), ready for ``json.dumps``.

        Keys: verdict, rate, channels, rs, spa, chi_square (pvalues, window_pvalues,
        leading_extent, flagged_fraction, sequential_end: float or None), reasons,
        plane_correlation, random_planes. Tuples become lists.
        """
        return _lists(asdict(self))

    def with_finding(self, reason: str, verdict: str) -> Report:
        """This report with a finding made elsewhere (a payload read without a key): its
        sentence first among the reasons, the verdict raised to ``verdict`` if lower."""
        level = max(VERDICTS.index(self.verdict), VERDICTS.index(verdict))
        reasons = self.reasons if self.verdict != "clean" else ()
        return replace(self, verdict=VERDICTS[level], reasons=(reason, *reasons))

    def noting(self, reason: str) -> Report:
        """This report with one more reason, the verdict unchanged."""
        return replace(self, reasons=(*self.reasons, reason))


def _lists(value):
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_lists(item) for item in value]
    return value


def _leading_run(flagged: np.ndarray) -> int:
    """Number of flagged chunks before the first unflagged one."""
    clean = np.flatnonzero(~flagged)
    return int(clean[0]) if clean.size else flagged.size


def _leading_rate(colour: np.ndarray, chunks: int) -> float | None:
    """RS and SPA rate on the whole rows covered by the first ``MIN_RUN`` of ``chunks``; None
    when they can hardly measure those rows."""
    end = MIN_RUN * colour.size // chunks  # as in chi_square_windows
    rows = min(colour.shape[0], max(_MIN_SIDE, end // (colour.shape[1] * colour.shape[2])))
    if _off_ends(colour[:rows]) < _MEASURABLE:
        return None
    return _overall_rate(*_estimates(colour[:rows]))


def _sequential_end(flagged: np.ndarray, leading_rate: float | None) -> float | None:
    run = _leading_run(flagged)
    after = flagged[run:]
    if (
        run < MIN_RUN
        or (leading_rate is not None and leading_rate < LEADING_RATE)
        or after.size < MIN_TAIL * flagged.size
        or after.mean() > MAX_FLAGGED_AFTER
    ):
        return None
    return run / flagged.size


def _summarise_chi_square(colour: np.ndarray, window_p: np.ndarray) -> ChiSquareSummary:
    flagged = window_p >= WINDOW_P
    run = _leading_run(flagged)
    leading_rate = _leading_rate(colour, flagged.size) if run >= MIN_RUN else None
    return ChiSquareSummary(
        pvalues=tuple(float(p) for p in chi_square(colour)),
        window_pvalues=tuple(float(p) for p in window_p),
        leading_extent=run / flagged.size,
        flagged_fraction=float(flagged.mean()),
        leading_rate=leading_rate,
        sequential_end=_sequential_end(flagged, leading_rate),
    )


def _estimates(colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rs_rate(colour), spa_rate(colour)


def _overall_rate(rs: np.ndarray, spa: np.ndarray) -> float:
    return float(np.mean((rs + spa) / 2.0))


def _verdict(rate: float, chi: ChiSquareSummary, correlation: np.ndarray,
             depth: int) -> tuple[str, tuple[str, ...]]:
    reasons = []
    level = 0
    if depth:
        level = 2
        reasons.append(
            f"bit planes 0-{depth - 1} look like random data written over a photo: "
            f"neighbouring values do not agree modulo {2 ** depth} (correlation "
            f"{_figures(correlation[:depth])}; 0 for random data) while they still do modulo "
            f"{2 ** (depth + 1)} ({correlation[depth]:.2f}), as when encrypted data replaces "
            f"the low {depth} bits of the values (hide-image's nibble mode, embed-text "
            f"--bits {depth})")
    if rate >= SUSPICIOUS_RATE:
        level = max(level, 2 if rate >= LIKELY_RATE else 1)
        reasons.append(f"RS and SPA estimate that {rate:.0%} of the values carry LSB data")
    if chi.sequential_end is not None:
        level = max(level, 1)
        if chi.leading_rate is None:
            check = "RS and SPA cannot measure where it starts (values at 0-1 or 254-255)"
        else:
            check = f"RS and SPA read a rate of {chi.leading_rate:.0%} where it starts"
        reasons.append(
            f"chi-square: the first {chi.sequential_end:.0%} of the image (raster order) "
            f"has the even value-pair counts of sequentially embedded bits, the rest not; {check}"
        )
    if not reasons:
        reasons.append(f"no sign of LSB replacement (estimated rate {rate:.1%}) and no bit "
                       "plane looks random")
    return VERDICTS[level], tuple(reasons)


def _figures(values: np.ndarray) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def analyze(pixels: np.ndarray, windows: int = 100,
            progress: Progress | None = None) -> Report:
    """Run all estimators and give a verdict on LSB replacement and random low bit planes.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored. H and W at least 4.
    windows : int, optional
        Number of raster-order chunks for the sliding chi-square test.
    progress : callable, optional
        ``progress(stage, done, total)`` per estimator (:mod:`stegokit.progress`).

    Returns
    -------
    Report
        "likely stego" when the overall rate reaches ``LIKELY_RATE`` or the low ``PLANES``
        bit planes look random (:func:`random_planes`);
        "suspicious" when the rate reaches ``SUSPICIOUS_RATE`` or the chi-square windows show
        a sequential run that RS and SPA confirm (``ChiSquareSummary.sequential_end``);
        "clean" otherwise. "clean" means that none of these was found, not that nothing is
        hidden: ±1 embedding at low rates, and encrypted stegokit payloads at 1 bit per value,
        look clean to these tests.
    """
    colour = _colour(pixels)
    rs, spa = rs_rate(colour, progress), spa_rate(colour, progress)
    rate = _overall_rate(rs, spa)
    window_p = chi_square_windows(colour, windows, progress)
    chi = _summarise_chi_square(colour, window_p)
    stage(progress, "Bit planes")
    hist = _difference_histogram(colour)
    correlation = _circular_means(hist)
    depth = random_planes(correlation, int(hist.sum()))
    verdict, reasons = _verdict(rate, chi, correlation, depth)
    return Report(
        verdict=verdict,
        rate=rate,
        channels=_channel_names(colour.shape[2]),
        rs=tuple(float(r) for r in rs),
        spa=tuple(float(s) for s in spa),
        chi_square=chi,
        reasons=reasons,
        plane_correlation=tuple(float(c) for c in correlation),
        random_planes=depth,
    )


# --------------------------------------------------------------------------- picture


def bitplane_picture(pixels: np.ndarray) -> np.ndarray:
    """An image that shows the LSB plane of each channel next to the original.

    Each LSB plane is stretched to black (0) and white (255). Natural LSB planes look like
    fine noise that still follows the picture's edges and flat areas; embedded data looks
    like uniform noise, so the embedded region stands out.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored.

    Returns
    -------
    ndarray, dtype uint8
        Grey input: shape (H, 2W, 1), [original | LSB plane]. Colour input: shape
        (2H, 2W, 3), the grid [[original, red LSBs], [green LSBs, blue LSBs]], the planes in
        grey.
    """
    colour = _colour(pixels)
    planes = (colour & 1) * np.uint8(255)
    if colour.shape[2] == 1:
        return np.concatenate([colour, planes], axis=1)
    grey = [np.repeat(planes[..., c : c + 1], 3, axis=2) for c in range(3)]
    top = np.concatenate([colour, grey[0]], axis=1)
    bottom = np.concatenate([grey[1], grey[2]], axis=1)
    return np.concatenate([top, bottom], axis=0)
