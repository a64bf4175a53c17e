"""Encoder and decoder CNNs of the neural codec.

Both work on a fixed-size ``SIZE`` x ``SIZE`` copy of the image (values in [0, 1]); the
caller resizes. The encoder returns a residual at that size, which the runtime upsamples
to the full image and adds there (the TrustMark recipe); the decoder returns one logit per
raw bit.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

SIZE = 128
BITS = 512
MSG_GRID = 16


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution + GELU, He-initialised so activations keep their scale with depth
    (PyTorch's default init shrinks them ~3x per layer and the pair never starts)."""
    conv = nn.Conv2d(cin, cout, 3, stride, 1)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    nn.init.zeros_(conv.bias)
    return nn.Sequential(conv, nn.GELU())


class Encoder(nn.Module):
    """Small U-Net: (cover ``(N, 3, SIZE, SIZE)``, bits ``(N, BITS)`` in {0, 1}) -> residual.

    The message is spread over a 16x16 grid by a linear layer and fed in three times: at
    full resolution next to the cover, at the 16x16 bottleneck, and upsampled straight into
    the residual. That last path gives the decoder a readable signal from the first step
    (a plain HiDDeN-style U-Net sits on a long plateau here); the U-Net learns to shape it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.msg = nn.Linear(BITS, 3 * MSG_GRID * MSG_GRID)
        self.e1 = _conv(6, 16)
        self.e2 = _conv(16, 32, 2)
        self.e3 = _conv(32, 64, 2)
        self.e4 = nn.Sequential(_conv(64 + 3, 96, 2), _conv(96, 96))
        self.d3 = _conv(96 + 64, 64)
        self.d2 = _conv(64 + 32, 32)
        self.d1 = _conv(32 + 16, 16)
        self.out = nn.Conv2d(16, 3, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, cover: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        m = self.msg(bits * 2 - 1).view(-1, 3, MSG_GRID, MSG_GRID)
        x = cover * 2 - 1
        e1 = self.e1(torch.cat([x, F.interpolate(m, scale_factor=SIZE // MSG_GRID)], 1))
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        e4 = self.e4(torch.cat([e3, F.interpolate(m, size=e3.shape[-2:])], 1))
        d3 = self.d3(torch.cat([F.interpolate(e4, scale_factor=2), e3], 1))
        d2 = self.d2(torch.cat([F.interpolate(d3, scale_factor=2), e2], 1))
        d1 = self.d1(torch.cat([F.interpolate(d2, scale_factor=2), e1], 1))
        return self.out(d1) + 0.1 * F.interpolate(m, size=cover.shape[-2:], mode="bilinear",
                                                   align_corners=False)


class Decoder(nn.Module):
    """Strided CNN: image ``(N, 3, SIZE, SIZE)`` in [0, 1] -> logits ``(N, BITS)``."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv(3, 32, 2), _conv(32, 32),
            _conv(32, 64, 2), _conv(64, 64),
            _conv(64, 128, 2), _conv(128, 128),
            _conv(128, 128, 2), nn.Conv2d(128, 16, 1), nn.GELU(),
        )
        self.head = nn.Linear(16 * (SIZE // 16) ** 2, BITS)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(image * 2 - 1).flatten(1))


def n_params(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
