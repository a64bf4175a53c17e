"""Evaluate the shipped ONNX codec on held-out photos and write the model-card table.

    PYTHONPATH=src python -m training.evaluate --doc docs/model.md
    PYTHONPATH=src python -m training.evaluate --attacks geometry --doc docs/model.md

Uses only test-split photos (never trained on): random crops, and whole photos at several
sizes (a 256 px version of each, each at its native size, and the large ones upscaled to
about 12 MP). Each stego image goes through every attack of the chosen list (``--attacks``:
the model card's ``base`` table, or ``geometry``, the rows of issue 20 and the turns of
issue 17; Pillow: PNG, JPEG, WebP, resizing, crops at random positions, rotations, flips,
brightness and contrast, a screenshot chain) and counts only if it decodes to the exact
message; a different message is counted as wrong. False detections are counted on clean
crops of test and validation photos. ``--workers`` spreads the images over processes (each
onnxruntime session then uses ``--threads`` threads); timing runs in the main process
afterwards. Results go to ``--json`` and, with ``--doc``, between the list's markers of the
model card.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import logging
import multiprocessing
import random
import statistics
import string
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from stegokit.codecs import neural, neural_model
from stegokit.codecs.neural_model import model_dir
from stegokit.errors import NoPayloadError

log = logging.getLogger("evaluate")
ATTACKS_V1 = ("png", "jpeg90", "jpeg75", "jpeg50", "resize50")
GEOMETRY = ("webp80", "screenshot", "crop90", "crop75", "rot2", "rot5", "hflip",
            "bright+30", "bright-30", "contrast70", "rot90", "rot180", "rot270")
ATTACKS = {"base": ATTACKS_V1, "geometry": GEOMETRY}
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


def _encode(img: Image.Image, fmt: str, **kw) -> np.ndarray:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return np.asarray(Image.open(buf).convert("RGB"))


def _window(img: Image.Image, keep: float, rng: random.Random) -> Image.Image:
    """A crop keeping ``keep`` of each side at a random position."""
    w, h = img.size
    cw, ch = round(w * keep), round(h * keep)
    left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return img.crop((left, top, left + cw, top + ch))


def attack(a: np.ndarray, name: str, rng: random.Random | None = None) -> np.ndarray:
    """The stego image after one attack; lossless unless the attack says otherwise.

    ``screenshot``: shown at 80 % (display scaling, bilinear), 2 % of each side cut off
    by the capture, saved as PNG. ``cropK``: keep K % of each side at a random position.
    ``rotD``: rotate by D degrees (random sign), same size, black corners.
    """
    rng = rng or random.Random(0)
    img = Image.fromarray(a)
    w, h = img.size
    if name == "png":  # lossless: a PNG file reads back exactly these pixels
        return a.copy()
    if name.startswith("jpeg"):
        return _encode(img, "JPEG", quality=int(name[4:]))
    if name == "webp80":
        return _encode(img, "WEBP", quality=80)
    if name == "resize50":
        return np.asarray(img.resize((w // 2, h // 2), Image.Resampling.BICUBIC))
    if name == "screenshot":
        shown = img.resize((round(w * 0.8), round(h * 0.8)), Image.Resampling.BILINEAR)
        sw, sh = shown.size
        return _encode(shown.crop((sw // 50, sh // 50, sw - sw // 50, sh - sh // 50)), "PNG")
    if name.startswith("crop"):
        return np.asarray(_window(img, int(name[4:]) / 100, rng))
    if name in ("rot90", "rot180", "rot270"):
        return np.asarray(img.rotate(int(name[3:]), expand=True))
    if name.startswith("rot"):
        angle = int(name[3:]) * rng.choice((-1, 1))
        return np.asarray(img.rotate(angle, Image.Resampling.BICUBIC))
    if name == "hflip":
        return np.asarray(img.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    if name.startswith("bright"):
        return np.asarray(ImageEnhance.Brightness(img).enhance(1 + int(name[6:]) / 100))
    if name == "contrast70":
        return np.asarray(ImageEnhance.Contrast(img).enhance(0.7))
    raise ValueError(f"unknown attack {name}")


def random_message(rng: random.Random, capacity: int = neural.CAPACITY) -> bytes:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=capacity)).encode()


def _one(job: tuple[int, np.ndarray, str]) -> dict:
    """Embed a random full-capacity message in one cover and try every attack."""
    seed, cover, version = job
    rng = random.Random(seed)
    msg = random_message(rng)
    stego = neural.embed(cover, msg)
    row = {"psnr": peak_signal_noise_ratio(cover, stego, data_range=255),
           "ssim": structural_similarity(cover, stego, channel_axis=2, data_range=255),
           "size": f"{cover.shape[1]}x{cover.shape[0]}", "exact": {}, "wrong": {}}
    for name in ATTACKS[version]:
        try:
            found = neural.extract(attack(stego, name, rng))
        except NoPayloadError:
            found = None
        row["exact"][name] = found == msg
        row["wrong"][name] = found is not None and found != msg
    return row


def _clean(image: np.ndarray) -> bool:
    """True if ``extract`` finds a message in a clean image (a false detection)."""
    try:
        neural.extract(image)
        return True
    except NoPayloadError:
        return False


def _init_worker(threads: int) -> None:
    """Give each worker process sessions limited to ``threads`` threads."""
    import onnxruntime as ort

    @functools.cache
    def session(name: str):
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = opts.inter_op_num_threads = threads
        return ort.InferenceSession(str(neural_model.verified_path(name)), opts,
                                    providers=["CPUExecutionProvider"])

    neural.session = session


def _map(fn, jobs: list, workers: int, threads: int) -> list:
    if workers <= 1:
        return [fn(j) for j in jobs]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, _init_worker, (threads,)) as pool:
        return pool.map(fn, jobs, chunksize=1)


def run_set(images: list[np.ndarray], version: str, seed: int, workers: int,
            threads: int) -> dict:
    """PSNR, SSIM, exact-message and wrong-message rates per attack."""
    rows = _map(_one, [(seed + i, a, version) for i, a in enumerate(images)], workers, threads)
    for i, r in enumerate(rows):
        failed = [k for k, ok in r["exact"].items() if not ok]
        if failed:
            log.info("image %d %s psnr %.2f failed: %s", i, r["size"], r["psnr"], failed)
    names = ATTACKS[version]
    return {
        "n": len(rows),
        "psnr": statistics.mean(r["psnr"] for r in rows),
        "psnr_min": min(r["psnr"] for r in rows),
        "ssim": statistics.mean(r["ssim"] for r in rows),
        "ssim_min": min(r["ssim"] for r in rows),
        "exact": {k: statistics.mean(r["exact"][k] for r in rows) for k in names},
        "wrong": sum(r["wrong"][k] for r in rows for k in names),
    }


def false_detections(photos, rng: random.Random, n: int, workers: int, threads: int) -> dict:
    """Extract from ``n`` clean crops; any returned message is a false detection."""
    jobs = [crop(photos[i % len(photos)][1], rng, 128, 1024) for i in range(n)]
    return {"n": n, "false": sum(_map(_clean, jobs, workers, threads))}


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


ROWS = {  # attack: (label, must, target): the first model's issue, then issue 20's
    "base": {"png": ("lossless PNG", ">= 99%", "100%"), "jpeg90": ("JPEG 90", ">= 95%", ">= 99%"),
        "jpeg75": ("JPEG 75", ">= 90%", ">= 98%"), "jpeg50": ("JPEG 50", ">= 70%", ">= 95%"),
        "resize50": ("resized to 50%", ">= 90%", ">= 98%")},
    "geometry": {"webp80": ("WebP 80", ">= 99%", "100%"),
        "screenshot": ("screenshot chain (80 %, 2 % border cut, PNG)", ">= 99%", "100%"),
        "crop90": ("crop keeping 90 % of each side, random position", ">= 95%", ">= 99%"),
        "crop75": ("crop keeping 75 % of each side, random position", ">= 85%", ">= 95%"),
        "rot2": ("rotation by 2 degrees (random sign)", ">= 95%", ">= 99%"),
        "rot5": ("rotation by 5 degrees (random sign)", ">= 80%", ">= 95%"),
        "hflip": ("horizontal flip", ">= 95%", ">= 99%"),
        "bright+30": ("brightness +30 %", ">= 95%", ">= 99%"),
        "bright-30": ("brightness -30 %", ">= 95%", ">= 99%"),
        "contrast70": ("contrast 0.7", ">= 95%", ">= 99%"),
        "rot90": ("rotation by 90 degrees (issue 17)", "100%", "100%"),
        "rot180": ("rotation by 180 degrees (issue 17)", "100%", "100%"),
        "rot270": ("rotation by 270 degrees (issue 17)", "100%", "100%")},
}
QUALITY = {"base": ((">= 20 UTF-8 bytes", ">= 32 bytes"), (">= 38 dB", ">= 42 dB"),
               (">= 0.97", ">= 0.99"), ("< 0.1%", "0"), ("<= 150 / 50 ms", "<= 60 / 25 ms")),
           "geometry": ((">= 32 bytes", ">= 48 bytes"), (">= 41 / >= 36 dB", ">= 43 / >= 39 dB"),
               (">= 0.99 / >= 0.96", ">= 0.995 / >= 0.98"), ("0", "0"),
               ("<= 150 / 100 ms", "<= 80 / 40 ms"))}


def table(r: dict, version: str) -> str:
    """The model-card table as markdown."""
    c, f = r["crops"], r["full"]
    payload, psnr_q, ssim_q, false_q, time_q = QUALITY[version]

    def both(key: str, fmt: str) -> str:
        return (f"{fmt.format(c[key])} / {fmt.format(f[key])} "
                f"(min {fmt.format(c[key + '_min'])} / {fmt.format(f[key + '_min'])})")

    fd, tm = r["false_detections"], r.get("timing")
    rows = [("user payload", *payload, f"{neural.CAPACITY} bytes"),
            ("PSNR stego vs cover, mean (min)", *psnr_q, both("psnr", "{:.2f} dB")),
            ("SSIM stego vs cover, mean (min)", *ssim_q, both("ssim", "{:.4f}"))]
    rows += [(f"exact message, {label}", must, target,
              f"{100 * c['exact'][k]:.1f}% / {100 * f['exact'][k]:.1f}%")
             for k, (label, must, target) in ROWS[version].items()]
    rows += [("wrong messages returned, all attacks", "0", "0", f"{c['wrong']} / {f['wrong']}"),
             ("false detections on clean crops", *false_q,
              f"{fd['false']} / {fd['n']} ({100 * fd['false'] / fd['n']:.2f}%)"),
             ("embed / extract on 1920x1080, in-process", *time_q,
              f"{tm['embed_ms']:.0f} / {tm['extract_ms']:.0f} ms" if tm else "not measured"),
             ("model files in models/ (all generations)", "<= 10 MB", "<= 4 MB",
              f"{r['model_mb']:.2f} MB")]
    head = (f"| figure | must | target | measured: {c['n']} crops / {f['n']} full images |\n"
            "| --- | --- | --- | --- |\n")
    return head + "\n".join(f"| {a} | {b} | {d} | {e} |" for a, b, d, e in rows) + "\n"


def write_doc(doc: Path, text: str, marker: str) -> None:
    """Replace the text between ``<!-- {marker}:start -->`` and ``<!-- {marker}:end -->``."""
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    body = doc.read_text()
    i, j = body.index(start) + len(start), body.index(end)
    doc.write_text(body[:i] + text + body[j:])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--attacks", choices=sorted(ATTACKS), default="base")
    ap.add_argument("--crops", type=int, default=120)
    ap.add_argument("--photos", type=int, default=None, help="use only the first N test photos")
    ap.add_argument("--clean", type=int, default=2000)
    ap.add_argument("--timing-runs", type=int, default=20, help="0: skip the timing")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads per worker")
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
    test = load(args.data, "test")[: args.photos]
    sets = eval_images(test, rng, args.crops)
    version = args.attacks  # the attack list
    result: dict = {"attacks": version}
    for offset, (name, images) in enumerate(sets.items()):
        result[name] = run_set(images, version, args.seed + 100_000 * offset, args.workers,
                               args.threads)
        log.info("%s: %s", name, result[name])
    result["full_sizes"] = sorted({f"{a.shape[1]}x{a.shape[0]}" for a in sets["full"]})
    result["false_detections"] = false_detections(test + load(args.data, "val"), rng,
                                                  args.clean, args.workers, args.threads)
    log.info("false detections: %s", result["false_detections"])
    if args.timing_runs:
        result["timing"] = timing(test[0][1], args.timing_runs)
    result["model_mb"] = sum(p.stat().st_size for p in model_dir().glob("*.onnx")) / 1e6
    args.json.write_text(json.dumps(result, indent=1))
    text = table(result, version)
    log.info("\n%s", text)
    if args.doc:
        write_doc(args.doc, text, "eval" if version == "base" else "eval-geometry")


if __name__ == "__main__":
    main()
