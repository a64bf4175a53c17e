"""Does each tool keep its word? Capacity filled to the stated figure, and no garbage out.

On the 512x512 cover: fill each tool to the capacity it states (then one byte more); extract
from three clean photos; and extract from six damaged stego images, with 1, 1, 1, 10, 10 and
100 values changed by one in the first 5% of the image (where every tool has data). Good
answers are an exact round trip, a refusal of the extra byte, and an error (never data) from
clean and damaged images; "exact" from a damaged image is fine too (the damage was missed or
corrected).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.harness import run_process
from benchmarks.peers import Hider, Marker

from .files import JPEG_QUALITY, cover_as, payload, pixels

SIZE = "512x512"
#: Clean photos besides the cover (scikit-image's).
CLEAN = ("astronaut", "coffee")
#: Damaged stego images: this many values moved by one, at random places in the first
#: ``HEAD`` of the values in raster order, where every tool here has data.
FLIPS = (1, 1, 1, 10, 10, 100)
HEAD = 0.05


def _embed(tool: Hider, cover: Path, data: bytes, out: Path, env: dict) -> str | None:
    """Hide ``data`` (API if the tool has one, else its CLI); the failure reason or None."""
    out.unlink(missing_ok=True)
    if tool.has_api:
        try:
            tool.embed(cover, data, out)
        except Exception as exc:  # a peer's refusal or crash is the answer
            return f"{type(exc).__name__}: {exc}"[:160]
        return None if out.exists() else "wrote no image"
    source = out.with_suffix(".payload")
    source.write_bytes(data)
    done = run_process(tool.embed_cli(cover, source, out), env=env | tool.cli_env(),
                       stdin=tool.cli_stdin(), cwd=out.parent, timeout=600)
    return None if done.code == 0 and out.exists() else done.reason()


def _extract(tool: Hider, stego: Path, size: int, env: dict) -> bytes | str:
    """The recovered bytes, or a string saying why there are none."""
    if tool.has_api:
        try:
            return tool.extract(stego, size)
        except Exception as exc:  # any refusal counts as "no data"
            return f"{type(exc).__name__}: {exc}"[:160]
    out = stego.with_suffix(".out")
    out.unlink(missing_ok=True)
    done = run_process(tool.extract_cli(stego, out, size), env=env | tool.cli_env(),
                       stdin=tool.cli_stdin(), cwd=stego.parent, timeout=600)
    if done.code != 0:
        return done.reason()
    try:
        return tool.cli_result(done.stdout, out)
    except OSError:
        return f"wrote nothing ({done.reason()})"


def _verdict(found: bytes | str, data: bytes | None) -> str:
    """'exact', 'error: why', or 'WRONG DATA (n bytes)'."""
    if isinstance(found, str):
        return f"error: {found}"
    if data is not None and found == data:
        return "exact"
    return f"WRONG DATA ({len(found)} bytes)"


def capacity(tool: Hider, cover: Path, scratch: Path, env: dict) -> dict:
    stated = tool.stated_capacity(cover)
    if stated is None:
        return {"stated": None}
    rng = np.random.default_rng(1)
    out = scratch / f"cap.{tool.cover_format}"
    data = rng.bytes(stated)
    failed = _embed(tool, cover, data, out, env)
    fill = f"embed failed: {failed}" if failed else _verdict(_extract(tool, out, stated, env),
                                                             data)
    more = _embed(tool, cover, rng.bytes(stated + 1), out, env)
    return {"stated": stated, "fill": fill, "one_more": f"refused: {more}" if more
            else "accepted"}


def _save(values: np.ndarray, path: Path) -> Path:
    fmt = path.suffix[1:]
    Image.fromarray(values).save(path, **({"quality": JPEG_QUALITY} if fmt == "jpg" else {}))
    return path


def clean_photos(fmt: str, scratch: Path) -> list[Path]:
    """Photos that carry nothing: the cover and two of scikit-image's, in the tool's format."""
    from skimage import data

    paths = [cover_as(SIZE, fmt, scratch)]
    for name in CLEAN:
        path = scratch / f"clean-{name}.{fmt}"
        paths.append(path if path.exists() else _save(getattr(data, name)(), path))
    return paths


def damaged(stego: Path, flips: int, seed: int) -> Path:
    """A copy of ``stego`` with ``flips`` values in its head moved by one (JPEG: re-saved)."""
    values = pixels(stego).copy()
    flat = values.reshape(-1)
    where = np.random.default_rng(seed).choice(int(flat.size * HEAD), flips, replace=False)
    flat[where] ^= 1
    return _save(values, stego.with_name(f"damaged{stego.suffix}"))


def _tally(verdicts: list[str]) -> str:
    """'error 3/3 (first reason)' or 'WRONG DATA 2/4, exact 2/4'."""
    kinds = Counter(v.split(":")[0].split(" (")[0] for v in verdicts)
    text = ", ".join(f"{kind} {n}/{len(verdicts)}" for kind, n in kinds.most_common())
    reason = next((v[7:] for v in verdicts if v.startswith("error: ")), None)
    return text + (f" ({reason})" if reason else "")


def garbage(tool: Hider, scratch: Path, env: dict) -> dict:
    """Extract from clean photos, and from damaged stego images (the large payload, or the
    short message where the large one does not fit)."""
    short = len(payload(SIZE, "short"))
    clean = [_verdict(_extract(tool, photo, short, env), None)
             for photo in clean_photos(tool.cover_format, scratch)]
    cover = cover_as(SIZE, tool.cover_format, scratch)
    stego = scratch / f"stego.{tool.cover_format}"
    for case in ("short",) if tool.short_only else ("large", "short"):
        data = payload(SIZE, case)
        failed = _embed(tool, cover, data, stego, env)
        if not failed:
            break
    if failed:
        return {"clean": _tally(clean), "damaged": f"embed failed: {failed}"}
    hurt = [_verdict(_extract(tool, damaged(stego, flips, seed), len(data), env), data)
            for seed, flips in enumerate(FLIPS)]
    return {"clean": _tally(clean), "damaged": _tally(hurt), "clean_all": clean,
            "damaged_all": hurt}


def marker_garbage(marker: Marker, scratch: Path) -> dict:
    """What a watermark reader says about photos that carry nothing."""
    verdicts = []
    for photo in clean_photos("png", scratch):
        try:
            found = marker.read(pixels(photo), marker.fixed_bytes or 4)
            verdicts.append(f"WRONG DATA ({len(found)} bytes)")
        except Exception as exc:  # a refusal is the right answer
            verdicts.append(f"error: {type(exc).__name__}: {exc}"[:160])
    return {"clean": _tally(verdicts), "clean_all": verdicts}


def run(tools: list[Hider], markers: list[Marker], scratch: Path, env: dict, log) -> dict:
    results = {}
    for tool in tools:
        if not tool.verifies:
            continue
        started = time.perf_counter()
        work = scratch / "checks"
        work.mkdir(exist_ok=True)
        cover = cover_as(SIZE, tool.cover_format, scratch)
        results[tool.name] = capacity(tool, cover, work, env) | garbage(tool, work, env)
        log(f"checks: {tool.name} done ({time.perf_counter() - started:.0f} s)")
    for marker in markers:
        results[marker.name] = marker_garbage(marker, scratch)
    return results
