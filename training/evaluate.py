"""Evaluate the shipped ONNX codec on held-out photos and write the model-card table.

    python -m training.evaluate --doc docs/model.md

Uses only test-split photos (never trained on): random crops, and whole photos at
several sizes (a 256 px version of each, each at its native size, and the large ones
upscaled to about 12 MP). Each stego image goes through Pillow (PNG, JPEG 90/75/50) or
a 50% resize and must decode to the exact message. False detections are counted on
clean crops of test and validation photos. Results go to ``--json`` and, with ``--doc``,
between the ``eval`` markers of the model card.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import statistics
import string
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from stegokit.codecs import neural
from stegokit.codecs.neural_ecc import encode
from stegokit.codecs.neural_model import model_dir
from stegokit.errors import NoPayloadError

log = logging.getLogger("evaluate")
ATTACKS = ("png", "jpeg90", "jpeg75", "jpeg50", "resize50")
TWELVE_MP = 12_000_000


def load(data: Path, part: str) -> list[tuple[str, np.ndarray]]:
    """(id, uint8 RGB array) for every photo of split ``part``, at full resolution."""
    split = json.loads((data / "split.json").read_text())
    out = []
    for pid in split[part]:
        with Image.open(data / "photos" / split["photos"][pid]["file"]) as im:
            out.append((pid, np.asarray(im.convert("RGB"))))
    return out


def resized(a: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.asarray(Image.fromarray(a).resize((w, h), Image.Resampling.LANCZOS))


def crop(a: np.ndarray, rng: random.Random, lo: int, hi: int) -> np.ndarray:
    """Random crop whose short side is in [lo, hi] (bounded by the photo)."""
    ph, pw = a.shape[:2]
    short = rng.randint(lo, min(hi, ph, pw))
    aspect = rng.uniform(0.6, 1.67)
    h, w = (short, round(short * aspect)) if aspect >= 1 else (round(short / aspect), short)
    h, w = min(h, ph), min(w, pw)
    top, left = rng.randint(0, ph - h), rng.randint(0, pw - w)
    return a[top : top + h, left : left + w]


def eval_images(photos, rng: random.Random, n_crops: int) -> dict[str, list[np.ndarray]]:
    """The 'crops' set and the 'full' set (256 px, native, ~12 MP upscaled)."""
    crops = [crop(photos[i % len(photos)][1], rng, 256, 1024) for i in range(n_crops)]
    full = []
    for _, a in photos:
        h, w = a.shape[:2]
        s = 256 / min(h, w)
        full.append(resized(a, round(w * s), round(h * s)))
        full.append(a)
        if h * w >= 1_000_000:
            s = (TWELVE_MP / (h * w)) ** 0.5
            full.append(resized(a, round(w * s), round(h * s)))
    return {"crops": crops, "full": full}


def attack(a: np.ndarray, name: str) -> np.ndarray:
    """Round trip through Pillow: PNG, JPEG at a quality, or a 50% resize."""
    img = Image.fromarray(a)
    if name == "resize50":
        return np.asarray(img.resize((a.shape[1] // 2, a.shape[0] // 2), Image.Resampling.BICUBIC))
    buf = io.BytesIO()
    if name == "png":
        img.save(buf, "PNG")
    else:
        img.save(buf, "JPEG", quality=int(name[4:]))
    return np.asarray(Image.open(buf).convert("RGB"))


def random_message(rng: random.Random) -> bytes:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=neural.CAPACITY)).encode()


def bit_accuracy(a: np.ndarray, message: bytes) -> float:
    logits = neural._logits(a)
    return float(((logits > 0) == (encode(message) > 0.5)).mean())


def run_set(images: list[np.ndarray], rng: random.Random) -> dict:
    """PSNR, SSIM, exact-message rates and raw bit accuracy per attack."""
    psnr, ssim, exact = [], [], {k: [] for k in ATTACKS}
    bits = {k: [] for k in ATTACKS}
    for i, cover in enumerate(images):
        msg = random_message(rng)
        stego = neural.embed(cover, msg)
        psnr.append(peak_signal_noise_ratio(cover, stego, data_range=255))
        ssim.append(structural_similarity(cover, stego, channel_axis=2, data_range=255))
        for name in ATTACKS:
            seen = attack(stego, name)
            try:
                ok = neural.extract(seen) == msg
            except NoPayloadError:
                ok = False
            exact[name].append(ok)
            bits[name].append(bit_accuracy(seen, msg))
        if not all(exact[k][-1] for k in ATTACKS):
            log.info("image %d %dx%d psnr %.2f failed: %s", i, cover.shape[1], cover.shape[0],
                     psnr[-1], [k for k in ATTACKS if not exact[k][-1]])
    return {
        "n": len(images),
        "psnr": statistics.mean(psnr), "psnr_min": min(psnr),
        "ssim": statistics.mean(ssim), "ssim_min": min(ssim),
        "exact": {k: statistics.mean(v) for k, v in exact.items()},
        "bit_accuracy": {k: statistics.mean(v) for k, v in bits.items()},
    }


def false_detections(photos, rng: random.Random, n: int) -> dict:
    """Extract from ``n`` clean crops; any returned message is a false detection."""
    hits = 0
    for i in range(n):
        try:
            neural.extract(crop(photos[i % len(photos)][1], rng, 128, 1024))
            hits += 1
        except NoPayloadError:
            pass
    return {"n": n, "false": hits}


def timing(photo: np.ndarray, runs: int) -> dict:
    """Median in-process embed / extract times (ms) on a 1920x1080 image."""
    a = resized(photo, 1920, 1080)
    msg = b"x" * neural.CAPACITY
    stego = neural.embed(a, msg)
    neural.extract(stego)
    te, tx = [], []
    for _ in range(runs):
        t = time.perf_counter()
        neural.embed(a, msg)
        te.append(time.perf_counter() - t)
        t = time.perf_counter()
        neural.extract(stego)
        tx.append(time.perf_counter() - t)
    return {"embed_ms": 1000 * statistics.median(te), "extract_ms": 1000 * statistics.median(tx)}


def table(r: dict) -> str:
    """The model-card table as markdown."""
    c, f = r["crops"], r["full"]
    size_mb = r["model_mb"]

    def both(key: str, fmt: str) -> str:
        return f"{fmt.format(c[key])} / {fmt.format(f[key])}"

    def rate(name: str) -> str:
        return (f"{100 * c['exact'][name]:.1f}% / {100 * f['exact'][name]:.1f}% "
                f"(bits {100 * c['bit_accuracy'][name]:.2f}% / "
                f"{100 * f['bit_accuracy'][name]:.2f}%)")

    fd = r["false_detections"]
    rows = [
        ("user payload", ">= 20 UTF-8 bytes", ">= 32 bytes", f"{neural.CAPACITY} bytes"),
        ("mean PSNR stego vs cover", ">= 38 dB", ">= 42 dB",
         both("psnr", "{:.2f} dB") + f" (min {c['psnr_min']:.1f} / {f['psnr_min']:.1f})"),
        ("mean SSIM stego vs cover", ">= 0.97", ">= 0.99",
         both("ssim", "{:.4f}") + f" (min {c['ssim_min']:.3f} / {f['ssim_min']:.3f})"),
        ("exact message, lossless PNG", ">= 99%", "100%", rate("png")),
        ("exact message, JPEG 90", ">= 95%", ">= 99%", rate("jpeg90")),
        ("exact message, JPEG 75", ">= 90%", ">= 98%", rate("jpeg75")),
        ("exact message, JPEG 50", ">= 70%", ">= 95%", rate("jpeg50")),
        ("exact message, resized to 50%", ">= 90%", ">= 98%", rate("resize50")),
        ("false detections on clean photos", "< 0.1%", "0",
         f"{fd['false']} / {fd['n']} ({100 * fd['false'] / fd['n']:.2f}%)"),
        ("onnxruntime embed / extract on 1920x1080, in-process", "<= 150 / 50 ms",
         "<= 60 / 25 ms", f"{r['timing']['embed_ms']:.0f} / {r['timing']['extract_ms']:.0f} ms"),
        ("model files in models/", "<= 10 MB", "<= 4 MB", f"{size_mb:.2f} MB"),
    ]
    head = (f"| figure | must | target | measured: {c['n']} crops / {f['n']} full images |\n"
            "| --- | --- | --- | --- |\n")
    return head + "\n".join(f"| {a} | {b} | {d} | {e} |" for a, b, d, e in rows) + "\n"


def write_doc(doc: Path, text: str) -> None:
    """Replace the text between ``<!-- eval:start -->`` and ``<!-- eval:end -->``."""
    start, end = "<!-- eval:start -->\n", "<!-- eval:end -->"
    body = doc.read_text()
    i, j = body.index(start) + len(start), body.index(end)
    doc.write_text(body[:i] + text + body[j:])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--crops", type=int, default=120)
    ap.add_argument("--clean", type=int, default=1000)
    ap.add_argument("--timing-runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", type=Path, default=Path("training/runs/eval.json"))
    ap.add_argument("--doc", type=Path, default=None)
    args = ap.parse_args(argv)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler(args.json.with_suffix(".log")), logging.StreamHandler()],
    )
    rng = random.Random(args.seed)
    test = load(args.data, "test")
    sets = eval_images(test, rng, args.crops)
    result = {name: run_set(images, rng) for name, images in sets.items()}
    for name in sets:
        log.info("%s: %s", name, result[name])
    result["full_sizes"] = sorted({f"{a.shape[1]}x{a.shape[0]}" for a in sets["full"]})
    result["false_detections"] = false_detections(test + load(args.data, "val"), rng, args.clean)
    result["timing"] = timing(test[0][1], args.timing_runs)
    result["model_mb"] = sum(p.stat().st_size for p in model_dir().glob("*.onnx")) / 1e6
    args.json.write_text(json.dumps(result, indent=1))
    text = table(result)
    log.info("\n%s", text)
    if args.doc:
        write_doc(args.doc, text)


if __name__ == "__main__":
    main()
