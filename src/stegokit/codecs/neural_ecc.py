"""The neural codec's message channel: framing, CRC, Reed-Solomon and whitening.

A message of at most ``capacity`` bytes becomes exactly ``raw_bits`` raw bits::

    [length: 1 byte][message, zero padded to capacity][CRC-32: 4 bytes] + RS parity

The CRC covers a domain tag, the length and the padded message. The whole Reed-Solomon
codeword is XORed with a pseudo-random mask derived from the same tag, so the all-zero or
highly structured bit patterns a decoder may read from clean images do not decode to
anything, and a frame of one model generation never checks under another's tag: the tag
is the frame's version field.

``V1`` (20 bytes in 512 raw bits) is the shipped model's framing; the module-level
``CAPACITY``, ``RAW_BITS``, :func:`encode` and :func:`decode` are its names.
``docs/model.md`` counts the odds that a clean image decodes to some message.
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np

from stegokit.codecs.reedsolomon import ReedSolomonCode
from stegokit.errors import CapacityError, InputError, NoPayloadError


class Framing:
    """One generation's frame layout.

    Parameters
    ----------
    tag : bytes
        Domain tag of the CRC and the whitening mask (the version).
    raw_bits : int
        Raw bits the model carries (a multiple of 256, at most 2040).
    capacity : int
        Largest message in bytes.
    spare : int
        Parity bytes left unused by the largest erasure set tried when decoding; each one
        divides the chance that noise decodes to some codeword by about 256.
    """

    def __init__(self, tag: bytes, raw_bits: int, capacity: int, spare: int) -> None:
        self.tag, self.raw_bits, self.capacity = tag, raw_bits, capacity
        self.data_bytes = 1 + capacity + 4
        self.nsym = raw_bits // 8 - self.data_bytes
        self.max_erasures = self.nsym - spare
        self.mask = np.frombuffer(
            b"".join(hashlib.sha256(tag + bytes([i])).digest() for i in range(raw_bits // 256)),
            dtype=np.uint8,
        )
        self.rs = ReedSolomonCode(self.nsym)

    def crc(self, block: bytes) -> bytes:
        """CRC-32 of the tag and ``block``, 4 bytes big-endian."""
        return zlib.crc32(self.tag + block).to_bytes(4, "big")

    def encode(self, message: bytes) -> np.ndarray:
        """Frame ``message`` into ``(raw_bits,)`` float32 of 0.0 and 1.0.

        Raises ``CapacityError`` if it is longer than ``capacity`` bytes.
        """
        if len(message) > self.capacity:
            raise CapacityError(f"message is {len(message)} bytes; the neural codec carries "
                                f"at most {self.capacity}")
        block = bytes([len(message)]) + message.ljust(self.capacity, b"\0")
        word = np.frombuffer(self.rs.encode(block + self.crc(block)), dtype=np.uint8)
        return np.unpackbits(word ^ self.mask).astype(np.float32)

    def _check(self, data: bytes) -> bytes | None:
        block, crc = data[: 1 + self.capacity], data[1 + self.capacity :]
        n = block[0]
        if n > self.capacity or crc != self.crc(block) or any(block[1 + n :]):
            return None
        return block[1 : 1 + n]

    def decode(self, logits: np.ndarray) -> bytes:
        """Recover the exact message from per-bit logits (> 0 means 1).

        Tries plain error correction first, then marks growing numbers of the least
        confident bytes as erasures (a NaN logit counts as no confidence at all), up to
        ``max_erasures``; the CRC-32, the length and the zero padding reject what slips
        through. Raises ``NoPayloadError`` if nothing checks out, ``InputError`` if
        ``logits`` is not a ``(raw_bits,)`` array of real numbers.
        """
        logits = np.asarray(logits)
        if logits.shape != (self.raw_bits,) or logits.dtype.kind not in "biuf":
            raise InputError(f"expected ({self.raw_bits},) real logits, "
                             f"got {logits.dtype} {logits.shape}")
        logits = logits.astype(np.float64)  # keeps every sign; no overflow to inf
        word = np.packbits(logits > 0) ^ self.mask
        confidence = np.nan_to_num(np.abs(logits), nan=0.0).reshape(-1, 8).min(axis=1)
        order = np.argsort(confidence, kind="stable")
        for codeword in self.rs.decode_growing(word.tobytes(),
                                               order[: self.max_erasures].tolist()):
            message = self._check(codeword[: self.data_bytes])
            if message is not None:
                return message
        raise NoPayloadError("no neural-codec message found in this image")


V1 = Framing(b"stegokit-neural-v1", 512, 20, spare=2)

RAW_BITS = V1.raw_bits
CAPACITY = V1.capacity
_TAG, _MASK, _RS, _NSYM, _DATA_BYTES = V1.tag, V1.mask, V1.rs, V1.nsym, V1.data_bytes
_crc = V1.crc
encode = V1.encode
decode = V1.decode
