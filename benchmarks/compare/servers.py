"""One job server per tool (``worker --serve``) for the in-process API timings.

Each server is started on its tool's first API run and kept to the end; a job that runs past
its timeout is killed with its server, which the next job starts again.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path


class Servers:
    def __init__(self, env: dict[str, str], cwd: Path):
        self.env, self.cwd = env, cwd
        self.running: dict[str, tuple[subprocess.Popen, object]] = {}

    def close(self) -> None:
        """Stop every server (each ends when its stdin closes)."""
        for name in list(self.running):
            self._stop(name, kill=False)

    def run(self, name: str, job: list[str], timeout: float) -> dict:
        """Run one job (``op cover payload stego``) on ``name``'s server: the worker's result."""
        proc, errors = self.running.get(name) or self._start(name)
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        errors.seek(0)
        last = (errors.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        self._stop(name, kill=True)
        return {"error": (last or "job server exited")[:200] if ready
                else f"timed out after {timeout:.0f} s"}

    def _start(self, name: str) -> tuple[subprocess.Popen, object]:
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _stop
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.compare.worker", "--serve",
                                 name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=errors, env=self.env, cwd=self.cwd, text=True,
                                start_new_session=True)
        self.running[name] = proc, errors
        return proc, errors

    def _stop(self, name: str, kill: bool) -> None:
        proc, errors = self.running.pop(name)
        if kill:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.stdin.close()
        proc.wait()
        errors.close()
