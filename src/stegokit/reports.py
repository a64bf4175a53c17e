"""The JSON form of a command's result, one schema for ``--json`` and ``stegokit batch``.

``embed-text --json``, ``extract-text --json`` and ``analyze --json`` print these dicts; the
batch runner writes the same keys into each line of its report (docs/cli.md lists them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import InputError, StegokitError

if TYPE_CHECKING:
    import numpy as np

    from .analysis import Report
    from .api import EmbedResult, Extraction
    from .container import Payload
    from .filetraits import FileTraits
    from .images import Picture


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
    return report


def visible_container(pixels: np.ndarray) -> str | None:
    """A sentence if a stegokit container can be read without any key, else None."""
    from .codecs import lsb

    try:
        found = lsb.extract(pixels)
    except StegokitError:
        return None
    return (f"a plain (unencrypted) stegokit message is readable by anyone: "
            f"{len(found.payload.data)} bytes of {found.payload.kind}")


@dataclass(frozen=True)
class Examination:
    """What ``analyze`` finds in one image file."""

    picture: Picture
    report: Report
    traits: FileTraits
    container: str | None

    def to_dict(self) -> dict:
        """What ``analyze --json`` prints."""
        return {**self.report.to_dict(), "file": self.traits.to_dict(),
                "stegokit_container": self.container}


def examine(path: str | os.PathLike) -> Examination:
    """Run the steganalysis of ``analyze`` on an image file.

    Raises InputError for an unreadable image or one under 4×4 pixels.
    """
    from pathlib import Path

    from . import analysis, filetraits, images

    picture = images.load(path)
    if min(picture.pixels.shape[:2]) < 4:
        raise InputError(f"{os.fspath(path)}: too small to analyse (at least 4×4 pixels)")
    return Examination(picture, analysis.analyze(picture.pixels),
                       filetraits.inspect_file(Path(path).read_bytes()),
                       visible_container(picture.pixels))
