"""Steganalysis of LSB replacement: chi-square attack, RS analysis, sample pair analysis.

All functions take a pixel array of shape ``(H, W, C)``, dtype ``uint8``, C = 1 (grey), 2 (grey
and alpha), 3 (RGB) or 4 (RGBA). An alpha channel is never analysed. Inputs are never modified.

The estimators answer one question: were the least significant bits of this image replaced
by message bits, and what fraction of the values carry them? They are blind to LSB matching
(+/-1 embedding; except at 0 and 255, where the step is an LSB flip) and to anything that does
not work on the LSB plane; see ``docs/analysis.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import pairwise

import numpy as np

from stegokit.errors import InputError

__all__ = [
    "VERDICTS",
    "ChiSquareSummary",
    "Report",
    "analyze",
    "bitplane_picture",
    "chi_square",
    "chi_square_windows",
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
#: ...of which at most this fraction is flagged.
MAX_FLAGGED_AFTER = 0.5

_MIN_EXPECTED = 5.0  # chi-square: value pairs with fewer expected counts are left out
_MIN_WINDOW_VALUES = 1024
_GROUP = 4  # RS: pixels per group, mask [0, 1, 1, 0]
_MIN_SIDE = 4
_COLOUR_CHANNELS = {1: 1, 2: 1, 3: 3, 4: 3}  # channels in the array -> colour channels
_BAND_ROWS = 64  # RS and SPA: rows per band (at least)
_MAX_BANDS = 64


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


def chi_square_windows(pixels: np.ndarray, windows: int = 100) -> np.ndarray:
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
    hists = np.stack(
        [np.bincount(values[start:stop], minlength=256) for start, stop in pairwise(edges)]
    )
    return _pair_pvalues(hists)


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


def _regular_minus_singular(groups: tuple[np.ndarray, ...], negative: bool) -> float:
    """R - S, as a fraction of the groups, under the mask [0, 1, 1, 0] (or -M if negative).

    Only the three differences that touch the flipped middle pair change the discrimination
    function f (sum of absolute neighbour differences), so only they are computed.
    """
    a, b, c, d = groups
    fb, fc = (((b + 1) ^ 1) - 1, ((c + 1) ^ 1) - 1) if negative else (b ^ 1, c ^ 1)
    change = np.abs(a - fb) + np.abs(fc - fb) + np.abs(d - fc)
    change -= np.abs(a - b) + np.abs(c - b) + np.abs(d - c)
    return float(np.sign(change).sum()) / a.size


def _rs_differences(groups: tuple[np.ndarray, ...]) -> tuple[float, float]:
    return _regular_minus_singular(groups, False), _regular_minus_singular(groups, True)


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


def _banded(estimate, channel: np.ndarray) -> float:
    bands = _bands(channel)
    rates = [estimate(band) for band in bands]
    return float(np.average(rates, weights=[band.shape[0] for band in bands]))


def _per_channel(band_estimate, pixels: np.ndarray) -> np.ndarray:
    """A banded rate estimate for each colour channel, clipped to [0, 1]."""
    colour = _colour(pixels)
    rates = [_banded(band_estimate, colour[..., c]) for c in range(colour.shape[2])]
    return np.clip(rates, 0.0, 1.0)


def _rs_band(channel: np.ndarray) -> float:
    groups = _group_columns(channel)
    d0, dn0 = _rs_differences(groups)
    d1, dn1 = _rs_differences(tuple(values ^ 1 for values in groups))
    return _rate_root(2.0 * (d1 + d0), dn0 - dn1 - d1 - 3.0 * d0, d0 - dn0)


def rs_rate(pixels: np.ndarray) -> np.ndarray:
    """RS analysis (Fridrich, Goljan and Du 2001): estimated LSB embedding rate per channel.

    Groups of 4 neighbouring values (along rows and along columns) are classed regular or
    singular by how flipping LSBs under the mask [0, 1, 1, 0] and its shifted twin -M changes
    their smoothness. The class counts of the image and of its LSB-flipped copy give a
    quadratic whose root is the embedding rate.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored. H and W at least 4.

    Returns
    -------
    ndarray, shape (C',), dtype float64
        Estimated fraction of values that carry message bits, clipped to [0, 1], per colour
        channel (C' = 1 or 3).
    """
    return _per_channel(_rs_band, pixels)


# --------------------------------------------------------------------------- SPA


def _spa_counts(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Counts (C0, D0, X, Y) of the sample pairs (u, v), both uint8 arrays."""
    xor = u ^ v
    odd = (xor & 1).astype(bool)
    larger_odd = (np.maximum(u, v) & 1).astype(bool)
    y = np.count_nonzero(odd & larger_odd)
    return np.array([np.count_nonzero(xor < 2), np.count_nonzero(xor == 0), odd.sum() - y, y])


def _spa_band(channel: np.ndarray) -> float:
    c0, d0, x, y = _spa_counts(channel[:, :-1], channel[:, 1:]) + _spa_counts(
        channel[:-1, :], channel[1:, :]
    )
    if c0 == 0:
        return 0.0
    return _root_nearest_zero(c0 / 2.0, -float(d0 + y - x), float(y - x))


def spa_rate(pixels: np.ndarray) -> np.ndarray:
    """Sample pair analysis (Dumitrescu, Wu and Wang 2003): estimated rate per channel.

    Over the pairs of horizontally and vertically adjacent values, natural images have as
    many odd-difference pairs whose larger value is even (X) as pairs whose larger value is
    odd (Y). LSB replacement breaks that balance in a way that depends on the rate p only::

        (|C0| / 2) p^2 - (|D0| + |Y| - |X|) p + (|Y| - |X|) = 0

    where C0 counts pairs equal but for the LSB and D0 equal pairs. The root nearest 0 is p.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored.

    Returns
    -------
    ndarray, shape (C',), dtype float64
        Estimated fraction of values that carry message bits, clipped to [0, 1], per colour
        channel (C' = 1 or 3).
    """
    return _per_channel(_spa_band, pixels)


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
    sequential_end : float or None
        Where sequentially embedded data seems to end, as a fraction of the image in raster
        order: ``leading_extent`` when at least ``MIN_RUN`` chunks lead, at least ``MIN_TAIL``
        of all chunks follow them and at most ``MAX_FLAGGED_AFTER`` of those are flagged; else
        None. Images with a smooth histogram flag chunks everywhere, which is not this pattern;
        data filling nearly the whole image is left to RS and SPA.
    """

    pvalues: tuple[float, ...]
    window_pvalues: tuple[float, ...]
    leading_extent: float
    flagged_fraction: float
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
    """

    verdict: str
    rate: float
    channels: tuple[str, ...]
    rs: tuple[float, ...]
    spa: tuple[float, ...]
    chi_square: ChiSquareSummary
    reasons: tuple[str, ...]

    def to_dict(self) -> dict:
        """Plain dict of built-in types (str, float, list, dict), ready for ``json.dumps``.

        Keys: verdict, rate, channels, rs, spa, chi_square (pvalues, window_pvalues,
        leading_extent, flagged_fraction, sequential_end: float or None), reasons. Tuples
        become lists.
        """
        return _lists(asdict(self))


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


def _sequential_end(flagged: np.ndarray) -> float | None:
    run = _leading_run(flagged)
    after = flagged[run:]
    if run < MIN_RUN or after.size < MIN_TAIL * flagged.size or after.mean() > MAX_FLAGGED_AFTER:
        return None
    return run / flagged.size


def _summarise_chi_square(colour: np.ndarray, windows: int) -> ChiSquareSummary:
    window_p = chi_square_windows(colour, windows)
    flagged = window_p >= WINDOW_P
    return ChiSquareSummary(
        pvalues=tuple(float(p) for p in chi_square(colour)),
        window_pvalues=tuple(float(p) for p in window_p),
        leading_extent=_leading_run(flagged) / flagged.size,
        flagged_fraction=float(flagged.mean()),
        sequential_end=_sequential_end(flagged),
    )


def _verdict(rate: float, chi: ChiSquareSummary) -> tuple[str, tuple[str, ...]]:
    reasons = []
    level = 0
    if rate >= SUSPICIOUS_RATE:
        level = 2 if rate >= LIKELY_RATE else 1
        reasons.append(f"RS and SPA estimate that {rate:.0%} of the values carry LSB data")
    if chi.sequential_end is not None:
        level = max(level, 1)
        reasons.append(
            f"chi-square: the first {chi.sequential_end:.0%} of the image (raster order) "
            "has the even value-pair counts of sequentially embedded bits, the rest not"
        )
    if not reasons:
        reasons.append(f"no sign of LSB replacement (estimated rate {rate:.1%})")
    return VERDICTS[level], tuple(reasons)


def analyze(pixels: np.ndarray, windows: int = 100) -> Report:
    """Run all estimators and give a verdict on LSB replacement.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        C = 1 to 4; alpha (channel 2 of 2, 4 of 4) is ignored. H and W at least 4.
    windows : int, optional
        Number of raster-order chunks for the sliding chi-square test.

    Returns
    -------
    Report
        "likely stego" when the overall rate reaches ``LIKELY_RATE``; "suspicious" when it
        reaches ``SUSPICIOUS_RATE`` or the chi-square windows show a sequential run
        (``ChiSquareSummary.sequential_end``); "clean" otherwise. "clean" means that no LSB
        replacement was found, not that nothing is hidden.
    """
    colour = _colour(pixels)
    rs = rs_rate(colour)
    spa = spa_rate(colour)
    rate = float(np.mean((rs + spa) / 2.0))
    chi = _summarise_chi_square(colour, windows)
    verdict, reasons = _verdict(rate, chi)
    return Report(
        verdict=verdict,
        rate=rate,
        channels=_channel_names(colour.shape[2]),
        rs=tuple(float(r) for r in rs),
        spa=tuple(float(s) for s in spa),
        chi_square=chi,
        reasons=reasons,
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
