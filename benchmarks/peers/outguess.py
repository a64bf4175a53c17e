"""OutGuess (Debian package): JPEG DCT coefficients or PNM pixels, command line only."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from .base import KEY, Hider, missing_program


class Outguess(Hider):
    name = "outguess"
    cover_format = "ppm"
    note = "reads no PNG: cover converted to PPM (its lossless input)"
    has_api = False

    def missing(self) -> str | None:
        return missing_program("outguess", "apt-get install outguess")

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return ["outguess", "-k", KEY, "-d", str(payload), str(cover), str(out)]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return ["outguess", "-k", KEY, "-r", str(stego), str(out)]

    def stated_capacity(self, cover: Path) -> int | None:
        """The "Correctable message size" it prints while embedding, in whole bytes."""
        with tempfile.TemporaryDirectory() as scratch:
            one = Path(scratch) / "one"
            one.write_bytes(b"x")
            done = subprocess.run(self.embed_cli(cover, one, Path(scratch) / f"o{cover.suffix}"),
                                  capture_output=True, text=True, check=False)
        found = re.search(r"Correctable message size: (\d+) bits", done.stderr + done.stdout)
        return int(found[1]) // 8 if found else None


class OutguessJpeg(Outguess):
    name = "outguess (JPEG)"
    cover_format = "jpg"
    note = "cover converted to JPEG quality 90; it writes quality 75 (its default)"
