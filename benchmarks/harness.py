"""Shared benchmark plumbing: timed fresh processes with their peak memory, and the machine.

Every measurement runs in a new process, so imports, caches and peak memory are its own.
``run_process`` times a whole command (a CLI) from the outside; a worker that times one call
inside itself reports ``self_peak_mb()`` and prints its result as JSON for ``run_json``.

Linux counts a forked child's peak memory from before its ``exec``, i.e. the parent's size,
so commands start under GNU time (``/usr/bin/time``, Debian package ``time``), a tiny parent
that reports the real peak. Without it the peak is left unknown (None).

Timed processes run this checkout's ``src/`` from bytecode, as an installed package does
(``pip install`` compiles it): ``run_process`` compiles the sources first. Without that, a
machine with ``PYTHONDONTWRITEBYTECODE`` set (this project's VM) compiles every stegokit
module again in every process, about 40 ms that no installed copy pays.
"""

from __future__ import annotations

import compileall
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else shutil.which("time")
SOURCES = Path(__file__).resolve().parent.parent / "src"


@dataclass(frozen=True)
class Measured:
    """One finished process: wall seconds, peak resident memory (MB), exit code and output."""

    seconds: float
    peak_mb: float | None
    code: int
    stdout: bytes
    stderr: bytes

    def reason(self) -> str:
        """The last line of stderr (or stdout), to say why a command failed."""
        for stream in (self.stderr, self.stdout):
            lines = stream.decode("utf-8", "replace").strip().splitlines()
            if lines:
                return lines[-1][:200]
        return f"exit code {self.code}"


def run_process(argv: list[str], *, env: dict | None = None, cwd: Path | None = None,
                stdin: bytes = b"", timeout: float | None = None) -> Measured:
    """Run ``argv`` to completion; its own peak memory comes from ``wait4``, not the parent's.

    The process gets ``stdin`` and no controlling terminal (so password prompts read stdin).
    A process still running after ``timeout`` seconds is killed.
    """
    compile_checkout()
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        given.write(stdin)
        given.seek(0)
        wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdin=given, stdout=out, stderr=err, env=env,
                                cwd=cwd, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        lines = rss.read().split()
        peak = int(lines[-1]) / 1024 if GNU_TIME and lines and lines[-1].isdigit() else None
        return Measured(seconds, peak, proc.returncode, out.read(), err.read())


def compile_checkout() -> None:
    """Compile this checkout's stegokit sources to bytecode where they changed (as ``pip
    install`` does), so timed processes do not compile them on every start."""
    if not compileall.compile_dir(SOURCES, quiet=1):
        raise RuntimeError(f"could not compile {SOURCES}")


def run_json(argv: list[str], **kwargs) -> dict:
    """Run a worker that prints one JSON object; failures come back as ``{"error": reason}``."""
    done = run_process(argv, **kwargs)
    if done.code != 0:
        return {"error": done.reason()}
    return json.loads(done.stdout)


def self_peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine(packages: list[str]) -> dict:
    """What the numbers were measured on: cores, CPU model, RAM, Python, package versions."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(ram_gb, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
    }
