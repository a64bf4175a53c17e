"""Export a checkpoint to ONNX, check torch/onnxruntime parity, write the manifest.

    python -m training.export --ckpt training/runs/main/best.ckpt --out models
    python -m training.export --generation 2 --ckpt training/runs/v2/best.ckpt --out models

Writes ``encoder.onnx`` (inputs ``cover`` (N, 3, 128, 128) in [0, 1] and ``bits`` (N, 512)
of 0/1; output ``residual``), ``decoder.onnx`` (input ``image``; output ``logits``),
``compose.onnx`` (inputs ``image`` (H, W, 3) uint8, ``residual`` (1, 3, R, 128) and
``scale``; output ``stego``: the residual times ``scale``, bilinearly resized to H x W,
added, rounded and clipped, in one onnxruntime call; the runtime passes bands of rows with
the residual already interpolated to the band's R = H rows), then ``SHA256SUMS``. Weights are
stored in float16 (half the file size) and cast to float32 when onnxruntime loads the
graph; the torch model is rounded the same way before export, so the parity check
compares like with like. ``--generation 2`` writes the v2 pair (``training.model_v2``) as
``encoder2.onnx`` and ``decoder2.onnx`` beside v1's, same inputs and outputs. Fails if
onnxruntime's decoded bits differ from torch's on any of the parity images, its residual
differs by more than 1e-4, or ``compose`` differs from torch's upsample-add-round by more
than float rounding.
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
from torch.nn import functional as F

from training import model, model_v2
from training.model import BITS, SIZE

#: generation -> (module with Encoder/Decoder, ONNX file stem suffix)
GENERATIONS = {1: (model, ""), 2: (model_v2, "2")}

log = logging.getLogger("export")


def load(ckpt: Path, generation: int = 1) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Encoder and decoder of ``generation`` in eval mode with the checkpoint's weights
    (``best.ckpt``, ``latest.ckpt`` or a run's full ``last.ckpt``)."""
    state = torch.load(ckpt, weights_only=False, map_location="cpu")
    module = GENERATIONS[generation][0]
    if generation == 2:  # weights-only checkpoints carry the layout at the top level
        layout = state.get("layout", state)
        enc = module.Encoder(layout["tile"], layout["width"])
        dec = module.Decoder(layout["pool"], layout["width"])
    else:
        enc, dec = module.Encoder(), module.Decoder()
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


def export(enc: torch.nn.Module, dec: torch.nn.Module, out: Path, generation: int = 1) -> None:
    """Write both ONNX graphs with a dynamic batch axis and float16 weights.

    ``enc`` and ``dec`` are rounded to float16 weights in place first.
    """
    suffix = GENERATIONS[generation][1]
    out.mkdir(parents=True, exist_ok=True)
    round_to_half(enc, dec)
    cover, bits = torch.rand(1, 3, SIZE, SIZE), torch.zeros(1, BITS)
    batch = {0: "n"}
    torch.onnx.export(
        enc, (cover, bits), out / f"encoder{suffix}.onnx", input_names=["cover", "bits"],
        output_names=["residual"], dynamic_axes={"cover": batch, "bits": batch,
                                                 "residual": batch},
        opset_version=17, dynamo=False,
    )
    torch.onnx.export(
        dec, (cover,), out / f"decoder{suffix}.onnx", input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": batch, "logits": batch}, opset_version=17, dynamo=False,
    )
    for name in ("encoder", "decoder"):
        store_half(out / f"{name}{suffix}.onnx")
    onnx.save(compose_graph(), out / "compose.onnx")


def compose_graph() -> onnx.ModelProto:
    """The run-time embedding step as an ONNX graph (no weights; independent of training).

    Same arithmetic as ``training.train.embed``: ``F.interpolate(..., "bilinear",
    align_corners=False)`` is ONNX ``Resize`` with ``half_pixel`` coordinates.
    """
    def ints(name: str, values: list[int]) -> onnx.TensorProto:
        return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)

    def scalar(name: str, value: float) -> onnx.TensorProto:
        return helper.make_tensor(name, TensorProto.FLOAT, [], [value])

    nodes = [
        helper.make_node("Shape", ["image"], ["shape"]),
        helper.make_node("Slice", ["shape", "zero", "two"], ["hw"]),
        helper.make_node("Concat", ["one", "three", "hw"], ["sizes"], axis=0),
        helper.make_node("Resize", ["residual", "", "", "sizes"], ["up"], mode="linear",
                         coordinate_transformation_mode="half_pixel"),
        helper.make_node("Squeeze", ["up", "zero"], ["chw"]),
        helper.make_node("Transpose", ["chw"], ["hwc"], perm=[1, 2, 0]),
        helper.make_node("Mul", ["hwc", "scale"], ["delta"]),
        helper.make_node("Cast", ["image"], ["cover"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["cover", "delta"], ["sum"]),
        helper.make_node("Round", ["sum"], ["rounded"]),
        helper.make_node("Clip", ["rounded", "black", "white"], ["clipped"]),
        helper.make_node("Cast", ["clipped"], ["stego"], to=TensorProto.UINT8),
    ]
    graph = helper.make_graph(
        nodes, "compose",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, ["h", "w", 3]),
         helper.make_tensor_value_info("residual", TensorProto.FLOAT, [1, 3, "rows", SIZE]),
         helper.make_tensor_value_info("scale", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("stego", TensorProto.UINT8, ["h", "w", 3])],
        initializer=[ints("zero", [0]), ints("one", [1]), ints("two", [2]),
                     ints("three", [3]), scalar("black", 0.0), scalar("white", 255.0)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)
    onnx.checker.check_model(model)
    return model


def parity(enc: torch.nn.Module, dec: torch.nn.Module, out: Path, n: int = 8, seed: int = 0,
           generation: int = 1) -> dict:
    """Compare torch and onnxruntime on ``n`` random covers and messages.

    Returns the max residual difference, the number of differing decoded bits (bits
    read by both from the torch stego image) and the share of pixel values where
    ``compose.onnx`` and torch's upsample-add-round differ (by at most 1, float rounding
    at .5); raises ``AssertionError`` on a mismatch.
    """
    import onnxruntime as ort

    gen = torch.Generator().manual_seed(seed)
    cover = torch.rand(n, 3, SIZE, SIZE, generator=gen)
    bits = torch.randint(0, 2, (n, BITS), generator=gen).float()
    so = ort.SessionOptions()
    suffix = GENERATIONS[generation][1]
    e_ort = ort.InferenceSession(str(out / f"encoder{suffix}.onnx"), so)
    d_ort = ort.InferenceSession(str(out / f"decoder{suffix}.onnx"), so)
    c_ort = ort.InferenceSession(str(out / "compose.onnx"), so)
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
    image = torch.randint(0, 256, (1, 3, 301, 517), generator=gen, dtype=torch.uint8)
    up = F.interpolate(res_t[:1] * 255, size=image.shape[-2:], mode="bilinear",
                       align_corners=False)
    composed_t = (image + up).round().clamp(0, 255)[0].permute(1, 2, 0).numpy()
    composed_o = c_ort.run(None, {"image": image[0].permute(1, 2, 0).numpy(),
                                  "residual": res_o[:1], "scale": np.array(255, np.float32)})[0]
    off = np.abs(composed_o.astype(np.float32) - composed_t)
    assert off.max() <= 1 and off.mean() < 1e-3, f"compose differs by up to {off.max()}"
    return {"residual_max_diff": diff, "bit_flips": flips, "images": n,
            "compose_mismatch": float((off > 0).mean())}


def write_manifest(out: Path) -> None:
    """``SHA256SUMS`` in ``sha256sum`` format for every ``*.onnx`` in ``out``."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
             for p in sorted(out.glob("*.onnx"))]
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckpt", type=Path, default=Path("training/runs/main/best.ckpt"))
    ap.add_argument("--out", type=Path, default=Path("models"))
    ap.add_argument("--generation", type=int, choices=sorted(GENERATIONS), default=1)
    ap.add_argument("--log", type=Path, default=None, help="default: export.log by the checkpoint")
    args = ap.parse_args(argv)
    log_file = args.log or args.ckpt.parent / "export.log"
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", force=True,
        handlers=[logging.FileHandler(log_file), logging.StreamHandler()],
    )
    torch.manual_seed(0)
    enc, dec = load(args.ckpt, args.generation)
    export(enc, dec, args.out, args.generation)
    log.info("parity %s", parity(enc, dec, args.out, generation=args.generation))
    write_manifest(args.out)
    for p in sorted(args.out.glob("*.onnx")):
        log.info("%s %.2f MB", p.name, p.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
