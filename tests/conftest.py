"""Shared fixtures: real photos, cheap KDF costs, and a private STEGOKIT_HOME for every test."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from stegokit import crypto

#: Argon2id at its cheapest accepted cost, so tests with passphrases run fast.
CHEAP_KDF = crypto.KdfParams(log2_memory_kib=13, iterations=1, lanes=1)

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera")


def require(module: str) -> ModuleType:
    """Import an optional piece a test needs (torch, onnx, a peer tool...).

    Without it the test is skipped, except under ``CI=true``, where the missing piece is a
    failure: a broken CI install must not pass as a row of skips.
    """
    if os.environ.get("CI", "").lower() != "true":
        return pytest.importorskip(module)
    try:
        return importlib.import_module(module)
    except ImportError as error:
        pytest.fail(f"{module} is required under CI=true: {error}", pytrace=False)


def photo(name: str) -> np.ndarray:
    """A real photo from scikit-image's bundled set, as (H, W, C) uint8."""
    pixels = getattr(skdata, name)()
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    """Never touch the real home directory, passphrase or debug settings."""
    home = tmp_path_factory.mktemp("stegokit-home")
    monkeypatch.setenv("STEGOKIT_HOME", str(home))
    for name in ("STEGOKIT_PASSPHRASE", "STEGOKIT_PASSWORD", "STEGOKIT_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    """Make the passphrase KDF cheap for writer and reader alike (tests only; the default
    stays at ~0.2 s, and subprocesses use it)."""
    monkeypatch.setattr(crypto, "DEFAULT_KDF", CHEAP_KDF)
    return CHEAP_KDF


@pytest.fixture
def cover_png(tmp_path) -> str:
    """A real photo saved as PNG through Pillow."""
    path = tmp_path / "cover.png"
    Image.fromarray(photo("astronaut")).save(path)
    return str(path)


@pytest.fixture
def terminal(monkeypatch):
    """CliRunner's input stands for a person typing at a terminal: prompts are asked (a real
    process without a terminal refuses them; tests/test_cli.py runs one)."""
    from stegokit.cli import common

    monkeypatch.setattr(common, "has_terminal", lambda: True)
