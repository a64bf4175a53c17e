"""The neural codec's message channel: framing, CRC, Reed-Solomon and whitening.

A message of at most ``CAPACITY`` bytes becomes exactly ``RAW_BITS`` raw bits::

    [length: 1 byte][message, zero padded to CAPACITY][CRC-32: 4 bytes] + RS parity

The CRC covers a domain tag, the length and the padded message. The whole Reed-Solomon
codeword is XORed with a fixed pseudo-random mask, so the all-zero or highly structured
bit patterns a decoder may read from clean images do not decode to anything.
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np

from stegokit.codecs.reedsolomon import ReedSolomonCode
from stegokit.errors import CapacityError, InputError, NoPayloadError

RAW_BITS = 512
CAPACITY = 20
_DATA_BYTES = 1 + CAPACITY + 4
_NSYM = RAW_BITS // 8 - _DATA_BYTES
_TAG = b"stegokit-neural-v1"
_MASK = np.frombuffer(
    b"".join(hashlib.sha256(_TAG + bytes([i])).digest() for i in range(RAW_BITS // 256)),
    dtype=np.uint8,
)
_RS = ReedSolomonCode(_NSYM)


def _crc(block: bytes) -> bytes:
    return zlib.crc32(_TAG + block).to_bytes(4, "big")


def encode(message: bytes) -> np.ndarray:
    """Frame ``message`` into raw bits.

    Returns
    -------
    numpy.ndarray
        ``(RAW_BITS,)`` float32 of 0.0 and 1.0.
    """
    if len(message) > CAPACITY:
        raise CapacityError(
            f"message is {len(message)} bytes; the neural codec carries at most {CAPACITY}"
        )
    block = bytes([len(message)]) + message.ljust(CAPACITY, b"\0")
    word = np.frombuffer(_RS.encode(block + _crc(block)), dtype=np.uint8) ^ _MASK
    return np.unpackbits(word).astype(np.float32)


def _check(data: bytes) -> bytes | None:
    block, crc = data[: 1 + CAPACITY], data[1 + CAPACITY :]
    n = block[0]
    if n > CAPACITY or crc != _crc(block) or any(block[1 + n :]):
        return None
    return block[1 : 1 + n]


def decode(logits: np.ndarray) -> bytes:
    """Recover the exact message from per-bit logits (> 0 means 1).

    Tries plain error correction first, then marks growing numbers of the least
    confident bytes as erasures (a NaN logit counts as no confidence at all), up to
    ``_NSYM - 2`` of them: the last try still has two parity bytes to check it, and the
    CRC-32 rejects what slips through. Raises
    ``NoPayloadError`` if nothing checks out, ``InputError`` if ``logits`` is not a
    ``(RAW_BITS,)`` array of real numbers.
    """
    logits = np.asarray(logits)
    if logits.shape != (RAW_BITS,) or logits.dtype.kind not in "biuf":
        raise InputError(f"expected ({RAW_BITS},) real logits, got {logits.dtype} {logits.shape}")
    logits = logits.astype(np.float64)  # keeps every sign; no overflow to inf
    word = np.packbits(logits > 0) ^ _MASK
    confidence = np.nan_to_num(np.abs(logits), nan=0.0).reshape(-1, 8).min(axis=1)
    order = np.argsort(confidence, kind="stable")
    for codeword in _RS.decode_growing(word.tobytes(), order[: _NSYM - 2].tolist()):
        message = _check(codeword[:_DATA_BYTES])
        if message is not None:
            return message
    raise NoPayloadError("no neural-codec message found in this image")
