"""Download the training photos from Debian packages and write the photo split.

Run from the repository root (needs ``apt-get`` and ``dpkg-deb``; no root needed)::

    python -m training.gather_data

Packages are pinned to their Debian bookworm versions. Only real photographs are kept
(artworks, logos and synthetic images are skipped); ``data/photos/`` receives one PNG or
JPEG per photo (the largest variant of each) and ``data/split.json`` lists which photos are
for training, validation and test. Whole photos are held out, so evaluation never sees a
photo used in training.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import subprocess
from pathlib import Path

from PIL import Image

PACKAGES = {
    "plasma-workspace-wallpapers": "4:5.27.5-2",
    "mate-backgrounds": "1.26.0-1",
    "lxqt-themes": "1.2.0-1",
    "palapeli-data": "4:22.12.3-1",
    "opencv-doc": "4.6.0+dfsg-12",
}
LICENSES = {
    "plasma-workspace-wallpapers": "GPL-2+",
    "mate-backgrounds": "GPL-2+",
    "lxqt-themes": "CC-BY-SA-3.0",
    "palapeli-data": "GPL-2+",
    "opencv-doc": "Apache-2.0 AND BSD-3-Clause",
}
PLASMA = [
    "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
    "Grey", "Kite", "OneStandsOut", "Path", "Volna", "summer_1am",
]
MATE = [
    "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
    "Storm", "TwoWings", "Wood", "YellowFlower",
]
LXQT = [
    "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png",
    "beam.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg",
    "this-is-not-windows.jpg",
]
PALAPELI = [
    "castle-maintenon", "cincinnati-bridge", "citrus-fruits", "european-honey-bee",
    "panther-chameleon-female",
]
OPENCV_DATA = [
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "board.jpg",
    "building.jpg", "butterfly.jpg", "ela_original.jpg", "fruits.jpg", "graf1.png", "home.jpg",
    "leuvenA.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg", "pca_test1.jpg",
    "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "stuff.jpg", "text_defocus.jpg",
]
OPENCV_OTHER = [f"text/scenetext0{i}.jpg" for i in range(1, 7)] + [
    "hfs/data/000.jpg", "hfs/data/001.jpg", "hfs/data/002.jpg",
    "alphamat/input_images/plant.jpg",
]
MIN_SHORT_SIDE = 254
SPLIT_SEED = 20261121
N_VAL = 6
N_TEST = 14

log = logging.getLogger("gather")


def download(debs: Path) -> None:
    """Fetch the pinned ``.deb`` files into ``debs`` (skipping ones already there)."""
    debs.mkdir(parents=True, exist_ok=True)
    for name, version in PACKAGES.items():
        if any(debs.glob(f"{name}_*.deb")):
            continue
        subprocess.run(["apt-get", "download", f"{name}={version}"], cwd=debs, check=True)
    for deb in sorted(debs.glob("*.deb")):
        log.info("package %s (%.1f MB)", deb.name, deb.stat().st_size / 1e6)


def extract(debs: Path, root: Path) -> Path:
    """Unpack every ``.deb`` under ``root`` and return its ``usr/share`` folder."""
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root / "usr" / "share"


def _largest(folder: Path) -> Path:
    return max(folder.iterdir(), key=lambda p: Image.open(p).size[0] * Image.open(p).size[1])


def photo_sources(share: Path) -> dict[str, tuple[str, Path]]:
    """Map a photo id to (package, source file) for every selected real photograph."""
    ocv = share / "doc" / "opencv-doc" / "examples"
    found: dict[str, tuple[str, Path]] = {}
    for n in PLASMA:
        found[f"plasma-{n}"] = (
            "plasma-workspace-wallpapers",
            _largest(share / "wallpapers" / n / "contents" / "images"),
        )
    for n in MATE:
        found[f"mate-{n}"] = ("mate-backgrounds", share / "backgrounds/mate/nature" / f"{n}.jpg")
    for n in LXQT:
        found[f"lxqt-{Path(n).stem}"] = ("lxqt-themes", share / "lxqt/wallpapers" / n)
    for n in PALAPELI:
        found[f"palapeli-{n}"] = ("palapeli-data", share / "palapeli/collection" / f"{n}.jpg")
    for n in OPENCV_DATA:
        found[f"opencv-{Path(n).stem}"] = ("opencv-doc", ocv / "data" / n)
    for n in OPENCV_OTHER:
        found[f"opencv-{n.replace('/', '_').rsplit('.', 1)[0]}"] = ("opencv-doc", ocv / n)
    return found


def split(ids: list[str], sizes: dict[str, tuple[int, int]]) -> dict[str, list[str]]:
    """Hold out whole photos: test and validation mix large and small photos."""
    rng = random.Random(SPLIT_SEED)
    large = sorted(i for i in ids if min(sizes[i]) >= 1000)
    small = sorted(i for i in ids if min(sizes[i]) < 1000)
    rng.shuffle(large)
    rng.shuffle(small)
    n_test_large, n_val_large = N_TEST // 2, N_VAL // 2
    test = large[:n_test_large] + small[: N_TEST - n_test_large]
    val = large[n_test_large : n_test_large + n_val_large] + \
        small[N_TEST - n_test_large : N_TEST - n_test_large + N_VAL - n_val_large]
    train = [i for i in large + small if i not in test and i not in val]
    return {"train": sorted(train), "val": sorted(val), "test": sorted(test)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.FileHandler(args.data / "gather.log"), logging.StreamHandler()],
    )
    download(args.data / "debs")
    share = extract(args.data / "debs", args.data / "src")
    photos = args.data / "photos"
    photos.mkdir(exist_ok=True)
    manifest: dict[str, dict] = {}
    for pid, (package, src) in sorted(photo_sources(share).items()):
        with Image.open(src) as im:
            size = im.size
            if min(size) < MIN_SHORT_SIDE:
                log.info("skip %s: %dx%d too small", pid, *size)
                continue
        dst = photos / f"{pid}{src.suffix.lower()}"
        shutil.copyfile(src, dst)
        manifest[pid] = {
            "file": dst.name,
            "package": package,
            "version": PACKAGES[package],
            "license": LICENSES[package],
            "source": str(src.relative_to(args.data / "src")),
            "size": list(size),
        }
    sizes = {k: tuple(v["size"]) for k, v in manifest.items()}
    parts = split(sorted(manifest), sizes)
    (args.data / "split.json").write_text(json.dumps({"photos": manifest, **parts}, indent=1))
    for name, ids in parts.items():
        log.info("%s: %d photos: %s", name, len(ids), " ".join(ids))
    log.info("%d photos written to %s", len(manifest), photos)


if __name__ == "__main__":
    main()
