"""Reed-Solomon over GF(2^8): systematic encoding, errors-and-erasures decoding.

The code is the common one (primitive polynomial 0x11d, generator 2, first root
alpha^0, parity appended), the default of the ``reedsolo`` package, so words made by
either decode with the other. The decoder is Berlekamp-Massey started from the erasure
locator (Blahut's errors-and-erasures form), a Chien search and Forney's formula;
NumPy evaluates the syndromes and the Chien search, the steps that dominate a
pure-Python decoder, so that the neural codec can try many erasure sets per image.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

_PRIMITIVE = 0x11D
_EXP = [0] * 510
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _EXP[_i + 255] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= _PRIMITIVE
_EXP_NP = np.array(_EXP, dtype=np.uint8)
_LOG_NP = np.array(_LOG, dtype=np.int64)
# _MUL[a << 8 | b] = a * b: one list lookup, the cheapest product in pure Python.
_table = _EXP_NP[_LOG_NP[:, None] + _LOG_NP[None, :]]
_table[0, :] = _table[:, 0] = 0
_MUL = _table.ravel().tolist()


def _mul(a: int, b: int) -> int:
    return _MUL[a << 8 | b]


def _inverse(a: int) -> int:
    return _EXP[255 - _LOG[a]]


def _evaluate_all(coefficients, exponents: np.ndarray) -> np.ndarray:
    """``sum_j coefficients[j] * alpha^(j * e)`` for every ``e`` in ``exponents``."""
    coefficients = np.asarray(coefficients, dtype=np.uint8)
    powers = np.flatnonzero(coefficients)
    if powers.size == 0:
        return np.zeros(exponents.shape, dtype=np.uint8)
    logs = (_LOG_NP[coefficients[powers]][:, None] + powers[:, None] * exponents[None, :]) % 255
    return np.bitwise_xor.reduce(_EXP_NP[logs], axis=0)


class ReedSolomonCode:
    """A code with ``nsym`` parity bytes: corrects e errors and k erasures if 2e + k <= nsym."""

    def __init__(self, nsym: int) -> None:
        if not 0 < nsym < 255:
            raise ValueError("nsym must be between 1 and 254")
        self.nsym = nsym
        generator = [1]  # highest degree first: prod (x - alpha^i), i < nsym
        for i in range(nsym):
            generator = [a ^ _mul(b, _EXP[i])
                         for a, b in zip([*generator, 0], [0, *generator], strict=True)]
        self._generator = generator

    def encode(self, data: bytes) -> bytes:
        """``data`` followed by its ``nsym`` parity bytes."""
        if len(data) + self.nsym > 255:
            raise ValueError(f"at most {255 - self.nsym} data bytes per codeword")
        remainder = list(data) + [0] * self.nsym
        for i in range(len(data)):
            lead = remainder[i]
            if lead:
                for j in range(1, len(self._generator)):
                    remainder[i + j] ^= _mul(self._generator[j], lead)
        return bytes(data) + bytes(remainder[len(data):])

    def syndromes(self, word: bytes) -> list[int]:
        """``S_i = word(alpha^i)`` for ``i < nsym``; all zero exactly for codewords."""
        coefficients = np.frombuffer(bytes(word), dtype=np.uint8)[::-1]  # lowest degree first
        return _evaluate_all(coefficients, np.arange(self.nsym)).tolist()

    def decode(self, word: bytes, erasures: Sequence[int] = ()) -> bytes | None:
        """The codeword nearest to ``word`` with ``erasures`` (positions) unknown, or None.

        None means that no codeword lies within the correction bound.
        """
        if len(erasures) > self.nsym:
            return None
        return next(self._candidates(word, list(erasures), [len(erasures)]), None)

    def decode_growing(self, word: bytes, erasure_order: Sequence[int]) -> Iterator[bytes]:
        """Codewords found with the first k positions of ``erasure_order`` erased.

        k runs from 0 to the length of ``erasure_order`` (at most ``nsym``); one codeword
        is yielded per k that decodes, and only ``word`` itself if it is a codeword.
        Each step reuses the previous one's work, so trying every k costs about as
        much as a few single decodes.
        """
        counts = range(min(len(erasure_order), self.nsym) + 1)
        return self._candidates(word, list(erasure_order), counts)

    def _candidates(self, word: bytes, order: list[int], counts) -> Iterator[bytes]:
        n, nsym = len(word), self.nsym
        if n > 255 or len(set(order)) != len(order) or not all(0 <= p < n for p in order):
            return
        synd = self.syndromes(word)
        if not any(synd):
            yield bytes(word)
            return
        gamma, forney, erased = [1], list(synd), 0  # Gamma(x) and Gamma(x) S(x) mod x^nsym
        for k in counts:
            while erased < k:
                x = _EXP[n - 1 - order[erased]]
                gamma = _times_one_minus(gamma, x)
                forney = _times_one_minus(forney, x)[:nsym]
                erased += 1
            errors = _berlekamp_massey(forney[k:])
            if errors is None:
                continue
            found = self._correct(word, synd, gamma, errors, order[:k])
            if found is not None:
                yield found

    def _correct(self, word: bytes, synd: list[int], gamma: list[int], errors: list[int],
                 erasures: list[int]) -> bytes | None:
        """Locate the errors, then repair errors and erasures with Forney's formula."""
        n = len(word)
        positions = _roots(errors, n)
        if len(positions) != len(errors) - 1:
            return None
        locator = _product(gamma, errors)
        derivative = [c if j % 2 else 0 for j, c in enumerate(locator)][1:]  # odd terms
        evaluator = _product(synd, locator)[: self.nsym]
        fixed = bytearray(word)
        for p in positions + erasures:
            x_inverse = _EXP[(255 - (n - 1 - p)) % 255]
            denominator = _evaluate(derivative, x_inverse)
            if not denominator:
                return None
            magnitude = _mul(_evaluate(evaluator, x_inverse), _inverse(denominator))
            fixed[p] ^= _mul(_EXP[n - 1 - p], magnitude)
        return bytes(fixed) if not any(self.syndromes(bytes(fixed))) else None


def _times_one_minus(poly: list[int], x: int) -> list[int]:
    """poly(x) * (1 - x X), lowest degree first."""
    return [a ^ _MUL[b << 8 | x] for a, b in zip([*poly, 0], [0, *poly], strict=True)]


def _product(a: list[int], b: list[int]) -> list[int]:
    out = [0] * (len(a) + len(b) - 1)
    for i, c in enumerate(a):
        if c:
            row = c << 8
            for j, d in enumerate(b):
                out[i + j] ^= _MUL[row | d]
    return out


def _berlekamp_massey(synd: list[int]) -> list[int] | None:
    """The shortest error locator for ``synd`` (lowest degree first), or None if its
    degree exceeds half the number of syndromes (too many errors to correct)."""
    locator, previous, length = [1], [1], 0
    for r in range(len(synd)):
        delta = 0
        for j in range(min(len(locator), r + 1)):
            delta ^= _MUL[locator[j] << 8 | synd[r - j]]
        previous = [0, *previous]
        if not delta:
            continue
        row = delta << 8
        size = max(len(locator), len(previous))
        locator += [0] * (size - len(locator))
        update = [a ^ _MUL[row | b]
                  for a, b in zip(locator, previous + [0] * (size - len(previous)), strict=True)]
        if 2 * length <= r:
            row = _inverse(delta) << 8
            previous = [_MUL[row | c] for c in locator]
            length = r + 1 - length
        locator = update
    while len(locator) > 1 and not locator[-1]:
        locator.pop()
    if len(locator) - 1 != length or 2 * length > len(synd):
        return None
    return locator


def _roots(locator: list[int], n: int) -> list[int]:
    """Positions p < n whose locator alpha^(n-1-p) is the inverse of a root (Chien)."""
    exponents = (255 - (n - 1 - np.arange(n))) % 255
    return np.flatnonzero(_evaluate_all(locator, exponents) == 0).tolist()


def _evaluate(poly: list[int], x: int) -> int:
    """poly(x), lowest degree first (Horner)."""
    value = 0
    for c in reversed(poly):
        value = _MUL[value << 8 | x] ^ c
    return value
