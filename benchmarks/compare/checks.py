"""Does each tool keep its word? Capacity filled to the stated figure, and no garbage out.

On the 512x512 cover: fill each tool to the capacity it states (then one byte more), extract
from the clean cover, and extract from a stego image with 0.1% of its values changed by one.
Good answers are an exact round trip, a refusal of the extra byte, and an error (not data)
from the clean and the damaged image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.harness import run_process
from benchmarks.peers import Hider, Marker

from .files import JPEG_QUALITY, cover_as, payload, pixels

SIZE = "512x512"
DAMAGE = 0.001


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


def damaged(stego: Path, fmt: str) -> Path:
    """A copy of ``stego`` with 0.1% of its values moved by one (JPEG: re-saved at 90)."""
    values = pixels(stego).copy()
    flat = values.reshape(-1)
    rng = np.random.default_rng(2)
    where = rng.choice(flat.size, max(1, int(flat.size * DAMAGE)), replace=False)
    flat[where] ^= 1
    path = stego.with_name(f"damaged.{fmt}")
    Image.fromarray(values).save(path, **({"quality": JPEG_QUALITY} if fmt == "jpg" else {}))
    return path


def garbage(tool: Hider, cover: Path, scratch: Path, env: dict) -> dict:
    """Extract from the clean cover, and from a damaged stego image (the large payload, or the
    short message where the large one does not fit)."""
    clean = _verdict(_extract(tool, cover, len(payload(SIZE, "short")), env), None)
    stego = scratch / f"stego.{tool.cover_format}"
    for case in ("short",) if tool.short_only else ("large", "short"):
        data = payload(SIZE, case)
        failed = _embed(tool, cover, data, stego, env)
        if not failed:
            break
    if failed:
        return {"clean": clean, "damaged": f"embed failed: {failed}"}
    hurt = _verdict(_extract(tool, damaged(stego, tool.cover_format), len(data), env), data)
    return {"clean": clean, "damaged": hurt}


def marker_garbage(marker: Marker, cover: Path) -> dict:
    """What a watermark reader says about a clean photo."""
    try:
        found = marker.read(pixels(cover), marker.fixed_bytes or 4)
    except Exception as exc:  # a refusal is the right answer
        return {"clean": f"error: {type(exc).__name__}: {exc}"[:160]}
    return {"clean": f"WRONG DATA ({len(found)} bytes)"}


def run(tools: list[Hider], markers: list[Marker], scratch: Path, env: dict) -> dict:
    results = {}
    for tool in tools:
        if not tool.verifies:
            continue
        work = scratch / "checks"
        work.mkdir(exist_ok=True)
        cover = cover_as(SIZE, tool.cover_format, scratch)
        results[tool.name] = (capacity(tool, cover, work, env)
                              | garbage(tool, cover, work, env))
    for marker in markers:
        results[marker.name] = marker_garbage(marker, cover_as(SIZE, "png", scratch))
    return results
