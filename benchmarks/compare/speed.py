"""Embed and extract wall times, run by run with the tools alternating, each in a new process.

A cell is (cover size, payload case, tool, api|cli, embed|extract). Each run goes once through
every cell, so machine drift hits all tools alike. A cell whose runs took more than ``budget``
seconds of wall time in all (process start included) is not repeated (steghide on 12 MP
takes minutes), so that the whole benchmark fits in 15 minutes: its run count says so.
Only the reference (stegokit's default LSB codec, which every ratio divides by) always gets
every run; stegokit's other rows (with a passphrase, neural) keep to the budget too.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import run_process
from benchmarks.peers import Hider
from benchmarks.photos import cover

from .files import cover_as, payload, pillow_png_bytes, pixels, psnr
from .servers import Servers

ROOT = Path(__file__).resolve().parents[2]
#: The tool every other is compared with; it runs every case through both API and CLI.
REFERENCE = "stegokit"
TIMEOUT = 900


@dataclass
class Cell:
    """The runs of one cell and, once it fails, why."""

    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)
    error: str | None = None
    wall: float = 0.0

    def summary(self) -> dict:
        out: dict = {"runs": len(self.seconds)}
        if self.seconds:
            out |= {"median_s": statistics.median(self.seconds), "seconds": self.seconds,
                    "peak_mb": max(self.peak_mb)}
        if self.exact:
            out["exact"] = all(self.exact)
        if self.error:
            out["error"] = self.error
        return out


def base_env(scratch: Path) -> dict[str, str]:
    """The environment of every timed process: stegokit from this checkout, a scratch home."""
    env = {k: v for k, v in os.environ.items() if k != "STEGOKIT_PASSPHRASE"}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONHASHSEED"] = "0"
    env["STEGOKIT_HOME"] = str(scratch / "home")
    return env


class Matrix:
    """All cells of one benchmark and the files they work on."""

    def __init__(self, tools: list[Hider], sizes: list[str], cases: list[str], scratch: Path,
                 budget: float):
        self.tools, self.sizes, self.cases = tools, sizes, cases
        self.scratch, self.budget = scratch, budget
        self.env = base_env(scratch)
        self.cells: dict[tuple, Cell] = {}
        self.payloads: dict[tuple, Path] = {}
        self.servers = Servers(self.env, ROOT)

    def __enter__(self) -> Matrix:
        return self

    def __exit__(self, *exc) -> None:
        self.servers.close()

    def payload_file(self, size: str, case: str) -> Path:
        key = (size, case)
        if key not in self.payloads:
            path = self.scratch / f"payload-{size}-{case}.bin"
            path.write_bytes(payload(size, case))
            self.payloads[key] = path
        return self.payloads[key]

    def stego_file(self, size: str, case: str, tool: Hider, mode: str) -> Path:
        slug = "".join(c if c.isalnum() else "_" for c in tool.name)
        return self.scratch / f"stego-{size}-{case}-{slug}-{mode}.{tool.cover_format}"

    def modes(self, tool: Hider, case: str) -> list[str]:
        """The large payload goes through API and CLI; the short one through one (the API).

        The floor hides nothing, so it runs once per cover (with the large case)."""
        wanted = not tool.short_only if case == "large" else tool.verifies and tool.short_case
        if not wanted:
            return []
        modes = [m for m, has in (("api", tool.has_api), ("cli", tool.has_cli)) if has]
        return modes if case == "large" or tool.name == REFERENCE else modes[:1]

    def run_once(self, log) -> None:
        """One pass over every cell."""
        for size in self.sizes:
            for case in self.cases:
                for tool in self.tools:
                    for mode in self.modes(tool, case):
                        for op in ("embed", "extract"):
                            self._step(size, case, tool, mode, op, log)

    def _step(self, size, case, tool, mode, op, log) -> None:
        cell = self.cells.setdefault((size, case, tool.name, mode, op), Cell())
        embed = self.cells.get((size, case, tool.name, mode, "embed"))
        over = cell.wall > self.budget and tool.name != REFERENCE
        if cell.error or (op == "extract" and embed.error) or over:
            return
        started = time.perf_counter()
        source = cover_as(size, tool.cover_format, self.scratch)
        data = self.payload_file(size, case)
        stego = self.stego_file(size, case, tool, mode)
        if op == "embed":
            stego.unlink(missing_ok=True)
        if mode == "api":
            result = self.servers.run(tool.name, [op, str(source), str(data), str(stego)],
                                      TIMEOUT)
        else:
            result = self._cli(tool, op, source, data, stego)
        cell.wall += time.perf_counter() - started
        if "error" not in result and op == "embed" and not stego.exists():
            result["error"] = "wrote no image"
        if "error" in result:
            cell.error = result["error"]
            log(f"{size} {case} {tool.name} {mode} {op}: FAILED {cell.error}")
            return
        cell.seconds.append(result["seconds"])
        cell.peak_mb.append(result["peak_mb"])
        if "exact" in result:
            cell.exact.append(result["exact"])

    def _cli(self, tool: Hider, op: str, cover: Path, data: Path, stego: Path) -> dict:
        out = stego.with_suffix(".out")
        out.unlink(missing_ok=True)
        argv = (tool.embed_cli(cover, data, stego) if op == "embed"
                else tool.extract_cli(stego, out, data.stat().st_size))
        done = run_process(argv, env=self.env | tool.cli_env(), stdin=tool.cli_stdin(),
                           cwd=self.scratch, timeout=TIMEOUT)
        if done.code != 0 or (op == "embed" and not stego.exists()):
            return {"error": done.reason()}
        result = {"seconds": done.seconds, "peak_mb": done.peak_mb}
        if op == "extract":
            try:
                result["exact"] = tool.cli_result(done.stdout, out) == data.read_bytes()
            except OSError:
                return {"error": f"wrote nothing ({done.reason()})"}
        return result

    def rows(self) -> list[dict]:
        """Every cell's summary; embed rows also carry the stego PSNR and the file's size next
        to Pillow's default PNG of the cover. Pillow's default PNG of the stego pixels
        themselves (seconds per 12 MP image) is worked out for the reference's rows only,
        which the file-size target is about; all of it on every core."""
        rows, measured, jobs = [], [], []
        for (size, case, name, mode, op), cell in self.cells.items():
            row = {"size": size, "case": case, "tool": name, "mode": mode, "op": op,
                   **cell.summary()}
            tool = next(t for t in self.tools if t.name == name)
            stego = self.stego_file(size, case, tool, mode)
            if op == "embed" and cell.seconds and stego.exists() and tool.verifies:
                measured.append(row)
                jobs.append((cover_as(size, tool.cover_format, self.scratch), stego,
                             name == REFERENCE))
            rows.append(row)
        with ThreadPoolExecutor(os.cpu_count()) as pool:
            covers = dict(zip(self.sizes, pool.map(pillow_png_bytes, map(cover, self.sizes)),
                              strict=True))
            for row, found in zip(measured, pool.map(_file_measures, *zip(*jobs, strict=True)),
                                  strict=True):
                row.update(found, cover_png_bytes=covers[row["size"]])
        return rows


def _file_measures(source: Path, stego: Path, same_pixels_png: bool) -> dict:
    """Stego PSNR, file size and, if asked, the size of Pillow's default PNG of its pixels."""
    measured = {"psnr": psnr(pixels(source), pixels(stego)), "file_bytes": stego.stat().st_size}
    if same_pixels_png:
        measured["pillow_png_bytes"] = pillow_png_bytes(stego)
    return measured
