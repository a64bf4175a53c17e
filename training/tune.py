"""Choose the codec's operating point on validation photos (never on test photos).

    PYTHONPATH=src python -m training.tune --strengths 1.0 1.25 --capacities 20 24 28 32
    PYTHONPATH=src python -m training.tune --policies 1.0,1.5,2.0@8 0.9,1.25,1.5,2.0@16

Embeds random bits in random crops of the validation photos at each strength, applies
the evaluation's attacks, and reports PSNR and raw bit accuracy; then, for each message
capacity, the share of exact messages the Reed-Solomon framing would recover given the
observed error pattern and confidences. ``--policies`` instead compares read-back
policies of ``neural.embed`` (strength factors tried in turn @ the most raw errors
accepted) on the validation crops and whole validation photos: each image is embedded
once per factor with a real message, and each policy's pick is scored by mean PSNR and
exact messages after PNG, JPEG 75 and JPEG 50. Logs to ``training/runs/tune.log``.
"""

from __future__ import annotations

import argparse
import logging
import random
from pathlib import Path

import numpy as np

from stegokit.codecs import neural, neural_ecc
from stegokit.codecs.neural_model import session
from stegokit.errors import NoPayloadError
from training.evaluate import ATTACKS_V1 as ATTACKS
from training.evaluate import attack, crop, eval_images, load, random_message

log = logging.getLogger("tune")


def framing(capacity: int) -> neural_ecc.Framing:
    """The shipped framing at another capacity."""
    return neural_ecc.Framing(neural_ecc.V1.tag, neural_ecc.RAW_BITS, capacity, spare=2)


def observe(images, strength: float, seed: int) -> tuple[list[float], list[tuple]]:
    """PSNRs, and (attack, embedded bits, logits) per image and attack."""
    gen = np.random.default_rng(seed)
    psnrs, rows = [], []
    for a in images:
        bits = (gen.random(neural_ecc.RAW_BITS) > 0.5).astype(np.float32)
        stego = neural._compose(a, neural._residual(a, bits), strength)
        mse = np.mean((stego.astype(np.float64) - a) ** 2)
        psnrs.append(10 * np.log10(255**2 / max(mse, 1e-10)))
        for name in ATTACKS:
            seen = neural._small(attack(stego, name))
            rows.append((name, bits, session("decoder").run(None, {"image": seen})[0][0]))
    return psnrs, rows


def exact_rates(rows, capacity: int, rng: random.Random) -> dict[str, float]:
    """Share of exact messages per attack, transplanting each observed error pattern."""
    frame = framing(capacity)
    hits: dict[str, list[bool]] = {}
    for name, bits, logits in rows:
        msg = bytes(rng.randrange(256) for _ in range(capacity))
        flipped = (logits > 0) != (bits > 0.5)
        sim = np.where(flipped, -1.0, 1.0) * (frame.encode(msg) * 2 - 1) * np.abs(logits)
        try:
            ok = frame.decode(sim) == msg
        except NoPayloadError:
            ok = False
        hits.setdefault(name, []).append(ok)
    return {k: float(np.mean(v)) for k, v in hits.items()}


POLICY_ATTACKS = ("png", "jpeg75", "jpeg50")


def observe_factors(images, factors: list[float], rng: random.Random) -> list[dict]:
    """Per image and strength factor: PSNR, raw errors read back, exact message per attack."""
    out = []
    for a in images:
        msg = random_message(rng)
        bits = neural_ecc.encode(msg)
        residual = neural._residual(a, bits)
        row = {}
        for factor in factors:
            stego = neural._compose(a, residual, factor)
            mse = np.mean((stego.astype(np.float64) - a) ** 2)
            own = int(((neural._logits(stego) > 0) != (bits > 0.5)).sum())
            exact = {}
            for name in POLICY_ATTACKS:
                try:
                    exact[name] = neural.read(attack(stego, name)).message == msg
                except NoPayloadError:
                    exact[name] = False
            row[factor] = {"psnr": 10 * np.log10(255**2 / max(mse, 1e-10)), "own": own, **exact}
        out.append(row)
    return out


def score_policy(rows: list[dict], factors: list[float], threshold: int) -> dict:
    """What ``neural.embed`` with ``BOOSTS = factors`` and ``MAX_OWN_ERRORS = threshold``
    would have returned for each observed image, summarised."""
    picks = []
    for row in rows:
        best = None
        for factor in factors:
            if best is None or row[factor]["own"] < best["own"]:
                best = row[factor]
            if row[factor]["own"] <= threshold:
                break
        picks.append((best, best is not row[factors[0]]))
    summary = {"psnr": float(np.mean([p["psnr"] for p, _ in picks])),
               "boosted": sum(b for _, b in picks), "images": len(picks)}
    summary.update({n: float(np.mean([p[n] for p, _ in picks])) for n in POLICY_ATTACKS})
    return summary


def compare_policies(val, policies: list[str], crops: int, rng: random.Random) -> None:
    parsed = [([float(f) for f in p.split("@")[0].split(",")], int(p.split("@")[1]))
              for p in policies]
    factors = sorted({f for fs, _ in parsed for f in fs})
    sets = eval_images(val, rng, crops)
    rows = observe_factors(sets["crops"] + sets["full"], factors, rng)
    for text, (fs, threshold) in zip(policies, parsed, strict=True):
        summary = score_policy(rows, fs, threshold)
        log.info("policy %s: %s", text,
                 {k: round(v, 3) if isinstance(v, float) else v for k, v in summary.items()})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--crops", type=int, default=60)
    ap.add_argument("--strengths", type=float, nargs="+", default=[1.0])
    ap.add_argument("--capacities", type=int, nargs="+", default=[20, 24, 28, 32])
    ap.add_argument("--policies", nargs="+", metavar="F,F,...@N",
                    help="compare read-back policies instead (see above)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    Path("training/runs").mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler("training/runs/tune.log"), logging.StreamHandler()],
    )
    rng = random.Random(args.seed)
    val = load(args.data, "val")
    if args.policies:
        compare_policies(val, args.policies, args.crops, rng)
        return
    images = [crop(val[i % len(val)][1], rng, 256, 1024) for i in range(args.crops)]
    for strength in args.strengths:
        psnrs, rows = observe(images, strength, args.seed)
        acc = {n: float(np.mean([((lg > 0) == (b > 0.5)).mean() for m, b, lg in rows if m == n]))
               for n in ATTACKS}
        log.info("strength %.2f: PSNR %.2f dB, bit accuracy %s", strength, np.mean(psnrs),
                 {k: round(v, 4) for k, v in acc.items()})
        for cap in args.capacities:
            rates = exact_rates(rows, cap, rng)
            log.info("  capacity %d: exact %s", cap, {k: round(v, 3) for k, v in rates.items()})


if __name__ == "__main__":
    main()
