"""Run embed, extract or analyze over many files: in parallel, resumable, on Dask if asked.

Example::

    from stegokit import batch

    task = batch.Embed(output_dir="stego", method="lsb")
    with batch.run(task, "photos", message="(c) ACME 2026", report="stego/report.jsonl") as run:
        for record in run:
            print(record["input"], record["status"])
    print(run.summary())

Each record has the keys of the single-file ``--json`` (:mod:`stegokit.reports`) plus
``task``, ``job`` (what a rerun must match to skip the file), ``input``, ``output``,
``status`` (``done``, ``failed``, ``skipped``), ``error`` (null, or the failure's code, kind
and message, as a command's ``--json`` prints it), ``notices``, ``seconds`` and ``worker``.
Every record but the skipped ones is appended to the report as it arrives; a rerun with the
same arguments skips a file whose record says done and whose output still exists.
docs/batch.md has the whole story.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import InputError, OutputError, StegokitError
from . import executors, inputs, memory, report
from .inputs import read_list, read_manifest
from .tasks import Analyze, Embed, Extract, Job, Task, base_record, error_fields, job_key

__all__ = ["Analyze", "Embed", "Extract", "Job", "Run", "default_jobs", "read_list",
           "read_manifest", "run"]


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _profile(task: Task) -> str:
    return task.method if task.name == "embed" else task.name


class Run:
    """A planned batch: iterate it for its records (skipped files first, then the others
    as they finish); close it (or use ``with``) to stop early without losing a record.

    While it runs, Ctrl-C or SIGTERM stops sending files; those in flight finish and are
    recorded, then KeyboardInterrupt (or SystemExit 143) is raised.
    """

    def __init__(self, task: Task, items: list[tuple[str, str]], *, report_path: str,
                 message: str | None, manifest: dict | None, jobs: int | None,
                 scheduler: str | None, memory_budget: int | None) -> None:
        self.task = task
        self.report_path = report_path
        self.scheduler = scheduler
        self.notices: list[str] = []
        self.planned: list[dict] = []  # skipped, or failed before any work
        self.todo: list[Job] = []
        finished = report.finished(report.read(report_path))
        claimed: dict[str, str] = {}
        for path, relative in items:
            message_of, payload = message, None
            if manifest is not None:
                message_of, payload = manifest.get(relative, (None, None))
            job = Job(path, relative, task.output_for(relative), message_of, payload)
            key = job_key(task, job)
            if key in finished and (finished[key] is None or os.path.exists(finished[key])):
                self.planned.append({**base_record(task, job), "status": "skipped",
                                     "output": finished[key], "seconds": None, "worker": None})
            elif manifest is not None and message_of is None and payload is None:
                self._refuse(job, InputError(f"{relative}: no row for this file in the manifest"))
            elif job.output is not None and job.output in claimed:
                self._refuse(job, OutputError(f"{path} and {claimed[job.output]} would both be "
                                              f"written to {job.output}: rename one"))
            else:
                if job.output is not None:
                    claimed[job.output] = path
                self.todo.append(job)
        self.total = len(items)
        wanted = jobs or default_jobs()
        self.workers = max(1, min(wanted, len(self.todo)))
        if scheduler is None and self.todo:
            self.workers, note = memory.fit(self.workers, _profile(task),
                                            [job.input for job in self.todo], memory_budget)
            if note:
                self.notices.append(note)
        self.counts = {"done": 0, "skipped": 0, "failed": 0}
        self.seconds = 0.0
        self._records: Iterator[dict] | None = None

    def _refuse(self, job: Job, error: StegokitError) -> None:
        self.planned.append({**base_record(self.task, job), **error_fields(error),
                             "seconds": None, "worker": None})

    def __iter__(self) -> Iterator[dict]:
        if self._records is None:
            self._records = self._run()
        return self._records

    def _run(self) -> Iterator[dict]:
        start = time.perf_counter()
        with report.open_for_append(self.report_path) as sink:
            def done(record: dict) -> None:
                self.counts[record["status"]] += 1
                sink.write(report.dumps(record) + "\n")
                sink.flush()

            try:
                for record in self.planned:
                    if record["status"] == "skipped":
                        self.counts["skipped"] += 1
                    else:
                        done(record)
                    yield record
                if not self.todo:
                    return
                with _signals_deferred() as caught:
                    if self.scheduler is None:
                        yield from executors.local(self.task, self.todo, self.workers, done,
                                                   lambda: bool(caught))
                    else:
                        yield from executors.dask(self.task, self.todo, self.scheduler,
                                                  getattr(self.task, "output_dir", None), done,
                                                  lambda: bool(caught))
                if caught:
                    raise KeyboardInterrupt if caught[0] == signal.SIGINT else SystemExit(
                        128 + caught[0])
            finally:
                self.seconds = time.perf_counter() - start

    def close(self) -> None:
        """Stop: the files already running finish and are recorded."""
        if self._records is not None:
            self._records.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def summary(self) -> dict:
        """Counts of done, skipped and failed files and the processing rate."""
        worked = self.counts["done"] + self.counts["failed"]
        rate = worked / self.seconds if self.seconds > 0 else None
        return {**self.counts, "total": self.total, "seconds": round(self.seconds, 3),
                "images_per_second": None if rate is None else round(rate, 3)}


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM noted in the yielded list instead of raised, so that no record is
    cut in half; a second one raises at once. (Only in the main thread, where signals go.)"""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def note(signum, frame) -> None:
        if caught:
            raise KeyboardInterrupt
        caught.append(signum)

    kept = {number: signal.signal(number, note) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


def run(task: Task, source: str | os.PathLike | Iterable[str | os.PathLike], *,
        report_path: str | os.PathLike | None = None, message: str | None = None,
        manifest: dict | None = None, glob: str | None = None, jobs: int | None = None,
        scheduler: str | None = None, memory_budget: int | None = -1) -> Run:
    """Plan a batch; iterate the result for its records.

    Parameters
    ----------
    task : Embed, Extract or Analyze
    source : folder or iterable of paths
        A folder is searched recursively for images (or with ``glob``); a list keeps its
        order, and its files' paths are taken relative to their common folder.
    report_path : path, optional
        The JSON-lines report (default: ``stegokit-<task>.jsonl`` in the task's output
        folder, else in the current folder).
    message, manifest : optional
        For :class:`Embed`: the text hidden in every file, or ``relative path -> (message,
        payload file)`` from :func:`read_manifest` (or ``payload_rate`` on the task).
    jobs : int, optional
        Local worker processes (default: the CPU count), lowered to fit ``memory_budget``
        bytes (default -1: half the memory available; None: no limit).
    scheduler : str, optional
        A Dask scheduler's address: run there instead (``pip install 'stegokit[dask]'``).
    """
    output_dir = getattr(task, "output_dir", None)
    if isinstance(source, str | os.PathLike) and Path(source).is_dir():
        items = inputs.from_folder(source, glob, exclude=[output_dir] if output_dir else [])
    else:
        items = inputs.from_list([source] if isinstance(source, str | os.PathLike) else source)
    if report_path is None:
        report_path = os.path.join(output_dir or ".", f"stegokit-{task.name}.jsonl")
    budget = memory.default_budget() if memory_budget == -1 else memory_budget
    return Run(task, items, report_path=os.fspath(report_path), message=message,
               manifest=manifest, jobs=jobs, scheduler=scheduler, memory_budget=budget)
