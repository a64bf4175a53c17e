"""Time in-process API calls of one tool, each in a process of its own; results as JSON lines.

    python -m benchmarks.compare.worker --serve TOOL

The worker imports the tool's modules once and then, for each job line (``op cover payload
stego`` as JSON) on stdin, forks a child that runs the job and prints one result line. A
forked child is what a fresh process is after those imports (its peak memory starts at the
server's size, imports only), without paying for Python's start and the imports on every run
(over half a second per run for most tools, seconds for invisible-watermark).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

from benchmarks.harness import self_peak_mb
from benchmarks.peers import by_name


def main(name: str, op: str, cover: str, payload: str, stego: str) -> dict:
    tool = by_name(name)
    for module in tool.modules:
        importlib.import_module(module)
    data = Path(payload).read_bytes()
    result: dict = {}
    start = time.perf_counter()
    try:
        if op == "embed":
            tool.embed(Path(cover), data, Path(stego))
        else:
            found = tool.extract(Path(stego), len(data))
    except Exception as exc:  # any failure of a peer is a result to report
        result["error"] = f"{type(exc).__name__}: {exc}"[:200]
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = self_peak_mb()
    if op == "extract" and "error" not in result and tool.verifies:
        result["exact"] = found == data
    return result


def serve(name: str) -> None:
    """Run jobs for one tool, each in a forked child, until stdin closes."""
    for module in by_name(name).modules:
        importlib.import_module(module)
    for line in sys.stdin:
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read)
            os.dup2(2, 1)  # anything a tool prints stays out of the result lines
            try:
                result = main(name, *json.loads(line))
            except BaseException as exc:  # reported: nothing may escape a forked child
                result = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            os.write(write, json.dumps(result).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            answer = pipe.read()
        _, status = os.waitpid(child, 0)
        if not answer:
            answer = json.dumps({"error": f"worker died (wait status {status})"}).encode()
        sys.stdout.write(answer.decode() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:2] != ["--serve"] or len(sys.argv) != 3:
        sys.exit("usage: python -m benchmarks.compare.worker --serve TOOL")
    serve(sys.argv[2])
