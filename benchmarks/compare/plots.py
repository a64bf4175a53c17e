"""Plots: time against image size for every tool, and robustness against JPEG quality."""

from __future__ import annotations

from pathlib import Path

from benchmarks.photos import SIZES

MEGAPIXELS = {name: w * h / 1e6 for name, (w, h) in SIZES.items()}
QUALITIES = [("none", 100), ("jpeg90", 90), ("jpeg75", 75), ("jpeg50", 50)]


def draw(results: dict, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    _times(results, folder / "bench_time.png")
    _robustness(results, folder / "bench_robustness.png")


def _times(results: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    tools = list(dict.fromkeys(r["tool"] for r in results["speed"]))
    colours = dict(zip(tools, plt.get_cmap("tab20").colors, strict=False))
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), sharex=True)
    for row, case in enumerate(("large", "short")):
        for col, op in enumerate(("embed", "extract")):
            ax = axes[row][col]
            lines: dict[tuple, list] = {}
            for r in results["speed"]:
                if r["case"] == case and r["op"] == op and r.get("runs"):
                    lines.setdefault((r["tool"], r["mode"]), []).append(
                        (MEGAPIXELS[r["size"]], r["median_s"]))
            for (tool, mode), points in lines.items():
                points.sort()
                style = "-" if mode == "api" else "--"
                width = 2.5 if tool.startswith("stegokit") else 1.2
                ax.plot(*zip(*points, strict=True), style, marker="o" if mode == "api" else "s",
                        lw=width, color=colours[tool], label=f"{tool} ({mode})")
            ax.set(xscale="log", yscale="log", title=f"{op}, {case} payload",
                   xlabel="megapixels", ylabel="seconds (median, whole call or process)")
            ax.grid(True, which="both", alpha=0.3)
    legend = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _robustness(results: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    codecs = {k: v for k, v in results["robustness"]["codecs"].items() if "error" not in v}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, codec in codecs.items():
        xs = [q for _, q in QUALITIES]
        for ax, key in zip(axes, ("exact", "bit_accuracy"), strict=True):
            ax.plot(xs, [codec["attacks"][a][key] for a, _ in QUALITIES], marker="o",
                    label=name)
    bits = results["robustness"]["message_bits"]
    for ax, title in zip(axes, (f"exact {bits}-bit message rate", "bit accuracy"),
                         strict=True):
        ax.set(xlabel="JPEG quality (100 = no JPEG)", title=title, ylim=(0, 1.05))
        ax.invert_xaxis()
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    missing = [n for n, i in results["markers"].items() if i["available"]]
    if missing:
        fig.text(0.5, 0.01, "not measured: " + "; ".join(
            f"{n} ({results['markers'][n]['available']})" for n in missing),
            ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
