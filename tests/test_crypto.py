"""The encryption recipe: encrypt-then-MAC, one error for every data failure, KDF cost,
and version 2 key blocks that look like random bytes."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from conftest import CHEAP_KDF
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


# --- The documented derivations (docs/format.md), recomputed here from the primitives ---

SALT = bytes(range(32))


def _hkdf_keys(material: bytes, info: bytes, salt: bytes | None = None) -> crypto.Keys:
    okm = HKDF(algorithm=hashes.SHA256(), length=96, salt=salt, info=info).derive(material)
    return crypto.Keys(okm[:32], okm[32:64], okm[64:])


def _argon2id(secret: bytes, salt: bytes, memory_log2: int, passes: int, lanes: int) -> bytes:
    return Argon2id(salt=salt, length=32, iterations=passes, lanes=lanes,
                    memory_cost=1 << memory_log2).derive(secret)


def _v1_block(head: bytes, scheme: int, a: int, b: int, c: int) -> bytes:
    mask = hashlib.sha256(b"stegokit key block v1" + head).digest()[:4]
    return head + bytes(x ^ y for x, y in zip(bytes([scheme, a, b, c]), mask, strict=True))


def test_a_v2_passphrase_block_derives_the_documented_keys():
    params = crypto.KdfParams(13, 2, 2)  # not the default: the cost given is the one used
    master = _argon2id("pässword".encode(), SALT, 13, 2, 2)
    expected = _hkdf_keys(master, b"stegokit v2 passphrase keys")
    assert crypto.passphrase_key_block("pa\u0308ssword", params=params, salt=SALT) == (
        SALT, expected)
    assert crypto.open_key_block(SALT, passphrase="pässword".encode(), params=params) == expected
    assert all(len(key) == 32 for key in (expected.encryption, expected.mac, expected.order))


def test_a_v2_recipient_block_derives_the_documented_keys():
    recipient = X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    public = recipient.public_key().public_bytes_raw()
    block, keys = crypto.recipient_key_block(public)
    ephemeral = elligator.public_key_from_representative(block)
    shared = recipient.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    expected = _hkdf_keys(shared, b"stegokit v2 recipient keys", salt=block + public)
    assert keys == expected
    assert crypto.open_key_block(block, private_key=recipient.private_bytes_raw()) == expected


def test_the_recipient_tweak_bits_choose_the_point_the_root_and_the_top_bits():
    """Bits 0-2: the low-order point added; bit 3: which representative; bits 6-7: the top
    bits; bits 4-5: unused."""
    _, public = crypto.generate_keypair()
    ephemeral = bytes(range(100, 132))
    e_public = X25519PrivateKey.from_private_bytes(ephemeral).public_key().public_bytes_raw()
    used = set()
    for low in range(8):
        dirty = elligator.dirty_public_key(e_public, low)
        if elligator.representative(dirty, tweak=0) is None:
            continue
        used.add(low)
        blocks = {}
        for high in (0x00, 0x08, 0x10, 0x20, 0x40, 0x80, 0xC8):
            block, _ = crypto.recipient_key_block(public, ephemeral_private=ephemeral,
                                                  tweak=low | high)
            assert elligator.public_key_from_representative(block) == dirty
            assert block[-1] >> 6 == high >> 6
            bit = 1 if high & 0x08 else 0
            assert block == elligator.representative(dirty, tweak=bit | (high & 0xC0))
            blocks[high] = block
        assert blocks[0x00] == blocks[0x10] == blocks[0x20]
        assert blocks[0x00] != blocks[0x08]
    assert {low % 2 for low in used} == {0, 1}


def test_a_fixed_ephemeral_key_without_a_representative_is_refused():
    _, public = crypto.generate_keypair()
    for seed in range(64):
        ephemeral = bytes([seed]) * 32
        e_public = X25519PrivateKey.from_private_bytes(ephemeral).public_key().public_bytes_raw()
        if elligator.representative(elligator.dirty_public_key(e_public, 0), tweak=0) is None:
            break
    with pytest.raises(ValueError) as error:
        crypto.recipient_key_block(public, ephemeral_private=ephemeral, tweak=0)
    assert str(error.value) == "this ephemeral key has no Elligator representative"


def test_random_recipient_blocks_vary_and_open():
    private, public = crypto.generate_keypair()
    blocks = set()
    for _ in range(64):  # half of the ephemeral keys have no representative: redrawn
        block, keys = crypto.recipient_key_block(public)
        assert crypto.open_key_block(block, private_key=private) == keys
        blocks.add(block)
    assert len(blocks) == 64
    assert {block[-1] >> 6 for block in blocks} == {0, 1, 2, 3}


def test_key_pairs_belong_together():
    private, public = crypto.generate_keypair()
    assert crypto.public_key_of(private) == public
    assert len(private) == len(public) == 32
    crypto.check_public_key(public)


@pytest.mark.parametrize("key", [bytes(32), (1).to_bytes(32, "little"), bytes(31), bytes(33)])
def test_unusable_public_keys_are_refused_with_one_message(key):
    with pytest.raises(FormatError) as error:
        crypto.check_public_key(key)
    assert str(error.value) == "not a usable X25519 public key"


def test_sealing_to_an_unusable_key_says_why():
    with pytest.raises(FormatError) as error:
        crypto.recipient_key_block(elligator.ORDER8_U.to_bytes(32, "little"))
    assert str(error.value) == "not a usable X25519 public key"
    with pytest.raises(FormatError) as error:
        crypto.recipient_key_block(bytes(31))
    assert str(error.value) == "a recipient public key is 32 bytes"
    with pytest.raises(FormatError) as error:
        crypto.seal_to_key(b"s", bytes(32), b"label")
    assert str(error.value) == "not a usable X25519 public key"


def test_a_low_order_ephemeral_key_says_why():
    private, _ = crypto.generate_keypair()
    with pytest.raises(AuthenticationError) as error:
        crypto.open_key_block(_v1_block(bytes(32), 2, 0, 0, 0), private_key=private)
    assert str(error.value) == "authentication failed: invalid ephemeral key"


def test_key_block_errors_say_what_is_missing():
    with pytest.raises(NoPayloadError) as error:
        crypto.open_key_block(bytes(33), passphrase="pw")
    assert str(error.value) == "no hidden message found"
    with pytest.raises(AuthenticationError) as error:
        crypto.open_key_block(SALT)
    assert str(error.value) == "give the passphrase (-p) or the recipient's key (--user)"
    private, _ = crypto.generate_keypair()
    with pytest.raises(AuthenticationError) as error:
        crypto.open_key_block(_v1_block(SALT, 1, 13, 1, 1), private_key=private)
    assert str(error.value) == "this message is sealed with a passphrase: give it with -p"
    with pytest.raises(AuthenticationError) as error:
        crypto.open_key_block(_v1_block(SALT, 2, 0, 0, 0), passphrase="pw")
    assert str(error.value) == "this message is sealed to a recipient key: give --user"


def test_a_salt_for_vectors_is_32_bytes():
    with pytest.raises(ValueError) as error:
        crypto.passphrase_key_block("pw", salt=bytes(31))
    assert str(error.value) == "salt must be 32 bytes"
    assert crypto.passphrase_key_block("pw")[0] != crypto.passphrase_key_block("pw")[0]


# --- KDF bounds ---

@pytest.mark.parametrize("params", [(13, 1, 1), (20, 1, 1), (13, 10, 1), (13, 1, 8)])
def test_kdf_costs_at_the_bounds_are_accepted(params):
    crypto.KdfParams(*params).check()


@pytest.mark.parametrize("params", [(12, 1, 1), (21, 1, 1), (13, 0, 1), (13, 11, 1),
                                    (13, 1, 0), (13, 1, 9)])
def test_kdf_costs_beyond_the_bounds_are_no_payload(params):
    with pytest.raises(NoPayloadError) as error:
        crypto.KdfParams(*params).check()
    assert str(error.value) == "no hidden message found"


@pytest.mark.parametrize(("params", "inside"), [
    ((13, 1, 1), True), ((17, 4, 4), True), ((12, 1, 1), False), ((18, 1, 1), False),
    ((13, 0, 1), False), ((13, 5, 1), False), ((13, 1, 0), False), ((13, 1, 5), False),
])
def test_the_bound_a_version_1_image_may_ask_for(params, inside):
    assert crypto.KdfParams(*params).within_image_bound() is inside


def test_a_v1_block_above_the_image_bound_is_refused_with_its_cost():
    with pytest.raises(AuthenticationError) as error:
        crypto.open_key_block(_v1_block(SALT, 1, 18, 3, 1), passphrase="pw")
    assert str(error.value) == (
        "refused: the hidden data asks for an Argon2id cost of 256 MiB and 3 passes, above "
        "the 128 MiB and 4 passes stegokit accepts from an image")


# --- Version 1 key blocks ---

def test_a_v1_passphrase_block_states_its_cost_and_derives_the_documented_keys():
    block = _v1_block(SALT, 1, 13, 2, 3)
    assert crypto.read_v1_key_block(block) == (1, crypto.KdfParams(13, 2, 3))
    expected = _hkdf_keys(_argon2id(b"pw", SALT, 13, 2, 3), b"stegokit v1 keys")
    assert crypto.open_key_block(block, passphrase="pw") == expected


def test_a_v1_recipient_block_derives_the_documented_keys():
    recipient = X25519PrivateKey.generate()
    public = recipient.public_key().public_bytes_raw()
    ephemeral = X25519PrivateKey.generate().public_key().public_bytes_raw()
    block = _v1_block(ephemeral, 2, 0, 0, 0)
    assert crypto.read_v1_key_block(block) == (2, None)
    shared = recipient.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    expected = _hkdf_keys(shared, b"stegokit v1 keys", salt=ephemeral + public)
    assert crypto.open_key_block(block, private_key=recipient.private_bytes_raw()) == expected


@pytest.mark.parametrize("raw", [(0, 0, 0, 0), (3, 0, 0, 0), (2, 1, 0, 0), (2, 0, 1, 0),
                                 (2, 0, 0, 1), (1, 13, 1, 0), (1, 21, 1, 1)])
def test_v1_blocks_of_another_scheme_or_with_stray_bytes_are_no_payload(raw):
    with pytest.raises(NoPayloadError) as error:
        crypto.read_v1_key_block(_v1_block(SALT, *raw))
    assert str(error.value) == "no hidden message found"


@pytest.mark.parametrize("size", [32, 35, 37])
def test_a_v1_block_is_36_bytes(size):
    block = (_v1_block(SALT, 2, 0, 0, 0) + bytes(1))[:size]
    with pytest.raises(NoPayloadError) as error:
        crypto.read_v1_key_block(block)
    assert str(error.value) == "no hidden message found"


# --- Keyring secrets ---

def test_wrapped_secrets_keep_the_cost_they_were_wrapped_with():
    """A keyring file is the user's own: its cost may exceed what an image may ask for."""
    params = crypto.KdfParams(13, 5, 2)
    wrapped = crypto.wrap_secret(b"private key", "pw", b"label", params=params)
    assert crypto.read_v1_key_block(wrapped[:36]) == (1, params)
    assert len(wrapped) == 36 + crypto.sealed_size(len(b"private key"))
    assert crypto.unwrap_secret(wrapped, "pw", b"label") == b"private key"
    block = wrapped[:36]
    expected = _hkdf_keys(_argon2id(b"pw", block[:32], 13, 5, 2), b"stegokit v1 keys")
    assert crypto.unseal(wrapped[36:], expected, block + b"label") == b"private key"
    for wrong in (("pv", b"label"), ("pw", b"other")):
        with pytest.raises(AuthenticationError):
            crypto.unwrap_secret(wrapped, *wrong)
    damaged = _v1_block(block[:32], 7, 0, 0, 0) + wrapped[36:]
    with pytest.raises(AuthenticationError) as error:
        crypto.unwrap_secret(damaged, "pw", b"label")
    assert str(error.value) == "authentication failed: the wrapped key is damaged"


def test_wrapping_uses_the_default_cost_unless_told():
    wrapped = crypto.wrap_secret(b"s", "pw", b"label")
    assert crypto.read_v1_key_block(wrapped[:36]) == (1, crypto.DEFAULT_KDF)


def test_secrets_sealed_to_a_key_open_only_with_it():
    private, public = crypto.generate_keypair()
    sealed = crypto.seal_to_key(b"smtp password", public, b"label")
    assert crypto.read_v1_key_block(sealed[:36]) == (2, None)
    assert crypto.open_with_key(sealed, private, b"label") == b"smtp password"
    ephemeral = sealed[:32]
    shared = X25519PrivateKey.from_private_bytes(private).exchange(
        X25519PublicKey.from_public_bytes(ephemeral))
    expected = _hkdf_keys(shared, b"stegokit v1 keys", salt=ephemeral + public)
    assert crypto.unseal(sealed[36:], expected, sealed[:36] + b"label") == b"smtp password"
    other, _ = crypto.generate_keypair()
    for wrong in ((other, b"label"), (private, b"other")):
        with pytest.raises(AuthenticationError):
            crypto.open_with_key(sealed, *wrong)
    damaged = _v1_block(ephemeral, 1, 40, 1, 1) + sealed[36:]
    with pytest.raises(AuthenticationError) as error:
        crypto.open_with_key(damaged, private, b"label")
    assert str(error.value) == "authentication failed: the sealed secret is damaged"


def test_password_hashes_are_standard_phc_strings():
    params = crypto.KdfParams(13, 2, 1)
    encoded = crypto.hash_password("pässword", params=params)
    prefix, cost, salt, digest = encoded.rsplit("$", 3)
    assert prefix == "$argon2id$v=19" and cost == "m=8192,t=2,p=1"
    assert "=" not in salt + digest and len(salt) == 22 and len(digest) == 43
    # another implementation of the PHC format accepts it
    Argon2id.verify_phc_encoded("pässword".encode(), encoded)
    assert crypto.verify_password(encoded, "pa\u0308ssword")
    assert not crypto.verify_password(encoded, "password")
    assert crypto.hash_password("pw").startswith("$argon2id$v=19$m=8192,t=1,p=1$")


def test_password_hashes_from_another_implementation_verify():
    encoded = Argon2id(salt=b"0123456789abcdef", length=32, iterations=2, lanes=2,
                       memory_cost=1 << 13).derive_phc_encoded(b"pw")
    assert crypto.verify_password(encoded, "pw")
    assert not crypto.verify_password(encoded, "pv")


@pytest.mark.parametrize("damage", [
    lambda h: h.replace("$argon2id$", "$argon2i$"),
    lambda h: h.replace("m=8192", "m=9000"),
    lambda h: h.replace("m=8192", "M=8192"),
    lambda h: h.replace(",t=1", ",x=1"),
    lambda h: h.replace(",p=1", ""),
    lambda h: h.replace("m=8192", "m=2048"),
    lambda h: h + "$extra",
    lambda h: h[:-5] + "!" + h[-4:],
    lambda h: h[:-10] + "!!!!" + h[-10:],  # a lenient base64 decoder would skip these
    lambda h: h.replace("m=8192,t=1,p=1", "m=8192;t=1;p=1"),
])
def test_a_malformed_password_hash_is_a_format_error(damage):
    encoded = crypto.hash_password("pw", params=crypto.KdfParams(13, 1, 1))
    with pytest.raises(FormatError) as error:
        crypto.verify_password(damage(encoded), "pw")
    assert str(error.value) == "the stored password hash is malformed"


def test_password_verification_compares_in_constant_time(monkeypatch):
    compared = []
    real = crypto.hmac.compare_digest
    monkeypatch.setattr(crypto.hmac, "compare_digest",
                        lambda a, b: compared.append((a, b)) or real(a, b))
    encoded = crypto.hash_password("pw", params=crypto.KdfParams(13, 1, 1))
    assert crypto.verify_password(encoded, "pw")
    assert len(compared) == 1 and compared[0][0] == compared[0][1]


# --- The sealed record ---

def test_seal_is_aes_256_cbc_then_hmac_sha256_over_associated_iv_and_ciphertext():
    keys = crypto.Keys(bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96)))
    iv = bytes(range(200, 216))
    for plaintext in (b"", b"x" * 15, b"y" * 16, b"z" * 33):
        padder = padding.PKCS7(128).padder()
        padded = padder.update(plaintext) + padder.finalize()
        encryptor = Cipher(algorithms.AES256(keys.encryption), modes.CBC(iv)).encryptor()
        body = iv + encryptor.update(padded) + encryptor.finalize()
        tag = hmac.new(keys.mac, b"assoc" + body, hashlib.sha256).digest()
        sealed = crypto.seal(plaintext, keys, b"assoc", iv=iv)
        assert sealed == body + tag
        assert len(sealed) == crypto.sealed_size(len(plaintext))
        assert crypto.unseal(sealed, keys, b"assoc") == plaintext


def test_unseal_checks_the_tag_with_the_mac_key_before_decrypting():
    keys = crypto.Keys(bytes(32), bytes(range(32)), bytes(32))
    swapped = crypto.Keys(keys.mac, keys.encryption, keys.order)
    sealed = crypto.seal(b"message", keys, b"")
    with pytest.raises(AuthenticationError):
        crypto.unseal(sealed, swapped, b"")


@pytest.mark.parametrize("body_size", [0, 15, 16, 17, 31, 33, 47])
def test_a_valid_tag_over_a_malformed_body_is_still_an_authentication_error(body_size):
    """Even with the right MAC key (an attacker never has it), a body that is not an IV and
    whole cipher blocks, or whose padding is wrong, is the one AuthenticationError."""
    keys = crypto.Keys(bytes(32), bytes(range(32)), bytes(32))
    body = bytes(range(body_size))
    sealed = body + hmac.new(keys.mac, b"a" + body, hashlib.sha256).digest()
    with pytest.raises(AuthenticationError) as error:
        crypto.unseal(sealed, keys, b"a")
    assert str(error.value) == (
        "authentication failed: wrong passphrase or key, or the data was damaged")


def test_sealed_size_and_max_plaintext_are_inverse():
    for size in range(0, 70):
        assert crypto.sealed_size(size) == 16 + (size // 16 + 1) * 16 + 32
    for room in range(0, 200):
        largest = crypto.max_plaintext(room)
        if largest < 0:
            assert largest == -1 and crypto.sealed_size(0) > room
        else:
            assert crypto.sealed_size(largest) <= room < crypto.sealed_size(largest + 1)
    assert crypto.max_plaintext(64) == 15 and crypto.max_plaintext(63) == -1


def test_the_keystream_is_aes_256_ctr_from_a_zero_counter():
    # FIPS-197 style known answer: AES-256 under the zero key of the zero block
    assert crypto.keystream(bytes(32), 16).hex() == "dc95c078a2408989ad48a21492842087"
    key = bytes(range(32))
    whole = crypto.keystream(key, 100)
    reader = crypto.keystream_reader(key)
    assert reader(7) + reader(0) + reader(61) + reader(32) == whole
    assert len(whole) == 100 and crypto.keystream(key, 100) == whole
    assert crypto.keystream(bytes(range(1, 33)), 100) != whole


def test_passphrases_are_nfc_utf8():
    assert crypto.normalize_passphrase("pa\u0308ss") == "päss".encode()
    assert crypto.normalize_passphrase(b"pa\xcc\x88ss") == b"pa\xcc\x88ss"  # bytes: as given
