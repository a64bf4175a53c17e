"""Elligator 2 on Curve25519 against independent references: the RFC 9380 test vectors of
its map, X25519 itself for the point arithmetic, and the known points of order 1 to 8."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from stegokit import elligator
from stegokit.elligator import P

#: RFC 9380 appendix J.7.2 (curve25519_XMD:SHA-512_ELL2_NU_): the field element ``u`` each
#: message hashes to, ``Q.x`` = map_to_curve(u) and ``P.x`` = 8 Q. The last column is our
#: own: the representative bit (``tweak & 1``) whose representative of ``Q.x`` is ±u.
RFC_9380 = [
    ("608d892b641f0328523802a6603427c26e55e6f27e71a91a478148d45b5093cd",
     "51125222da5e763d97f3c10fcc92ea6860b9ccbbd2eb1285728f566721c1e65b",
     "1bb913f0c9daefa0b3375378ffa534bda5526c97391952a7789eb976edfe4d08", 0),
    ("46f5b22494bfeaa7f232cc8d054be68561af50230234d7d1d63d1d9abeca8da5",
     "7d56d1e08cb0ccb92baf069c18c49bb5a0dcd927eff8dcf75ca921ef7f3e6eeb",
     "7c22950b7d900fa866334262fcaea47a441a578df43b894b4625c9b450f9a026", 0),
    ("235fe40c443766ce7e18111c33862d66c3b33267efa50d50f9e8e5d252a40aaa",
     "3fbe66b9c9883d79e8407150e7c2a1c8680bee496c62fabe4619a72b3cabe90f",
     "31ad08a8b0deeb2a4d8b0206ca25f567ab4e042746f792f4b7973f3ae2096c52", 0),
    ("001e92a544463bda9bd04ddbe3d6eed248f82de32f522669efc5ddce95f46f5b",
     "227e0bb89de700385d19ec40e857db6e6a3e634b1c32962f370d26f84ff19683",
     "027877759d155b1997d0d84683a313eb78bdb493271d935b622900459d52ceaa", 1),
    ("1a68a1af9f663592291af987203393f707305c7bac9c8d63d6a729bdc553dc19",
     "3bcd651ee54d5f7b6013898aab251ee8ecc0688166fce6e9548d38472f6bd196",
     "5fd892c0958d1a75f54c3182a18d286efab784e774d1e017ba2fb252998b5dc1", 0),
]
#: u-coordinates of the points of order 8 (the two classes; 1 has order 4, 0 order 2).
ORDER_8 = (elligator.ORDER8_U,
           39382357235489614581723060781553021112529911719440698176882885853963445705823)
#: The canonical representative of each vector's u: the map reads r and -r alike, and the
#: representative is the smaller of the two (below 2**254, so the top two bits are free).
VECTORS = [(min(int(u, 16), P - int(u, 16)), int(qx, 16), int(px, 16), bit)
           for u, qx, px, bit in RFC_9380]


def _le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def _point(u: int) -> tuple[int, int]:
    v = elligator._sqrt(elligator._curve(u))
    assert v is not None and v * v % P == elligator._curve(u)
    return u, v


def _times(k: int, point) -> tuple[int, int] | None:
    """k * point by double-and-add with the module's affine addition."""
    result = None
    for bit in bin(k)[2:]:
        result = elligator._add(result, result)
        if bit == "1":
            result = elligator._add(result, point)
    return result


@pytest.mark.parametrize(("r", "qx", "px", "bit"), VECTORS)
def test_the_map_matches_rfc_9380(r, qx, px, bit):
    assert r < 1 << 254
    assert elligator.public_key_from_representative(_le(r)) == _le(qx)
    # the two top bits carry no information: all four fillings map to the same key
    for top in (1, 2, 3):
        assert elligator.public_key_from_representative(_le(r | top << 254)) == _le(qx)


@pytest.mark.parametrize(("r", "qx", "px", "bit"), VECTORS)
def test_the_representative_inverts_the_map(r, qx, px, bit):
    chosen = elligator.representative(_le(qx), tweak=bit)
    other = elligator.representative(_le(qx), tweak=1 - bit)
    assert chosen == _le(r)
    assert other != chosen
    assert elligator.public_key_from_representative(other) == _le(qx)
    assert int.from_bytes(other, "little") <= (P - 1) // 2  # the smaller root, as r is
    # only bit 0 of the tweak picks the representative; bits 6 and 7 fill the top bits
    for tweak in (bit | 0x02, bit | 0x3C, bit | 0x40, bit | 0x80, bit | 0xC0, bit | 0xFE):
        filled = elligator.representative(_le(qx), tweak=tweak)
        assert int.from_bytes(filled, "little") == r | (tweak >> 6) << 254


@pytest.mark.parametrize(("r", "qx", "px", "bit"), VECTORS)
def test_point_doubling_matches_rfc_9380_cofactor_clearing(r, qx, px, bit):
    eight_q = _times(8, _point(qx))
    assert eight_q[0] == px
    assert eight_q[1] * eight_q[1] % P == elligator._curve(px)


@pytest.mark.parametrize("seed", [b"\x01" * 32, b"\x5a" * 32, bytes(range(32))])
def test_point_arithmetic_agrees_with_x25519(seed):
    """Double-and-add with ``_add`` from the base point (u = 9) gives X25519's public key."""
    scalar = bytearray(seed)
    scalar[0] &= 248
    scalar[31] = scalar[31] & 127 | 64  # clamped as X25519 clamps it
    expected = X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert _le(_times(int.from_bytes(scalar, "little"), _point(9))[0]) == expected


def test_addition_identities():
    q = _point(VECTORS[0][1])
    minus_q = (q[0], P - q[1])
    assert elligator._add(None, q) == q and elligator._add(q, None) == q
    assert elligator._add(q, minus_q) is None
    assert elligator._add(minus_q, q) is None
    two_q = elligator._add(q, q)
    assert two_q != q and two_q[1] * two_q[1] % P == elligator._curve(two_q[0])
    assert elligator._add(two_q, minus_q) == q  # the general (u1 != u2) branch


def test_the_low_order_points_are_the_multiples_of_a_point_of_order_8():
    points = elligator._low_order_points()
    assert points == elligator._LOW_ORDER
    assert [p if p is None else p[0] for p in points] == [
        None, ORDER_8[0], 1, ORDER_8[1], 0, ORDER_8[1], 1, ORDER_8[0]]
    for k, point in enumerate(points[1:], start=1):
        assert point[1] * point[1] % P == elligator._curve(point[0])
        assert (point[1] + points[8 - k][1]) % P == 0  # k and 8 - k are each other's negatives
        assert _times(8, point) is None
    assert _times(4, points[1]) == points[4] == (0, 0)


def test_a_dirty_key_keeps_every_x25519_shared_secret():
    recipient = X25519PrivateKey.generate()
    ephemeral = X25519PrivateKey.generate()
    public = ephemeral.public_key().public_bytes_raw()
    expected = ephemeral.exchange(recipient.public_key())
    dirty = [elligator.dirty_public_key(public, index) for index in range(16)]
    assert dirty[0] == public
    assert dirty[8:] == dirty[:8]  # the index is taken modulo 8
    assert len(set(dirty[:8])) == 8
    for key in dirty:
        assert recipient.exchange(X25519PublicKey.from_public_bytes(key)) == expected


def test_dirty_low_order_keys_stay_among_the_low_order_points():
    """A point of order 8 plus each low-order point: the 8 points of order dividing 8, the
    point at infinity written as u = 0."""
    keys = sorted(int.from_bytes(elligator.dirty_public_key(_le(ORDER_8[0]), i), "little")
                  for i in range(8))
    # 4 T = (0, 0) and 8 T = the point at infinity both read u = 0
    assert keys == sorted([0, 0, 1, 1, *ORDER_8, *ORDER_8])


def test_a_number_off_the_curve_is_refused():
    with pytest.raises(ValueError) as error:
        elligator.dirty_public_key(_le(2), 0)
    assert str(error.value) == "not a point of the curve"


@pytest.mark.parametrize("u", [0, P - elligator.A, 8])
def test_points_without_a_representative(u):
    """u = 0 and u = -A are the map's exceptional points; u = 8 is a curve point for which
    -2u(u + A) is not a square."""
    for tweak in (0, 1):
        assert elligator.representative(_le(u), tweak=tweak) is None


@pytest.mark.parametrize("size", [0, 31, 33])
def test_a_representative_is_32_bytes(size):
    with pytest.raises(ValueError) as error:
        elligator.public_key_from_representative(bytes(size))
    assert str(error.value) == "a representative is 32 bytes"
