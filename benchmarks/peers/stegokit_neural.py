"""stegokit's neural codec (``stegokit.codecs.neural``): a short message that survives JPEG."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from .base import Hider, Marker, missing_modules
from .stegokit import stegokit_command

MODULE = "stegokit.codecs.neural"


class Neural(Marker):
    name = "stegokit neural"

    def missing(self) -> str | None:
        gone = missing_modules("stegokit")
        if gone:
            return gone
        if importlib.util.find_spec(MODULE) is None:
            return f"not available (module {MODULE} missing: not landed yet)"
        return None

    def mark(self, pixels: np.ndarray, message: bytes) -> np.ndarray:
        from stegokit.codecs import neural

        return neural.embed(pixels, message)

    def read(self, pixels: np.ndarray, length: int) -> bytes:
        from stegokit.codecs import neural

        return neural.extract(pixels)


class NeuralFiles(Hider):
    """The neural codec from file to file through stegokit's API (as the CLI does: stegokit's
    PNG writer), for the short-message timings."""

    name = "stegokit neural"
    note = "short messages only; JPEG-robust"
    short_only = True
    modules = ("stegokit", "stegokit.api", "stegokit.images", MODULE)

    def __init__(self):
        self.marker = Neural()

    def missing(self) -> str | None:
        return self.marker.missing()

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        import stegokit

        stegokit.embed_text(cover, payload.decode("utf-8"), method="neural").save(out, force=True)

    def extract(self, stego: Path, size: int) -> bytes:
        import stegokit

        return stegokit.extract_text(stego, method="neural").payload.data

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return [*stegokit_command(), "embed-text", str(cover), "-o", str(out), "--method",
                "neural", "--message-file", str(payload), "--force"]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return [*stegokit_command(), "extract-text", str(stego), "-o", str(out), "--force"]
