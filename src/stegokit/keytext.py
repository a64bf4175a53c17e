"""Public keys as one short line to copy and paste: ``stegokit1:<base32>``.

The base32 part (RFC 4648 alphabet, lower case, no padding) encodes 36 bytes: the 32-byte
X25519 public key, then the first 4 bytes of ``SHA-256("stegokit1:" || key)``, so a mistyped
or truncated key is refused instead of silently sealing to the wrong key. Reading ignores
case and whitespace. See docs/keyring.md for test vectors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from . import crypto
from .errors import FormatError, InputError

PREFIX = "stegokit1:"
KEY_SIZE = 32
CHECK_SIZE = 4
TEXT_SIZE = 58  # base32 characters for 36 bytes, unpadded


def _check(key: bytes) -> bytes:
    return hashlib.sha256(PREFIX.encode("ascii") + key).digest()[:CHECK_SIZE]


def encode_public_key(key: bytes) -> str:
    """The one-line text form of a 32-byte public key."""
    if len(key) != KEY_SIZE:
        raise ValueError("a public key is 32 bytes")
    body = base64.b32encode(key + _check(key)).decode("ascii").rstrip("=").lower()
    return PREFIX + body


def decode_public_key(text: str) -> bytes:
    """The 32-byte public key of a text form; :class:`InputError` says what is wrong."""
    compact = "".join(text.split()).lower()
    if not compact.startswith(PREFIX):
        version = compact.split(":", 1)[0] if ":" in compact else ""
        if version.startswith("stegokit"):
            raise InputError(f"malformed public key: unknown key version {version!r}")
        raise InputError(f"malformed public key: it should start with {PREFIX!r}")
    body = compact[len(PREFIX):].upper()
    if len(body) != TEXT_SIZE:
        raise InputError(
            f"malformed public key: {len(body)} characters after {PREFIX!r} instead of "
            f"{TEXT_SIZE} (was it cut when copied?)"
        )
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        raise InputError("malformed public key: not base32 (letters a-z and digits 2-7)") from None
    key, check = raw[:KEY_SIZE], raw[KEY_SIZE:]
    if _check(key) != check or encode_public_key(key) != PREFIX + body.lower():
        raise InputError("malformed public key: the checksum does not match (a typo?)")
    try:
        crypto.check_public_key(key)
    except FormatError:
        raise InputError("malformed public key: not a usable X25519 key") from None
    return key
