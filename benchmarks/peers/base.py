"""What every peer adapter offers; a tool leaves out what it does not have.

Data hiders (``Hider``) carry arbitrary bytes in a lossless image through an in-process API
and/or a command line. Watermarkers (``Marker``) carry a few bits in pixels and are read back
after JPEG or resizing.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np

#: The passphrase or key for tools that require one.
KEY = "benchmark-key"


def missing_modules(*names: str) -> str | None:
    """Why a Python tool is unavailable (the first module that does not import), or None."""
    for name in names:
        try:
            if importlib.util.find_spec(name) is None:
                return f"not installed (module {name} missing)"
        except ModuleNotFoundError:
            return f"not installed (module {name} missing)"
    return None


def program(name: str) -> str | None:
    """A command's path: beside this Python first (a virtual environment), then on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def missing_program(name: str, install: str) -> str | None:
    return None if program(name) else f"not installed ({name} not found; {install})"


class Hider:
    """A tool that hides bytes in a lossless image.

    ``cover_format`` is the file type it reads and writes ("png", "bmp" or "ppm"); ``note``
    says how the benchmark feeds it (encodings, defaults). CLI methods return an argv.
    """

    name = ""
    cover_format = "png"
    note = ""
    has_api = True
    has_cli = True
    #: A watermarker that carries only short messages (not the large payload).
    short_only = False
    #: Timed with the short message too (False where that would only repeat another row).
    short_case = True
    #: False for the floor, which hides nothing and so has nothing to check.
    verifies = True
    #: Imported before an API call is timed, so the time is the call's, not the import's.
    modules: tuple[str, ...] = ()

    def missing(self) -> str | None:
        """Why the tool cannot run here, or None."""
        raise NotImplementedError

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        """Read ``cover``, hide ``payload``, write ``out`` (the timed in-process call)."""
        raise NotImplementedError

    def extract(self, stego: Path, size: int) -> bytes:
        """The hidden bytes (``size`` is told to tools that need it); raise if none found."""
        raise NotImplementedError

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        raise NotImplementedError

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        """Write the hidden bytes to ``out`` (see ``cli_result`` for tools that print them)."""
        raise NotImplementedError

    def cli_env(self) -> dict[str, str]:
        """Extra environment for its commands."""
        return {}

    def cli_stdin(self) -> bytes:
        """What its commands read on stdin (a password prompt's answer)."""
        return b""

    def cli_result(self, stdout: bytes, out: Path) -> bytes:
        """What the extracting command recovered."""
        return out.read_bytes()

    def stated_capacity(self, cover: Path) -> int | None:
        """The payload bytes the tool says this cover holds, or None if it does not say."""
        return None


class Marker:
    """A watermarker: a short message into RGB pixels, read back from (damaged) pixels."""

    name = ""
    #: Message length it supports, in bytes (None: any).
    fixed_bytes: int | None = None

    def missing(self) -> str | None:
        raise NotImplementedError

    def mark(self, pixels: np.ndarray, message: bytes) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB in, marked pixels out."""
        raise NotImplementedError

    def read(self, pixels: np.ndarray, length: int) -> bytes:
        """The ``length``-byte message read from the pixels; raise if none is found."""
        raise NotImplementedError
