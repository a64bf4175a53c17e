"""stegokit next to the steganography tools people use today, in one run.

    python -m benchmarks.compare [--runs 5] [--quick]

Detects which peers are installed (a missing one is reported with the reason), times embed
and extract on the same real covers, checks capacity claims and garbage output, measures
watermark robustness, and writes benchmarks/results/latest.{json,md} and docs/img/bench_*.png.
Installs nothing. See docs/benchmarks.md for the install lines and the results.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import peers
from benchmarks.harness import machine
from benchmarks.photos import SIZES

from . import checks, plots, report, robustness
from .speed import ROOT, Matrix

RESULTS = ROOT / "benchmarks" / "results"
PACKAGES = ["stegokit", "numpy", "pillow", "stegano", "stego-lsb", "cryptosteganography",
            "invisible-watermark", "onnxruntime", "torch", "opencv-python",
            "opencv-python-headless"]


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per cell (median reported)")
    parser.add_argument("--quick", action="store_true",
                        help="development: 512x512 only, 1 run, 3 robustness photos")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--budget", type=float, default=2.0,
                        help="stop repeating a cell once its runs took this many seconds in all")
    parser.add_argument("--photos", type=int, default=6, help="photos for robustness")
    parser.add_argument("--tools", nargs="+", metavar="NAME",
                        help="development: only these tools (the others are listed as skipped)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--from-json", type=Path, metavar="JSON",
                        help="measure nothing: redraw the tables and plots from saved results")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.sizes, args.photos = 1, ["512x512"], 3
    return args


def publish(results: dict, out: Path) -> None:
    """Write the JSON and Markdown results and the plots; print the Markdown."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    markdown = report.markdown(results)
    out.with_suffix(".md").write_text(markdown)
    plots.draw(results, ROOT / "docs" / "img")
    print(markdown)


def main() -> None:
    args = parse()
    if args.from_json:
        publish(json.loads(args.from_json.read_text()), args.out)
        return
    started = time.time()
    hiders, markers = peers.hiders(), peers.markers()
    available = peers.status(hiders) | peers.status(markers)
    if args.tools:
        available = {name: reason if name in args.tools else "skipped (not in --tools)"
                     for name, reason in available.items()}
    for name, reason in available.items():
        log(f"{name}: {reason or 'available'}")
    usable = [tool for tool in hiders if available[tool.name] is None]
    with tempfile.TemporaryDirectory() as scratch, \
            Matrix(usable, args.sizes, ["large", "short"], Path(scratch), args.budget) as matrix:
        for run in range(args.runs):
            matrix.run_once(log)
            log(f"run {run + 1}/{args.runs} done ({time.time() - started:.0f} s)")
        present = [m for m in markers if available[m.name] is None]
        # nothing below is timed but robustness's embed and extract, so the file measures and
        # the checks share the cores; robustness then runs alone (rivaGan uses both cores, and
        # beside the others it took 150 s instead of 86)
        with ThreadPoolExecutor(2) as pool:
            speed = pool.submit(matrix.rows)
            checked = pool.submit(checks.run, usable, present, Path(scratch), matrix.env, log)
            speed, checked = speed.result(), checked.result()
        results = {
            "command": " ".join(["python -m benchmarks.compare", *sys.argv[1:]]),
            "machine": machine(PACKAGES),
            "runs": args.runs,
            "budget_s": args.budget,
            "tools": {tool.name: {"available": available[tool.name], "note": tool.note}
                      for tool in hiders},
            "markers": {m.name: {"available": available[m.name]} for m in markers},
            "speed": speed,
            "checks": checked,
            "robustness": robustness.run(present, args.photos, log),
        }
    results["wall_s"] = round(time.time() - started)
    publish(results, args.out)


if __name__ == "__main__":
    main()
