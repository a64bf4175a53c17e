"""Helpers for the keyring, recipient and mail tests: a private home, cheap keys, the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skdata
from typer.testing import CliRunner

from stegokit import crypto
from stegokit.cli import app

#: Argon2id at its cheapest accepted cost (tests only; the default stays ~0.2 s per guess).
CHEAP_KDF = crypto.KdfParams(log2_memory_kib=13, iterations=1, lanes=1)
CHEAP_KDF_ENV = "13,1,1"
_CLEARED = ("STEGOKIT_PASSWORD", "STEGOKIT_NEW_PASSWORD", "STEGOKIT_PASSPHRASE",
            "STEGOKIT_DEBUG", "STEGOKIT_SMTP_HOST", "STEGOKIT_SMTP_PORT",
            "STEGOKIT_SMTP_SECURITY", "STEGOKIT_SMTP_USER", "STEGOKIT_SMTP_PASSWORD")


def isolate(monkeypatch, tmp_path: Path) -> Path:
    """Point STEGOKIT_HOME at a fresh folder, make keyring keys cheap, clear secrets."""
    home = tmp_path / "home"
    monkeypatch.setenv("STEGOKIT_HOME", str(home))
    monkeypatch.setenv("STEGOKIT_KEYRING_KDF", CHEAP_KDF_ENV)
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    return home


def run(*args: str, password: str | None = None, stdin: str | None = None, **env: str):
    """Invoke ``stegokit ARGS`` in-process; ``password`` goes in STEGOKIT_PASSWORD."""
    extra = dict(env)
    if password is not None:
        extra["STEGOKIT_PASSWORD"] = password
    return CliRunner().invoke(app, list(args), input=stdin, env=extra)


def subprocess_env(home: Path) -> dict[str, str]:
    """The environment for ``python -m stegokit`` subprocesses on this home."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(STEGOKIT_HOME=str(home), STEGOKIT_KEYRING_KDF=CHEAP_KDF_ENV,
               PYTHONPATH=src + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def write_cover(path: Path) -> Path:
    """A real photo (scikit-image's astronaut, cropped) saved as PNG through Pillow."""
    pixels: np.ndarray = skdata.astronaut()[:256, :256]
    Image.fromarray(pixels).save(path)
    return path


def register(email: str, password: str, name: str | None = None):
    """Register a user through the CLI and check it worked."""
    result = run("user", "register", "--name", name or email.split("@")[0].title(),
                 "--email", email, password=password)
    assert result.exit_code == 0, result.output
    return result
