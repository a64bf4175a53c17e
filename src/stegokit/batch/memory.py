"""How many local workers fit in memory, from the image sizes (headers only).

Per-worker cost = a base (Python, NumPy, the codecs) + bytes per pixel of the largest
image, measured as peak RSS on a 9.4 MP photo (docs/batch.md) and rounded up.
"""

from __future__ import annotations

import os

from ..errors import StegokitError

#: Peak bytes per pixel of an RGB image in one worker, with margin (measured: LSB embed 9,
#: extract 9, analyze 11, neural embed 32).
BYTES_PER_PIXEL = {"lsb": 14, "extract": 14, "analyze": 16, "neural": 45}
#: A worker's memory before any image: interpreter, NumPy, Pillow, codecs (neural: + models).
WORKER_BASE = {"lsb": 80 << 20, "extract": 120 << 20, "analyze": 80 << 20, "neural": 160 << 20}
MIB = 1 << 20


def available() -> int | None:
    """Bytes of memory available now (Linux MemAvailable, else free pages), or None."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_budget() -> int | None:
    """Half of the memory available: room for the rest of the machine."""
    free = available()
    return None if free is None else free // 2


def largest(paths: list[str]) -> tuple[int, str] | None:
    """``(pixels, path)`` of the largest image (header reads; unreadable files skipped)."""
    from .. import images

    best = None
    for path in paths:
        try:
            height, width, _ = images.dimensions(path)
        except StegokitError:
            continue  # a bad file: its worker records the error
        if best is None or height * width > best[0]:
            best = (height * width, path)
    return best


def fit(workers: int, profile: str, paths: list[str], budget: int | None
        ) -> tuple[int, str | None]:
    """``workers`` lowered so that they fit in ``budget`` bytes, and a notice if lowered."""
    if budget is None or workers <= 1:
        return workers, None
    found = largest(paths)
    if found is None:
        return workers, None
    pixels, path = found
    each = WORKER_BASE[profile] + BYTES_PER_PIXEL[profile] * pixels
    allowed = max(1, min(workers, budget // each))
    if allowed == workers:
        return workers, None
    return allowed, (f"--jobs lowered from {workers} to {allowed}: the largest image "
                     f"({pixels / 1e6:.1f} MP, {path}) needs about {each // MIB} MiB per "
                     f"worker and the memory budget is {budget // MIB} MiB (--memory-budget)")
