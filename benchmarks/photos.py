"""Real benchmark covers, made reproducibly from a Debian wallpaper package.

`plasma-workspace-wallpapers` (bookworm 4:5.27.5-2, GPL-2+) ships "Volna", a 5120x2880
photograph. It is fetched once with `apt-get download` into benchmarks/.cache/ (not committed)
and cut into the three covers the benchmarks use: 512x512, ~2 MP and ~12 MP PNGs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

CACHE = Path(__file__).parent / ".cache"
PACKAGE = "plasma-workspace-wallpapers"
SOURCE = "usr/share/wallpapers/Volna/contents/images/5120x2880.jpg"
SIZES = {"512x512": (512, 512), "2MP": (1920, 1080), "12MP": (4256, 2832)}


def _source_photo() -> Path:
    photo = CACHE / "src" / SOURCE
    if photo.exists():
        return photo
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{PACKAGE}_*.deb")):
        subprocess.run(["apt-get", "download", PACKAGE], cwd=debs, check=True)
    deb = next(debs.glob(f"{PACKAGE}_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE / "src")], check=True)
    return photo


def cover(name: str) -> Path:
    """The path of a benchmark cover PNG ("512x512", "2MP" or "12MP"), made on first use."""
    path = CACHE / f"cover-{name}.png"
    if path.exists():
        return path
    width, height = SIZES[name]
    with Image.open(_source_photo()) as photo:
        photo = photo.convert("RGB")
        if name == "12MP":
            left, top = (photo.width - width) // 2, (photo.height - height) // 2
            image = photo.crop((left, top, left + width, top + height))
        elif name == "2MP":
            image = photo.resize((width, height), Image.LANCZOS)
        else:
            small = photo.resize((910, 512), Image.LANCZOS)
            image = small.crop((199, 0, 711, 512))
        image.save(path)
    return path


if __name__ == "__main__":
    for size in SIZES:
        print(cover(size))
