"""Export a checkpoint to ONNX, check torch/onnxruntime parity, write the manifest.

    python -m training.export --ckpt training/runs/main/best.ckpt --out models

Writes ``encoder.onnx`` (inputs ``cover`` (N, 3, 128, 128) in [0, 1] and ``bits`` (N, 512)
of 0/1; output ``residual``) and ``decoder.onnx`` (input ``image``; output ``logits``),
then ``SHA256SUMS``. Weights are stored in float16 (half the file size) and cast to
float32 when onnxruntime loads the graph; the torch model is rounded the same way before
export, so the parity check compares like with like. Fails if onnxruntime's decoded bits
differ from torch's on any of the parity images, or its residual differs by more than 1e-4.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from training.model import BITS, SIZE, Decoder, Encoder

log = logging.getLogger("export")


def load(ckpt: Path) -> tuple[Encoder, Decoder]:
    """Encoder and decoder in eval mode with the checkpoint's weights."""
    state = torch.load(ckpt, weights_only=False)
    enc, dec = Encoder(), Decoder()
    enc.load_state_dict(state["encoder"])
    dec.load_state_dict(state["decoder"])
    return enc.eval(), dec.eval()


def round_to_half(*modules: torch.nn.Module) -> None:
    """Round every parameter to the nearest float16 value (kept as float32)."""
    with torch.no_grad():
        for m in modules:
            for p in m.parameters():
                p.copy_(p.half().float())


def store_half(path: Path) -> None:
    """Rewrite the float32 weight tensors of an ONNX file as float16 + a Cast node each."""
    model = onnx.load(path)
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or len(init.dims) == 0:
            kept.append(init)
            continue
        half = numpy_helper.from_array(
            numpy_helper.to_array(init).astype(np.float16), f"{init.name}__fp16"
        )
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export(enc: Encoder, dec: Decoder, out: Path) -> None:
    """Write both ONNX graphs with a dynamic batch axis and float16 weights.

    ``enc`` and ``dec`` are rounded to float16 weights in place first.
    """
    out.mkdir(parents=True, exist_ok=True)
    round_to_half(enc, dec)
    cover, bits = torch.rand(1, 3, SIZE, SIZE), torch.zeros(1, BITS)
    batch = {0: "n"}
    torch.onnx.export(
        enc, (cover, bits), out / "encoder.onnx", input_names=["cover", "bits"],
        output_names=["residual"], dynamic_axes={"cover": batch, "bits": batch,
                                                 "residual": batch},
        opset_version=17, dynamo=False,
    )
    torch.onnx.export(
        dec, (cover,), out / "decoder.onnx", input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": batch, "logits": batch}, opset_version=17, dynamo=False,
    )
    for name in ("encoder", "decoder"):
        store_half(out / f"{name}.onnx")


def parity(enc: Encoder, dec: Decoder, out: Path, n: int = 8, seed: int = 0) -> dict:
    """Compare torch and onnxruntime on ``n`` random covers and messages.

    Returns the max residual difference and the number of differing decoded bits
    (bits read by both from the torch stego image); raises ``AssertionError`` on a
    mismatch.
    """
    import onnxruntime as ort

    gen = torch.Generator().manual_seed(seed)
    cover = torch.rand(n, 3, SIZE, SIZE, generator=gen)
    bits = torch.randint(0, 2, (n, BITS), generator=gen).float()
    so = ort.SessionOptions()
    e_ort = ort.InferenceSession(str(out / "encoder.onnx"), so)
    d_ort = ort.InferenceSession(str(out / "decoder.onnx"), so)
    with torch.no_grad():
        res_t = enc(cover, bits)
        stego = (cover + res_t).clamp(0, 1)
        bits_t = dec(stego) > 0
    res_o = e_ort.run(None, {"cover": cover.numpy(), "bits": bits.numpy()})[0]
    bits_o = d_ort.run(None, {"image": stego.numpy()})[0] > 0
    diff = float(np.abs(res_o - res_t.numpy()).max())
    flips = int((bits_o != bits_t.numpy()).sum())
    assert diff < 1e-4, f"encoder residual differs by {diff}"
    assert flips == 0, f"onnxruntime decodes {flips} bits differently from torch"
    return {"residual_max_diff": diff, "bit_flips": flips, "images": n}


def write_manifest(out: Path) -> None:
    """``SHA256SUMS`` in ``sha256sum`` format for every ``*.onnx`` in ``out``."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
             for p in sorted(out.glob("*.onnx"))]
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckpt", type=Path, default=Path("training/runs/main/best.ckpt"))
    ap.add_argument("--out", type=Path, default=Path("models"))
    ap.add_argument("--log", type=Path, default=None, help="default: export.log by the checkpoint")
    args = ap.parse_args(argv)
    log_file = args.log or args.ckpt.parent / "export.log"
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler(log_file), logging.StreamHandler()],
    )
    torch.manual_seed(0)
    enc, dec = load(args.ckpt)
    export(enc, dec, args.out)
    log.info("parity %s", parity(enc, dec, args.out))
    write_manifest(args.out)
    for p in sorted(args.out.glob("*.onnx")):
        log.info("%s %.2f MB", p.name, p.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
