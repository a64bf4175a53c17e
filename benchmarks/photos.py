"""Real benchmark covers, made reproducibly from Debian wallpaper packages.

`plasma-workspace-wallpapers` (bookworm 4:5.27.5-2, GPL-2+) ships "Volna", a 5120x2880
photograph. It is fetched once with `apt-get download` into benchmarks/.cache/ (not committed)
and cut into the three covers the benchmarks use: 512x512, ~2 MP and ~12 MP PNGs.

:func:`analysis_photos` gives the 23 photographs that benchmarks/analysis_accuracy.py adds to
scikit-image's: the nature set of `mate-backgrounds` (1.26.0-1, GPL-2+) and the photographs
among the wallpapers of `lxqt-themes` (1.2.0-1, CC-BY-SA-3.0), fetched the same way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

CACHE = Path(__file__).parent / ".cache"
PACKAGE = "plasma-workspace-wallpapers"
SOURCE = "usr/share/wallpapers/Volna/contents/images/5120x2880.jpg"
SIZES = {"512x512": (512, 512), "2MP": (1920, 1080), "12MP": (4256, 2832)}
MATE = ("mate-backgrounds", "1.26.0-1", "usr/share/backgrounds/mate/nature", [
    "Aqua.jpg", "Blinds.jpg", "Dune.jpg", "FreshFlower.jpg", "Garden.jpg", "GreenMeadow.jpg",
    "LadyBird.jpg", "RainDrops.jpg", "Storm.jpg", "TwoWings.jpg", "Wood.jpg", "YellowFlower.jpg",
])
LXQT = ("lxqt-themes", "1.2.0-1", "usr/share/lxqt/wallpapers", [
    "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png",
    "beam.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg",
    "this-is-not-windows.jpg",
])


def _unpacked(package: str, path: str, version: str | None = None) -> Path:
    """``path`` inside the package, downloaded and unpacked into the cache on first use."""
    found = CACHE / "src" / path
    if found.exists():
        return found
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        wanted = f"{package}={version}" if version else package
        subprocess.run(["apt-get", "download", wanted], cwd=debs, check=True)
    deb = next(debs.glob(f"{package}_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE / "src")], check=True)
    return found


def _source_photo() -> Path:
    return _unpacked(PACKAGE, SOURCE)


def wallpapers() -> Path:
    """The folder of every wallpaper in the package, fetched on first use."""
    return _unpacked(PACKAGE, "usr/share/wallpapers")


def analysis_photos() -> list[Path]:
    """The 23 Debian photographs of docs/analysis.md's accuracy figures, fetched on first use."""
    return [
        _unpacked(package, f"{folder}/{name}", version)
        for package, version, folder, names in (MATE, LXQT)
        for name in names
    ]

#: benchmarks/steganalysis.py's sources: the photographs listed in /work/shared/TRAINING_DATA.md
#: (the largest file of each plasma wallpaper; opencv-doc's photographic samples).
PLASMA = ("plasma-workspace-wallpapers", "4:5.27.5-2", "usr/share/wallpapers", [
    f"{name}/contents/images/{size}.jpg" for name, size in (
        ("BytheWater", "2560x1440"), ("ColdRipple", "2560x1440"), ("ColorfulCups", "2560x1600"),
        ("DarkestHour", "2560x1440"), ("EveningGlow", "2560x1440"), ("FallenLeaf", "2560x1440"),
        ("Grey", "2560x1440"), ("Kite", "2560x1440"), ("OneStandsOut", "2560x1440"),
        ("Path", "2560x1440"), ("Volna", "5120x2880"), ("summer_1am", "2560x1440"))])
PALAPELI = ("palapeli-data", "4:22.12.3-1", "usr/share/palapeli/collection", [
    "castle-maintenon.jpg", "cincinnati-bridge.jpg", "citrus-fruits.jpg",
    "european-honey-bee.jpg", "panther-chameleon-female.jpg"])
OPENCV = ("opencv-doc", "4.6.0+dfsg-12", "usr/share/doc/opencv-doc/examples/data", [
    "aero1.jpg", "aero3.jpg", "baboon.jpg", "building.jpg", "butterfly.jpg", "fruits.jpg",
    "home.jpg", "leuvenA.jpg", "leuvenB.jpg", "messi5.jpg", "orange.jpg", "squirrel_cls.jpg",
    "stuff.jpg", "graf1.png", "graf3.png", "apple.jpg", "board.jpg", "box_in_scene.png",
    "aloeL.jpg", "rubberwhale1.png", "basketball1.png", "ela_original.jpg",
    "licenseplate_motion.jpg", "text_defocus.jpg", "sudoku.png"])


def steganalysis_photos() -> list[Path]:
    """The 65 photographs benchmarks/steganalysis.py cuts into patches, fetched on first use."""
    return [
        _unpacked(package, f"{folder}/{name}", version)
        for package, version, folder, names in (PLASMA, MATE, LXQT, PALAPELI, OPENCV)
        for name in names
    ]


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
    for photo in analysis_photos():
        print(photo)
