"""Time one in-process API call of one tool, in a fresh process; print the result as JSON.

    python -m benchmarks.compare.worker TOOL embed|extract COVER PAYLOAD STEGO
"""

from __future__ import annotations

import importlib
import json
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


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
