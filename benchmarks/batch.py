"""Throughput of ``stegokit batch embed`` against a shell loop of ``stegokit embed-text``.

    python benchmarks/batch.py [--photos 200] [--scale 2] [--neural 40]

Makes ``--photos`` photos from scikit-image's set (crops upscaled ``--scale`` times: about
1 MP at 2) as PNG, then times, in fresh processes, for the LSB codec and (on the first
``--neural`` photos) the neural codec:

- ``loop``: ``for f in ...; do stegokit embed-text "$f" -o ... -m ...; done`` in bash;
- ``batch -j 1`` and ``batch -j 2``: ``stegokit batch embed DIR -o ... -m ... -j N``.

Prints images/s and the speed-up over the loop as a markdown table (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import compile_checkout
from PIL import Image
from skimage import data

MESSAGE = "batch benchmark"


def make_photos(folder: Path, count: int, scale: int) -> None:
    rng = np.random.default_rng(0)
    names = ("astronaut", "coffee", "chelsea", "rocket")
    for i in range(count):
        pixels = getattr(data, names[i % len(names)])()
        h, w = pixels.shape[0] - 32, pixels.shape[1] - 32
        y, x = (int(v) for v in rng.integers(0, 32, 2))
        crop = np.kron(pixels[y : y + h, x : x + w], np.ones((scale, scale, 1), np.uint8))
        Image.fromarray(crop).save(folder / f"p{i:03d}.png")


def stegokit() -> str:
    return str(Path(sys.executable).with_name("stegokit"))


def timed(command: list[str]) -> float:
    compile_checkout()
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def loop(folder: Path, out: Path, method: str, count: int) -> float:
    suffix = ".jpg" if method == "neural" else ".png"
    files = " ".join(str(p) for p in sorted(folder.glob("*.png"))[:count])
    script = (f'for f in {files}; do "{stegokit()}" embed-text "$f" -o "{out}/$(basename '
              f'"$f" .png){suffix}" -m "{MESSAGE}" --method {method}; done')
    out.mkdir()
    return timed(["bash", "-c", script])


def batch(folder: Path, out: Path, method: str, jobs: int) -> float:
    return timed([stegokit(), "batch", "embed", str(folder), "-o", str(out), "-m", MESSAGE,
                  "--method", method, "-j", str(jobs), "--json"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--neural", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stegokit-batch-bench-"))
    try:
        (work / "in").mkdir()
        make_photos(work / "in", args.photos, args.scale)
        side = Image.open(work / "in" / "p000.png").size
        print(f"{args.photos} photos of about {side[0]}x{side[1]} "
              f"({side[0] * side[1] / 1e6:.1f} MP)\n")
        print("| method | images | shell loop img/s | batch -j 1 img/s | batch -j 2 img/s |")
        print("| --- | --- | --- | --- | --- |")
        for method, count in (("lsb", args.photos), ("neural", args.neural)):
            if count == 0:
                continue
            subset = work / f"in-{method}"
            subset.mkdir()
            for path in sorted((work / "in").glob("*.png"))[:count]:
                shutil.copy(path, subset)
            rates = [count / loop(subset, work / f"loop-{method}", method, count)]
            rates += [count / batch(subset, work / f"b{jobs}-{method}", method, jobs)
                      for jobs in (1, 2)]
            cells = [f"{rates[0]:.2f}"] + [f"{r:.2f} ({r / rates[0]:.1f}x)" for r in rates[1:]]
            print(f"| {method} | {count} | " + " | ".join(cells) + " |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
