"""stego-lsb (``stegolsb steglsb``): LSB over the flattened values, 2 bits each by default."""

from __future__ import annotations

from pathlib import Path

from .base import Hider, missing_modules, program

BITS = 2  # the tool's default -n


class StegoLsb(Hider):
    name = "stego-lsb"
    note = f"its defaults: {BITS} LSBs per value, PNG compression level 1"
    modules = ("PIL.Image", "stego_lsb.LSBSteg")
    #: It reads and rewrites every value whatever the payload's size (a 20-character message
    #: took as long as 450,000 bytes: 13.0 against 12.8 s at 12 MP).
    short_case = False

    def missing(self) -> str | None:
        return missing_modules("stego_lsb")

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        from PIL import Image
        from stego_lsb import LSBSteg

        with Image.open(cover) as image:
            stego = LSBSteg.hide_message_in_image(image, payload, BITS)
            stego.save(out, compress_level=1)

    def extract(self, stego: Path, size: int) -> bytes:
        from PIL import Image
        from stego_lsb import LSBSteg

        with Image.open(stego) as image:
            return bytes(LSBSteg.recover_message_from_image(image, BITS))

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return [program("stegolsb"), "steglsb", "-h", "-i", str(cover), "-s", str(payload),
                "-o", str(out), "-n", str(BITS)]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return [program("stegolsb"), "steglsb", "-r", "-i", str(stego), "-o", str(out),
                "-n", str(BITS)]

    def stated_capacity(self, cover: Path) -> int:
        """What ``stegolsb steglsb -a`` prints as "we can hide"."""
        from PIL import Image
        from stego_lsb import LSBSteg

        with Image.open(cover) as image:
            return LSBSteg.max_bits_to_hide(image, BITS, len(image.getbands())) // 8
