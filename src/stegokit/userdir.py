"""Where the user's stegokit data lives: ``STEGOKIT_HOME``, else the platform's data folder.

- Linux and other Unix: ``$XDG_DATA_HOME/stegokit``, else ``~/.local/share/stegokit``;
- macOS: ``~/Library/Application Support/stegokit``;
- Windows: ``%APPDATA%\\stegokit``.

A folder stegokit creates is private to the user (mode 0700 where the platform has modes);
one that already exists keeps its mode.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import StegokitError

APP_NAME = "stegokit"


def data_dir() -> Path:
    """The folder for stegokit's data (not created)."""
    override = os.environ.get("STEGOKIT_HOME")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA")
        return Path(base) / APP_NAME if base else Path.home() / "AppData" / "Roaming" / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / APP_NAME


def ensure_data_dir() -> Path:
    """Create the data folder if needed, private (0700).

    A folder that already exists keeps its mode: it may be one the user chose
    (``STEGOKIT_HOME``) and shares with other files. Missing parent folders are made with
    the usual mode.
    """
    folder = data_dir()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise StegokitError(f"{folder}: exists and is not a folder") from None
    except OSError as exc:
        raise StegokitError(f"{folder}: cannot create the stegokit data folder ({exc})") from None
    return folder
