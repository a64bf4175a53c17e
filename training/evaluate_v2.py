"""Evaluate a v2 checkpoint on held-out photos (torch, before it has a runtime entry).

    PYTHONPATH=src python -m training.evaluate_v2 --ckpt training/runs/v2cpu/last.ckpt \
        --crops 100 --clean 2000 --doc docs/model.md

The same test-split photos, crops, whole images and Pillow attacks as
``training.evaluate`` (issue 20's rows and issue 17's turns), but the codec is the
checkpoint's torch pair at a fixed strength: the encoder sees the 128 px copy, its
residual is upsampled bilinearly to the full image, added, rounded and clipped (what the
v1 runtime does), and reading tries the runtime's five views (as is, three turns, the
mirror) with the planned v2 frame (``FRAME``: 32 bytes in 512 raw bits, its own tag), so
the table counts exact messages with the same "exact or nothing" rule. Besides exact
messages it reports the raw bit accuracy of the best view, which shows progress long
before messages decode.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
from pathlib import Path

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from torch.nn import functional as F

from stegokit import images
from stegokit.codecs.neural_ecc import Framing
from stegokit.errors import NoPayloadError
from training import evaluate, export
from training.model_v2 import BITS, SIZE

log = logging.getLogger("evaluate_v2")
#: The planned v2 frame: 32 bytes, 27 parity bytes, 4 of them spare (docs/model.md).
FRAME = Framing(b"stegokit-neural-v2", BITS, 32, spare=4)
ATTACKS = (*evaluate.ATTACKS_V1, *evaluate.GEOMETRY)
ROWS = {**{k: (label, must, target) for k, (label, must, target) in
           evaluate.ROWS["geometry"].items()},
        "png": ("lossless PNG", ">= 99%", "100%"), "jpeg90": ("JPEG 90", ">= 99%", "100%"),
        "jpeg75": ("JPEG 75", ">= 99%", "100%"), "jpeg50": ("JPEG 50", ">= 95%", ">= 99%"),
        "resize50": ("resized to 50 %", ">= 99%", "100%")}


def _small(pixels: np.ndarray) -> torch.Tensor:
    """``(1, 3, SIZE, SIZE)`` float32 in [0, 1]: the model's view, as the runtime makes it."""
    a = np.asarray(images.resample(pixels, SIZE, SIZE), dtype=np.float32) / 255
    return torch.from_numpy(a.transpose(2, 0, 1).copy())[None]


class Codec:
    """Embed and read with a checkpoint's v2 encoder and decoder."""

    def __init__(self, ckpt: Path, strength: float = 1.0) -> None:
        self.enc, self.dec = export.load(ckpt, 2)
        self.strength = strength

    @torch.no_grad()
    def embed(self, cover: np.ndarray, bits: np.ndarray) -> np.ndarray:
        """uint8 stego image carrying ``bits`` (``(BITS,)`` of 0/1)."""
        res = self.enc(_small(cover), torch.from_numpy(bits)[None].float())
        res = F.interpolate(res, size=cover.shape[:2], mode="bilinear", align_corners=False)
        out = cover.astype(np.float32) + 255 * self.strength * res[0].numpy().transpose(1, 2, 0)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    @torch.no_grad()
    def logits(self, pixels: np.ndarray) -> np.ndarray:
        """``(5, BITS)`` logits, one row per runtime view (as is, 3 turns, mirror)."""
        s = _small(pixels)
        views = [torch.rot90(s, k, (2, 3)) for k in range(4)] + [s.flip(3)]
        return self.dec(torch.cat(views)).numpy()

    def read(self, pixels: np.ndarray) -> tuple[bytes | None, np.ndarray]:
        """(message of the first view whose frame checks, or None; the views' logits)."""
        rows = self.logits(pixels)
        for row in rows:
            try:
                return FRAME.decode(row), rows
            except NoPayloadError:
                continue
        return None, rows


def one(codec: Codec, seed: int, cover: np.ndarray) -> dict:
    """Embed a random 32-byte message in ``cover`` and try every attack."""
    rng = random.Random(seed)
    msg = evaluate.random_message(rng, FRAME.capacity)
    bits = FRAME.encode(msg)
    stego = codec.embed(cover, bits)
    row = {"psnr": peak_signal_noise_ratio(cover, stego, data_range=255),
           "ssim": structural_similarity(cover, stego, channel_axis=2, data_range=255),
           "exact": {}, "wrong": {}, "bits": {}}
    for name in ATTACKS:
        found, rows = codec.read(evaluate.attack(stego, name, rng))
        row["exact"][name] = found == msg
        row["wrong"][name] = found is not None and found != msg
        row["bits"][name] = float(((rows > 0) == bits.astype(bool)).mean(1).max())
    return row


def run_set(codec: Codec, covers: list[np.ndarray], seed: int) -> dict:
    """PSNR, SSIM, exact-message, wrong-message and raw-bit rates per attack."""
    rows = [one(codec, seed + i, a) for i, a in enumerate(covers)]
    return {
        "n": len(rows),
        "psnr": statistics.mean(r["psnr"] for r in rows),
        "psnr_min": min(r["psnr"] for r in rows),
        "ssim": statistics.mean(r["ssim"] for r in rows),
        "ssim_min": min(r["ssim"] for r in rows),
        "exact": {k: statistics.mean(r["exact"][k] for r in rows) for k in ATTACKS},
        "bits": {k: statistics.mean(r["bits"][k] for r in rows) for k in ATTACKS},
        "wrong": sum(r["wrong"][k] for r in rows for k in ATTACKS),
    }


def table(r: dict) -> str:
    """The v2 table (crops, and whole images when measured) as markdown."""
    sets = [s for s in ("crops", "full") if s in r]
    head = " / ".join(f"{r[s]['n']} {'crops' if s == 'crops' else 'full images'}"
                      for s in sets)

    def cell(fmt: str, get) -> str:
        return " / ".join(fmt.format(get(r[s])) for s in sets)

    rows = [("user payload", ">= 32 bytes", ">= 48 bytes", f"{FRAME.capacity} bytes"),
            ("PSNR stego vs cover, mean (min)", ">= 41 / >= 36 dB", ">= 43 / >= 39 dB",
             cell("{:.2f}", lambda s: s["psnr"]) + " dB (min "
             + cell("{:.2f}", lambda s: s["psnr_min"]) + " dB)"),
            ("SSIM stego vs cover, mean (min)", ">= 0.99 / >= 0.96", ">= 0.995 / >= 0.98",
             cell("{:.4f}", lambda s: s["ssim"]) + " (min "
             + cell("{:.4f}", lambda s: s["ssim_min"]) + ")")]
    for k in ATTACKS:
        label, must, target = ROWS[k]
        rows.append((f"exact message, {label}", must, target,
                     cell("{:.1f}%", lambda s, k=k: 100 * s["exact"][k]) + " (bits "
                     + cell("{:.1f}%", lambda s, k=k: 100 * s["bits"][k]) + ")"))
    fd = r["false_detections"]
    rows += [("wrong messages returned, all attacks", "0", "0",
              cell("{}", lambda s: s["wrong"])),
             ("false detections on clean crops", "0 (of >= 2,000)", "0",
              f"{fd['false']} / {fd['n']}")]
    return (f"| figure | must | target | measured: {head} |\n| --- | --- | --- | --- |\n"
            + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--crops", type=int, default=100)
    ap.add_argument("--full", action="store_true", help="also the whole test photos")
    ap.add_argument("--clean", type=int, default=2000)
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", type=Path, default=Path("training/runs/eval-v2.json"))
    ap.add_argument("--doc", type=Path, default=None)
    args = ap.parse_args(argv)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler(args.json.with_suffix(".log")), logging.StreamHandler()],
    )
    torch.set_num_threads(args.threads)
    codec = Codec(args.ckpt, args.strength)
    rng = random.Random(args.seed)
    test = evaluate.load(args.data, "test")
    sets = evaluate.eval_images(test, rng, args.crops)
    if not args.full:
        del sets["full"]
    ck = torch.load(args.ckpt, weights_only=False, map_location="cpu")
    result: dict = {"ckpt": str(args.ckpt), "step": ck["step"], "strength": args.strength}
    for offset, (name, covers) in enumerate(sets.items()):
        result[name] = run_set(codec, covers, args.seed + 100_000 * offset)
        log.info("%s: %s", name, result[name])
    photos = [a for _, a in test + evaluate.load(args.data, "val")]
    false = sum(codec.read(evaluate.crop(photos[i % len(photos)], rng, 128, 1024))[0]
                is not None for i in range(args.clean))
    result["false_detections"] = {"n": args.clean, "false": false}
    args.json.write_text(json.dumps(result, indent=1))
    text = table(result)
    log.info("\n%s", text)
    if args.doc:
        evaluate.write_doc(args.doc, text, "eval-v2")


if __name__ == "__main__":
    main()
