"""Authenticated encryption for payloads; the only module that imports ``cryptography.hazmat``.

One recipe, in the spirit of Fernet: AES-256-CBC with PKCS7 padding, then HMAC-SHA256 over
everything (encrypt-then-MAC), the tag checked in constant time before any decryption.

Keys come from a *key block* that travels in the clear in front of the ciphertext. Version 2
(what stegokit writes in images) is 32 bytes that read as random, whatever the scheme:

- passphrase: a random 32-byte salt; Argon2id runs at a cost fixed by the format
  (:data:`DEFAULT_KDF`), so no parameter needs to be stored;
- recipient: the Elligator 2 representative of an ephemeral X25519 public key (see
  :mod:`stegokit.elligator`).

The reader learns the scheme by trial: the secret it was given says which one to try. Version 1
key blocks (36 bytes: the same 32, then 4 bytes of masked scheme and Argon2id parameters that
anyone could unmask) are still read, and still written for secrets stored in the keyring.
From the shared secret, HKDF-SHA256 derives three independent keys: encryption, MAC, and the
pixel-order key the codecs use to scatter the payload. Every failure of the data raises the
same :class:`AuthenticationError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import elligator
from .errors import AuthenticationError, FormatError, NoPayloadError

KEY_BLOCK_SIZE = 32
V1_KEY_BLOCK_SIZE = 36
IV_SIZE = 16
TAG_SIZE = 32
BLOCK_SIZE = 16

SCHEME_PASSPHRASE = 1
SCHEME_RECIPIENT = 2

_V1_MASK_LABEL = b"stegokit key block v1"
_V1_KEYS_INFO = b"stegokit v1 keys"
_PASSPHRASE_INFO = b"stegokit v2 passphrase keys"
_RECIPIENT_INFO = b"stegokit v2 recipient keys"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory ``2**log2_memory_kib`` KiB, ``iterations`` passes, ``lanes``."""

    log2_memory_kib: int = 16
    iterations: int = 3
    lanes: int = 1

    def check(self) -> None:
        """Refuse costs outside what a user may choose (8 MiB to 1 GiB, 1-10 passes, 1-8 lanes)."""
        if not (
            13 <= self.log2_memory_kib <= 20 and 1 <= self.iterations <= 10 and 1 <= self.lanes <= 8
        ):
            raise NoPayloadError("no hidden message found")

    def within_image_bound(self) -> bool:
        """Whether a version 1 image may ask for this cost: at most 128 MiB and 4 passes
        (about 0.5 s), near the 64 MiB, 3 passes stegokit always wrote."""
        return 13 <= self.log2_memory_kib <= 17 and 1 <= self.iterations <= 4 \
            and 1 <= self.lanes <= 4


#: About 0.2 s and 64 MiB per guess on a 2-core machine (RFC 9106's second recommendation).
#: Version 2 images store no KDF parameters: writer and reader both use this cost.
DEFAULT_KDF = KdfParams()


@dataclass(frozen=True)
class Keys:
    """The three 32-byte keys derived from a key block."""

    encryption: bytes
    mac: bytes
    order: bytes


def _split_keys(material: bytes, *, info: bytes, salt: bytes | None = None) -> Keys:
    okm = HKDF(algorithm=hashes.SHA256(), length=96, salt=salt, info=info).derive(material)
    return Keys(okm[:32], okm[32:64], okm[64:])


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def normalize_passphrase(passphrase: str | bytes) -> bytes:
    """UTF-8 bytes of the passphrase in Unicode NFC, so every keyboard types the same key."""
    if isinstance(passphrase, bytes):
        return passphrase
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _argon2(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    params.check()
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=1 << params.log2_memory_kib,
    )
    return kdf.derive(secret)


def _exchange(private: X25519PrivateKey, public: bytes) -> bytes:
    """X25519; a low-order or malformed public key is an AuthenticationError."""
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:
        shared = bytes(32)
    if shared == bytes(32):
        raise AuthenticationError("authentication failed: invalid ephemeral key")
    return shared


def generate_keypair() -> tuple[bytes, bytes]:
    """A new X25519 key pair as ``(private, public)``, 32 raw bytes each."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def public_key_of(private: bytes) -> bytes:
    """The 32-byte X25519 public key that belongs to a private key."""
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def _sealing_exchange(ephemeral: X25519PrivateKey, recipient: X25519PublicKey) -> bytes:
    try:
        return _exchange(ephemeral, recipient.public_bytes_raw())
    except AuthenticationError:
        raise FormatError("not a usable X25519 public key") from None


def _recipient(recipient_public: bytes) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(recipient_public)
    except ValueError as exc:
        raise FormatError("a recipient public key is 32 bytes") from exc


# --- Version 2 key blocks: what stegokit writes in images ---


def passphrase_key_block(
    passphrase: str | bytes, *, params: KdfParams | None = None, salt: bytes | None = None
) -> tuple[bytes, Keys]:
    """Make a fresh 32-byte key block (a random salt) for a passphrase and derive its keys.

    ``params`` defaults to :data:`DEFAULT_KDF`; it is not stored, so a reader must use the
    same. ``salt`` is for test vectors only.
    """
    salt = os.urandom(KEY_BLOCK_SIZE) if salt is None else salt
    if len(salt) != KEY_BLOCK_SIZE:
        raise ValueError("salt must be 32 bytes")
    return salt, _passphrase_keys(passphrase, salt, params or DEFAULT_KDF)


def _passphrase_keys(passphrase: str | bytes, salt: bytes, params: KdfParams) -> Keys:
    master = _argon2(normalize_passphrase(passphrase), salt, params)
    return _split_keys(master, info=_PASSPHRASE_INFO)


def recipient_key_block(
    recipient_public: bytes, *, ephemeral_private: bytes | None = None,
    tweak: int | None = None,
) -> tuple[bytes, Keys]:
    """Make a 32-byte key block that only the holder of ``recipient_public``'s private key
    can open: an ephemeral public key, with a random low-order component, Elligator-encoded.

    ``ephemeral_private`` and ``tweak`` (one byte: bits 0-2 the low-order point, bit 3 the
    representative, bits 6-7 the top bits) are for test vectors only; a fixed ephemeral key
    whose point has no representative is a ValueError.
    """
    recipient = _recipient(recipient_public)
    while True:
        if ephemeral_private is None:
            ephemeral = X25519PrivateKey.generate()
        else:
            ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_private)
        dirt = os.urandom(1)[0] if tweak is None else tweak
        public = elligator.dirty_public_key(ephemeral.public_key().public_bytes_raw(), dirt)
        block = elligator.representative(public, tweak=(dirt >> 3 & 1) | (dirt & 0xC0))
        if block is not None:
            break
        if ephemeral_private is not None:
            raise ValueError("this ephemeral key has no Elligator representative")
    shared = _sealing_exchange(ephemeral, recipient)
    return block, _recipient_keys_v2(shared, block, recipient_public)


def _recipient_keys_v2(shared: bytes, block: bytes, recipient_public: bytes) -> Keys:
    return _split_keys(shared, salt=block + recipient_public, info=_RECIPIENT_INFO)


def open_key_block(
    block: bytes, *, passphrase: str | bytes | None = None, private_key: bytes | None = None,
    params: KdfParams | None = None,
) -> Keys:
    """Derive the keys of a key block from a passphrase or a recipient's private key.

    A 32-byte block is version 2: the keys of the scheme the given secret belongs to
    (``params`` for a passphrase, default :data:`DEFAULT_KDF`); whether they are right shows
    only when the MAC is checked. A 36-byte block is version 1, whose scheme and cost it
    states. Raises :class:`NoPayloadError` if a version 1 block is not one, and
    :class:`AuthenticationError` if it needs the secret that was not given.
    """
    if len(block) == V1_KEY_BLOCK_SIZE:
        return _open_v1_block(block, passphrase=passphrase, private_key=private_key)
    if len(block) != KEY_BLOCK_SIZE:
        raise NoPayloadError("no hidden message found")
    if passphrase is not None:
        return _passphrase_keys(passphrase, block, params or DEFAULT_KDF)
    if private_key is None:
        raise AuthenticationError("give the passphrase (-p) or the recipient's key (--user)")
    private = X25519PrivateKey.from_private_bytes(private_key)
    shared = _exchange(private, elligator.public_key_from_representative(block))
    return _recipient_keys_v2(shared, block, private.public_key().public_bytes_raw())


# --- Version 1 key blocks: read in old images; written for secrets kept in the keyring ---


def _v1_mask(block_head: bytes) -> bytes:
    return hashlib.sha256(_V1_MASK_LABEL + block_head).digest()[:4]


def _v1_block(head: bytes, raw: bytes) -> bytes:
    return head + _xor(raw, _v1_mask(head))


def _v1_passphrase_block(passphrase: str | bytes, params: KdfParams) -> tuple[bytes, Keys]:
    salt = os.urandom(32)
    raw = bytes([SCHEME_PASSPHRASE, params.log2_memory_kib, params.iterations, params.lanes])
    master = _argon2(normalize_passphrase(passphrase), salt, params)
    return _v1_block(salt, raw), _split_keys(master, info=_V1_KEYS_INFO)


def _v1_recipient_keys(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> Keys:
    return _split_keys(shared, salt=ephemeral_public + recipient_public, info=_V1_KEYS_INFO)


def _v1_recipient_block(recipient_public: bytes) -> tuple[bytes, Keys]:
    recipient = _recipient(recipient_public)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = _sealing_exchange(ephemeral, recipient)
    block = _v1_block(ephemeral_public, bytes([SCHEME_RECIPIENT, 0, 0, 0]))
    return block, _v1_recipient_keys(shared, ephemeral_public, recipient_public)


def read_v1_key_block(block: bytes) -> tuple[int, KdfParams | None]:
    """The scheme and KDF parameters a version 1 key block states, or :class:`NoPayloadError`."""
    if len(block) != V1_KEY_BLOCK_SIZE:
        raise NoPayloadError("no hidden message found")
    scheme, a, b, c = _xor(block[32:], _v1_mask(block[:32]))
    if scheme == SCHEME_PASSPHRASE:
        params = KdfParams(a, b, c)
        params.check()
        return scheme, params
    if scheme == SCHEME_RECIPIENT and a == b == c == 0:
        return scheme, None
    raise NoPayloadError("no hidden message found")


def _open_v1_block(block: bytes, *, passphrase: str | bytes | None,
                   private_key: bytes | None, bounded: bool = True) -> Keys:
    scheme, params = read_v1_key_block(block)
    if scheme == SCHEME_PASSPHRASE:
        if passphrase is None:
            raise AuthenticationError("this message is sealed with a passphrase: give it with -p")
        if bounded and not params.within_image_bound():
            raise AuthenticationError(
                f"refused: the hidden data asks for an Argon2id cost of "
                f"{1 << (params.log2_memory_kib - 10)} MiB and {params.iterations} passes, "
                "above the 128 MiB and 4 passes stegokit accepts from an image")
        master = _argon2(normalize_passphrase(passphrase), block[:32], params)
        return _split_keys(master, info=_V1_KEYS_INFO)
    if private_key is None:
        raise AuthenticationError("this message is sealed to a recipient key: give --user")
    private = X25519PrivateKey.from_private_bytes(private_key)
    shared = _exchange(private, block[:32])
    return _v1_recipient_keys(shared, block[:32], private.public_key().public_bytes_raw())


def _tag(key: bytes, data: bytes) -> _hmac.HMAC:
    mac = _hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac


def seal(plaintext: bytes, keys: Keys, associated: bytes, *, iv: bytes | None = None) -> bytes:
    """Encrypt then MAC: returns ``iv || ciphertext || HMAC(associated || iv || ciphertext)``."""
    iv = os.urandom(IV_SIZE) if iv is None else iv
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES256(keys.encryption), modes.CBC(iv)).encryptor()
    body = iv + encryptor.update(padded) + encryptor.finalize()
    return body + _tag(keys.mac, associated + body).finalize()


def unseal(sealed: bytes, keys: Keys, associated: bytes) -> bytes:
    """Check the MAC in constant time, then decrypt; any failure is AuthenticationError."""
    fail = AuthenticationError(
        "authentication failed: wrong passphrase or key, or the data was damaged"
    )
    if len(sealed) < IV_SIZE + BLOCK_SIZE + TAG_SIZE or (len(sealed) - TAG_SIZE) % BLOCK_SIZE:
        raise fail
    body, tag = sealed[:-TAG_SIZE], sealed[-TAG_SIZE:]
    try:
        _tag(keys.mac, associated + body).verify(tag)
    except InvalidSignature:
        raise fail from None
    decryptor = Cipher(algorithms.AES256(keys.encryption), modes.CBC(body[:IV_SIZE])).decryptor()
    padded = decryptor.update(body[IV_SIZE:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise fail from None


def sealed_size(plaintext_size: int) -> int:
    """Bytes :func:`seal` produces for a plaintext of this size."""
    return IV_SIZE + (plaintext_size // BLOCK_SIZE + 1) * BLOCK_SIZE + TAG_SIZE


def max_plaintext(sealed_room: int) -> int:
    """The largest plaintext whose sealed form fits in ``sealed_room`` bytes (-1 if none)."""
    blocks = (sealed_room - IV_SIZE - TAG_SIZE) // BLOCK_SIZE
    return blocks * BLOCK_SIZE - 1 if blocks > 0 else -1


def keystream(key: bytes, size: int) -> bytes:
    """``size`` pseudo-random bytes from AES-256-CTR under ``key`` (for keyed pixel orders)."""
    return keystream_reader(key)(size)


def keystream_reader(key: bytes) -> Callable[[int], bytes]:
    """A function that returns the next ``n`` bytes of the AES-256-CTR stream under ``key``."""
    encryptor = Cipher(algorithms.AES256(key), modes.CTR(bytes(16))).encryptor()
    return lambda size: encryptor.update(bytes(size))


# --- Keyring secrets: password hashes, secrets wrapped under a password or sealed to a key ---
#
# Added for the keyring (keyring.py). A password hash is a PHC string
# ``$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`` (unpadded base64), so its
# cost travels with it. A *wrapped* secret is a passphrase key block followed by
# ``seal(secret)``; a secret *sealed to a key* is a recipient key block followed by
# ``seal(secret)``; the key block and a label are the associated data in both.

_PHC_PREFIX = "$argon2id$v=19$"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password(password: str | bytes, *, params: KdfParams | None = None) -> str:
    """An Argon2id hash of a password as a PHC string that records its salt and cost.

    ``params`` defaults to :data:`DEFAULT_KDF`.
    """
    params = params or DEFAULT_KDF
    salt = os.urandom(16)
    digest = _argon2(normalize_passphrase(password), salt, params)
    cost = f"m={1 << params.log2_memory_kib},t={params.iterations},p={params.lanes}"
    return f"{_PHC_PREFIX}{cost}${_b64(salt)}${_b64(digest)}"


def verify_password(encoded: str, password: str | bytes) -> bool:
    """Whether ``password`` matches a :func:`hash_password` string (constant-time compare)."""
    try:
        if not encoded.startswith(_PHC_PREFIX):
            raise ValueError(encoded)
        cost, salt, digest = encoded[len(_PHC_PREFIX):].split("$")
        fields = dict(item.split("=") for item in cost.split(","))
        memory = int(fields["m"])
        params = KdfParams(memory.bit_length() - 1, int(fields["t"]), int(fields["p"]))
        if memory != 1 << params.log2_memory_kib:
            raise ValueError(encoded)
        params.check()
        salt_bytes, expected = _unb64(salt), _unb64(digest)
    except (ValueError, KeyError, NoPayloadError, binascii.Error):
        raise FormatError("the stored password hash is malformed") from None
    actual = _argon2(normalize_passphrase(password), salt_bytes, params)
    return hmac.compare_digest(actual, expected)


def wrap_secret(secret: bytes, password: str | bytes, label: bytes, *,
                params: KdfParams | None = None) -> bytes:
    """Encrypt ``secret`` under a key derived from ``password`` (Argon2id, fresh salt)."""
    block, keys = _v1_passphrase_block(password, params or DEFAULT_KDF)
    return block + seal(secret, keys, block + label)


def unwrap_secret(wrapped: bytes, password: str | bytes, label: bytes) -> bytes:
    """Inverse of :func:`wrap_secret`; a wrong password is :class:`AuthenticationError`."""
    block = wrapped[:V1_KEY_BLOCK_SIZE]
    try:
        keys = _open_v1_block(block, passphrase=password, private_key=None, bounded=False)
    except NoPayloadError:
        raise AuthenticationError("authentication failed: the wrapped key is damaged") from None
    return unseal(wrapped[V1_KEY_BLOCK_SIZE:], keys, block + label)


def seal_to_key(secret: bytes, public_key: bytes, label: bytes) -> bytes:
    """Encrypt ``secret`` so that only the holder of ``public_key``'s private key reads it."""
    block, keys = _v1_recipient_block(public_key)
    return block + seal(secret, keys, block + label)


def open_with_key(sealed: bytes, private_key: bytes, label: bytes) -> bytes:
    """Inverse of :func:`seal_to_key`; the wrong key is :class:`AuthenticationError`."""
    block = sealed[:V1_KEY_BLOCK_SIZE]
    try:
        keys = _open_v1_block(block, passphrase=None, private_key=private_key)
    except NoPayloadError:
        raise AuthenticationError("authentication failed: the sealed secret is damaged") from None
    return unseal(sealed[V1_KEY_BLOCK_SIZE:], keys, block + label)


def check_public_key(public_key: bytes) -> None:
    """Refuse what is no usable X25519 public key (wrong size, or a low-order point)."""
    try:
        peer = X25519PublicKey.from_public_bytes(public_key)
        shared = X25519PrivateKey.generate().exchange(peer)
    except ValueError:
        shared = bytes(32)
    if shared == bytes(32):
        raise FormatError("not a usable X25519 public key")
