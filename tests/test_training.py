"""Training pipeline smoke test: a few steps, resume, ONNX export with parity check."""

import json

import numpy as np
import pytest
from conftest import require
from PIL import Image
from skimage import data as skdata

torch = require("torch")
require("onnx")

from stegokit.codecs.neural_model import verified_path  # noqa: E402
from training import export, train  # noqa: E402
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
