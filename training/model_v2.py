"""Encoder and decoder CNNs of the second neural codec generation (v2).

Like v1 (``training.model``) both work on a ``SIZE`` x ``SIZE`` copy of the image and the
encoder's residual is upsampled to the full image by the runtime. What is new:

* the message is a **tile** repeated over the image (``tile`` px period at ``SIZE``), and
  the decoder ends in **average pooling** onto a ``pool`` x ``pool`` grid. At ``pool`` 1
  (global) a crop keeps whole periods of the same pattern, so where it fell should not
  matter (HiDDeN's pooled decoder [1] applied to a spatially repeated message), but on a
  CPU that pair barely starts (docs/model.md, "CPU probes"); ``tile`` 128 with ``pool`` 8
  is v1's position-aware layout (one copy, an 8 x 8 read-out), which learns fast and has
  to learn crops and rotations from the noise layer instead;
* the residual is **shaped by a texture mask** computed from the cover (weaker in flat
  areas, where a change is seen first and SSIM drops most) and written in a
  **luminance-first** colour basis (chroma at half weight), as just-noticeable-difference
  models of the eye suggest.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from training.model import _conv

SIZE = 128
BITS = 512
#: Default message tile period (px at ``SIZE``); ``SIZE`` means one copy over the image.
TILE = 128
#: Mask value in perfectly flat areas, and the local luma activity (mean absolute
#: gradient of the 128 px copy, in [0, 1] units) at which the mask reaches 1.
MASK_FLOOR = 0.35
MASK_REF = 0.03
#: Luminance-first basis: columns map (Y, Cb, Cr) residual channels to RGB, chroma halved.
_YCC_TO_RGB = torch.tensor([[1.0, 0.0, 0.701], [1.0, -0.172, -0.357], [1.0, 0.886, 0.0]])


def _width(channels: int, width: float) -> int:
    """``channels`` scaled by ``width`` (a multiple of 8, at least 8): narrower networks
    for CPU training, where a step's cost grows with the square of the width."""
    return max(8, round(channels * width / 8) * 8)


def texture_mask(cover: torch.Tensor) -> torch.Tensor:
    """``(N, 1, H, W)`` strength in [``MASK_FLOOR``, 1] from the local luma activity."""
    y = 0.299 * cover[:, :1] + 0.587 * cover[:, 1:2] + 0.114 * cover[:, 2:]
    gx = (y[..., :, 1:] - y[..., :, :-1]).abs()
    gy = (y[..., 1:, :] - y[..., :-1, :]).abs()
    act = F.pad(gx, (0, 1, 0, 0)) + F.pad(gy, (0, 0, 0, 1))
    act = F.avg_pool2d(act, 5, 1, 2, count_include_pad=False)
    return MASK_FLOOR + (1 - MASK_FLOOR) * (act / MASK_REF).clamp(0, 1)


class Encoder(nn.Module):
    """U-Net: (cover ``(N, 3, SIZE, SIZE)`` in [0, 1], bits ``(N, BITS)`` 0/1) -> residual.

    The bits become a ``msg_ch`` x ``grid`` x ``grid`` grid (a linear layer; ``grid`` is
    a quarter of the tile, at most 16), upsampled to a ``tile`` px tile and repeated over
    the image; the tiled message enters next to the cover, at the bottleneck, and (through
    a 1x1 convolution, scaled by 0.1) straight into the residual, as in v1. The output is
    masked by :func:`texture_mask`.
    """

    def __init__(self, tile: int = TILE, width: float = 1.0) -> None:
        super().__init__()
        if SIZE % tile or tile % 4:
            raise ValueError(f"tile {tile} must divide {SIZE} and be a multiple of 4")
        self.tile = tile
        self.grid = min(16, tile // 4)
        self.msg_ch = max(2, BITS // self.grid**2)
        self.msg = nn.Linear(BITS, self.msg_ch * self.grid**2)
        c1, c2, c3, c4 = (_width(c, width) for c in (24, 48, 64, 96))
        self.e1 = _conv(3 + self.msg_ch, c1)
        self.e2 = _conv(c1, c2, 2)
        self.e3 = _conv(c2, c3, 2)
        self.e4 = nn.Sequential(_conv(c3 + self.msg_ch, c4, 2), _conv(c4, c4))
        self.d3 = _conv(c4 + c3, c3)
        self.d2 = _conv(c3 + c2, c2)
        self.d1 = _conv(c2 + c1, c1)
        self.out = nn.Conv2d(c1, 3, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.direct = nn.Conv2d(self.msg_ch, 3, 1)
        self.register_buffer("ycc", _YCC_TO_RGB.clone(), persistent=False)

    def tiled(self, bits: torch.Tensor) -> torch.Tensor:
        """``(N, msg_ch, SIZE, SIZE)``: the message tile repeated over the image."""
        m = self.msg(bits * 2 - 1).view(-1, self.msg_ch, self.grid, self.grid)
        tile = F.interpolate(m, scale_factor=self.tile // self.grid, mode="nearest")
        return tile.repeat(1, 1, SIZE // self.tile, SIZE // self.tile)

    def forward(self, cover: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        t = self.tiled(bits)
        x = cover * 2 - 1
        e1 = self.e1(torch.cat([x, t], 1))
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        e4 = self.e4(torch.cat([e3, F.avg_pool2d(t, 4)], 1))
        d3 = self.d3(torch.cat([F.interpolate(e4, scale_factor=2), e3], 1))
        d2 = self.d2(torch.cat([F.interpolate(d3, scale_factor=2), e2], 1))
        d1 = self.d1(torch.cat([F.interpolate(d2, scale_factor=2), e1], 1))
        ycc = self.out(d1) + 0.1 * self.direct(t)
        rgb = torch.einsum("rc,nchw->nrhw", self.ycc.to(ycc.dtype), ycc)
        return rgb * texture_mask(cover).to(rgb.dtype)


class Decoder(nn.Module):
    """Strided CNN + average pooling: image ``(N, 3, SIZE, SIZE)`` -> logits ``(N, BITS)``.

    ``pool`` 1 pools globally (where a crop fell cannot matter); ``pool`` p > 1 keeps a
    coarse p x p layout of the features (the read-out may use where things are, as v1's
    does at p = 8). The pooled vector has 512 values at every ``pool``.
    """

    def __init__(self, pool: int = 8, width: float = 1.0) -> None:
        super().__init__()
        if pool not in (1, 2, 4, 8):
            raise ValueError(f"pool {pool} must be 1, 2, 4 or 8")
        self.pool = pool
        c1, c2, c3, c4 = (_width(c, width) for c in (32, 64, 128, 192))
        self.features = nn.Sequential(
            _conv(3, c1, 2), _conv(c1, c1),
            _conv(c1, c2, 2), _conv(c2, c2),
            _conv(c2, c3, 2), _conv(c3, c3),
            _conv(c3, c4, 2), _conv(c4, c4),
            nn.Conv2d(c4, 512 // pool**2, 1), nn.GELU(),
        )
        self.head = nn.Linear(512, BITS)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        f = self.features(image * 2 - 1)
        if self.pool == 1:
            return self.head(f.mean((2, 3)))
        return self.head(F.adaptive_avg_pool2d(f, self.pool).flatten(1))
