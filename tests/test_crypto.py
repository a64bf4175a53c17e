"""The encryption recipe: encrypt-then-MAC, one error for every data failure, KDF cost."""

from __future__ import annotations

import pytest
from conftest import CHEAP_KDF

from stegokit import crypto
from stegokit.errors import AuthenticationError, NoPayloadError


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
    block, keys = crypto.passphrase_key_block("pässword", params=CHEAP_KDF)
    assert crypto.open_key_block(block, passphrase="pässword") == keys
    # NFC and NFD spellings of the same passphrase give the same key.
    assert crypto.open_key_block(block, passphrase="pa\u0308ssword") == keys
    assert crypto.open_key_block(block, passphrase="password") != keys
    with pytest.raises(AuthenticationError):
        crypto.open_key_block(block)


def test_random_bytes_are_not_a_key_block():
    import os

    rejected = 0
    for _ in range(200):
        try:
            crypto.read_key_block(os.urandom(crypto.KEY_BLOCK_SIZE))
        except NoPayloadError:
            rejected += 1
    assert rejected == 200


def test_recipient_sealing():
    private, public = crypto.generate_keypair()
    block, keys = crypto.recipient_key_block(public)
    assert crypto.open_key_block(block, private_key=private) == keys
    other, _ = crypto.generate_keypair()
    assert crypto.open_key_block(block, private_key=other) != keys


def test_hostile_kdf_parameters_are_refused():
    block, _ = crypto.passphrase_key_block("pw", params=CHEAP_KDF)
    forged = bytearray(block)
    mask = crypto._mask(block[:32])
    forged[33] = 30 ^ mask[1]  # 2**30 KiB = 1 TiB of memory
    with pytest.raises(NoPayloadError):
        crypto.open_key_block(bytes(forged), passphrase="pw")
