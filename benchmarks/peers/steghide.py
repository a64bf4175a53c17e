"""steghide (Debian package): graph-theoretic embedding in BMP/JPEG/WAV/AU, command line only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .base import KEY, Hider, missing_program

UNITS = {"Byte": 1, "KB": 1024, "MB": 1024**2}


class Steghide(Hider):
    name = "steghide"
    cover_format = "bmp"
    note = "reads no PNG: cover converted to BMP; its defaults (compressed, AES-128 encrypted)"
    has_api = False

    def missing(self) -> str | None:
        return missing_program("steghide", "apt-get install steghide")

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return ["steghide", "embed", "-cf", str(cover), "-ef", str(payload), "-sf", str(out),
                "-p", KEY, "-q", "-f"]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return ["steghide", "extract", "-sf", str(stego), "-xf", str(out), "-p", KEY, "-q",
                "-f"]

    def stated_capacity(self, cover: Path) -> int | None:
        """``steghide info``'s "capacity: 32.0 KB", in bytes (it rounds)."""
        info = subprocess.run(["steghide", "info", str(cover), "-p", KEY],
                              capture_output=True, text=True, check=False).stdout
        found = re.search(r"capacity:\s*([\d.]+)\s*(Byte|KB|MB)", info)
        return round(float(found[1]) * UNITS[found[2]]) if found else None
