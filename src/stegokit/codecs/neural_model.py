"""Locate, verify and load the neural codec's ONNX models (one session each per process)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from stegokit.errors import StegokitError

MANIFEST = "SHA256SUMS"


class ModelError(StegokitError):
    """A shipped model file is missing or does not match its checksum."""


def model_dir() -> Path:
    """The folder holding the ONNX files and their ``SHA256SUMS`` manifest.

    The installed package ``stegokit.models`` when present (wheel or editable install),
    else ``<repo>/models`` of a source checkout.
    """
    try:
        import stegokit.models as pkg

        return Path(next(iter(pkg.__path__)))
    except ImportError:
        return Path(__file__).resolve().parents[3] / "models"


def verified_path(name: str, folder: Path | None = None) -> Path:
    """Path of ``<name>.onnx`` after checking it against the manifest.

    Raises
    ------
    ModelError
        The file or manifest is missing, or the file's SHA-256 differs.
    """
    folder = model_dir() if folder is None else folder
    path, manifest = folder / f"{name}.onnx", folder / MANIFEST
    if not path.is_file() or not manifest.is_file():
        raise ModelError(f"neural codec model {path} or its {MANIFEST} is missing; reinstall")
    expected = {
        fname.lstrip("*"): digest
        for digest, fname in (line.split() for line in manifest.read_text().splitlines() if line)
    }.get(path.name)
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise ModelError(
            f"neural codec model {path} is damaged or altered: its SHA-256 is {actual}, "
            f"the manifest says {expected}; reinstall stegokit"
        )
    return path


#: Threads each onnxruntime session may use; None leaves onnxruntime's default (all cores).
_threads: int | None = None


def limit_threads(count: int) -> None:
    """Let sessions made from now on use at most ``count`` threads: a batch worker process
    shares the cores with its siblings, and more threads than cores only slows them down."""
    global _threads
    _threads = max(1, count)


@functools.cache
def session(name: str):
    """Cached onnxruntime session for ``<name>.onnx`` (``encoder``, ``decoder``, ``compose``)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if _threads is not None:
        opts.intra_op_num_threads = _threads
        opts.inter_op_num_threads = 1
    return ort.InferenceSession(
        str(verified_path(name)), opts, providers=["CPUExecutionProvider"]
    )
