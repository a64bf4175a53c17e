"""How well a rich-model detector tells stegokit's output from covers (P_E per payload).

    python benchmarks/steganalysis.py [--quick | --every N] [--methods ...] [--write]

Covers: grey 256x256 patches, non-overlapping, of the 65 photographs of
``photos.steganalysis_photos()`` (Debian wallpaper, puzzle and OpenCV sample packages; photos
whose short side is 1400 px or more are first halved by 2x2 averaging, which removes most JPEG
blocking), at most 50 per photo. Each patch gets a stego version per method and payload:

- ``default``: ``stegokit.embed_text`` as shipped (the adaptive layout: HILL + STC);
- ``hamming``: the previous default, ±1 matching with Hamming matrix embedding;
- ``lsbm``: plain ±1 matching (LSB matching) at random positions, a reference;
- ``lsbr``: LSB replacement at random positions, a reference.

Payloads are in bits per pixel: the whole container (header and check included) for
stegokit's layouts, the message bits for the references.

Features (about 2,400, NumPy): SPAM686 (Pevny, Bas and Fridrich 2010) and ten
co-occurrence submodels after the spatial rich model (SRM, Fridrich and Kodovsky 2012):
fourth-order co-occurrences (T = 2) of quantised residuals of first, second and third order,
their min/max over directions, and the 3x3 KB residual, merged over horizontal and vertical
scans and symmetrised over sign and direction. Classifier: an ensemble of Fisher linear
discriminants on random feature subspaces and bootstrap samples, majority vote (Kodovsky,
Fridrich and Holub 2012), trained per method and payload. Photos are split into five folds;
each patch is tested once, by the ensemble trained on the other four folds' photos. P_E =
min over thresholds of (false alarms + misses) / 2 on the vote, averaged over the folds.

``--quick``: a tenth of the patches, a smaller ensemble (a smoke test, not a measurement);
``--every N`` a subset with the full ensemble; ``--methods`` some of the methods. Features
are cached per patch and method in benchmarks/.cache/steganalysis/ (stegokit's methods per
version of its source), so a rerun computes only what is missing.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

HERE = Path(__file__).parent
CACHE = HERE / ".cache" / "steganalysis"
PATCH = 256
MAX_PATCHES = 50
PAYLOADS = (0.1, 0.2, 0.4)
METHODS = ("default", "hamming", "lsbm", "lsbr")
FOLDS = 5
#: Bump when the features or the reference embedders change (cached features are per version).
FEATURES_VERSION = "f1"


def patches() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grey patches (N, 256, 256) uint8, the index of the photo each comes from, and its
    number within that photo."""
    from photos import steganalysis_photos
    from PIL import Image

    out, source, rank = [], [], []
    for index, path in enumerate(steganalysis_photos()):
        with Image.open(path) as image:
            grey = np.asarray(image.convert("L"), dtype=np.float32)
        if min(grey.shape) >= 1400:  # 2x2 averages
            h, w = grey.shape[0] // 2 * 2, grey.shape[1] // 2 * 2
            grey = grey[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        grey = np.rint(grey).astype(np.uint8)
        rows, cols = grey.shape[0] // PATCH, grey.shape[1] // PATCH
        tiles = [grey[r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]
                 for r in range(rows) for c in range(cols)][:MAX_PATCHES]
        out += tiles
        source += [index] * len(tiles)
        rank += range(len(tiles))
    return np.stack(out), np.array(source), np.array(rank)


# --- embedding -------------------------------------------------------------------------


def _stegokit(cover: np.ndarray, rate: float, seed: int, adaptive: bool) -> np.ndarray | None:
    from stegokit import container
    from stegokit.api import lsb_container
    from stegokit.codecs import lsb

    overhead = container.HEADER_SIZE + container.CRC_SIZE + container.RECORD_OVERHEAD
    size = int(rate * cover.size / 8) - overhead
    rng = np.random.default_rng(seed)
    payload = container.Payload(rng.bytes(size), "file")
    pixels = cover[..., None]
    data, code, carrier = lsb_container(payload, pixels, 1, adaptive=adaptive)
    try:
        return lsb.embed(pixels, data, code=code, rng=rng, carrier=carrier)[0][..., 0]
    except Exception:  # too little room in a saturated patch: the patch is left out
        return None


def _random_positions(cover: np.ndarray, rate: float, rng) -> tuple[np.ndarray, np.ndarray]:
    flat = cover.reshape(-1)
    where = rng.choice(flat.size, int(rate * flat.size), replace=False)
    bits = rng.integers(0, 2, len(where), dtype=np.uint8)
    return where[(flat[where] & 1) != bits], flat


def embed(cover: np.ndarray, method: str, rate: float, seed: int) -> np.ndarray | None:
    """A stego version of a grey patch (None when the method cannot embed this payload)."""
    if method in ("default", "hamming"):
        return _stegokit(cover, rate, seed, adaptive=method == "default")
    rng = np.random.default_rng(seed)
    where, flat = _random_positions(cover, rate, rng)
    out = flat.copy()
    if method == "lsbr":
        out[where] ^= 1
    else:
        step = rng.choice(np.array([-1, 1]), len(where))
        step[out[where] == 0] = 1
        step[out[where] == 255] = -1
        out[where] = (out[where].astype(np.int16) + step).astype(np.uint8)
    return out.reshape(cover.shape)


# --- features --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _symmetric_bins() -> tuple[np.ndarray, int]:
    """For each of the 5**4 codes of four values in -2..2: its class under sign change and
    reversal, numbered 0..classes-1."""
    digits = np.array(np.meshgrid(*[np.arange(5)] * 4, indexing="ij")).reshape(4, -1).T
    def code(d):
        return ((d[:, 0] * 5 + d[:, 1]) * 5 + d[:, 2]) * 5 + d[:, 3]
    variants = [digits, 4 - digits, digits[:, ::-1], 4 - digits[:, ::-1]]
    canonical = np.min([code(v) for v in variants], axis=0)
    _, labels = np.unique(canonical, return_inverse=True)
    return labels, int(labels.max()) + 1


def _cooc(q: np.ndarray, axis: int) -> np.ndarray:
    """Counts of the 625 codes of four consecutive values along ``axis`` (values 0..4)."""
    if axis == 0:
        q = q.T
    code = ((q[:, :-3].astype(np.int32) * 5 + q[:, 1:-2]) * 5 + q[:, 2:-1]) * 5 + q[:, 3:]
    return np.bincount(code.reshape(-1), minlength=625)


def _quantise(residual: np.ndarray, q: float) -> np.ndarray:
    return (np.clip(np.rint(residual / q), -2, 2) + 2).astype(np.uint8)


def _submodel(pairs: list[tuple[np.ndarray, int]], q: float) -> np.ndarray:
    """Symmetrised, normalised co-occurrences of residuals (each with its scan axis)."""
    labels, classes = _symmetric_bins()
    counts = sum(_cooc(_quantise(r, q), axis) for r, axis in pairs)
    merged = np.bincount(labels, weights=counts, minlength=classes)
    return merged / max(merged.sum(), 1)


def _markov(a: np.ndarray, b: np.ndarray, c: np.ndarray, T: int) -> np.ndarray:
    """Pr(next = c | a, b) over consecutive truncated differences (values -T..T)."""
    base = 2 * T + 1
    code = ((np.clip(a, -T, T) + T) * base + np.clip(b, -T, T) + T) * base + np.clip(c, -T, T) + T
    joint = np.bincount(code.reshape(-1), minlength=base ** 3).reshape(base * base, base)
    return (joint / np.maximum(joint.sum(axis=1, keepdims=True), 1)).reshape(-1)


def _spam(x: np.ndarray, T: int = 3) -> np.ndarray:
    """SPAM686: second-order Markov transition probabilities of neighbour differences
    (T = 3), averaged over the 4 straight and over the 4 diagonal directions."""
    x = x.astype(np.int16)
    straight, diagonal = [], []
    for v in (x, x[:, ::-1], x.T, x.T[:, ::-1]):
        d = v[:, :-1] - v[:, 1:]
        straight.append(_markov(d[:, :-2], d[:, 1:-1], d[:, 2:], T))
    for v in (x, x[:, ::-1], x[::-1], x[::-1, ::-1]):
        d = v[:-1, :-1] - v[1:, 1:]
        diagonal.append(_markov(d[:-2, :-2], d[1:-1, 1:-1], d[2:, 2:], T))
    return np.concatenate([np.mean(straight, axis=0), np.mean(diagonal, axis=0)])


def features(x: np.ndarray) -> np.ndarray:
    """The feature vector of a grey patch (float32)."""
    f = x.astype(np.float32)
    right, down = f[:, 1:] - f[:, :-1], f[1:] - f[:-1]
    # first order, on the interior: residuals toward each neighbour
    c = f[1:-1, 1:-1]
    r, left = f[1:-1, 2:] - c, f[1:-1, :-2] - c
    u, d = f[:-2, 1:-1] - c, f[2:, 1:-1] - c
    min4, max4 = np.minimum(np.minimum(r, left), np.minimum(u, d)), \
        np.maximum(np.maximum(r, left), np.maximum(u, d))
    minh, maxh = np.minimum(r, left), np.maximum(r, left)
    minv, maxv = np.minimum(u, d), np.maximum(u, d)
    # second order
    h2 = f[:, :-2] - 2 * f[:, 1:-1] + f[:, 2:]
    v2 = f[:-2] - 2 * f[1:-1] + f[2:]
    h2i, v2i = h2[1:-1], v2[:, 1:-1]
    # third order
    h3 = -f[:, :-3] + 3 * f[:, 1:-2] - 3 * f[:, 2:-1] + f[:, 3:]
    v3 = -f[:-3] + 3 * f[1:-2] - 3 * f[2:-1] + f[3:]
    kb = (-f[:-2, :-2] + 2 * f[:-2, 1:-1] - f[:-2, 2:] + 2 * f[1:-1, :-2] - 4 * c
          + 2 * f[1:-1, 2:] - f[2:, :-2] + 2 * f[2:, 1:-1] - f[2:, 2:])
    models = [
        _submodel([(right, 1), (down, 0)], 1),
        _submodel([(minh, 1), (minv, 0)], 1), _submodel([(maxh, 1), (maxv, 0)], 1),
        _submodel([(min4, 1), (min4, 0)], 1), _submodel([(max4, 1), (max4, 0)], 1),
        _submodel([(h2, 1), (v2, 0)], 2),
        _submodel([(np.minimum(h2i, v2i), 1), (np.minimum(h2i, v2i), 0)], 2),
        _submodel([(np.maximum(h2i, v2i), 1), (np.maximum(h2i, v2i), 0)], 2),
        _submodel([(h3, 1), (v3, 0)], 3),
        _submodel([(kb, 1), (kb, 0)], 4),
    ]
    return np.concatenate([_spam(x), *models]).astype(np.float32)


def _job(args) -> tuple[int, dict]:
    """Features of one patch and of the stego versions asked for (None where embedding
    failed)."""
    index, cover, keys = args
    out = {}
    for key in keys:
        if key == "cover":
            out[key] = features(cover)
            continue
        method, rate = key.rsplit("-", 1)
        stego = embed(cover, method, float(rate), seed=index * 1000 + round(float(rate) * 100))
        out[key] = None if stego is None else features(stego)
    return index, out


# --- classifier ------------------------------------------------------------------------


def fld_ensemble(train_c: np.ndarray, train_s: np.ndarray, learners: int, subspace: int,
                 rng: np.random.Generator):
    """An ensemble of Fisher linear discriminants: returns a function giving, for a feature
    matrix, the fraction of learners that vote stego."""
    dim = train_c.shape[1]
    members = []
    for _ in range(learners):
        cols = rng.choice(dim, min(subspace, dim), replace=False)
        pick = rng.integers(0, len(train_c), len(train_c))  # bootstrap, pairs kept together
        c, s = train_c[pick][:, cols], train_s[pick][:, cols]
        mu_c, mu_s = c.mean(axis=0), s.mean(axis=0)
        scatter = np.cov(c, rowvar=False) + np.cov(s, rowvar=False)
        scatter += np.eye(len(cols)) * (1e-6 + 1e-3 * np.trace(scatter) / len(cols))
        w = np.linalg.solve(scatter, mu_s - mu_c)
        threshold = (mu_s + mu_c) @ w / 2
        members.append((cols, w, threshold))

    def votes(x: np.ndarray) -> np.ndarray:
        return np.mean([x[:, cols] @ w > t for cols, w, t in members], axis=0)

    return votes


def p_error(cover_scores: np.ndarray, stego_scores: np.ndarray) -> float:
    """min over thresholds of (false alarms + misses) / 2 (higher scores: stego)."""
    thresholds = np.unique(np.concatenate([cover_scores, stego_scores, [np.inf]]))
    fa = (cover_scores[None, :] >= thresholds[:, None]).mean(axis=1)
    md = (stego_scores[None, :] < thresholds[:, None]).mean(axis=1)
    return float(((fa + md) / 2).min())


def evaluate(cover: np.ndarray, stego: np.ndarray, folds: np.ndarray, learners: int,
             subspace: int) -> tuple[float, float, int]:
    """Mean and spread (std over folds) of P_E, and the number of test pairs."""
    errors = []
    for fold in np.unique(folds):
        test = folds == fold
        train = ~test
        mean, std = cover[train].mean(axis=0), cover[train].std(axis=0) + 1e-9
        rng = np.random.default_rng(int(fold))
        votes = fld_ensemble((cover[train] - mean) / std, (stego[train] - mean) / std,
                             learners, subspace, rng)
        errors.append(p_error(votes((cover[test] - mean) / std),
                              votes((stego[test] - mean) / std)))
    return float(np.mean(errors)), float(np.std(errors)), len(cover)


def assign_folds(source: np.ndarray) -> np.ndarray:
    """Photos into folds of about equal patch counts (largest photos first)."""
    counts = np.bincount(source)
    fold_of = np.zeros(len(counts), dtype=int)
    load = np.zeros(FOLDS)
    rng = np.random.default_rng(7)
    order = np.lexsort((rng.random(len(counts)), -counts))
    for photo in order:
        fold_of[photo] = int(load.argmin())
        load[fold_of[photo]] += counts[photo]
    return fold_of[source]


@cache
def _source_tag(skip: tuple[str, ...] = ()) -> str:
    """A hash of stegokit's source but the ``skip`` files, as it was when first asked for (the
    code this process runs): the stegokit methods' features are cached per version."""
    root = HERE.parent / "src" / "stegokit"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.name not in skip:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _cache_path(key: str) -> Path:
    """The cache file of a key: references by the feature version only; ``hamming`` also by
    stegokit's source without the adaptive layout's modules; the others by all of it."""
    method = key.rsplit("-", 1)[0]
    if method in ("cover", "lsbm", "lsbr"):
        tag = ""
    else:
        tag = "-" + _source_tag(("adaptive.py", "costs.py", "stc.py") if method == "hamming"
                                else ())
    return CACHE / f"{FEATURES_VERSION}-{key}{tag}.npz"


def feature_table(covers: np.ndarray, wanted: np.ndarray, keys: list[str], jobs: int,
                  start: float) -> dict[str, np.ndarray]:
    """Features (rows: ``covers``; NaN where embedding failed) of the patches ``wanted`` for
    each key ("cover" or "method-rate"), from the cache or computed and added to it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stored = {}
    for key in keys:
        path = _cache_path(key)
        if path.exists():
            with np.load(path) as f:
                stored[key] = (f["values"].copy(), f["done"].copy())
        else:
            stored[key] = (None, np.zeros(len(covers), dtype=bool))
    todo = [(int(i), covers[i], [k for k in keys if not stored[k][1][i]]) for i in wanted]
    todo = [job for job in todo if job[2]]
    if todo:
        with ProcessPoolExecutor(jobs) as pool:
            for done, (index, out) in enumerate(pool.map(_job, todo, chunksize=2)):
                for key, value in out.items():
                    values, flags = stored[key]
                    if values is None and value is not None:
                        values = np.full((len(covers), len(value)), np.nan, np.float32)
                    if value is not None:
                        values[index] = value
                    flags[index] = True
                    stored[key] = (values, flags)
                if done % 50 == 0 or done == len(todo) - 1:
                    print(f"{done + 1}/{len(todo)} patches, {time.perf_counter() - start:.0f} s",
                          file=sys.stderr)
                    for key, (values, flags) in stored.items():
                        if values is not None:
                            np.savez(_cache_path(key), values=values, done=flags)
    return {key: stored[key][0][wanted] for key in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="every 10th patch and a smaller ensemble (a smoke test)")
    parser.add_argument("--every", type=int, default=1,
                        help="use every N-th patch of each photo (--quick: 10)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated, of {', '.join(METHODS)}")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true",
                        help="also write benchmarks/results/steganalysis.md")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    if unknown := set(methods) - set(METHODS):
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    every = 10 if args.quick else args.every
    start = time.perf_counter()
    covers, source, rank = patches()
    wanted = np.flatnonzero(rank % every == 0)
    keys = ["cover"] + [f"{m}-{r}" for m in methods for r in PAYLOADS]
    table = feature_table(covers, wanted, keys, args.jobs, start)
    folds = assign_folds(source[wanted])
    learners, subspace = (15, 300) if args.quick else (51, 600)
    lines = [f"{len(wanted)} cover patches of {PATCH}x{PATCH} from "
             f"{len(np.unique(source[wanted]))} photos, {FOLDS} folds by photo; "
             f"{table['cover'].shape[1]} features; FLD ensemble of {learners} on "
             f"{subspace}-feature subspaces",
             "", "| method | " + " | ".join(f"P_E at {r} bpp" for r in PAYLOADS) + " |",
             "| --- | " + " | ".join("---:" for _ in PAYLOADS) + " |"]
    for method in methods:
        cells = []
        for rate in PAYLOADS:
            stego = table[f"{method}-{rate}"]
            ok = ~np.isnan(stego).any(axis=1)
            mean, spread, n = evaluate(table["cover"][ok], stego[ok], folds[ok], learners,
                                       subspace)
            cells.append(f"{mean:.3f} ± {spread:.3f} (n={n})")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", f"({time.perf_counter() - start:.0f} s)"]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.write:
        (HERE / "results" / "steganalysis.md").write_text(text)


if __name__ == "__main__":
    main()
