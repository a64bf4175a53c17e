"""The results as Markdown tables (the JSON is written as is)."""

from __future__ import annotations

import math

from .robustness import ATTACKS
from .speed import REFERENCE

FLOOR = "Pillow load+save"


def _seconds(row: dict | None, runs: int) -> str:
    if row is None:
        return ""
    if not row.get("runs"):
        return f"failed: {_short(row['error'], 70)}" if "error" in row else "(no stego image)"
    text = f"{row['median_s']:.3f}" if row["median_s"] < 10 else f"{row['median_s']:.1f}"
    return text + (f" (n={row['runs']})" if row["runs"] < runs else "")


def _ratio(row: dict | None, ref: dict | None) -> str:
    if not row or not ref or not row.get("runs") or not ref.get("runs"):
        return ""
    ratio = row["median_s"] / ref["median_s"]
    return f"{ratio:.2f}×" if ratio < 1 else f"{ratio:.1f}×"


def _exact(row: dict | None) -> str:
    if row is None or "exact" not in row:
        return ""
    return "yes" if row["exact"] else "**NO**"


def _psnr(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return "∞" if math.isinf(value) else f"{value:.1f}"


def speed_table(results: dict, size: str, case: str) -> str:
    rows = {(r["tool"], r["mode"], r["op"]): r for r in results["speed"]
            if r["size"] == size and r["case"] == case}
    runs = results["runs"]
    lines = ["| tool | how | embed s | extract s | embed ÷ stegokit | extract ÷ stegokit | "
             "peak MB | PSNR dB | exact | file MB | ÷ cover's Pillow PNG |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for tool, mode in dict.fromkeys((t, m) for t, m, _ in rows):
        embed, extract = rows.get((tool, mode, "embed")), rows.get((tool, mode, "extract"))
        ref = (rows.get((REFERENCE, mode, "embed")), rows.get((REFERENCE, mode, "extract")))
        peak = max((r.get("peak_mb") or 0 for r in (embed, extract) if r), default=0)
        peak_text = f"{peak:.0f}" if peak else ""
        size_mb = f"{embed['file_bytes'] / 1e6:.2f}" if embed and "file_bytes" in embed else ""
        vs_png = (f"{embed['file_bytes'] / embed['cover_png_bytes']:.2f}"
                  if embed and "cover_png_bytes" in embed else "")
        lines.append(
            f"| {tool} | {mode} | {_seconds(embed, runs)} | {_seconds(extract, runs)} | "
            f"{_ratio(embed, ref[0])} | {_ratio(extract, ref[1])} | {peak_text} | "
            f"{_psnr(embed.get('psnr') if embed else None)} | {_exact(extract)} | {size_mb} | "
            f"{vs_png} |")
    floor = {r["op"]: r for r in results["speed"]
             if r["size"] == size and r["case"] == "large" and r["tool"] == FLOOR}
    ref = {op: rows.get((REFERENCE, "api", op)) for op in ("embed", "extract")}
    ratios = [f"{op} {_ratio(ref[op], floor.get(op))}" for op in ("embed", "extract")
              if _ratio(ref[op], floor.get(op))]
    if ratios:
        lines += ["", f"stegokit (API) ÷ the floor ({FLOOR}, {size}): " + ", ".join(ratios)
                  + "."]
    same = [f"{mode} {r['file_bytes'] / r['pillow_png_bytes']:.3f}"
            for (tool, mode, op), r in rows.items()
            if tool == REFERENCE and op == "embed" and "pillow_png_bytes" in r]
    if same:
        lines += ["", "stegokit's file ÷ Pillow's default PNG of the same stego pixels: "
                  + ", ".join(same) + "."]
    return "\n".join(lines)


def _short(text: str | None, limit: int = 90) -> str:
    """One table-safe line of at most ``limit`` characters."""
    text = " ".join((text or "").split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def checks_table(results: dict) -> str:
    lines = ["| tool | stated capacity (B) | filled to it | one byte more | clean image | "
             "damaged stego image |", "| --- | ---: | --- | --- | --- | --- |"]
    for tool, check in results["checks"].items():
        stated = check.get("stated")
        cells = [_short(check.get(key)) for key in ("fill", "one_more", "clean", "damaged")]
        lines.append(f"| {tool} | {stated if stated is not None else 'not stated'} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def robustness_table(results: dict) -> str:
    robust = results["robustness"]
    head = " | ".join(ATTACKS)
    lines = [f"| codec | PSNR dB | embed ms | extract ms | {head} |",
             "| --- | ---: | ---: | ---: |" + " ---: |" * len(ATTACKS)]
    for name, codec in robust["codecs"].items():
        if "error" in codec:
            lines.append(f"| {name} | failed: {_short(codec['error'])} |"
                         + " |" * (3 + len(ATTACKS)))
            continue
        cells = []
        for attack in ATTACKS:
            a = codec["attacks"][attack]
            cell = f"{a['exact']:.0%} ({a['bit_accuracy']:.0%})"
            cells.append(cell + (f", wrong {a['wrong']:.0%}" if a["wrong"] else ""))
        lines.append(f"| {name} | {codec['psnr']:.1f} | {codec['embed_s'] * 1e3:.0f} | "
                     f"{codec['extract_s'] * 1e3:.0f} | " + " | ".join(cells) + " |")
    for name, info in results["markers"].items():
        if info["available"]:
            lines.append(f"| {name} | {info['available']} |" + " |" * (3 + len(ATTACKS)))
    return "\n".join(lines)


def markdown(results: dict) -> str:
    m = results["machine"]
    parts = [
        f"Command: `{results['command']}` ({results['wall_s']} s). Machine: {m['nproc']} cores, "
        f"{m['cpu']}, {m['ram_gb']} GB RAM, Python {m['python']}, {m['platform']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + ".",
        f"Medians of {results['runs']} runs per cell, tools alternating run by run; a cell "
        f"stops repeating once its runs took {results['budget_s']:.0f} s in all (then n=… shows "
        "its run count). ÷ stegokit: this tool's time over stegokit's in the same mode "
        "(above 1: stegokit is faster).",
        "", "## Tools", "", "| tool | here | how it is fed |", "| --- | --- | --- |",
        *(f"| {name} | {info['available'] or 'available'} | {info['note']} |"
          for name, info in results["tools"].items()),
        *(f"| {name} | {info['available'] or 'available'} | watermark (robustness) |"
          for name, info in results["markers"].items()),
    ]
    sizes = list(dict.fromkeys(r["size"] for r in results["speed"]))
    for case, title in (("large", "a random payload at 0.0995 bits per value (450,000 B in "
                         "12 MP)"), ("short", "a 20-character message")):
        for size in sizes:
            parts += ["", f"## {size}, {title}", "", speed_table(results, size, case)]
    parts += ["", "## Capacity claims and garbage (512x512)", "", checks_table(results),
              "", f"## Robustness: {results['robustness']['message_bits']}-bit messages, "
              f"{results['robustness']['photos']} photos; exact message % (bit accuracy)",
              "", robustness_table(results), ""]
    return "\n".join(parts)
