"""Train the v2 encoder/decoder pair on CPU or CUDA; resumable from ``<run>/last.ckpt``.

    python -m training.train_v2 --pack data/pack.zip --run training/runs/v2 --steps 20000
    python -m training.train_v2 --device cuda --minutes 7.5 ...   # as shipped (H200)

The photos come from the pack of ``training.pack`` (held on the device as uint8). The
schedule is v1's (``training.train``): the cover fades in from grey over ``--fade``
steps, the curriculum starts once the bit accuracy reaches ``--start-acc`` and ramps the
distortions (``training.noise_v2``) and the PSNR target over ``--ramp`` steps; the image
loss weight is a Lagrange multiplier steering the batch PSNR to the target. Before the
curriculum the image loss only keeps the PSNR above ``--psnr-start`` (left free, the
residual grows to ~7 dB and clips). ``--tile`` / ``--pool`` / ``--width`` choose the
message layout and the network width (``training.model_v2``). With
``--minutes`` the learning-rate schedule and the run end follow the wall clock instead of
``--steps`` (for a fixed device lease); the log records the step reached, and
``--steps`` with that number reproduces the run anywhere. On CUDA the networks run under
bfloat16 autocast. ``best.ckpt`` and ``latest.ckpt`` hold weights only (small enough to
copy off a leased machine); ``last.ckpt`` holds everything needed to resume exactly
(weights, optimiser, both random streams, the running averages and the Lagrange weight):
a run stopped by SIGTERM or ``--pause-at`` saves it at the step reached, and rerunning the
same command continues as if it had never stopped (``--steps`` in steps mode).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import random
import signal
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from training.model import n_params
from training.model_v2 import BITS, SIZE, Decoder, Encoder
from training.noise_v2 import distort, geometry, jpeg, quantize, resize, to_decoder
from training.pack import load_pack
from training.train import duration, lr_at, psnr, save

log = logging.getLogger("train_v2")


def embed(enc: Encoder, cover: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Full-size stego image: the residual of the ``SIZE`` copy, upsampled and added."""
    small = resize(cover, (SIZE, SIZE))
    res = F.interpolate(enc(small, bits).float(), size=cover.shape[-2:], mode="bilinear",
                        align_corners=False)
    return (cover + res).clamp(0, 1)


def random_batch(pack: torch.Tensor, n: int, sizes: list[int], rng: random.Random,
                 gen: torch.Generator) -> torch.Tensor:
    """``n`` covers ``(n, 3, h, w)`` in [0, 1]: random windows of random pack crops, at a
    random scale, mirrored at random, resampled to one random size per batch."""
    h, w = rng.choice(sizes), rng.choice(sizes)
    side = pack.shape[-1]
    u = torch.rand(n, 4, generator=gen, device=gen.device).to(pack.device)
    scale = max(h, w) / side + (1 - max(h, w) / side) * u[:, 0]
    sx, sy = scale * w / max(h, w), scale * h / max(h, w)
    flip = torch.where(u[:, 1] < 0.5, -1.0, 1.0)
    zero = torch.zeros_like(sx)
    theta = torch.stack([torch.stack([sx * flip, zero, (1 - sx) * (2 * u[:, 2] - 1)], 1),
                         torch.stack([zero, sy, (1 - sy) * (2 * u[:, 3] - 1)], 1)], 1)
    idx = torch.randint(pack.shape[0], (n,), generator=gen, device=gen.device).to(pack.device)
    src = pack[idx].float() / 255
    grid = F.affine_grid(theta, [n, 3, h, w], align_corners=False)
    return F.grid_sample(src, grid, mode="bilinear", padding_mode="border",
                         align_corners=False).clamp(0, 1)


def views(stego: torch.Tensor, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """The validation attacks, at the stego image's size."""
    h, w = stego.shape[-2:]
    return {
        "clean": quantize(stego),
        "jpeg75": jpeg(stego, 75),
        "half": quantize(resize(stego, (h // 2, w // 2))),
        "crop75": quantize(geometry(stego, (0.75, 0.75), 0.0, gen)),
        "rot5": quantize(geometry(stego, (1.0, 1.0), 5.0, gen)),
    }


@torch.no_grad()
def validate(enc: Encoder, dec: Decoder, covers: list[torch.Tensor], seed: int,
             amp: contextlib.AbstractContextManager) -> dict[str, float]:
    """Mean PSNR and raw bit accuracy per validation attack."""
    enc.eval()
    dec.eval()
    device = covers[0].device
    gen = torch.Generator(device=device).manual_seed(seed)
    rng = random.Random(seed)
    stats: dict[str, list[float]] = {}
    for cover in covers:
        bits = torch.randint(0, 2, (cover.shape[0], BITS), generator=gen, device=device).float()
        with amp:
            stego = embed(enc, cover, bits)
        stats.setdefault("psnr", []).append(psnr(stego, cover).mean().item())
        for name, view in views(stego, gen).items():
            with amp:
                pred = dec(to_decoder(view, rng)).float() > 0
            stats.setdefault(name, []).append((pred == bits.bool()).float().mean().item())
    enc.train()
    dec.train()
    return {k: sum(v) / len(v) for k, v in stats.items()}


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pack", type=Path, default=Path("data/pack.zip"))
    ap.add_argument("--run", type=Path, default=Path("training/runs/v2"))
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--minutes", type=float, default=None, help="wall-clock schedule")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--fade", type=int, default=200, help="steps to fade the cover in")
    ap.add_argument("--ramp", type=int, default=1500, help="curriculum length (steps)")
    ap.add_argument("--start-acc", type=float, default=0.8, help="accuracy starting it")
    ap.add_argument("--start-max", type=int, default=1000, help="latest step starting it")
    ap.add_argument("--psnr", type=float, default=42.5, help="final target PSNR (dB)")
    ap.add_argument("--psnr-start", type=float, default=15.0,
                    help="initial target and, before the curriculum, the PSNR floor (dB)")
    ap.add_argument("--lam0", type=float, default=0.01, help="initial image loss weight")
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 160, 192, 224, 256])
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--val-batches", type=int, default=6)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--pool", type=int, default=8, help="decoder pooling grid (1: global)")
    ap.add_argument("--tile", type=int, default=128, help="message tile period (px at 128)")
    ap.add_argument("--width", type=float, default=1.0, help="channel multiplier")
    ap.add_argument("--pause-at", type=int, default=None,
                    help="save last.ckpt after this step and exit (rerun to continue)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    args.run.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler(args.run / "train.log"), logging.StreamHandler()],
    )
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    amp = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
           else contextlib.nullcontext())
    layout = {"tile": args.tile, "pool": args.pool, "width": args.width}
    enc = Encoder(args.tile, args.width).to(device)
    dec = Decoder(args.pool, args.width).to(device)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=args.lr)
    step, log_lam, best, start, start_psnr = 0, math.log(args.lam0), -1.0, None, args.psnr_start
    elapsed, ema = 0.0, None
    rng = random.Random(args.seed)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    last = args.run / "last.ckpt"
    if last.exists():
        ck = torch.load(last, weights_only=False, map_location=device)
        if ck["layout"] != layout:
            raise SystemExit(f"{last} was trained with " + " ".join(
                f"--{k} {v}" for k, v in ck["layout"].items()))
        enc.load_state_dict(ck["encoder"])
        dec.load_state_dict(ck["decoder"])
        opt.load_state_dict(ck["opt"])
        step, log_lam, best, start = ck["step"], ck["log_lam"], ck["best"], ck["start"]
        start_psnr, elapsed, ema = ck["start_psnr"], ck["elapsed"], ck["ema"]
        rng.setstate(ck["rng"])
        gen.set_state(ck["gen"])
        log.info("resumed from step %d", step)
    else:
        log.info("args %s", vars(args))
        log.info("parameters: encoder %d, decoder %d", n_params(enc), n_params(dec))
    pack = torch.from_numpy(load_pack(args.pack, "train")).permute(0, 3, 1, 2).to(device)
    val_pack = torch.from_numpy(load_pack(args.pack, "val")).permute(0, 3, 1, 2).to(device)
    vgen = torch.Generator(device=device).manual_seed(12345)
    vrng = random.Random(12345)
    val = [random_batch(val_pack, args.batch, args.sizes, vrng, vgen)
           for _ in range(args.val_batches)]
    log.info("pack: %d training crops, %d validation crops", len(pack), len(val_pack))

    def progress() -> float:
        done = step / args.steps
        if args.minutes:
            done = max(done, elapsed / (60 * args.minutes))
        return done

    stop: list[int] = []
    on_term = signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    t0, tlog = time.time(), time.time()
    while progress() < 1:
        for g in opt.param_groups:
            g["lr"] = lr_at(round(progress() * args.steps), args.steps, args.lr)
        cover = random_batch(pack, args.batch, args.sizes, rng, gen)
        fade = min(1.0, (step + 1) / args.fade)
        cover = 0.5 + fade * (cover - 0.5)
        if start is None and step >= args.fade and (
            (ema and ema[0] >= args.start_acc) or step >= args.start_max
        ):
            start, start_psnr = step, min(args.psnr_start, ema[1] if ema else args.psnr_start)
            log.info("curriculum starts at step %d", start)
        ramp = 0.0 if start is None else min(1.0, (step - start) / args.ramp)
        bits = torch.randint(0, 2, (args.batch, BITS), generator=gen, device=device).float()
        with amp:
            stego = embed(enc, cover, bits)
        seen = distort(stego, ramp, rng, gen)  # float32: grids and JPEG need the precision
        with amp:
            logits = dec(seen).float()
        bce = F.binary_cross_entropy_with_logits(logits, bits)
        mse = (stego - cover).pow(2).mean()
        if start is None:  # free below the start PSNR, pushed back above it (no clipping)
            loss = bce + args.lam0 * 1e4 * F.relu(mse - 10 ** (-args.psnr_start / 10))
        else:
            loss = bce + math.exp(log_lam) * mse * 1e4
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        p = psnr(stego.detach(), cover).mean().item()
        if start is not None:
            target = start_psnr + (args.psnr - start_psnr) * ramp
            log_lam = min(8.0, max(-8.0, log_lam + 0.01 * (target - p)))
        acc = ((logits > 0) == bits.bool()).float().mean().item()
        ema = [acc, p, bce.item()] if ema is None else [
            0.95 * e + 0.05 * v for e, v in zip(ema, [acc, p, bce.item()], strict=True)]
        step += 1
        now = time.time()
        elapsed, t0 = elapsed + now - t0, now
        if step % args.log_every == 0:
            done = progress()
            left = elapsed * (1 - done) / done if done > 0 else 0.0
            log.info("step %d (%.0f%%, %s left) acc %.4f psnr %.2f bce %.4f lam %.3g "
                     "ramp %.2f lr %.2g %.3fs/step", step, 100 * done, duration(left), *ema,
                     math.exp(log_lam), ramp, opt.param_groups[0]["lr"],
                     (now - tlog) / args.log_every)
            tlog = now
        finished = progress() >= 1
        if step % args.val_every == 0 or finished:
            v = validate(enc, dec, val, 777, amp)
            attacks = [k for k in v if k != "psnr"]
            score = sum(v[k] for k in attacks) / len(attacks) if ramp >= 1 else 0.0
            score = score if v["psnr"] > args.psnr - 1 else 0.0
            log.info("val step %d psnr %.2f %s score %.4f", step, v["psnr"],
                     " ".join(f"{k} {v[k]:.4f}" for k in attacks), score)
            weights = {"encoder": enc.state_dict(), "decoder": dec.state_dict(), "step": step,
                       "val": v, **layout}
            save(args.run / "latest.ckpt", **weights)
            if score >= best:
                best = score
                save(args.run / "best.ckpt", **weights)
        paused = step == args.pause_at or bool(stop)
        if step % args.ckpt_every == 0 or finished or paused:
            save(last, encoder=enc.state_dict(), decoder=dec.state_dict(),
                 opt=opt.state_dict(), step=step, log_lam=log_lam, best=best, start=start,
                 start_psnr=start_psnr, elapsed=elapsed, ema=ema, rng=rng.getstate(),
                 gen=gen.get_state(), layout=layout)
        if paused and not finished:
            log.info("paused at step %d after %.1f min (%s); rerun the same command to "
                     "continue", step, elapsed / 60, "SIGTERM" if stop else "--pause-at")
            break
    else:
        log.info("done at step %d after %.1f min", step, elapsed / 60)
    signal.signal(signal.SIGTERM, on_term)


if __name__ == "__main__":
    main()
