"""Time ``stegokit extract-text`` from a 12 MP PNG as a whole process, next to Pillow's own
decode of the same file and Stegano's ``reveal`` of its own stego files.

    python benchmarks/startup.py [--runs 9] [--cover 12MP] [--write]

Every case is a fresh process timed from the outside (interpreter start-up, imports, decode
and all), the cases alternate run by run so that the machine's drift hits all alike, and the
table gives the median with the range. Cases:

- ``pillow-decode``: ``python -c`` opening the stegokit stego PNG with Pillow and decoding its
  pixels (``Image.open(path).load()``): the floor any Python tool pays for this file;
- ``stegokit-short``: ``stegokit extract-text STEGO`` (the console script's entry point, this
  checkout's code), printing the 20-character message;
- ``stegano-short``: ``stegano-lsb reveal -i STEGO2`` on Stegano's own stego file of the same
  message and cover (it reads the first pixels and stops);
- ``stegokit-large`` / ``stegano-large``: the same for benchmarks/compare's large payload,
  450,000 random bytes (0.0995 bits per value; base64 text for Stegano, which takes text only),
  written to a file with ``-o``.

Then the import cost of the extract path: ``python -X importtime`` of ``stegokit.cli`` and
``stegokit.api`` (cumulative microseconds of the top-level module, median of the runs).
``--write`` puts the table into docs/benchmarks.md between its startup markers.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
from harness import run_process

SHORT = "twenty characters!!!"
LARGE = 450_000
HERE = Path(__file__).parent
SRC = HERE.parent / "src"
DOCS = HERE.parent / "docs" / "benchmarks.md"
START, END = "<!-- startup results: start -->", "<!-- startup results: end -->"
ENTRY = "import sys\nfrom stegokit.cli import main\nsys.exit(main())\n"


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def prepare(cover: Path, scratch: Path) -> dict[str, list[str]]:
    """Write the stego files; return each case's command line."""
    from stegano import lsb

    import stegokit

    large = np.random.default_rng(0).bytes(LARGE)
    ours, ours_large = scratch / "short.png", scratch / "large.png"
    theirs, theirs_large = scratch / "stegano-short.png", scratch / "stegano-large.png"
    stegokit.embed_text(cover, SHORT).save(ours)
    stegokit.embed_text(cover, large, filename="large.bin").save(ours_large)
    lsb.hide(str(cover), SHORT).save(theirs)
    lsb.hide(str(cover), base64.b64encode(large).decode()).save(theirs_large)
    entry = scratch / "stegokit_entry.py"
    entry.write_text(ENTRY)
    stegano = str(Path(sys.executable).parent / "stegano-lsb")
    return {
        "pillow-decode": [sys.executable, "-c",
                          "import sys; from PIL import Image; Image.open(sys.argv[1]).load()",
                          str(ours)],
        "stegokit-short": [sys.executable, str(entry), "extract-text", str(ours)],
        "stegano-short": [stegano, "reveal", "-i", str(theirs)],
        "stegokit-large": [sys.executable, str(entry), "extract-text", str(ours_large), "-o",
                           str(scratch / "out.bin"), "--force"],
        "stegano-large": [stegano, "reveal", "-i", str(theirs_large), "-o",
                          str(scratch / "out.txt")],
    }


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter, in milliseconds."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                          env=_env(), capture_output=True, text=True, check=True)
    for line in done.stderr.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    raise LookupError(f"no importtime line for {module}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--cover", default="12MP", choices=["512x512", "2MP", "12MP"])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    from photos import cover

    path = cover(args.cover)
    seconds: dict[str, list[float]] = {}
    imports: dict[str, list[float]] = {"stegokit.cli": [], "stegokit.api": []}
    with tempfile.TemporaryDirectory() as scratch:
        cases = prepare(path, Path(scratch))
        for _ in range(args.runs):
            for case, argv in cases.items():
                done = run_process(argv, env=_env())
                if done.code != 0:
                    raise SystemExit(f"{case} failed: {done.reason()}")
                if case.endswith("short") and SHORT not in done.stdout.decode():
                    raise SystemExit(f"{case} printed {done.stdout[:80]!r}")
                seconds.setdefault(case, []).append(done.seconds)
            for module in imports:
                imports[module].append(import_ms(module))
    table = render(seconds, imports, args.runs, path)
    print(table)
    if args.write:
        text = DOCS.read_text()
        head, rest = text.split(START, 1)
        DOCS.write_text(f"{head}{START}\n{table}\n{END}{rest.split(END, 1)[1]}")


def render(seconds: dict[str, list[float]], imports: dict[str, list[float]], runs: int,
           path: Path) -> str:
    median = {case: statistics.median(values) for case, values in seconds.items()}
    floor = median["pillow-decode"]
    lines = [f"cover: {path.name}; whole processes, {runs} alternating runs, medians "
             "(range)", "",
             "| case | seconds | range | × Pillow decode |",
             "| --- | ---: | ---: | ---: |"]
    for case, values in seconds.items():
        lines.append(f"| {case} | {median[case]:.3f} | {min(values):.3f}-{max(values):.3f} | "
                     f"{median[case] / floor:.2f} |")
    short = median["stegokit-short"] / floor
    lines += ["", f"stegokit extract-text, short message: {short:.2f}× Pillow's decode "
              "(target ≤ 1.4); large payload: Stegano's reveal takes "
              f"{median['stegano-large'] / median['stegokit-large']:.2f}× as long (target "
              f"≥ 3; short message {median['stegano-short'] / median['stegokit-short']:.2f}×). "
              "Imports (python -X importtime, cumulative, median): " + ", ".join(
                  f"{module} {statistics.median(values):.0f} ms"
                  for module, values in imports.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
