"""Distortions applied between encoder and decoder during training.

Images are ``(N, 3, H, W)`` float tensors in [0, 1]. Every layer keeps gradients flowing:
real JPEG and 8-bit rounding use the straight-through trick (forward = the real
operation, backward = identity), as in StegaStamp/TrustMark-style training. ``strength``
in [0, 1] scales every distortion (the curriculum ramps it up).
"""

from __future__ import annotations

import io
import random

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from training.model import SIZE

MIN_SHORT = 112


def straight_through(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Value of ``y`` with the gradient of ``x``."""
    return x + (y - x).detach()


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round to 8-bit levels, as saving a PNG does."""
    return straight_through(x, torch.round(x.clamp(0, 1) * 255) / 255)


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """Real JPEG (Pillow, 4:2:0) round trip at ``quality``, straight-through."""
    arr = (x.detach().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    out = []
    for a in arr:
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "JPEG", quality=quality)
        out.append(np.asarray(Image.open(buf).convert("RGB")))
    y = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 255
    return straight_through(x, y)


def resize(x: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """Resize to ``size`` (h, w) with antialiasing when shrinking."""
    if mode == "area":
        return F.interpolate(x, size=size, mode="area")
    return F.interpolate(x, size=size, mode=mode, antialias=True, align_corners=False)


def to_decoder(x: torch.Tensor, rng: random.Random) -> torch.Tensor:
    """The decoder's view: a ``SIZE`` x ``SIZE`` copy, by a randomly chosen filter."""
    return resize(x, (SIZE, SIZE), rng.choice(["bilinear", "bicubic", "area"])).clamp(0, 1)


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur."""
    k = int(2 * round(2 * sigma) + 1)
    t = torch.arange(k, dtype=x.dtype) - k // 2
    g = torch.exp(-(t**2) / (2 * sigma**2))
    g = (g / g.sum()).view(1, 1, 1, k).repeat(3, 1, 1, 1)
    x = F.conv2d(F.pad(x, (k // 2, k // 2, 0, 0), mode="replicate"), g, groups=3)
    return F.conv2d(F.pad(x, (0, 0, k // 2, k // 2), mode="replicate"), g.transpose(2, 3), groups=3)


def crop(x: torch.Tensor, keep: float, rng: random.Random) -> torch.Tensor:
    """Cut a random window keeping ``keep`` of each side."""
    h, w = x.shape[-2:]
    ch, cw = max(8, int(h * keep)), max(8, int(w * keep))
    top, left = rng.randint(0, h - ch), rng.randint(0, w - cw)
    return x[..., top : top + ch, left : left + cw]


def color(x: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Random per-image brightness, contrast and saturation changes."""
    n = x.shape[0]

    def u(lim: float) -> torch.Tensor:
        return ((torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * lim * strength)

    grey = x.mean(1, keepdim=True)
    x = grey + (x - grey) * (1 + u(0.3))
    mean = x.mean((1, 2, 3), keepdim=True)
    return ((x - mean) * (1 + u(0.25)) + mean + u(0.12)).clamp(0, 1)


def gaussian(x: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Additive Gaussian noise, sigma up to 0.02 * strength."""
    sigma = torch.rand(x.shape[0], 1, 1, 1, generator=gen) * 0.02 * strength
    return (x + sigma * torch.randn(x.shape, generator=gen)).clamp(0, 1)


def distort(x: torch.Tensor, strength: float, rng: random.Random, gen: torch.Generator):
    """Random chain: crop, resize, colour, blur, noise, then JPEG or 8-bit rounding.

    Each stage fires with probability proportional to ``strength``; resizing stops at a
    short side of ``MIN_SHORT`` px (the codec's minimum, less a margin); the chain ends with
    the decoder's resize to ``SIZE``. JPEG is the most frequent stage since real images
    are usually saved as JPEG.
    """
    p = strength
    if rng.random() < 0.3 * p:
        x = crop(x, 1 - rng.uniform(0, 0.07) * p, rng)
    if rng.random() < 0.5 * p:
        h, w = x.shape[-2:]
        s = max(1 - rng.uniform(0, 0.6) * p, MIN_SHORT / min(h, w))
        x = resize(x, (round(h * s), round(w * s)), rng.choice(["bilinear", "bicubic", "area"]))
    if rng.random() < 0.4 * p:
        x = color(x, p, gen)
    if rng.random() < 0.2 * p:
        x = blur(x, rng.uniform(0.3, 0.3 + 0.9 * p))
    if rng.random() < 0.3 * p:
        x = gaussian(x, p, gen)
    x = jpeg(x, round(95 - rng.uniform(0, 50) * p)) if rng.random() < 0.7 * p else quantize(x)
    return to_decoder(x, rng)
