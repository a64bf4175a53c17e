"""Photo loading and random crops for training and validation."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from PIL import Image

HALVE_ABOVE = 1000


def load_photos(data: Path, part: str) -> list[np.ndarray]:
    """Load the photos of split ``part`` as uint8 RGB arrays.

    Photos with a short side >= ``HALVE_ABOVE`` are halved first, which removes most of
    the JPEG blocking some wallpapers carry.
    """
    split = json.loads((data / "split.json").read_text())
    out = []
    for pid in split[part]:
        with Image.open(data / "photos" / split["photos"][pid]["file"]) as im:
            im = im.convert("RGB")
            if min(im.size) >= HALVE_ABOVE:
                im = im.resize((im.width // 2, im.height // 2), Image.Resampling.BOX)
            out.append(np.asarray(im))
    return out


def random_batch(
    photos: list[np.ndarray], n: int, rng: random.Random, sizes=(128, 160, 192, 256, 320)
) -> torch.Tensor:
    """``n`` random crops ``(n, 3, h, w)`` in [0, 1], one random size and aspect per batch.

    Each crop is taken at a random scale of its photo (so it may show a whole small photo
    or a detail of a large one), flipped at random.
    """
    short = rng.choice(sizes)
    aspect = rng.uniform(0.6, 1.67)
    h, w = (short, round(short * aspect)) if aspect >= 1 else (round(short / aspect), short)
    crops = []
    for _ in range(n):
        p = photos[rng.randrange(len(photos))]
        ph, pw = p.shape[:2]
        scale = rng.uniform(max(h / ph, w / pw), 1.0) if ph >= h and pw >= w else None
        if scale is None:
            img = Image.fromarray(p).resize((w, h), Image.Resampling.BICUBIC)
        else:
            ch, cw = min(ph, round(h / scale)), min(pw, round(w / scale))
            top, left = rng.randint(0, ph - ch), rng.randint(0, pw - cw)
            img = Image.fromarray(p[top : top + ch, left : left + cw])
            img = img.resize((w, h), Image.Resampling.BICUBIC if scale > 0.99 else
                             Image.Resampling.LANCZOS)
        a = np.asarray(img)
        if rng.random() < 0.5:
            a = a[:, ::-1]
        crops.append(a)
    return torch.from_numpy(np.stack(crops).copy()).permute(0, 3, 1, 2).float() / 255
