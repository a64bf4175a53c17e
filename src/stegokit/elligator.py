"""Elligator 2 for Curve25519: X25519 public keys that read as 32 uniformly random bytes.

An X25519 public key is the u-coordinate of a curve point: a number below 2**255 - 19 whose
top bit is always 0 and which is a point of the curve (half of all numbers are not) in the
prime-order subgroup (an eighth of the curve's points). Each of these is a test that tells a
public key from random bytes. This module removes all three:

- :func:`dirty_public_key` adds a random point of order 8 to the public key. X25519 clamps
  every private key to a multiple of 8, so the shared secret does not change, but the point
  is now uniform over the whole curve, not only its prime-order subgroup.
- :func:`representative` maps the point's u-coordinate to its Elligator 2 representative, a
  number below 2**254 that :func:`public_key_from_representative` maps back; random numbers
  map to curve points with the same distribution. Half of all points have representatives:
  the caller draws key pairs until one does.
- the two unused top bits are filled with random bits.

Bernstein, Hamburg, Krasnova, Lange, "Elligator: elliptic-curve points indistinguishable from
uniform random strings" (CCS 2013), section 5; the map is the one of RFC 9380 section 6.7.1
with Z = 2. Adding a low-order point to hide the subgroup follows Monocypher's "dirty" keys.
Pure integer arithmetic: a few modular exponentiations per key, well under a millisecond.
"""

from __future__ import annotations

P = 2**255 - 19
A = 486662
#: A fixed non-square (RFC 9380's Z for curve25519).
Z = 2
_SQRT_M1 = pow(2, (P - 1) // 4, P)
#: u-coordinate of a point of order 8 (one of the two; the other is its negative's twin).
ORDER8_U = 325606250916557431795983626356110631294008115727848805560023387167927233504
_HALF = (P - 1) // 2
KEY_SIZE = 32


def _inv(x: int) -> int:
    return pow(x, P - 2, P)


def _is_square(x: int) -> bool:
    """Whether ``x`` is a square mod P (0 counts as one)."""
    return pow(x % P, _HALF, P) != P - 1


def _sqrt(x: int) -> int | None:
    """A square root of ``x`` mod P, or None (P = 5 mod 8: Atkin's method)."""
    x %= P
    root = pow(x, (P + 3) // 8, P)
    if root * root % P == x:
        return root
    root = root * _SQRT_M1 % P
    return root if root * root % P == x else None


def _curve(u: int) -> int:
    """u^3 + A u^2 + u, whose square root is v on the curve v^2 = u^3 + A u^2 + u."""
    return (u * u % P * u + A * u * u + u) % P


Point = tuple[int, int] | None  # affine (u, v); None is the point at infinity


def _add(p1: Point, p2: Point) -> Point:
    """Affine point addition on the Montgomery curve."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (u1, v1), (u2, v2) = p1, p2
    if u1 == u2:
        if (v1 + v2) % P == 0:
            return None
        slope = (3 * u1 * u1 + 2 * A * u1 + 1) * _inv(2 * v1) % P
    else:
        slope = (v2 - v1) * _inv(u2 - u1) % P
    u3 = (slope * slope - A - u1 - u2) % P
    return u3, (slope * (u1 - u3) - v1) % P


def _low_order_points() -> list[Point]:
    """The 8 points of order dividing 8, as multiples 0..7 of one point of order 8."""
    order8 = (ORDER8_U, _sqrt(_curve(ORDER8_U)))
    points: list[Point] = [None]
    for _ in range(7):
        points.append(_add(points[-1], order8))
    return points


_LOW_ORDER = _low_order_points()


def dirty_public_key(public: bytes, low_order_index: int) -> bytes:
    """``public`` plus the low-order point number ``low_order_index`` (0-7), as 32 bytes.

    The result gives the same X25519 shared secret as ``public`` with any clamped private key.
    """
    u = int.from_bytes(public, "little") % P
    v = _sqrt(_curve(u))
    if v is None:
        raise ValueError("not a point of the curve")
    point = _add((u, v), _LOW_ORDER[low_order_index % 8])
    return (0 if point is None else point[0]).to_bytes(KEY_SIZE, "little")


def representative(public: bytes, *, tweak: int) -> bytes | None:
    """The Elligator 2 representative of a public key as 32 random-looking bytes, or None.

    ``tweak`` supplies randomness: bit 0 picks one of the point's two representatives, bits
    6 and 7 fill the two top bits. None when the point has no representative.
    """
    u = int.from_bytes(public, "little") % P
    if u == 0 or (u + A) % P == 0 or not _is_square(-Z * u * (u + A)):
        return None
    ratio = -u * _inv(Z * (u + A)) if tweak & 1 else -(u + A) * _inv(Z * u)
    root = _sqrt(ratio)
    root = min(root, P - root)
    encoded = bytearray(root.to_bytes(KEY_SIZE, "little"))
    encoded[-1] |= tweak & 0xC0
    return bytes(encoded)


def public_key_from_representative(encoded: bytes) -> bytes:
    """The X25519 public key (u-coordinate) that 32 bytes represent; any 32 bytes map to one."""
    if len(encoded) != KEY_SIZE:
        raise ValueError("a representative is 32 bytes")
    r = int.from_bytes(encoded, "little") & ((1 << 254) - 1)
    w = -A * _inv(1 + Z * r * r) % P
    u = w if _is_square(_curve(w)) else (-w - A) % P
    return u.to_bytes(KEY_SIZE, "little")
