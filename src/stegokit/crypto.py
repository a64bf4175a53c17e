"""Authenticated encryption for payloads; the only module that imports ``cryptography.hazmat``.

One recipe, in the spirit of Fernet: AES-256-CBC with PKCS7 padding, then HMAC-SHA256 over
everything (encrypt-then-MAC), the tag checked in constant time before any decryption.

Keys come from a *key block*, 36 bytes that travel in the clear in front of the ciphertext:

- passphrase (scheme 1): a random 32-byte salt, then Argon2id parameters;
- recipient (scheme 2): an ephemeral X25519 public key, then the scheme number.

The 4 parameter bytes are masked with a hash of the 32 bytes before them, so that a key block
reads as random bytes. From the shared secret, HKDF-SHA256 derives three independent keys:
encryption, MAC, and the pixel-order key the codecs use to scatter the payload.
Every failure of the data raises the same :class:`AuthenticationError`.
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

from .errors import AuthenticationError, FormatError, NoPayloadError

KEY_BLOCK_SIZE = 36
IV_SIZE = 16
TAG_SIZE = 32
BLOCK_SIZE = 16

SCHEME_PASSPHRASE = 1
SCHEME_RECIPIENT = 2

_MASK_LABEL = b"stegokit key block v1"
_KEYS_INFO = b"stegokit v1 keys"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory ``2**log2_memory_kib`` KiB, ``iterations`` passes, ``lanes``."""

    log2_memory_kib: int = 16
    iterations: int = 3
    lanes: int = 1

    def check(self) -> None:
        """Refuse costs outside the range stegokit writes, so a hostile file cannot ask for 1 TB."""
        if not (
            13 <= self.log2_memory_kib <= 20 and 1 <= self.iterations <= 10 and 1 <= self.lanes <= 8
        ):
            raise NoPayloadError("no hidden message found")


#: About 0.2 s and 64 MiB per guess on a 2-core machine (RFC 9106's second recommendation).
DEFAULT_KDF = KdfParams()


@dataclass(frozen=True)
class Keys:
    """The three 32-byte keys derived from a key block."""

    encryption: bytes
    mac: bytes
    order: bytes


def _split_keys(material: bytes, *, salt: bytes | None = None) -> Keys:
    okm = HKDF(algorithm=hashes.SHA256(), length=96, salt=salt, info=_KEYS_INFO).derive(material)
    return Keys(okm[:32], okm[32:64], okm[64:])


def _mask(block_head: bytes) -> bytes:
    return hashlib.sha256(_MASK_LABEL + block_head).digest()[:4]


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


def passphrase_key_block(
    passphrase: str | bytes, *, params: KdfParams | None = None, salt: bytes | None = None
) -> tuple[bytes, Keys]:
    """Make a fresh key block for a passphrase and derive its keys.

    ``params`` defaults to :data:`DEFAULT_KDF`; ``salt`` is for test vectors only (by default
    32 random bytes).
    """
    params = params or DEFAULT_KDF
    salt = os.urandom(32) if salt is None else salt
    if len(salt) != 32:
        raise ValueError("salt must be 32 bytes")
    raw = bytes([SCHEME_PASSPHRASE, params.log2_memory_kib, params.iterations, params.lanes])
    block = salt + _xor(raw, _mask(salt))
    master = _argon2(normalize_passphrase(passphrase), salt, params)
    return block, _split_keys(master)


def generate_keypair() -> tuple[bytes, bytes]:
    """A new X25519 key pair as ``(private, public)``, 32 raw bytes each."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def public_key_of(private: bytes) -> bytes:
    """The 32-byte X25519 public key that belongs to a private key."""
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def _recipient_keys(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> Keys:
    if shared == bytes(32):
        raise AuthenticationError("authentication failed: invalid recipient key")
    return _split_keys(shared, salt=ephemeral_public + recipient_public)


def recipient_key_block(
    recipient_public: bytes, *, ephemeral_private: bytes | None = None
) -> tuple[bytes, Keys]:
    """Make a key block that only the holder of ``recipient_public``'s private key can open.

    ``ephemeral_private`` is for test vectors only; by default a fresh key pair.
    """
    try:
        recipient = X25519PublicKey.from_public_bytes(recipient_public)
    except ValueError as exc:
        raise FormatError("a recipient public key is 32 bytes") from exc
    if ephemeral_private is None:
        ephemeral = X25519PrivateKey.generate()
    else:
        ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_private)
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    raw = bytes([SCHEME_RECIPIENT, 0, 0, 0])
    block = ephemeral_public + _xor(raw, _mask(ephemeral_public))
    shared = ephemeral.exchange(recipient)
    return block, _recipient_keys(shared, ephemeral_public, recipient_public)


def read_key_block(block: bytes) -> tuple[int, KdfParams | None]:
    """The scheme and KDF parameters of a key block, or :class:`NoPayloadError` if it is not one."""
    if len(block) != KEY_BLOCK_SIZE:
        raise NoPayloadError("no hidden message found")
    scheme, a, b, c = _xor(block[32:], _mask(block[:32]))
    if scheme == SCHEME_PASSPHRASE:
        params = KdfParams(a, b, c)
        params.check()
        return scheme, params
    if scheme == SCHEME_RECIPIENT and a == b == c == 0:
        return scheme, None
    raise NoPayloadError("no hidden message found")


def open_key_block(
    block: bytes, *, passphrase: str | bytes | None = None, private_key: bytes | None = None
) -> Keys:
    """Derive the keys of a key block from a passphrase or a recipient's private key.

    Raises :class:`NoPayloadError` if the bytes are no key block, and
    :class:`AuthenticationError` if the block needs the secret that was not given.
    """
    scheme, params = read_key_block(block)
    if scheme == SCHEME_PASSPHRASE:
        if passphrase is None:
            raise AuthenticationError("this message is sealed with a passphrase: give it with -p")
        return _split_keys(_argon2(normalize_passphrase(passphrase), block[:32], params))
    if private_key is None:
        raise AuthenticationError("this message is sealed to a recipient key: give --user")
    private = X25519PrivateKey.from_private_bytes(private_key)
    shared = private.exchange(X25519PublicKey.from_public_bytes(block[:32]))
    return _recipient_keys(shared, block[:32], private.public_key().public_bytes_raw())


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
    block, keys = passphrase_key_block(password, params=params)
    return block + seal(secret, keys, block + label)


def unwrap_secret(wrapped: bytes, password: str | bytes, label: bytes) -> bytes:
    """Inverse of :func:`wrap_secret`; a wrong password is :class:`AuthenticationError`."""
    block = wrapped[:KEY_BLOCK_SIZE]
    try:
        keys = open_key_block(block, passphrase=password)
    except NoPayloadError:
        raise AuthenticationError("authentication failed: the wrapped key is damaged") from None
    return unseal(wrapped[KEY_BLOCK_SIZE:], keys, block + label)


def seal_to_key(secret: bytes, public_key: bytes, label: bytes) -> bytes:
    """Encrypt ``secret`` so that only the holder of ``public_key``'s private key reads it."""
    block, keys = recipient_key_block(public_key)
    return block + seal(secret, keys, block + label)


def open_with_key(sealed: bytes, private_key: bytes, label: bytes) -> bytes:
    """Inverse of :func:`seal_to_key`; the wrong key is :class:`AuthenticationError`."""
    block = sealed[:KEY_BLOCK_SIZE]
    try:
        keys = open_key_block(block, private_key=private_key)
    except NoPayloadError:
        raise AuthenticationError("authentication failed: the sealed secret is damaged") from None
    return unseal(sealed[KEY_BLOCK_SIZE:], keys, block + label)


def check_public_key(public_key: bytes) -> None:
    """Refuse what is no usable X25519 public key (wrong size, or a low-order point)."""
    try:
        peer = X25519PublicKey.from_public_bytes(public_key)
        shared = X25519PrivateKey.generate().exchange(peer)
    except ValueError:
        shared = bytes(32)
    if shared == bytes(32):
        raise FormatError("not a usable X25519 public key")
