"""How well do RS and SPA estimate the LSB embedding rate on real photos?

For each photo, LSB replacement at known rates (sequential from the first value, and at
scattered random positions), LSB matching (+/-1) and stegokit's own default output (1-bit
embed_text at 10, 25 and 40% of capacity); the estimates go to a Markdown table on stdout,
then a summary against the acceptance lines of issue 6, and a plot of estimated against true
rate to docs/img/analysis_accuracy.png.

    pip install -e .[bench]
    python benchmarks/analysis_accuracy.py                     # scikit-image's photos
    python benchmarks/analysis_accuracy.py --debian --reduce 2 # plus the 23 Debian photos
    python benchmarks/analysis_accuracy.py --photos DIR        # plus a folder of photos
    python benchmarks/analysis_accuracy.py --timing            # also time a 12 MP analysis
    python benchmarks/analysis_accuracy.py --codec-sweep       # also stegokit's output, 240 ways

``--debian`` fetches two wallpaper packages once with apt-get (see benchmarks/photos.py);
``--reduce 2`` shrinks the extra photos by 2, which removes most JPEG blocking.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

import stegokit
from stegokit import analysis

RATES = (0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)
MATCHING_RATES = (0.1, 0.2, 0.4)
CODEC_FRACTIONS = (0.1, 0.25, 0.4)  # of the 1-bit capacity
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "immunohistochemistry")
PLOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "analysis_accuracy.png"


def lsb_replace(pixels, rate, rng, *, sequential):
    flat = pixels.copy().reshape(-1)
    count = round(rate * flat.size)
    where = np.arange(count) if sequential else rng.choice(flat.size, count, replace=False)
    flat[where] = (flat[where] & 0xFE) | rng.integers(0, 2, count, dtype=np.uint8)
    return flat.reshape(pixels.shape)


def lsb_match(pixels, rate, rng):
    flat = pixels.astype(np.int16).reshape(-1)
    count = round(rate * flat.size)
    where = rng.choice(flat.size, count, replace=False)
    values = flat[where]
    change = (values & 1) != rng.integers(0, 2, count)
    step = rng.choice(np.array([-1, 1], dtype=np.int16), count)
    step = np.where(values == 0, 1, np.where(values == 255, -1, step))
    flat[where] = values + np.where(change, step, 0)
    return flat.astype(np.uint8).reshape(pixels.shape)


def stegokit_output(pixels, fraction, rng):
    """stegokit's default embedding (1 bit per value, +/-1) of random bytes, ``fraction`` of
    the 1-bit capacity."""
    size = int(stegokit.capacity(pixels).lsb[1] * fraction)
    return stegokit.embed_text(pixels, rng.bytes(size), filename="data.bin", rng=rng).pixels


def photos(extra: list[Path], reduce: int) -> dict[str, np.ndarray]:
    found = {}
    for name in SKIMAGE_PHOTOS:
        pixels = getattr(data, name)()
        found[name] = pixels[..., None] if pixels.ndim == 2 else pixels
    for path in extra:
        with Image.open(path) as image:
            found[path.stem] = np.asarray(image.convert("RGB").reduce(reduce))
    return found


def measure(pixels: np.ndarray, rng) -> list[dict]:
    rows = []
    for mode in ("sequential", "scattered"):
        for rate in RATES:
            stego = lsb_replace(pixels, rate, rng, sequential=mode == "sequential")
            rows.append(row(mode, rate, analysis.analyze(stego)))
    for rate in MATCHING_RATES:
        rows.append(row("matching", rate, analysis.analyze(lsb_match(pixels, rate, rng))))
    for fraction in CODEC_FRACTIONS:
        stego = stegokit_output(pixels, fraction, rng)
        rows.append(row("stegokit", fraction, analysis.analyze(stego)))
    return rows


def row(mode: str, rate: float, report: analysis.Report) -> dict:
    # RS and SPA should not see +/-1 embedding; for stegokit, "rate" is the capacity fraction
    target = 0.0 if mode in ("matching", "stegokit") else rate
    return {
        "mode": mode,
        "rate": rate,
        "rs": float(np.mean(report.rs)),
        "spa": float(np.mean(report.spa)),
        "rs_channels": list(report.rs),
        "spa_channels": list(report.spa),
        "errors": [abs(estimate - target) for estimate in report.rs + report.spa],
        "verdict": report.verdict,
    }


def print_table(results: dict[str, list[dict]]) -> None:
    print("| photo | embedding | true rate | RS | SPA | worst channel error | verdict |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in results.items():
        for r in rows:
            print(
                f"| {name} | {r['mode']} | {r['rate']:.2f} | {r['rs']:.3f} | {r['spa']:.3f} "
                f"| {max(r['errors']):.3f} | {r['verdict']} |"
            )


def print_summary(results: dict[str, list[dict]]) -> None:
    print()
    subsets = {"scikit-image": {k: v for k, v in results.items() if k in SKIMAGE_PHOTOS}}
    if len(subsets["scikit-image"]) < len(results):
        subsets["all"] = results
    for label, subset in subsets.items():
        print(f"## {label} photos: {len(subset)}")
        summarise([r for rs in subset.values() for r in rs])


def summarise(rows: list[dict]) -> None:
    replacing = ("sequential", "scattered")
    replaced = [r for r in rows if r["mode"] in replacing and r["rate"] >= 0.1]
    clean = [r for r in rows if r["mode"] == "scattered" and r["rate"] == 0.0]
    for method in ("rs", "spa"):
        err = [abs(r[method] - r["rate"]) for r in replaced]
        print(
            f"{method.upper()}: rates >= 0.1 (mean over channels) within 0.05: "
            f"{sum(e <= 0.05 for e in err)}/{len(err)}, mean |error| {np.mean(err):.3f}, "
            f"max {max(err):.3f}; clean <= 0.03: "
            f"{sum(r[method] <= 0.03 for r in clean)}/{len(clean)} by mean over channels, "
            f"{sum(max(r[f'{method}_channels']) <= 0.03 for r in clean)}/{len(clean)} in every "
            f"channel (max {max(max(r[f'{method}_channels']) for r in clean):.3f})"
        )
    single = [e for r in replaced for e in r["errors"]]
    print(
        f"single-channel RS and SPA estimates, rates >= 0.1: within 0.05: "
        f"{sum(e <= 0.05 for e in single)}/{len(single)}, within 0.075: "
        f"{sum(e <= 0.075 for e in single)}/{len(single)}, worst {max(single):.3f}"
    )
    for label, subset in (
        ("clean", clean),
        ("LSB matching 0.1-0.4", [r for r in rows if r["mode"] == "matching"]),
        ("stegokit 1-bit output at 10/25/40% of capacity",
         [r for r in rows if r["mode"] == "stegokit"]),
        ("LSB replacement 0.4", [r for r in rows if r["mode"] in replacing and r["rate"] == 0.4]),
    ):
        verdicts = [r["verdict"] for r in subset]
        largest = max(max(r["rs_channels"] + r["spa_channels"]) for r in subset)
        print(
            f"{label}: {({v: verdicts.count(v) for v in analysis.VERDICTS})}, "
            f"largest single RS/SPA estimate {largest:.3f}"
        )


def plot(results: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
    for ax, mode in zip(axes, ("sequential", "scattered"), strict=True):
        ax.fill_between([0, 1], [-0.05, 0.95], [0.05, 1.05], color="0.9", label="±0.05")
        ax.plot([0, 1], [0, 1], color="0.5", lw=1)
        for method, marker in (("rs", "o"), ("spa", "x")):
            points = [(r["rate"], r[method]) for rs in results.values() for r in rs
                      if r["mode"] == mode]
            x, y = zip(*points, strict=True)
            ax.scatter(x, y, marker=marker, s=22, alpha=0.7, label=method.upper())
        ax.set_title(f"LSB replacement, {mode} positions")
        ax.set_xlabel("true rate (bits per colour value)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.08)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("estimated rate (mean over channels)")
    axes[0].legend(loc="upper left")
    fig.suptitle(f"stegokit analyze: RS and SPA on {len(results)} real photos")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"\nplot written to {path}")


def codec_sweep() -> None:
    """stegokit's 1-bit output on the scikit-image photos at 5-40% of capacity, 5 seeds each."""
    verdicts, largest, largest_channel, flagged = [], 0.0, 0.0, []
    for name, pixels in photos([], 1).items():
        capacity = stegokit.capacity(pixels).lsb[1]
        for percent in range(5, 45, 5):
            for seed in range(1, 6):
                payload = np.random.default_rng(seed).bytes(capacity * percent // 100)
                stego = stegokit.embed_text(pixels, payload, filename="data.bin", rng=seed)
                report = analysis.analyze(stego.pixels)
                verdicts.append(report.verdict)
                largest = max(largest, np.mean(report.rs), np.mean(report.spa))
                largest_channel = max(largest_channel, *report.rs, *report.spa)
                if report.verdict != "clean":
                    flagged.append(f"{name} {percent}% seed {seed}: {report.verdict}")
    counts = {v: verdicts.count(v) for v in analysis.VERDICTS}
    print(f"\nstegokit 1-bit output, 6 photos x 5-40% x 5 seeds: {counts}, largest RS/SPA "
          f"estimate {largest:.3f} (mean over channels), {largest_channel:.3f} (one channel)")
    for line in flagged:
        print(f"  {line}")


def time_12mp() -> None:
    pixels = np.asarray(Image.fromarray(data.astronaut()).resize((4000, 3000), Image.LANCZOS))
    analysis.analyze(pixels[:64, :64])  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        analysis.analyze(pixels)
        times.append(time.perf_counter() - start)
    print(f"analyze on 4000x3000 RGB (12 MP): best of 3 {min(times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, help="a folder of extra photos (any format)")
    parser.add_argument("--debian", action="store_true",
                        help="add the 23 Debian photos of docs/analysis.md (benchmarks/photos.py)")
    parser.add_argument("--reduce", type=int, default=1, help="shrink extra photos by this")
    parser.add_argument("--plot", type=Path, default=PLOT)
    parser.add_argument("--timing", action="store_true", help="also time a 12 MP analysis")
    parser.add_argument("--codec-sweep", action="store_true",
                        help="also analyse stegokit's output at 5-40%% of capacity, 5 seeds")
    args = parser.parse_args()
    extra = sorted(args.photos.iterdir()) if args.photos else []
    if args.debian:
        from photos import analysis_photos  # benchmarks/photos.py, next to this script

        extra += analysis_photos()
    rng = np.random.default_rng(2026)
    results = {name: measure(px, rng) for name, px in photos(extra, args.reduce).items()}
    print_table(results)
    print_summary(results)
    plot(results, args.plot)
    if args.codec_sweep:
        codec_sweep()
    if args.timing:
        time_12mp()


if __name__ == "__main__":
    main()
