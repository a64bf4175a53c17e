"""Training pipeline smoke test: a few steps, resume, ONNX export with parity check."""

import json
import random
import re

import numpy as np
import pytest
from conftest import require
from PIL import Image
from skimage import data as skdata

torch = require("torch")
require("onnx")

from stegokit.codecs.neural_model import verified_path  # noqa: E402
from training import evaluate_v2, export, noise_v2, pack, train, train_v2  # noqa: E402
from training.model import BITS, SIZE  # noqa: E402
from training.noise import distort, jpeg  # noqa: E402


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A data folder with two small photos in every split."""
    root = tmp_path_factory.mktemp("data")
    (root / "photos").mkdir()
    photos = {}
    for name in ("coffee", "chelsea"):
        Image.fromarray(getattr(skdata, name)()).save(root / "photos" / f"{name}.png")
        photos[name] = {"file": f"{name}.png"}
    ids = sorted(photos)
    split = {"photos": photos, "train": ids, "val": ids, "test": ids}
    (root / "split.json").write_text(json.dumps(split))
    return root


def test_train_resume_export(tiny_data, tmp_path):
    run = tmp_path / "run"
    common = ["--data", str(tiny_data), "--run", str(run), "--batch", "2", "--sizes", "128",
              "160", "--fade", "2", "--ramp", "3", "--val-every", "2", "--val-batches", "1",
              "--ckpt-every", "2"]
    train.main([*common, "--steps", "2"])
    assert torch.load(run / "last.ckpt", weights_only=False)["step"] == 2
    train.main([*common, "--steps", "4"])
    log = (run / "train.log").read_text()
    assert "resumed from step 2" in log
    assert "val step 4" in log
    assert torch.load(run / "last.ckpt", weights_only=False)["step"] == 4

    out = tmp_path / "models"
    export.main(["--ckpt", str(run / "best.ckpt"), "--out", str(out)])
    assert "bit_flips': 0" in (run / "export.log").read_text()
    for name in ("encoder", "decoder"):
        assert verified_path(name, out).stat().st_size > 0


def test_parity_detects_a_different_model(tiny_data, tmp_path):
    run = tmp_path / "run"
    train.main(["--data", str(tiny_data), "--run", str(run), "--steps", "1", "--batch", "2",
                "--sizes", "128", "--val-every", "1", "--val-batches", "1"])
    enc, dec = export.load(run / "best.ckpt")
    export.export(enc, dec, tmp_path)
    assert export.parity(enc, dec, tmp_path)["bit_flips"] == 0
    with torch.no_grad():
        dec.head.bias.add_(torch.linspace(-50, 50, BITS))
    with pytest.raises(AssertionError, match="bits differently"):
        export.parity(enc, dec, tmp_path)


def test_jpeg_is_real_and_straight_through():
    ramp = torch.linspace(0, 1, 64)
    x = (0.5 + 0.4 * torch.sin(8 * ramp[:, None] + 5 * ramp[None])).expand(2, 3, 64, 64)
    x = (x + 0.05 * torch.rand(2, 3, 64, 64)).clamp(0, 1).requires_grad_()
    y = jpeg(x, 50)
    assert 0.003 < (y - x).abs().mean().item() < 0.05
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


def test_distort_gives_decoder_view_with_gradient():
    import random

    x = torch.rand(3, 3, 150, 210, requires_grad=True)
    y = distort(x, 1.0, random.Random(0), torch.Generator().manual_seed(0))
    assert y.shape == (3, 3, SIZE, SIZE)
    assert y.min().item() >= 0 and y.max().item() <= 1
    y.mean().backward()
    assert np.isfinite(x.grad.numpy()).all() and x.grad.abs().sum() > 0


@pytest.fixture(scope="module")
def tiny_pack(tiny_data, tmp_path_factory):
    """A training pack of a few 64 px crops of the tiny data."""
    out = tmp_path_factory.mktemp("pack") / "pack.zip"
    pack.main(["--data", str(tiny_data), "--out", str(out), "--train", "6", "--val", "2",
               "--side", "160"])
    return out


def test_v2_train_resume_export(tiny_pack, tmp_path):
    run = tmp_path / "run"
    common = ["--pack", str(tiny_pack), "--run", str(run), "--batch", "2", "--sizes", "128",
              "--fade", "2", "--ramp", "2", "--start-max", "2", "--val-every", "2",
              "--val-batches", "1", "--ckpt-every", "2", "--pool", "2"]
    train_v2.main([*common, "--steps", "2"])
    assert torch.load(run / "last.ckpt", weights_only=False)["step"] == 2
    train_v2.main([*common, "--steps", "4"])
    log = (run / "train.log").read_text()
    assert "resumed from step 2" in log and "val step 4" in log and "crop75" in log
    out = tmp_path / "models"
    export.main(["--generation", "2", "--ckpt", str(run / "best.ckpt"), "--out", str(out)])
    assert "bit_flips': 0" in (run / "export.log").read_text()
    for name in ("encoder2", "decoder2"):
        assert verified_path(name, out).stat().st_size > 0
    _, dec = export.load(run / "best.ckpt", 2)
    assert dec.pool == 2


def _v2_args(tiny_pack, run, *extra):
    return ["--pack", str(tiny_pack), "--run", str(run), "--batch", "2", "--sizes", "128",
            "--fade", "2", "--ramp", "2", "--start-max", "2", "--val-every", "100",
            "--val-batches", "1", "--ckpt-every", "100", "--steps", "4", *extra]


def test_v2_pause_and_resume_give_the_same_weights(tiny_pack, tmp_path):
    """A run paused at step 2 and rerun ends exactly where an uninterrupted run ends."""
    train_v2.main(_v2_args(tiny_pack, tmp_path / "a"))
    train_v2.main(_v2_args(tiny_pack, tmp_path / "b", "--pause-at", "2"))
    assert torch.load(tmp_path / "b" / "last.ckpt", weights_only=False)["step"] == 2
    train_v2.main(_v2_args(tiny_pack, tmp_path / "b"))
    a, b = (torch.load(tmp_path / r / "last.ckpt", weights_only=False) for r in "ab")
    assert a["step"] == b["step"] == 4
    assert a["ema"] == b["ema"] and a["log_lam"] == b["log_lam"]
    for part in ("encoder", "decoder"):
        for name, value in a[part].items():
            assert torch.equal(value, b[part][name]), (part, name)


def test_v2_sigterm_checkpoints_and_stops(tiny_pack, tmp_path, monkeypatch):
    """SIGTERM (how a background run is stopped) saves the step reached and exits."""
    import os
    import signal

    calls = []

    def distort_then_signal(*args):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return noise_v2.distort(*args)

    monkeypatch.setattr(train_v2, "distort", distort_then_signal)
    run, before = tmp_path / "run", signal.getsignal(signal.SIGTERM)
    train_v2.main(_v2_args(tiny_pack, run, "--steps", "50"))
    assert torch.load(run / "last.ckpt", weights_only=False)["step"] == 2
    assert "paused at step 2" in (run / "train.log").read_text()
    assert signal.getsignal(signal.SIGTERM) == before


def test_v2_resume_refuses_another_layout(tiny_pack, tmp_path):
    run = tmp_path / "run"
    train_v2.main(_v2_args(tiny_pack, run, "--pause-at", "1"))
    with pytest.raises(SystemExit, match=re.escape("--tile 128 --pool 8 --width 1.0")):
        train_v2.main(_v2_args(tiny_pack, run, "--tile", "64"))


def test_v2_evaluation_writes_its_table(tiny_data, tiny_pack, tmp_path):
    """evaluate_v2 runs every attack on held-out crops and fills the card's v2 table."""
    run = tmp_path / "run"
    train_v2.main(_v2_args(tiny_pack, run, "--steps", "1", "--width", "0.25"))
    doc = tmp_path / "model.md"
    doc.write_text("a\n<!-- eval-v2:start -->\nold\n<!-- eval-v2:end -->\nb\n")
    out = tmp_path / "eval.json"
    evaluate_v2.main(["--ckpt", str(run / "last.ckpt"), "--data", str(tiny_data),
                      "--crops", "2", "--clean", "3", "--json", str(out), "--doc", str(doc)])
    r = json.loads(out.read_text())
    assert r["step"] == 1 and r["crops"]["n"] == 2 and "full" not in r
    assert set(r["crops"]["exact"]) == set(evaluate_v2.ATTACKS)
    assert r["false_detections"] == {"n": 3, "false": 0} and r["crops"]["wrong"] == 0
    assert all(0 < b < 1 for b in r["crops"]["bits"].values())
    text = doc.read_text()
    assert "old" not in text and text.startswith("a\n") and text.endswith("-->\nb\n")
    assert "| user payload | >= 32 bytes | >= 48 bytes | 32 bytes |" in text


def test_v2_jpeg_matches_pillow_and_passes_gradients():
    """The torch JPEG of the v2 noise layer is close to Pillow's at the same quality."""
    import io

    x = torch.from_numpy(skdata.astronaut()[100:260, 100:292].copy()).permute(2, 0, 1)[None]
    x = (x.float() / 255).requires_grad_()
    for quality in (50, 90):
        buf = io.BytesIO()
        Image.fromarray(skdata.astronaut()[100:260, 100:292]).save(buf, "JPEG", quality=quality)
        pil = torch.from_numpy(np.asarray(Image.open(buf))).permute(2, 0, 1)[None] / 255
        ours = noise_v2.jpeg(x, quality)
        loss_vs_cover = (pil - x).abs().mean().item()
        assert (ours - pil).abs().mean().item() < 0.5 * loss_vs_cover
    ours.sum().backward()
    assert x.grad.abs().sum() > 0


def test_v2_geometry_keeps_the_window_and_the_gradient():
    x = torch.rand(2, 3, 100, 160, requires_grad=True)
    gen = torch.Generator().manual_seed(0)
    y = noise_v2.geometry(x, (0.75, 0.9), 5.0, gen)
    assert y.shape == (2, 3, 75, 144)
    same = noise_v2.geometry(x, (1.0, 1.0), 0.0, gen)
    assert torch.allclose(same, x, atol=1e-4)
    y.mean().backward()
    assert x.grad.abs().sum() > 0
    z = noise_v2.distort(x, 1.0, random.Random(1), gen)
    assert z.shape == (2, 3, 128, 128)
