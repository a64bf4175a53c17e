"""What a batch does to one file, in a worker process: embed, extract or analyze.

A task is a small frozen dataclass (pickled to local workers and Dask workers alike); its
``apply`` returns the keys of the single-file ``--json`` (:mod:`stegokit.reports`), and
:func:`execute` wraps them into a report record, turning any error into a record too, so
that one bad file never stops a batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..errors import CapacityError, OutputError, StegokitError

#: The output format of each embedding method.
SUFFIXES = {"lsb": ".png", "neural": ".jpg"}


@dataclass(frozen=True)
class Job:
    """One input file and what to do with it.

    ``input`` is absolute; ``relative`` (POSIX, below the batch's root) names the outputs and
    the manifest rows; ``message`` (text) or ``payload`` (a file's path) is what embed hides.
    """

    input: str
    relative: str
    output: str | None = None
    message: str | None = None
    payload: str | None = None


def _own_output(path: str, force: bool) -> Path:
    """The output's folder made; an existing output refused without ``force``."""
    target = Path(path)
    if target.exists() and not force:
        raise OutputError(f"{path} exists; use --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target.parent}: cannot create the folder ({exc.strerror})") from None
    return target


def _seeded(seed: int | None, relative: str):
    """A generator for one file: the same for the same seed and relative path, anywhere."""
    import numpy as np

    if seed is None:
        return np.random.default_rng()
    digest = hashlib.sha256(relative.encode("utf-8")).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "big")])


@dataclass(frozen=True)
class Embed:
    """Hide a message in every file; outputs go under ``output_dir`` (see :class:`Job`).

    ``payload_rate`` (bits per value) hides random bytes sized to that rate instead of a
    message (LSB only), drawn from ``seed`` and the file's relative path.
    """

    output_dir: str
    method: str = "lsb"
    bits: int = 1
    stealth: bool = False
    quality: int = 95
    payload_rate: float | None = None
    seed: int | None = None
    force: bool = False
    passphrase: str | None = field(default=None, repr=False)
    recipient: bytes | None = None

    name = "embed"

    def output_for(self, relative: str) -> str:
        stem = Path(relative).with_suffix(SUFFIXES[self.method])
        return os.path.join(self.output_dir, *stem.parts)

    def settings(self) -> dict:
        """What decides the outputs, without the passphrase (for the resume check)."""
        kept = {k: v for k, v in asdict(self).items()
                if k not in ("passphrase", "recipient", "force", "output_dir")}
        kept["encrypted"] = "passphrase" if self.passphrase else self.recipient is not None
        if self.recipient is not None:
            kept["recipient"] = self.recipient.hex()
        return kept

    def warm_up(self) -> None:
        from .. import api  # noqa: F401  (the codecs and crypto, once per worker)

        if self.method == "neural":
            from ..codecs.neural_model import session

            for name in ("encoder", "decoder", "compose"):
                session(name)

    def _payload(self, job: Job, pixels_shape):
        from .. import api, container, crypto
        from ..codecs import lsb

        if job.payload is not None:
            return api.file_payload(job.payload)
        if self.payload_rate is None:
            return container.Payload.from_text(job.message or "")
        room = int(self.payload_rate * lsb.value_count(pixels_shape) / 8)
        if self.passphrase or self.recipient:
            room -= crypto.KEY_BLOCK_SIZE
        size = container.max_record(room, encrypted=bool(self.passphrase or self.recipient))
        size -= container.RECORD_OVERHEAD
        if size < 1:
            raise CapacityError(f"{job.input}: a payload rate of {self.payload_rate} bits per "
                                "value leaves no room for a payload in this image")
        return container.Payload(_seeded(self.seed, "payload:" + job.relative).bytes(size),
                                 "file", "")

    def apply(self, job: Job) -> dict:
        from .. import api, images, reports

        target = _own_output(job.output, self.force)
        picture = images.load(job.input)
        payload = self._payload(job, picture.pixels.shape)
        result = api.embed_text(picture.pixels, payload, method=self.method, bits=self.bits,
                                stealth=self.stealth, passphrase=self.passphrase,
                                recipient=self.recipient, rng=_seeded(self.seed, job.relative))
        # embedded from the pixels, so keep the file's metadata and notices as embed-text does
        result = replace(result, picture=picture.with_pixels(result.pixels),
                         notices=picture.notices + result.notices)
        removed = result.save(target, force=self.force, quality=self.quality)
        return {**reports.embed_report(result, payload, target, removed),
                "notices": list(result.notices)}


#: The suffix of a file payload's stored name kept for its output (anything else: .bin).
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,12}")


@dataclass(frozen=True)
class Extract:
    """Recover the hidden message of every file; with ``output_dir``, write each payload to
    ``<output_dir>/<relative path's stem>`` + ``.txt`` (text) or its own suffix (files)."""

    output_dir: str | None = None
    method: str = "auto"
    max_payload: int | None = None
    force: bool = False
    passphrase: str | None = field(default=None, repr=False)
    private_key: bytes | None = field(default=None, repr=False)

    name = "extract"

    def output_for(self, relative: str) -> str | None:
        return None  # known once the payload's kind is

    def settings(self) -> dict:
        return {"method": self.method, "max_payload": self.max_payload,
                "secret": bool(self.passphrase or self.private_key),
                "output_dir": self.output_dir}

    def warm_up(self) -> None:
        from .. import api  # noqa: F401

        if self.method in ("auto", "neural"):
            from ..codecs.neural_model import session

            session("decoder")

    def _target(self, job: Job, payload) -> str:
        suffix = ".txt" if payload.kind == "text" else ".bin"
        if payload.kind != "text" and _SAFE_SUFFIX.fullmatch(Path(payload.name).suffix):
            suffix = Path(payload.name).suffix
        stem = Path(job.relative).with_suffix(suffix)
        return os.path.join(self.output_dir, *stem.parts)

    def apply(self, job: Job) -> dict:
        from .. import api, images, reports

        found = api.extract_text(job.input, passphrase=self.passphrase,
                                 private_key=self.private_key, method=self.method,
                                 max_payload=self.max_payload)
        target = None
        if self.output_dir is not None:
            target = _own_output(self._target(job, found.payload), self.force)
            images.write_atomic(target, found.payload.data, force=self.force)
        return {**reports.extract_report(found, target), "notices": list(found.notices)}


@dataclass(frozen=True)
class Analyze:
    """The steganalysis of ``stegokit analyze`` on every file."""

    name = "analyze"

    def output_for(self, relative: str) -> None:
        return None

    def settings(self) -> dict:
        return {}

    def warm_up(self) -> None:
        from .. import analysis, filetraits, reports  # noqa: F401

    def apply(self, job: Job) -> dict:
        from .. import reports

        found = reports.examine(job.input)
        return {**found.to_dict(), "notices": list(found.picture.notices)}


Task = Embed | Extract | Analyze


def job_key(task: Task, job: Job) -> str:
    """What a finished record must match to be skipped on a rerun.

    It covers the task's settings and the message of a plain embed; never a secret, nor
    anything derived from the message of an encrypted one (a digest of a short message
    would let anyone holding the report test guesses).
    """
    settings = {"task": task.name, **task.settings(), "input": job.input, "output": job.output}
    if task.name == "embed" and not settings["encrypted"]:
        settings["message"] = job.message
        settings["payload"] = job.payload
    canonical = json.dumps(settings, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


def error_fields(exc: BaseException) -> dict:
    """The record of a failure: its ``error`` object (:data:`stegokit.reports.ERROR_SCHEMA`),
    with the exit code the single command would have ended with (``stegokit.cli.main``)."""
    from ..reports import error_kind, error_object

    if isinstance(exc, StegokitError):
        error = error_object(exc.exit_code, error_kind(exc), str(exc))
    elif isinstance(exc, MemoryError):
        error = error_object(1, "memory", "out of memory (lower --jobs or --memory-budget)")
    else:
        error = error_object(1, "internal", f"internal error: {exc!r} (rerun the file alone "
                             "with --debug)")
    return {"status": "failed", "error": error}


def base_record(task: Task, job: Job) -> dict:
    """A record's keys that do not depend on the outcome."""
    return {"task": task.name, "job": job_key(task, job), "input": job.input,
            "output": job.output, "status": "done", "error": None}


def execute(task: Task, job: Job) -> dict:
    """Run ``task`` on one file and return its report record; never raises for a bad file."""
    start = time.perf_counter()
    record = base_record(task, job)
    try:
        record.update(task.apply(job))
    except Exception as exc:  # a bad file is a record, never the end of the batch
        record.update(error_fields(exc))
    record["seconds"] = round(time.perf_counter() - start, 4)
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return record

