"""Distortions between the v2 encoder and decoder, all in torch (CPU or GPU).

Images are ``(N, 3, H, W)`` tensors in [0, 1]. Geometry (crop keeping ``KEEP_MIN``-100 %
of each side at any position, rotation up to ``MAX_ANGLE`` degrees, aspect changes) is one
affine resampling per image; JPEG is simulated in torch (4:2:0 chroma, 8x8 DCT, the
libjpeg quality-scaled tables) with straight-through rounding, so the forward pass is a
real JPEG quantisation and the gradient flows (the differentiable JPEG of [HiDDeN /
Shin & Song 2017], here with the exact tables). Flips and right-angle rotations are left
to the extraction search; they are not trained.
"""

from __future__ import annotations

import math
import random

import torch
from torch.nn import functional as F

from training.model_v2 import SIZE

KEEP_MIN = 0.72
MAX_ANGLE = 6.0
MIN_SHORT = 96

_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40,
         57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
         55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
         100, 103, 99]
_CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99,
           99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32


def straight_through(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Value of ``y`` with the gradient of ``x``."""
    return x + (y - x).detach()


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round to 8-bit levels, as saving a PNG does."""
    return straight_through(x, torch.round(x.clamp(0, 1) * 255) / 255)


def _dct_matrix(device) -> torch.Tensor:
    k = torch.arange(8, dtype=torch.float32, device=device)
    d = torch.cos((2 * k[None] + 1) * k[:, None] * math.pi / 16) * math.sqrt(2 / 8)
    d[0] /= math.sqrt(2)
    return d


def _table(values: list[int], quality: int, device) -> torch.Tensor:
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    t = torch.tensor(values, dtype=torch.float32, device=device)
    return ((t * scale + 50) // 100).clamp(1, 255).view(8, 8)


def _quantize_plane(p: torch.Tensor, table: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """8x8 block DCT, quantisation by ``table`` (straight-through rounding), inverse."""
    n, h, w = p.shape
    b = p.view(n, h // 8, 8, w // 8, 8).transpose(2, 3)
    c = d @ (b - 128) @ d.T / table
    c = straight_through(c, torch.round(c))
    b = d.T @ (c * table) @ d + 128
    return b.transpose(2, 3).reshape(n, h, w)


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """JPEG round trip at ``quality`` (baseline, 4:2:0), differentiable."""
    with torch.autocast(x.device.type, enabled=False):
        x = x.float()
        h, w = x.shape[-2:]
        ph, pw = -h % 16, -w % 16
        v = F.pad(x, (0, pw, 0, ph), mode="replicate").clamp(0, 1) * 255
        r, g, b = v[:, 0], v[:, 1], v[:, 2]
        y = 0.299 * r + 0.587 * g + 0.114 * b
        cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
        cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
        d = _dct_matrix(x.device)
        y = _quantize_plane(y, _table(_LUMA, quality, x.device), d)
        chroma = F.avg_pool2d(torch.stack([cb, cr], 1), 2)
        tc = _table(_CHROMA, quality, x.device)
        chroma = torch.stack([_quantize_plane(chroma[:, i], tc, d) for i in (0, 1)], 1)
        cb, cr = F.interpolate(chroma, scale_factor=2, mode="bilinear",
                               align_corners=False).unbind(1)
        cb, cr = cb - 128, cr - 128
        out = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], 1)
        return (out[..., :h, :w] / 255).clamp(0, 1)


def resize(x: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """Resize to ``size`` (h, w), antialiased when shrinking."""
    if mode == "area":
        return F.interpolate(x, size=size, mode="area")
    return F.interpolate(x, size=size, mode=mode, antialias=True, align_corners=False)


def to_decoder(x: torch.Tensor, rng: random.Random) -> torch.Tensor:
    """The decoder's view: a ``SIZE`` x ``SIZE`` copy, by a randomly chosen filter."""
    return resize(x, (SIZE, SIZE), rng.choice(["bilinear", "bicubic", "area"])).clamp(0, 1)


def geometry(x: torch.Tensor, keep: tuple[float, float], max_angle: float,
             gen: torch.Generator, padding: str = "zeros") -> torch.Tensor:
    """Crop a window keeping ``keep`` (h, w) of each side at a random position per image,
    rotated by a random angle in +-``max_angle`` degrees (corners outside the image are
    filled as ``padding``), at the window's own size."""
    n, _, h, w = x.shape
    ho, wo = max(8, round(h * keep[0])), max(8, round(w * keep[1]))
    u = torch.rand(n, 3, generator=gen, device=gen.device).to(x.device)
    angle = (u[:, 0] * 2 - 1) * math.radians(max_angle)
    cx = (u[:, 1] * 2 - 1) * (w - wo) / 2  # window centre offset in pixels
    cy = (u[:, 2] * 2 - 1) * (h - ho) / 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([
        torch.stack([cos * wo / w, -sin * ho / w, 2 * cx / w], 1),
        torch.stack([sin * wo / h, cos * ho / h, 2 * cy / h], 1),
    ], 1)
    grid = F.affine_grid(theta, [n, 3, ho, wo], align_corners=False)
    return F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode=padding,
                         align_corners=False)


def color(x: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Per-image brightness (x 0.65-1.35), contrast (0.65-1.35) and saturation changes."""
    n = x.shape[0]

    def u(lim: float) -> torch.Tensor:
        r = torch.rand(n, 1, 1, 1, generator=gen, device=gen.device).to(x.device)
        return (r * 2 - 1) * lim * strength

    grey = x.mean(1, keepdim=True)
    x = grey + (x - grey) * (1 + u(0.3))
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * (1 + u(0.35)) + mean
    return (x * (1 + u(0.35)) + u(0.05)).clamp(0, 1)


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur."""
    k = int(2 * round(2 * sigma) + 1)
    t = torch.arange(k, dtype=x.dtype, device=x.device) - k // 2
    g = torch.exp(-(t**2) / (2 * sigma**2))
    g = (g / g.sum()).view(1, 1, 1, k).repeat(3, 1, 1, 1)
    x = F.conv2d(F.pad(x, (k // 2, k // 2, 0, 0), mode="replicate"), g, groups=3)
    return F.conv2d(F.pad(x, (0, 0, k // 2, k // 2), mode="replicate"), g.transpose(2, 3),
                    groups=3)


def gaussian(x: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Additive Gaussian noise, sigma up to 0.02 * strength."""
    n = x.shape[0]
    sigma = torch.rand(n, 1, 1, 1, generator=gen, device=gen.device).to(x.device)
    noise = torch.randn(x.shape, generator=gen, device=gen.device).to(x.device)
    return (x + sigma * 0.02 * strength * noise).clamp(0, 1)


def distort(x: torch.Tensor, strength: float, rng: random.Random,
            gen: torch.Generator) -> torch.Tensor:
    """Random chain: colour, geometry, resize, blur, noise, then JPEG or 8-bit rounding,
    then the decoder's resize. Each stage fires with a probability proportional to
    ``strength``, which also scales its amount (the curriculum ramps it up)."""
    p = strength
    if rng.random() < 0.4 * p:
        x = color(x, p, gen)
    if rng.random() < 0.75 * p:
        keep = (1 - rng.uniform(0, 1 - KEEP_MIN) * p, 1 - rng.uniform(0, 1 - KEEP_MIN) * p)
        angle = MAX_ANGLE * p if rng.random() < 0.6 else 0.0
        x = geometry(x, keep, angle, gen, rng.choice(["zeros", "border", "reflection"]))
    if rng.random() < 0.4 * p:
        h, w = x.shape[-2:]
        s = max(1 - rng.uniform(0, 0.6) * p, MIN_SHORT / min(h, w))
        x = resize(x, (round(h * s), round(w * s)), rng.choice(["bilinear", "bicubic", "area"]))
    if rng.random() < 0.15 * p:
        x = blur(x, rng.uniform(0.3, 0.3 + 0.9 * p))
    if rng.random() < 0.25 * p:
        x = gaussian(x, p, gen)
    x = jpeg(x, round(95 - rng.uniform(0, 50) * p)) if rng.random() < 0.7 * p else quantize(x)
    return to_decoder(x, rng)
