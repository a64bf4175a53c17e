"""The JSON form of a command's result, one schema for ``--json`` and ``stegokit batch``.

``embed-text --json``, ``extract-text --json`` and ``analyze --json`` print these dicts; the
batch runner writes the same keys into each line of its report (docs/cli.md lists them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from .analysis import Report
    from .api import EmbedResult, Extraction
    from .container import Payload
    from .filetraits import FileTraits
    from .images import Picture
    from .keyless import Found
    from .progress import Progress


def embed_report(result: EmbedResult, payload: Payload, output: str | os.PathLike,
                 removed: tuple[str, ...] | list[str] = ()) -> dict:
    """What ``embed-text --json`` prints for ``payload`` hidden by ``result`` in ``output``;
    ``removed`` names the metadata that saving left out."""
    return {
        "output": os.fspath(output),
        "method": result.method,
        "bits": result.bits,
        "encrypted": result.encrypted,
        "kind": payload.kind,
        "payload_bytes": len(payload.data),
        "stored_bytes": result.stored_bytes,
        "capacity": result.capacity,
        "changed": result.changed,
        "rate": result.rate,
        "psnr": result.psnr,
        "removed_metadata": list(removed),
        "notices": list(result.notices),
    }


def extract_report(found: Extraction, output: str | os.PathLike | None = None) -> dict:
    """What ``extract-text --json`` prints; ``output`` is where the payload was written."""
    payload = found.payload
    report = {"method": found.method, "bits": found.bits, "kind": payload.kind,
              "size": len(payload.data), "encrypted": found.encrypted}
    if payload.kind == "text":
        report["text"] = payload.text
    if payload.name:
        report["name"] = payload.name
    if output is not None:
        report["output"] = os.fspath(output)
    report["notices"] = list(found.notices)
    return report


@dataclass(frozen=True)
class Examination:
    """What ``analyze`` finds in one image file: the statistics (with the verdict, raised
    when a payload is readable without a key), the file's traits, and that payload."""

    picture: Picture
    report: Report
    traits: FileTraits
    readable: Found | None

    @property
    def container(self) -> str | None:
        """The sentence saying what stegokit data is readable without a key, or None."""
        return self.readable.sentence() if self.readable else None

    def to_dict(self) -> dict:
        """What ``analyze --json`` prints."""
        return {**self.report.to_dict(), "file": self.traits.to_dict(),
                "stegokit_container": self.container,
                "readable_payload": self.readable.to_dict() if self.readable else None,
                "notices": list(self.picture.notices)}


def examine(path: str | os.PathLike, progress: Progress | None = None) -> Examination:
    """Run the steganalysis of ``analyze`` on an image file; ``progress`` hears of the
    stages (:mod:`stegokit.progress`).

    Raises InputError for an unreadable image or one under 4×4 pixels.
    """
    from pathlib import Path

    from . import analysis, filetraits, images, keyless
    from .progress import stage

    stage(progress, "Reading the image")
    picture = images.load(path)
    if min(picture.pixels.shape[:2]) < 4:
        raise InputError(f"{os.fspath(path)}: too small to analyse (at least 4×4 pixels)")
    report = analysis.analyze(picture.pixels, progress=progress)
    stage(progress, "Looking for stegokit data")
    readable = keyless.find(picture.pixels)
    if readable is not None:
        report = report.with_finding(readable.sentence(), "likely stego")
    else:
        report = report.noting(keyless.UNSEEN)
    return Examination(picture, report, filetraits.inspect_file(Path(path).read_bytes()),
                       readable)
