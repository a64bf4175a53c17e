"""Time the LSB codec on a 12-megapixel photo next to Pillow's own load + save.

    python benchmarks/core_speed.py [--runs 5] [--cover 12MP] [--write]

Each case runs in a fresh Python process (so its peak memory is its own), cases alternate run
by run so that machine drift hits all alike, and the medians are printed as a markdown table
(``--write`` also puts it into benchmarks/results/core_speed.md and docs/benchmarks.md).
Cases:

- ``pillow``: Pillow load + save with its defaults (PNG level 6): the floor to compare with;
- ``pillow-fast``: the same save with stegokit's PNG settings;
- ``embed-short`` / ``embed-25``: stegokit end to end (load, embed, save) for a 20-character
  message and for a random payload of 25% of the 1-bit capacity;
- ``extract-short`` / ``extract-25``: end to end extraction of those;
- ``embed-adaptive`` / ``extract-adaptive``: the same for a random payload of 0.2 bits per
  value (the adaptive layout: HILL costs + syndrome-trellis codes); the issue's target is
  embedding within 3x Pillow's load + save;
- ``codec-embed-25`` / ``codec-extract-25``: the codec alone on the decoded array, with the
  layout ``embed_text`` picks (matrix embedding when the payload leaves room), the same steps:
  packing the container, scanning the carrier, choosing the Hamming code, embedding; then
  extraction. Six calls in the process, each building its spread order as for a new image:
  the throughput is the median of the last five, and the first (cold: fresh memory pages)
  is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from harness import run_json, self_peak_mb

SHORT = "twenty characters!!!"
HERE = Path(__file__).parent
DOCS = HERE.parent / "docs" / "benchmarks.md"
#: The block of docs/benchmarks.md that ``--write`` replaces.
START, END = "<!-- core_speed results: start -->", "<!-- core_speed results: end -->"


def _payload(case: str, quarter: int) -> bytes | str:
    """The message of a case; ``quarter``: 25% of the cover's 1-bit capacity, in bytes (the
    parent measures it once, so that no case decodes the cover an extra time). The adaptive
    cases carry 0.2 bits per value: 0.8 of the quarter, less the container's 20 bytes."""
    if case.endswith("short"):
        return SHORT
    if case.endswith("adaptive"):
        return np.random.default_rng(0).bytes(quarter * 4 // 5 - 20)
    return np.random.default_rng(0).bytes(quarter)


def _repeat(work, times: int = 6) -> dict:
    """Time ``work`` ``times`` times: the first (cold) call, and the median of the others.

    The spread order is built anew for every call (its cache is cleared), as it is for
    every new image; only the process's memory is warm."""
    from stegokit.codecs.order import order

    seconds = []
    for _ in range(times):
        order.cache_clear()
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return {"first_seconds": seconds[0], "seconds": statistics.median(seconds[1:])}


def run_case(case: str, cover: Path, scratch: Path, quarter: int) -> dict:
    """Run one case in this process; return its seconds and peak memory (MB)."""
    from PIL import Image

    import stegokit
    from stegokit import images
    from stegokit.api import lsb_container
    from stegokit.codecs import lsb

    stego = scratch / f"stego-{case.rsplit('-', 1)[-1]}.png"
    baseline = self_peak_mb()
    extra = {}
    start = time.perf_counter()
    if case.startswith("pillow"):
        with Image.open(cover) as image:
            pixels = np.asarray(image)
        options = images.PNG_OPTIONS if case == "pillow-fast" else {}
        Image.fromarray(pixels).save(scratch / f"{case}.png", **options)
        extra["bytes"] = (scratch / f"{case}.png").stat().st_size
    elif case.startswith("embed"):
        stegokit.embed_text(cover, _payload(case, quarter), rng=0).save(stego, force=True)
        extra["bytes"] = stego.stat().st_size
    elif case.startswith("extract"):
        stegokit.extract_text(stego)
    elif case.startswith("codec-embed"):
        pixels = images.load(cover).pixels
        payload = stegokit.Payload(_payload(case, quarter), "file")

        def embed():
            data, code, carrier = lsb_container(payload, pixels, 1)
            extra["code"] = code
            return lsb.embed(pixels, data, code=code, rng=0, carrier=carrier)[0]

        extra.update(_repeat(embed))
        np.save(scratch / "codec.npy", embed())
    else:
        out = np.load(scratch / "codec.npy")
        extra.update(_repeat(lambda: lsb.extract(out)))
    seconds = extra.pop("seconds", time.perf_counter() - start)
    peak = self_peak_mb()
    return {"seconds": seconds, "peak_mb": peak, "above_imports_mb": peak - baseline, **extra}


CASES = ["pillow", "pillow-fast", "embed-short", "extract-short", "embed-25", "extract-25",
         "embed-adaptive", "extract-adaptive", "codec-embed-25", "codec-extract-25"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cover", default="12MP", choices=["512x512", "2MP", "12MP"])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true",
                        help="also write the results into benchmarks/results/core_speed.md and "
                             "docs/benchmarks.md")
    parser.add_argument("--quarter", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from photos import cover

    path = cover(args.cover)
    if args.case:
        print(json.dumps(run_case(args.case, path, Path(args.scratch), args.quarter)))
        return
    import stegokit

    quarter = str(stegokit.capacity(path).lsb[1] // 4)
    results: dict[str, list[dict]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            for case in CASES:
                result = run_json(
                    [sys.executable, __file__, "--case", case, "--cover", args.cover,
                     "--scratch", scratch, "--quarter", quarter],
                    env={**os.environ, "PYTHONHASHSEED": "0"})
                if "error" in result:
                    sys.exit(f"{case}: {result['error']}")
                results[case].append(result)
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    text = report(results, path)
    print(text, end="")
    if args.write:
        write(text)


def report(results: dict[str, list[dict]], path: Path) -> str:
    """The results as markdown: the table of medians and the codec's throughput."""
    from PIL import Image

    with Image.open(path) as image:
        megapixels = image.width * image.height / 1e6
    median = {case: statistics.median(r["seconds"] for r in runs)
              for case, runs in results.items()}
    floor = median["pillow"]
    decoded = megapixels * 3
    lines = [f"cover: {path.name}, {megapixels:.1f} MP; medians of {len(results['pillow'])} runs",
             "",
             "| case | seconds | × Pillow load+save | peak MB | above imports MB "
             "(× decoded image) | file MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for case, runs in results.items():
        peak = max(r["peak_mb"] for r in runs)
        above = max(r["above_imports_mb"] for r in runs)
        size = runs[0].get("bytes")
        size_text = f"{size / 1e6:.2f}" if size else ""
        lines.append(f"| {case} | {median[case]:.3f} | {median[case] / floor:.2f} | {peak:.0f} | "
                     f"{above:.0f} ({above / decoded:.1f}×) | {size_text} |")
    for case in ("codec-embed-25", "codec-extract-25"):
        firsts = [r["first_seconds"] for r in results[case]]
        first = statistics.median(firsts)
        lines += ["", f"{case}: {megapixels / median[case]:.0f} megapixels/s (first call in a "
                  f"process: {first:.3f} s, {megapixels / first:.0f} megapixels/s; "
                  f"{min(firsts):.3f}-{max(firsts):.3f} s over the runs)"]
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    """Put the results in benchmarks/results/core_speed.md and between the markers of
    docs/benchmarks.md."""
    (HERE / "results" / "core_speed.md").write_text(text)
    doc = DOCS.read_text()
    head, rest = doc.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOCS.write_text(f"{head}{START}\n{text}{END}{tail}")


if __name__ == "__main__":
    main()
