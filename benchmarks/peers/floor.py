"""The floor: Pillow decoding and re-encoding the same file with its defaults (PNG level 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import Hider, missing_modules


class Floor(Hider):
    name = "Pillow load+save"
    note = "no hiding: load, then save with Pillow's defaults; extract = load only"
    has_cli = False
    verifies = False
    modules = ("PIL.Image",)

    def missing(self) -> str | None:
        return missing_modules("PIL")

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        from PIL import Image

        with Image.open(cover) as image:
            pixels = np.asarray(image)
        Image.fromarray(pixels).save(out)

    def extract(self, stego: Path, size: int) -> bytes:
        from PIL import Image

        with Image.open(stego) as image:
            np.asarray(image)
        return b""
