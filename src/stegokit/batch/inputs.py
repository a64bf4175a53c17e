"""Which files a batch reads: a folder (recursive), or a list of paths; and the manifest.

Every input becomes an absolute path (workers may run elsewhere, from another folder) and a
relative POSIX path below the batch's root, which names its outputs and its manifest row.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError

#: What a folder contributes without ``--glob``: the image files stegokit reads.
IMAGE_SUFFIXES = frozenset({".png", ".bmp", ".tif", ".tiff", ".webp", ".gif",
                            ".jpg", ".jpeg", ".jpe", ".jfif"})


def _visible(path: Path, root: Path) -> bool:
    """False for hidden files and folders (temporary files of interrupted writes)."""
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def from_folder(folder: str | os.PathLike, pattern: str | None = None,
                exclude: Iterable[str | os.PathLike] = ()) -> list[tuple[str, str]]:
    """``(absolute path, relative path)`` of the images below ``folder``, sorted.

    ``pattern`` is a glob relative to the folder (``**/*.png``); without it, every file with
    an image suffix, recursively. Hidden files and anything below ``exclude`` (the outputs,
    when they are inside the input folder) are left out.
    """
    root = Path(folder).resolve()
    if not root.is_dir():
        raise InputError(f"{os.fspath(folder)}: not a folder")
    skipped = [Path(p).resolve() for p in exclude]
    found = root.glob(pattern) if pattern else root.rglob("*")
    picked = []
    for path in found:
        if not path.is_file() or not _visible(path, root):
            continue
        if pattern is None and path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if any(path.is_relative_to(out) for out in skipped):
            continue
        picked.append((str(path), path.relative_to(root).as_posix()))
    return sorted(picked, key=lambda pair: pair[1])


def from_list(paths: Iterable[str | os.PathLike]) -> list[tuple[str, str]]:
    """``(absolute path, relative path)`` of listed files, relative to their common folder.

    Blank lines and duplicates are dropped; the order is kept.
    """
    absolute = list(dict.fromkeys(str(Path(p).resolve()) for p in paths if str(p).strip()))
    if not absolute:
        return []
    root = Path(os.path.commonpath([str(Path(p).parent) for p in absolute]))
    return [(p, Path(p).relative_to(root).as_posix()) for p in absolute]


def read_list(text: str) -> list[str]:
    """The paths of a list file or of stdin: one per line, blank lines ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_manifest(path: str | os.PathLike) -> dict[str, tuple[str | None, str | None]]:
    """A manifest's ``relative path -> (message, payload file)``.

    A CSV file with a header row: ``file`` (the input's path relative to the batch's root, as
    in the outputs) and ``message`` (text to hide) or ``payload`` (a file to hide, relative
    to the manifest's folder), one of the two per row.
    """
    source = Path(path)
    try:
        with source.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{os.fspath(path)}: cannot read the manifest ({exc})") from None
    if not rows or "file" not in rows[0] or not {"message", "payload"} & rows[0].keys():
        raise InputError(f"{os.fspath(path)}: a manifest needs a header row with the columns "
                         "file and message (or payload)")
    entries: dict[str, tuple[str | None, str | None]] = {}
    for number, row in enumerate(rows, start=2):
        message, payload = row.get("message") or None, row.get("payload") or None
        if not row.get("file") or (message is None) == (payload is None):
            raise InputError(f"{os.fspath(path)}, line {number}: give a file and exactly one "
                             "of message or payload")
        key = Path(row["file"]).as_posix()
        if payload is not None:
            payload = str((source.parent / payload).resolve())
        entries[key] = (message, payload)
    return entries
