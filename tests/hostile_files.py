"""Hostile stego images for the security tests, and a command that writes them for measuring.

``python tests/hostile_files.py OUT_DIR`` writes each file below; docs/security.md gives the
commands that time each one through the CLI.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from stegokit import container, crypto, elligator
from stegokit.codecs import imagehide, lsb


def save(pixels: np.ndarray, path: Path) -> Path:
    Image.fromarray(pixels.squeeze() if pixels.shape[2] == 1 else pixels).save(path)
    return path


def zip_bomb() -> np.ndarray:
    """An 860 x 860 image whose plain container holds 1 MB of zlib inflating to 1 GiB."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    body = bytearray(deflate.compress(bytes([1, 0])))  # record: a file, no name
    zeros = bytes(1 << 24)
    for _ in range(64):
        body += deflate.compress(zeros)
    body += deflate.flush()
    header = container.Header(container.FLAG_COMPRESSED, container.CODEC_LSB,
                              lsb.layout_param(4), len(body)).pack()
    data = header + bytes(body) + zlib.crc32(header + bytes(body)).to_bytes(4, "big")
    cover = np.random.default_rng(0).integers(1, 255, (860, 860, 3), np.uint8)
    return lsb.embed(cover, data, bits=4, rng=0)[0]


def flat_png(side: int) -> bytes:
    """A 1-bit PNG of ``side`` x ``side`` white pixels, written by hand (14000: 41 KB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    ihdr = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def hidden_image_bomb(cover: np.ndarray, side: int = 14000) -> np.ndarray:
    """``cover`` hiding (hide-image, lossless) a flat ``side`` x ``side`` PNG."""
    packed = container.pack(container.Payload(flat_png(side), "image", "secret.png"),
                            codec=container.CODEC_IMAGE,
                            param=imagehide.param(imagehide.LOSSLESS, 1, packed=True))
    return lsb.embed(cover, packed, bits=1, rng=0)[0]


def v1_key_block(scheme: int, params: bytes, head: bytes | None = None) -> bytes:
    """A version 1 key block: ``head`` (random by default), then the masked parameters."""
    head = os.urandom(32) if head is None else head
    mask = hashlib.sha256(b"stegokit key block v1" + head).digest()[:4]
    return head + bytes(a ^ b for a, b in zip(bytes([scheme]) + params, mask, strict=True))


def with_v1_key_block(pixels: np.ndarray, block: bytes) -> np.ndarray:
    """``pixels`` with a version 1 key block written where version 1 put it."""
    out = pixels.copy()
    where = lsb.Carrier(out, 4, encrypted=True).key_block_flat(crypto.V1_KEY_BLOCK_SIZE)
    flat = out.reshape(-1)
    flat[where] = (flat[where] & 0xFE) | np.unpackbits(np.frombuffer(block, np.uint8))
    return out


def kdf_bomb(cover: np.ndarray) -> np.ndarray:
    """``cover`` with a version 1 passphrase key block asking for 1 GiB and 10 passes."""
    return with_v1_key_block(cover, v1_key_block(crypto.SCHEME_PASSPHRASE, bytes([20, 10, 1])))


def low_order_key(cover: np.ndarray, u: int = elligator.ORDER8_U) -> np.ndarray:
    """``cover`` with a version 1 recipient key block whose ephemeral key has a low order."""
    return with_v1_key_block(cover, v1_key_block(crypto.SCHEME_RECIPIENT, bytes(3),
                                                 u.to_bytes(32, "little")))


def main(folder: Path) -> None:
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    cover = data.astronaut()
    for name, pixels in [("zip-bomb.png", zip_bomb()),
                         ("hidden-image-bomb.png", hidden_image_bomb(cover)),
                         ("kdf-bomb.png", kdf_bomb(cover)),
                         ("low-order-key.png", low_order_key(cover))]:
        print(save(pixels, folder / name))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
