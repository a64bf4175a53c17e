"""Stegano (``stegano.lsb``): pure-Python LSB of each RGB value, text messages only."""

from __future__ import annotations

import base64
from pathlib import Path

from .base import Hider, missing_modules, program


class Stegano(Hider):
    name = "stegano"
    note = "text only: payload base64-encoded (as its CLI's -f does)"
    modules = ("stegano.lsb",)

    def missing(self) -> str | None:
        return missing_modules("stegano")

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        from stegano import lsb

        lsb.hide(str(cover), base64.b64encode(payload).decode()).save(out)

    def extract(self, stego: Path, size: int) -> bytes:
        from stegano import lsb

        text = lsb.reveal(str(stego))
        if text is None:
            raise LookupError("no message")
        return base64.b64decode(text)

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return [program("stegano-lsb"), "hide", "-i", str(cover), "-f", str(payload),
                "-o", str(out)]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return [program("stegano-lsb"), "reveal", "-i", str(stego), "-o", str(out)]
