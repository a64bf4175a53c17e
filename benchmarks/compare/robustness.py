"""Short-message watermarks after JPEG and resizing: bit accuracy and exact-message rate.

Every codec gets the same photos (scikit-image's colour photos, the 512x512 cover, then
512x512 tiles of the 12 MP cover) and the same random 32-bit messages (rivaGan's only
length). Attacks: none, JPEG 90/75/50 (Pillow), and a 50% downscale (Lanczos) handed to the
reader at its new size. A reader that refuses ("no message") scores chance (50%) bit accuracy
and no exact message; one that returns a wrong message is counted apart, as garbage.
"""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

from benchmarks.peers import Marker
from benchmarks.photos import cover

from .files import pixels, psnr

TILE = 512
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
MESSAGE_BYTES = 4
ATTACKS = ["none", "jpeg90", "jpeg75", "jpeg50", "resize50"]


def photos(count: int) -> list[np.ndarray]:
    """``count`` RGB photos: scikit-image's, the 512x512 cover, then tiles of the 12 MP one."""
    from skimage import data

    chosen = [getattr(data, name)() for name in SKIMAGE_PHOTOS][:count]
    chosen.append(pixels(cover("512x512")))
    image = pixels(cover("12MP"))
    grid = [(r, c) for r in range(image.shape[0] // TILE) for c in range(image.shape[1] // TILE)]
    tiles = max(0, count - len(chosen))
    picks = np.linspace(0, len(grid) - 1, tiles).round().astype(int)
    chosen += [image[r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE] for r, c in
               (grid[i] for i in picks)]
    return [np.ascontiguousarray(photo) for photo in chosen[:count]]


def attack(values: np.ndarray, name: str) -> np.ndarray:
    image = Image.fromarray(values)
    if name.startswith("jpeg"):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(name[4:]))
        return np.asarray(Image.open(buffer).convert("RGB"))
    if name == "resize50":
        return np.asarray(image.resize((image.width // 2, image.height // 2), Image.LANCZOS))
    return values


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, np.uint8))


def score(marker: Marker, tiles: list[np.ndarray], messages: list[bytes]) -> dict:
    """Per attack: mean bit accuracy, exact / wrong / refused rates; embed PSNR and times."""
    marked, psnrs, mark_s = [], [], []
    for tile, message in zip(tiles, messages, strict=True):
        start = time.perf_counter()
        out = marker.mark(tile, message)
        mark_s.append(time.perf_counter() - start)
        marked.append(out)
        psnrs.append(psnr(tile, out))
    result = {"psnr": float(np.mean(psnrs)), "embed_s": float(np.median(mark_s)),
              "attacks": {}}
    read_s = []
    for name in ATTACKS:
        accuracy, exact, wrong = [], 0, 0
        for values, message in zip(marked, messages, strict=True):
            start = time.perf_counter()
            try:
                found = marker.read(attack(values, name), len(message))
            except Exception:  # a refusal ("no message") is a valid answer
                found = None
            read_s.append(time.perf_counter() - start)
            if found is None or len(found) != len(message):
                accuracy.append(0.5)
                continue
            accuracy.append(float(np.mean(_bits(found) == _bits(message))))
            exact += found == message
            wrong += found != message
        n = len(messages)
        result["attacks"][name] = {"bit_accuracy": float(np.mean(accuracy)),
                                   "exact": exact / n, "wrong": wrong / n,
                                   "refused": (n - exact - wrong) / n}
    result["extract_s"] = float(np.median(read_s))
    return result


def run(markers: list[Marker], count: int, log) -> dict:
    tiles = photos(count)
    rng = np.random.default_rng(3)
    messages = [rng.bytes(MESSAGE_BYTES) for _ in tiles]
    results = {"photos": count, "message_bits": 8 * MESSAGE_BYTES, "codecs": {}}
    for marker in markers:
        started = time.perf_counter()
        try:
            results["codecs"][marker.name] = score(marker, tiles, messages)
        except Exception as exc:  # a codec that breaks is reported, not dropped
            results["codecs"][marker.name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
        log(f"robustness: {marker.name} done ({time.perf_counter() - started:.0f} s)")
    return results
