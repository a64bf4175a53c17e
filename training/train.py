"""Train the encoder/decoder pair; resumable from ``<run>/last.ckpt``.

    python -m training.train --run training/runs/main --steps 4000

Schedule: the cover fades in from flat grey over ``--fade`` steps (without it the pair
never starts learning) with no image loss and no distortion. Once the fade is done and the
decoder reads the bits (running accuracy >= ``--start-acc``, or at step ``--start-max``),
the curriculum starts: over ``--ramp`` steps the distortion strength rises from 0 to 1 and
the PSNR target from the PSNR reached so far (at most ``--psnr-start``) to ``--psnr``; a
sudden target makes the image loss crush the residual and the decoder forget the bits. The
image loss weight is a Lagrange multiplier steering the batch PSNR to that target. Logs go
to ``<run>/train.log``; the best validation checkpoint is ``best.ckpt``.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from training.data import load_photos, random_batch
from training.model import BITS, SIZE, Decoder, Encoder, n_params
from training.noise import distort, jpeg, quantize, resize, to_decoder

log = logging.getLogger("train")


def embed(enc: Encoder, cover: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Full-size stego image: the residual of the ``SIZE`` copy, upsampled and added."""
    small = resize(cover, (SIZE, SIZE))
    res = F.interpolate(enc(small, bits), size=cover.shape[-2:], mode="bilinear",
                        align_corners=False)
    return (cover + res).clamp(0, 1)


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB for images in [0, 1]."""
    mse = (a - b).pow(2).mean((1, 2, 3)).clamp_min(1e-10)
    return -10 * torch.log10(mse)


def val_batches(data: Path, n: int, batch: int, seed: int) -> list[torch.Tensor]:
    """Fixed validation crops (same every call for a given seed)."""
    photos = load_photos(data, "val")
    rng = random.Random(seed)
    return [random_batch(photos, batch, rng) for _ in range(n)]


@torch.no_grad()
def validate(enc: Encoder, dec: Decoder, batches: list[torch.Tensor], seed: int) -> dict:
    """Mean PSNR and bit accuracy after no distortion, JPEG 75 and a 50% resize."""
    enc.eval()
    dec.eval()
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    stats: dict[str, list[float]] = {"psnr": [], "clean": [], "jpeg75": [], "half": []}
    for cover in batches:
        bits = torch.randint(0, 2, (cover.shape[0], BITS), generator=gen).float()
        stego = embed(enc, cover, bits)
        stats["psnr"].append(psnr(stego, cover).mean().item())
        h, w = cover.shape[-2:]
        views = {
            "clean": quantize(stego),
            "jpeg75": jpeg(stego, 75),
            "half": quantize(resize(stego, (h // 2, w // 2))),
        }
        for name, view in views.items():
            pred = dec(to_decoder(view, rng)) > 0
            stats[name].append((pred == bits.bool()).float().mean().item())
    enc.train()
    dec.train()
    return {k: sum(v) / len(v) for k, v in stats.items()}


def duration(seconds: float) -> str:
    """``1h05m`` or ``4m10s``: the time left, for the progress line of the log."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def lr_at(step: int, steps: int, lr: float) -> float:
    """Linear warm-up over 100 steps, then cosine decay to 1% of ``lr``."""
    if step < 100:
        return lr * (step + 1) / 100
    t = (step - 100) / max(1, steps - 100)
    return lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def save(path: Path, **state) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--run", type=Path, default=Path("training/runs/main"))
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--fade", type=int, default=300, help="steps to fade the cover in")
    ap.add_argument("--ramp", type=int, default=1500, help="curriculum length (steps)")
    ap.add_argument("--start-acc", type=float, default=0.8, help="accuracy starting it")
    ap.add_argument("--start-max", type=int, default=1000, help="latest step starting it")
    ap.add_argument("--psnr", type=float, default=42.5, help="final target PSNR (dB)")
    ap.add_argument("--psnr-start", type=float, default=30.0, help="initial target PSNR (dB)")
    ap.add_argument("--lam0", type=float, default=0.01, help="initial image loss weight")
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 160, 192, 256, 320])
    ap.add_argument("--val-every", type=int, default=250)
    ap.add_argument("--val-batches", type=int, default=8)
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)

    args.run.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler(args.run / "train.log"), logging.StreamHandler()],
    )
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    enc, dec = Encoder(), Decoder()
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=args.lr)
    step, log_lam, best, start, start_psnr = 0, math.log(args.lam0), -1.0, None, args.psnr_start
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    last = args.run / "last.ckpt"
    if last.exists():
        ck = torch.load(last, weights_only=False)
        enc.load_state_dict(ck["encoder"])
        dec.load_state_dict(ck["decoder"])
        opt.load_state_dict(ck["opt"])
        step, log_lam, best, start = ck["step"], ck["log_lam"], ck["best"], ck["start"]
        start_psnr = ck.get("start_psnr", args.psnr_start)
        rng.setstate(ck["rng"])
        gen.set_state(ck["gen"])
        torch.set_rng_state(ck["torch_rng"])
        log.info("resumed from step %d", step)
    else:
        log.info("args %s", vars(args))
        log.info("parameters: encoder %d, decoder %d", n_params(enc), n_params(dec))
    photos = load_photos(args.data, "train")
    val = val_batches(args.data, args.val_batches, args.batch, seed=12345)
    t0, ema = time.time(), None
    while step < args.steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr)
        cover = random_batch(photos, args.batch, rng, args.sizes)
        fade = min(1.0, (step + 1) / args.fade)
        cover = 0.5 + fade * (cover - 0.5)
        if start is None and step >= args.fade and (
            (ema and ema[0] >= args.start_acc) or step >= args.start_max
        ):
            start, start_psnr = step, min(args.psnr_start, ema[1])
            log.info("curriculum starts at step %d", start)
        progress = 0.0 if start is None else min(1.0, (step - start) / args.ramp)
        strength = progress
        bits = torch.randint(0, 2, (args.batch, BITS), generator=gen).float()
        stego = embed(enc, cover, bits)
        logits = dec(distort(stego, strength, rng, gen))
        bce = F.binary_cross_entropy_with_logits(logits, bits)
        mse = (stego - cover).pow(2).mean()
        loss = bce if start is None else bce + math.exp(log_lam) * mse * 1e4
        opt.zero_grad()
        loss.backward()
        opt.step()
        p = psnr(stego.detach(), cover).mean().item()
        if start is not None:
            target = start_psnr + (args.psnr - start_psnr) * progress
            log_lam = min(8.0, max(-8.0, log_lam + 0.01 * (target - p)))
        acc = ((logits > 0) == bits.bool()).float().mean().item()
        ema = [acc, p, bce.item()] if ema is None else [
            0.95 * e + 0.05 * v for e, v in zip(ema, [acc, p, bce.item()], strict=True)]
        step += 1
        if step % 25 == 0:
            per_step = (time.time() - t0) / 25
            log.info("step %d/%d (%.0f%%, %s left) acc %.4f psnr %.2f bce %.4f lam %.3g "
                     "strength %.2f fade %.2f %.2fs/step", step, args.steps,
                     100 * step / args.steps, duration(per_step * (args.steps - step)), *ema,
                     math.exp(log_lam), strength, fade, per_step)
            t0 = time.time()
        if step % args.val_every == 0 or step == args.steps:
            v = validate(enc, dec, val, seed=777)
            score = (v["clean"] + v["jpeg75"] + v["half"]) / 3 if v["psnr"] > args.psnr - 1 else 0
            log.info("val step %d psnr %.2f acc clean %.4f jpeg75 %.4f half %.4f score %.4f",
                     step, v["psnr"], v["clean"], v["jpeg75"], v["half"], score)
            if score >= best:
                best = score
                save(args.run / "best.ckpt", encoder=enc.state_dict(),
                     decoder=dec.state_dict(), step=step, val=v)
        if step % args.ckpt_every == 0 or step == args.steps:
            save(last, encoder=enc.state_dict(), decoder=dec.state_dict(),
                 opt=opt.state_dict(), step=step, log_lam=log_lam, best=best, start=start,
                 start_psnr=start_psnr,
                 rng=rng.getstate(), gen=gen.get_state(), torch_rng=torch.get_rng_state())
    log.info("done at step %d", step)


if __name__ == "__main__":
    main()
