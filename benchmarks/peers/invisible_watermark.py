"""invisible-watermark (``imwatermark``): dwtDct frequency watermark and the rivaGan network.

It imports torch and OpenCV (BGR pixel order); rivaGan's ONNX models ship inside its wheel.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from .base import Hider, Marker, missing_modules, program

NEEDS = ("imwatermark", "cv2", "pywt", "torch")


def _missing(method: str) -> str | None:
    gone = missing_modules(*NEEDS)
    if gone or method != "rivaGan":
        return gone
    if missing_modules("onnxruntime"):
        return "onnxruntime missing (rivaGan runs its models with it)"
    models = Path(importlib.util.find_spec("imwatermark").origin).parent
    for name in ("rivagan_encoder.onnx", "rivagan_decoder.onnx"):
        if not (models / name).is_file():
            return f"{name} not in the installed package (it would need a download)"
    return None


class Watermark(Marker):
    """One of its methods on RGB arrays (converted to the BGR order it expects)."""

    def __init__(self, method: str):
        self.method = method
        self.name = f"invisible-watermark {method}"
        self.fixed_bytes = 4 if method == "rivaGan" else None

    def missing(self) -> str | None:
        return _missing(self.method)

    def mark(self, pixels: np.ndarray, message: bytes) -> np.ndarray:
        from imwatermark import WatermarkEncoder

        if self.method == "rivaGan":
            WatermarkEncoder.loadModel()
        encoder = WatermarkEncoder()
        encoder.set_watermark("bytes", message)
        bgr = np.ascontiguousarray(pixels[..., ::-1])
        return np.ascontiguousarray(encoder.encode(bgr, self.method)[..., ::-1])

    def read(self, pixels: np.ndarray, length: int) -> bytes:
        from imwatermark import WatermarkDecoder

        if self.method == "rivaGan":
            WatermarkDecoder.loadModel()
        decoder = WatermarkDecoder("bytes", 8 * length)
        return decoder.decode(np.ascontiguousarray(pixels[..., ::-1]), self.method)


class WatermarkFiles(Hider):
    """dwtDct from file to file, for the short-message timings (its CLI needs the length)."""

    name = "invisible-watermark"
    note = "dwtDct; short messages only; the reader must be told the length"
    short_only = True
    modules = ("cv2", "imwatermark")

    def __init__(self):
        self.marker = Watermark("dwtDct")

    def missing(self) -> str | None:
        return self.marker.missing()

    def embed(self, cover: Path, payload: bytes, out: Path) -> None:
        import cv2

        marked = self.marker.mark(cv2.imread(str(cover))[..., ::-1], payload)
        cv2.imwrite(str(out), np.ascontiguousarray(marked[..., ::-1]))

    def extract(self, stego: Path, size: int) -> bytes:
        import cv2

        return self.marker.read(cv2.imread(str(stego))[..., ::-1], size)

    def embed_cli(self, cover: Path, payload: Path, out: Path) -> list[str]:
        return [program("invisible-watermark"), "-a", "encode", "-t", "bytes", "-m", "dwtDct",
                "-w", payload.read_text(), "-o", str(out), str(cover)]

    def extract_cli(self, stego: Path, out: Path, size: int) -> list[str]:
        return [program("invisible-watermark"), "-a", "decode", "-t", "bytes", "-m", "dwtDct",
                "-l", str(8 * size), str(stego)]

    def cli_result(self, stdout: bytes, out: Path) -> bytes:
        return stdout.rstrip(b"\n")
