"""Where the files are processed: a local process pool, or an existing Dask cluster.

Both keep a bounded window of files in flight (twice the workers), so that an interruption
waits for a handful of files, never for the whole batch: once ``stopping()`` says so (Ctrl-C
or SIGTERM, see :class:`stegokit.batch.Run`) nothing new is sent and the files in flight
finish and are recorded.
"""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from .tasks import Job, Task, base_record, execute

#: The error kind of a record whose worker process died (or whose Dask task failed).
WORKER = "worker"
#: Files in flight per worker: one running, one queued.
WINDOW = 2


def start_worker(task: Task) -> None:
    """A worker's start: Ctrl-C is the parent's to handle; the codecs (and the neural model)
    are loaded once, here, not per file. The processes are the parallelism: one onnxruntime
    thread each (its thread pool on small images cost 3x the CPU time of one thread for the
    same work, docs/benchmarks.md)."""
    from ..codecs.neural_model import limit_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads(1)
    task.warm_up()


def _worker_died(task: Task, job: Job) -> dict:
    return {**base_record(task, job), "status": "failed",
            "error": _worker_error(f"{job.input}: the worker process died while on this file "
                                   "or another (out of memory?); rerun to retry"),
            "seconds": None, "worker": None}


def _worker_error(message: str) -> dict:
    from ..reports import error_object

    return error_object(1, WORKER, message)


def local(task: Task, jobs: list[Job], workers: int, done: Callable[[dict], None],
          stopping: Callable[[], bool]) -> Iterator[dict]:
    """Records of ``jobs`` run by ``workers`` processes of this machine, as they finish.

    ``done`` is called with every record, also those that finish after the consumer
    stopped early (which are then not yielded). Once ``stopping()`` is true no new file is
    sent, and the records of those in flight still come.
    """
    pending = iter(jobs)
    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    start = {"mp_context": context, "initializer": start_worker, "initargs": (task,)}
    pool = ProcessPoolExecutor(workers, **start)
    flight: dict[Future, Job] = {}

    def fill() -> None:
        while (not stopping() and len(flight) < WINDOW * workers
               and (job := next(pending, None)) is not None):
            flight[pool.submit(execute, task, job)] = job

    def finish(future: Future) -> dict:
        job = flight.pop(future)
        try:
            record = future.result()
        except BrokenProcessPool:
            record = _worker_died(task, job)
        done(record)
        return record

    try:
        fill()
        while flight:
            finished, _ = wait(flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                record = finish(future)
                broken = broken or (record["error"] or {}).get("kind") == WORKER
                yield record
            if broken:  # a dead worker breaks the pool: the rest of the window goes too
                for future in list(flight):
                    yield finish(future)
                pool.shutdown(wait=False)
                pool = ProcessPoolExecutor(workers, **start)
            fill()
    except BaseException:
        _drain(flight, finish)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _drain(flight: dict, finish: Callable, *, cancel: bool = True) -> None:
    """Record the files already running (all of them unless ``cancel`` may stop those not
    started), then let the interruption go on."""
    for future in list(flight):
        if cancel and future.cancel():
            flight.pop(future)
    for future in list(flight):
        try:
            finish(future)
        except Exception:  # a failure here must not hide the interruption
            flight.pop(future, None)


def needs_private_link(address: str) -> bool:
    """True when secrets sent to this scheduler would cross a network unencrypted."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme in ("tls", "inproc"):
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def _sees(probes: list[tuple[str, int]], token: tuple[str, str] | None) -> str | None:
    """On a worker: None if it sees the inputs and the output folder as the client does."""
    for path, size in probes:
        try:
            if os.path.getsize(path) != size:
                return f"sees {path} with another size"
        except OSError:
            return f"cannot see {path}"
    if token is not None:
        path, secret = token
        try:
            if Path(path).read_text() != secret:
                return f"sees another {Path(path).parent}"
        except OSError:
            return f"cannot see the output folder {Path(path).parent}"
    return None


def _version() -> str:
    import stegokit

    return stegokit.__version__


def _connect(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'stegokit[dask]'") from None
    try:
        return Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address} ({exc})") from None


def check_cluster(client, jobs: list[Job], output_dir: str | None) -> None:
    """Fail early, with a clear line, unless every worker runs this stegokit and sees the
    same files at the same paths (shared storage)."""
    import stegokit

    try:
        versions = client.run(_version)
    except Exception as exc:
        raise InputError(f"the Dask workers cannot run stegokit ({exc}); install the same "
                         f"stegokit {stegokit.__version__} on every worker") from None
    if not versions:
        raise InputError("the Dask cluster has no workers; start some with dask worker")
    for worker, version in versions.items():
        if version != stegokit.__version__:
            raise InputError(f"Dask worker {worker} runs stegokit {version}, this is "
                             f"{stegokit.__version__}: install the same version everywhere")
    picks = {0, len(jobs) // 2, len(jobs) - 1} if jobs else set()
    probes = [(jobs[i].input, os.path.getsize(jobs[i].input)) for i in sorted(picks)]
    token = None
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        token = (os.path.join(os.path.abspath(output_dir), f".stegokit-{uuid.uuid4().hex}"),
                 uuid.uuid4().hex)
        Path(token[0]).write_text(token[1])
    try:
        seen = client.run(_sees, probes, token)
    finally:
        if token is not None:
            Path(token[0]).unlink(missing_ok=True)
    for worker, problem in seen.items():
        if problem is not None:
            raise InputError(f"Dask worker {worker} {problem}: with --scheduler the inputs and "
                             "outputs must be on storage every worker mounts at the same path "
                             "(see docs/batch.md)")


def dask(task: Task, jobs: list[Job], address: str, output_dir: str | None,
         done: Callable[[dict], None], stopping: Callable[[], bool]) -> Iterator[dict]:
    """Records of ``jobs`` run on the Dask cluster at ``address``, as they finish."""
    from distributed import as_completed

    from ..codecs.neural_model import limit_threads

    client = _connect(address)
    try:
        check_cluster(client, jobs, output_dir)
        client.run(limit_threads, 1)  # as in the local pool: the workers are the parallelism
        window = WINDOW * max(sum(client.nthreads().values()), 1)
        pending = iter(jobs)
        first = [job for _, job in zip(range(window), pending, strict=False)]
        futures = client.map(execute, [task] * len(first), first, pure=False)
        flight = dict(zip(futures, first, strict=True))
        stream = as_completed(futures, loop=client.loop)

        def finish(future) -> dict:
            job = flight.pop(future)
            try:
                record = future.result()
            except Exception as exc:
                record = {**_worker_died(task, job),
                          "error": _worker_error(f"{job.input}: the Dask task failed ({exc!r})")}
            done(record)
            return record

        try:
            for future in stream:
                yield finish(future)
                job = None if stopping() else next(pending, None)
                if job is not None:
                    new = client.submit(execute, task, job, pure=False)
                    flight[new] = job
                    stream.add(new)
        except BaseException:
            _drain(flight, finish, cancel=False)  # a running Dask task cannot be stopped
            raise
    finally:
        client.close()

