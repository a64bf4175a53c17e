"""Time hide-image + reveal-image of a 1920x1080 photo in a 12-megapixel photo.

    python benchmarks/imagehide_speed.py [--runs 5]

The cover is benchmarks/photos.py's 12 MP cut of "Volna" (4256x2832); the secret is "Kite"
from the same Debian package, scaled to 1920x1200 and cropped to 1920x1080, saved as a PNG
with Pillow's defaults (as a user's screenshot or export would be). Each case runs in a fresh
Python process, cases alternate run by run, and the medians are printed as markdown:

- ``pillow``: Pillow load + save of the cover with its defaults (PNG level 6);
- ``pillow-fast``: the same with stegokit's PNG settings (level 1, RLE);
- ``hide``: ``stegokit.hide_image(cover, secret)`` (auto) and saving the stego PNG;
- ``reveal``: ``stegokit.reveal_image(stego)`` and saving the secret PNG.

The reveal's pixels are hash-compared with the secret's, and the cover PSNR printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

CASES = ["pillow", "pillow-fast", "hide", "reveal"]


def secret_photo() -> Path:
    """The 1920x1080 secret PNG, made on first use."""
    import photos
    from PIL import Image

    path = photos.CACHE / "secret-1920x1080.png"
    if not path.exists():
        photos.cover("12MP")  # fetches and unpacks the package on first use
        source = photos.CACHE / "src/usr/share/wallpapers/Kite/contents/images/2560x1600.jpg"
        with Image.open(source) as image:
            image = image.convert("RGB").resize((1920, 1200), Image.LANCZOS)
            image.crop((0, 60, 1920, 1140)).save(path)
    return path


def digest(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return hashlib.sha256(np.asarray(image).tobytes()).hexdigest()


def run_case(case: str, cover: Path, secret: Path, scratch: Path) -> dict:
    """Run one case in this process; return its seconds and what it measured."""
    from PIL import Image

    import stegokit
    from stegokit import images

    stego, revealed = scratch / "stego.png", scratch / "revealed.png"
    extra: dict = {}
    start = time.perf_counter()
    if case.startswith("pillow"):
        with Image.open(cover) as image:
            pixels = np.asarray(image)
        options = images.PNG_OPTIONS if case == "pillow-fast" else {}
        Image.fromarray(pixels).save(scratch / f"{case}.png", **options)
    elif case == "hide":
        result = stegokit.hide_image(cover, secret, rng=0)
        result.save(stego, force=True)
        extra = {"mode": result.mode, "bits": result.bits, "cover_psnr": result.cover_psnr,
                 "stored_bytes": result.stored_bytes}
    else:
        stegokit.reveal_image(stego).save(revealed, force=True)
    seconds = time.perf_counter() - start
    if case == "reveal":
        extra["exact"] = digest(revealed) == digest(secret)
    return {"seconds": seconds, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from photos import cover

    cover_path, secret_path = cover("12MP"), secret_photo()
    if args.case:
        print(json.dumps(run_case(args.case, cover_path, secret_path, Path(args.scratch))))
        return
    results: dict[str, list[dict]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            for case in CASES:
                out = subprocess.run(
                    [sys.executable, __file__, "--case", case, "--scratch", scratch],
                    capture_output=True, text=True, check=True,
                    env={**os.environ, "PYTHONHASHSEED": "0"})
                results[case].append(json.loads(out.stdout))
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    median = {case: statistics.median(r["seconds"] for r in runs)
              for case, runs in results.items()}
    hide, reveal = results["hide"][0], results["reveal"]
    both = median["hide"] + median["reveal"]
    print(f"cover {cover_path.name} (4256x2832), secret {secret_path.name} "
          f"({secret_path.stat().st_size:,} bytes); medians of {args.runs} runs\n")
    print("| case | seconds | × Pillow load+save (default) | × Pillow load+save (level 1) |")
    print("| --- | ---: | ---: | ---: |")
    for case, seconds in [*median.items(), ("hide + reveal", both)]:
        print(f"| {case} | {seconds:.2f} | {seconds / median['pillow']:.2f} | "
              f"{seconds / median['pillow-fast']:.2f} |")
    print(f"\nauto chose {hide['mode']} at {hide['bits']} bit(s) per value "
          f"({hide['stored_bytes']:,} bytes hidden), cover PSNR {hide['cover_psnr']:.2f} dB; "
          f"revealed exactly in {sum(r['exact'] for r in reveal)}/{len(reveal)} runs")


if __name__ == "__main__":
    main()
