"""Encoder and decoder CNNs of the second neural codec generation (v2).

Like v1 (``training.model``) both work on a ``SIZE`` x ``SIZE`` copy of the image and the
encoder's residual is upsampled to the full image by the runtime. What is new:

* the message is a **tile** repeated over the image (``TILE`` px period at ``SIZE``), and
  the decoder ends in **global average pooling**: a crop keeps whole periods of the same
  pattern, so where it fell does not matter (HiDDeN's pooled decoder [1] applied to a
  spatially repeated message);
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
TILE = 32
GRID = 8
MSG_CH = 8
#: Mask value in perfectly flat areas, and the local luma activity (mean absolute
#: gradient of the 128 px copy, in [0, 1] units) at which the mask reaches 1.
MASK_FLOOR = 0.35
MASK_REF = 0.03
#: Luminance-first basis: columns map (Y, Cb, Cr) residual channels to RGB, chroma halved.
_YCC_TO_RGB = torch.tensor([[1.0, 0.0, 0.701], [1.0, -0.172, -0.357], [1.0, 0.886, 0.0]])


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

    The bits become an ``MSG_CH`` x ``GRID`` x ``GRID`` grid (a linear layer), upsampled
    to a ``TILE`` px tile and repeated over the image; the tiled message enters next to
    the cover, at the bottleneck, and (through a 1x1 convolution, scaled by 0.1) straight
    into the residual, as in v1. The output is masked by :func:`texture_mask`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.msg = nn.Linear(BITS, MSG_CH * GRID * GRID)
        self.e1 = _conv(3 + MSG_CH, 24)
        self.e2 = _conv(24, 48, 2)
        self.e3 = _conv(48, 64, 2)
        self.e4 = nn.Sequential(_conv(64 + MSG_CH, 96, 2), _conv(96, 96))
        self.d3 = _conv(96 + 64, 64)
        self.d2 = _conv(64 + 48, 48)
        self.d1 = _conv(48 + 24, 24)
        self.out = nn.Conv2d(24, 3, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.direct = nn.Conv2d(MSG_CH, 3, 1)
        self.register_buffer("ycc", _YCC_TO_RGB.clone(), persistent=False)

    def tiled(self, bits: torch.Tensor) -> torch.Tensor:
        """``(N, MSG_CH, SIZE, SIZE)``: the message tile repeated over the image."""
        m = self.msg(bits * 2 - 1).view(-1, MSG_CH, GRID, GRID)
        tile = F.interpolate(m, scale_factor=TILE // GRID, mode="nearest")
        return tile.repeat(1, 1, SIZE // TILE, SIZE // TILE)

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

    ``pool`` 1 pools globally (where a crop fell cannot matter); 2 keeps a coarse 2x2
    layout of the features (a hedge: the read-out may use where things are).
    """

    def __init__(self, pool: int = 1) -> None:
        super().__init__()
        self.pool = pool
        self.features = nn.Sequential(
            _conv(3, 32, 2), _conv(32, 32),
            _conv(32, 64, 2), _conv(64, 64),
            _conv(64, 128, 2), _conv(128, 128),
            _conv(128, 192, 2), _conv(192, 192),
            nn.Conv2d(192, 512, 1), nn.GELU(),
        )
        self.head = nn.Linear(512 * pool * pool, BITS)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        f = self.features(image * 2 - 1)
        if self.pool == 1:
            return self.head(f.mean((2, 3)))
        return self.head(F.adaptive_avg_pool2d(f, self.pool).flatten(1))
