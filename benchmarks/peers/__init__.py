"""The tools compared with stegokit, one adapter module each, and which of them can run here.

A tool that is missing is listed with the reason (``status``), never silently left out.
"""

from __future__ import annotations

from .base import Hider, Marker
from .cryptosteganography import CryptoSteganography
from .floor import Floor
from .invisible_watermark import Watermark, WatermarkFiles
from .outguess import Outguess, OutguessJpeg
from .stegano import Stegano
from .steghide import Steghide
from .stego_lsb import StegoLsb
from .stegokit import Stegokit, StegokitEncrypted
from .stegokit_neural import Neural, NeuralFiles


def hiders() -> list[Hider]:
    """Every data-hiding tool, stegokit first, then the floor last."""
    return [Stegokit(), StegokitEncrypted(), NeuralFiles(), Stegano(), StegoLsb(),
            CryptoSteganography(), Steghide(), Outguess(), OutguessJpeg(), WatermarkFiles(),
            Floor()]


def markers() -> list[Marker]:
    """The short-message watermarkers compared for robustness."""
    return [Neural(), Watermark("dwtDct"), Watermark("rivaGan")]


def by_name(name: str) -> Hider:
    return next(tool for tool in hiders() if tool.name == name)


def status(tools: list[Hider] | list[Marker]) -> dict[str, str | None]:
    """Each tool's name and why it cannot run here (None when it can)."""
    return {tool.name: tool.missing() for tool in tools}
