"""Calibrate and check analyze's bit-plane test (``analysis.plane_correlation`` and
``analysis.random_planes``) on real photos.

For every photo: the correlation of bit planes 0-4 as it is, scaled down by 2 (finer noise
per pixel) and saved as JPEG 90 then decoded (what most covers are); then stegokit's outputs
that write random data into several low planes: hide-image's nibble and planes (k = 2, 3, 4)
modes, encrypted, with a secret (another photo) filling the cover or half of it, and
embed-text with a passphrase at --bits 2, 3 and 4 filling the cover or half of it. Prints
a row per image, the false positives among the clean images, the clean images nearest the
test's thresholds and the detections per kind of output.

    python benchmarks/analysis_planes.py               # scikit-image's photos only
    python benchmarks/analysis_planes.py --debian      # plus the 65 Debian photographs
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

sys.path.insert(0, str(Path(__file__).parent))

import stegokit
from stegokit import analysis, crypto

SKIMAGE = ("astronaut", "coffee", "chelsea", "rocket", "camera", "immunohistochemistry",
           "cat", "retina", "hubble_deep_field", "moon", "page", "brick", "grass", "gravel",
           "text", "horse", "clock", "coins", "logo", "colorwheel", "motorcycle_left")
CHEAP = crypto.KdfParams(log2_memory_kib=13, iterations=1, lanes=1)


def photos(debian: bool, limit: int) -> dict[str, np.ndarray]:
    found = {}
    for name in SKIMAGE:
        loader = getattr(data, name, None)
        if loader is None:
            continue
        try:
            pixels = loader()
        except Exception:  # (a few scikit-image images are fetched over the network)
            continue
        if pixels.dtype != np.uint8:
            continue
        found[name] = pixels[..., None] if pixels.ndim == 2 else pixels[..., :3]
    if debian:
        from photos import steganalysis_photos

        for path in steganalysis_photos():
            with Image.open(path) as image:
                image = image.convert("RGB")
                image.thumbnail((limit, limit), Image.LANCZOS)
                found[path.stem] = np.asarray(image)
    return found


def variants(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """The clean forms of a photo: as it is, halved, and through JPEG 90."""
    image = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    half = np.asarray(image.reduce(2))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    jpeg = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
    return {"as is": pixels, "halved": half.reshape(*half.shape[:2], -1),
            "jpeg90": jpeg.reshape(*jpeg.shape[:2], -1)}


def _secret(cover: np.ndarray, other: np.ndarray, symbols: int, per_value: int) -> np.ndarray:
    """``other`` resized so that it makes ``symbols`` symbols of ``per_value`` per value."""
    channels = other.shape[2]
    pixels = max(symbols // (per_value * channels), 1)
    width = max(int((pixels * cover.shape[1] / cover.shape[0]) ** 0.5), 1)
    height = max(pixels // width, 1)
    image = Image.fromarray(other[..., 0] if channels == 1 else other)
    return np.asarray(image.resize((width, height))).reshape(height, width, channels)


def stego_outputs(cover: np.ndarray, other: np.ndarray, rng) -> dict[str, np.ndarray]:
    from stegokit.codecs import imagehide

    found = {}
    for fill in (1.0, 0.5):
        for mode, k in (("nibble", 4), ("planes", 2), ("planes", 3), ("planes", 4)):
            per_value = 2 if mode == "nibble" else 1
            room = imagehide.max_symbols(cover.shape, k, encrypted=True)
            secret = _secret(cover, other, int(room * fill), per_value)
            try:
                result = stegokit.hide_image(cover, secret, mode=mode,
                                             bits=None if mode == "nibble" else k,
                                             passphrase="pw", kdf=CHEAP, rng=rng)
            except stegokit.CapacityError:
                continue
            found[f"{mode}{'' if mode == 'nibble' else k} {fill:.0%}"] = result.pixels
        for bits in (2, 3, 4):
            size = int(stegokit.capacity(cover).lsb_encrypted[bits] * fill)
            result = stegokit.embed_text(cover, rng.bytes(size), bits=bits,
                                         passphrase="pw", kdf=CHEAP, rng=rng)
            found[f"bits{bits} {fill:.0%}"] = result.pixels
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debian", action="store_true")
    parser.add_argument("--limit", type=int, default=1024, help="longest side of Debian photos")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    found = photos(args.debian, args.limit)
    names = list(found)
    clean: list[tuple[str, np.ndarray, int]] = []
    detected: dict[str, list[bool]] = {}
    planes = " | ".join(f"plane {k}" for k in range(analysis.PLANES + 1))
    print(f"| photo | form | {planes} | random planes |")
    print("| --- | --- |" + " ---: |" * (analysis.PLANES + 2))
    for index, name in enumerate(names):
        other = found[names[(index + 1) % len(names)]]
        forms = {**variants(found[name]), **stego_outputs(found[name], other, rng)}
        for form, pixels in forms.items():
            correlation = analysis.plane_correlation(pixels)
            depth = analysis.random_planes(correlation, _pairs(pixels))
            print(f"| {name} | {form} | " + " | ".join(f"{c:.3f}" for c in correlation)
                  + f" | {depth} |")
            if form in ("as is", "halved", "jpeg90"):
                clean.append((f"{name} ({form})", correlation, depth))
            else:
                detected.setdefault(form, []).append(bool(depth))
    print()
    false = [label for label, _, depth in clean if depth]
    print(f"Clean images: {len(clean)} ({len(names)} photos x 3 forms); false positives: "
          f"{len(false)}" + (f" ({', '.join(false)})" if false else ""))
    nearest = sorted(clean, key=lambda item: -item[1][analysis.PLANES]
                     if np.abs(item[1][:analysis.PLANES]).max() <= 0.02 else 1.0)[:5]
    print("Clean images with planes 0-3 within 0.02 of 0, most structure above first: "
          + "; ".join(f"{label} {np.round(c, 3).tolist()}" for label, c, _ in nearest
                      if np.abs(c[:analysis.PLANES]).max() <= 0.02))
    for label, hits in detected.items():
        print(f"- {label}: detected in {sum(hits)} of {len(hits)}")


def _pairs(pixels: np.ndarray) -> int:
    h, w = pixels.shape[:2]
    return (h * (w - 1) + (h - 1) * w) * min(pixels.shape[2], 3)


if __name__ == "__main__":
    main()
