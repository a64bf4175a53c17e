"""stegokit's LSB codec (1 bit per value, its default), plain and passphrase-encrypted."""

from __future__ import annotations

import sys
from pathlib import Path

from .base import KEY, Hider, missing_modules, program


def stegokit_command() -> list[str]:
    """Its console script (beside this Python or on PATH), else ``python -m stegokit``."""
    script = program("stegokit")
    return [script] if script else [sys.executable, "-m", "stegokit"]


class Stegokit(Hider):
    name = "stegokit"
    note = "1 bit per value (default); payload as a file"
    # ``import stegokit`` is lazy: these load what embed_text and extract_text use (NumPy,
    # Pillow, cryptography), as the peers' own imports do before their timed calls.
    modules = ("stegokit", "stegokit.api", "stegokit.codecs.lsb", "stegokit.crypto",
               "stegokit.images")
    passphrase: str | None = None

    def missing(self) -> str | None:
        return missing_modules("stegokit")

    def cli_env(self) -> dict[str, str]:
        return {"STEGOKIT_PASSPHRASE": self.passphrase} if self.passphrase else {}

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        import stegokit

        stegokit.embed_text(cover, payload, passphrase=self.passphrase).save(out, force=True)

    def extract(self, stego: Path, size: int) -> bytes:
        import stegokit

        return stegokit.extract_text(stego, passphrase=self.passphrase).payload.data

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return [*stegokit_command(), "embed-text", str(cover), "-o", str(out), "--file",
                str(payload), "--force"]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return [*stegokit_command(), "extract-text", str(stego), "-o", str(out), "--force"]

    def stated_capacity(self, cover: Path) -> int:
        import stegokit

        report = stegokit.capacity(cover)
        return (report.lsb_encrypted if self.passphrase else report.lsb)[1]


class StegokitEncrypted(Stegokit):
    name = "stegokit -p"
    note = "AES-256-CBC + HMAC, Argon2id key (~0.2 s); passphrase from STEGOKIT_PASSPHRASE"
    passphrase = KEY
