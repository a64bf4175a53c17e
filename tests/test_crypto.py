"""The encryption recipe: encrypt-then-MAC, one error for every data failure, KDF cost,
and version 2 key blocks that look like random bytes."""

from __future__ import annotations

import os

import pytest
from conftest import CHEAP_KDF
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from stegokit import crypto, elligator
from stegokit.errors import AuthenticationError, FormatError, NoPayloadError


def test_seal_round_trip_and_every_tampering_fails():
    _, keys = crypto.passphrase_key_block("pw", params=CHEAP_KDF)
    sealed = crypto.seal(b"secret message", keys, b"assoc")
    assert crypto.unseal(sealed, keys, b"assoc") == b"secret message"
    assert len(sealed) == crypto.sealed_size(len(b"secret message"))
    for i in range(len(sealed)):
        broken = bytearray(sealed)
        broken[i] ^= 0x01
        with pytest.raises(AuthenticationError):
            crypto.unseal(bytes(broken), keys, b"assoc")
    for cut in (1, 16, 32, len(sealed) - 1):
        with pytest.raises(AuthenticationError):
            crypto.unseal(sealed[:-cut], keys, b"assoc")
    with pytest.raises(AuthenticationError):
        crypto.unseal(sealed, keys, b"other associated data")


def test_key_block_opens_only_with_the_right_secret():
    block, keys = crypto.passphrase_key_block("pässword")
    assert len(block) == crypto.KEY_BLOCK_SIZE == 32
    assert crypto.open_key_block(block, passphrase="pässword") == keys
    # NFC and NFD spellings of the same passphrase give the same key.
    assert crypto.open_key_block(block, passphrase="pa\u0308ssword") == keys
    assert crypto.open_key_block(block, passphrase="password") != keys
    with pytest.raises(AuthenticationError):
        crypto.open_key_block(block)


def test_the_kdf_cost_is_not_stored_so_the_reader_must_use_the_same():
    block, keys = crypto.passphrase_key_block("pw", params=crypto.KdfParams(14, 1, 1))
    assert crypto.open_key_block(block, passphrase="pw") != keys
    assert crypto.open_key_block(block, passphrase="pw",
                                 params=crypto.KdfParams(14, 1, 1)) == keys


def test_the_format_default_cost_is_64_mib_and_3_passes():
    assert crypto.KdfParams() == crypto.KdfParams(16, 3, 1)


def test_recipient_sealing():
    private, public = crypto.generate_keypair()
    block, keys = crypto.recipient_key_block(public)
    assert len(block) == 32
    assert crypto.open_key_block(block, private_key=private) == keys
    other, _ = crypto.generate_keypair()
    assert crypto.open_key_block(block, private_key=other) != keys


def test_schemes_are_separated():
    """The same 32 bytes opened as a passphrase block and as a recipient block give
    unrelated keys (the reader finds the scheme by trial)."""
    _, public = crypto.generate_keypair()
    block, keys = crypto.recipient_key_block(public)
    assert crypto.open_key_block(block, passphrase="pw") != keys


def test_recipient_blocks_decode_to_the_ephemeral_point_plus_a_low_order_point():
    """The representative maps back to a public key that gives the sender's shared secret,
    and the points are not confined to the prime-order subgroup (which a key-free test
    could check)."""
    components = set()
    for tweak in range(0, 256, 9):
        ephemeral = X25519PrivateKey.generate()
        public = ephemeral.public_key().public_bytes_raw()
        dirty = elligator.dirty_public_key(public, tweak)
        recipient = X25519PrivateKey.generate()
        assert recipient.exchange(ephemeral.public_key()) == crypto._exchange(recipient, dirty)
        representative = elligator.representative(dirty, tweak=tweak)
        if representative is not None:
            assert elligator.public_key_from_representative(representative) == dirty
            assert representative[-1] >> 6 == tweak >> 6
        components.add(dirty == public)
    assert components == {True, False}


def test_low_order_points_have_order_8():
    points = elligator._LOW_ORDER
    assert points[0] is None and all(p is not None for p in points[1:])
    assert elligator._add(points[7], points[1]) is None


@pytest.mark.parametrize("u", [0, 1, elligator.ORDER8_U, elligator.P - 1])
def test_low_order_ephemeral_keys_are_authentication_errors(u):
    private, _ = crypto.generate_keypair()
    block = u.to_bytes(32, "little") + crypto._xor(bytes([2, 0, 0, 0]),
                                                  crypto._v1_mask(u.to_bytes(32, "little")))
    with pytest.raises(AuthenticationError):
        crypto.open_key_block(block, private_key=private)


def test_a_v2_block_mapping_to_a_low_order_point_is_an_authentication_error():
    private, _ = crypto.generate_keypair()
    # r = 0 maps to u = -A... search a few small representatives for a low-order image
    low = {elligator.P - 1, 0, 1, elligator.ORDER8_U}
    found = 0
    for r in range(0, 5000):
        block = r.to_bytes(32, "little")
        if int.from_bytes(elligator.public_key_from_representative(block), "little") in low:
            found += 1
            with pytest.raises(AuthenticationError):
                crypto.open_key_block(block, private_key=private)
    assert found


def test_sealing_to_a_low_order_key_is_refused():
    with pytest.raises(FormatError):
        crypto.recipient_key_block(bytes(32))


def test_random_bytes_are_not_a_v1_key_block():
    rejected = 0
    for _ in range(200):
        try:
            crypto.read_v1_key_block(os.urandom(crypto.V1_KEY_BLOCK_SIZE))
        except NoPayloadError:
            rejected += 1
    assert rejected == 200


def _v1_passphrase_block(log2_memory_kib: int, iterations: int) -> bytes:
    salt = os.urandom(32)
    raw = bytes([crypto.SCHEME_PASSPHRASE, log2_memory_kib, iterations, 1])
    return salt + crypto._xor(raw, crypto._v1_mask(salt))


@pytest.mark.parametrize(("memory", "passes"), [(20, 10), (18, 3), (16, 5), (30, 1)])
def test_hostile_v1_kdf_parameters_are_refused_before_any_work(memory, passes):
    with pytest.raises((AuthenticationError, NoPayloadError)):
        crypto.open_key_block(_v1_passphrase_block(memory, passes), passphrase="pw")


def test_v1_kdf_parameters_near_the_default_are_read():
    keys = crypto.open_key_block(_v1_passphrase_block(13, 1), passphrase="pw")
    assert len(keys.order) == 32
