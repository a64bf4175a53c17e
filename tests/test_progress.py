"""Progress: the library's callbacks (stages in order, each reaching its total) and the CLI's
display (drawn on a terminal, silent without one and under --json)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import numpy as np
import pytest
from conftest import CHEAP_KDF, photo
from PIL import Image
from typer.testing import CliRunner

import stegokit
from stegokit import reports
from stegokit.cli import app

runner = CliRunner()


class Recorder:
    """A ``progress`` callable that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.calls.append((stage, done, total))

    def stages(self) -> list[str]:
        """The stages in order, after checking the contract of :mod:`stegokit.progress`: a
        stage never comes back once another began, ``done`` never goes back, stays within
        ``total`` (0: not measured) and ends at it."""
        order: list[str] = []
        last: dict[str, tuple[int, int]] = {}
        for stage, done, total in self.calls:
            if not order or order[-1] != stage:
                assert stage not in order, f"{stage!r} came back: {self.calls}"
                order.append(stage)
            assert 0 <= done <= total or (done, total) == (0, 0)
            previous = last.get(stage, (0, total))
            assert done >= previous[0] and total == previous[1], (stage, previous, done)
            last[stage] = (done, total)
        assert all(done == total for done, total in last.values()), last
        return order


@pytest.fixture
def cover(tmp_path) -> str:
    path = tmp_path / "cover.png"
    Image.fromarray(photo("astronaut")).save(path)
    return str(path)


def test_embed_and_extract_report_their_stages(tmp_path, cover):
    heard = Recorder()
    payload = np.random.default_rng(0).bytes(20_000)  # matrix embedding, several chunks
    result = stegokit.embed_text(cover, payload, filename="x.bin", adaptive=False,
                                 progress=heard)
    result.save(tmp_path / "out.png", progress=heard)
    assert heard.stages() == ["Reading the cover", "Scanning the cover", "Hiding the data",
                              "Writing PNG"]
    hiding = [call for call in heard.calls if call[0] == "Hiding the data"]
    assert hiding[-1][2] >= 1 and len(hiding) == hiding[-1][2] + 1  # announced, then each unit
    heard = Recorder()
    stegokit.extract_text(tmp_path / "out.png", progress=heard)
    assert heard.stages() == ["Reading the image", "Looking for a hidden message"]


def test_bits_above_one_report_each_sweep(cover):
    heard = Recorder()
    stegokit.embed_text(cover, np.random.default_rng(1).bytes(200_000), filename="x",
                        bits=3, progress=heard)
    assert heard.stages() == ["Reading the cover", "Hiding the data"]
    assert heard.calls[-1][2] > 10  # one unit per sweep of the spread order


@pytest.mark.parametrize("mode", ["nibble", "planes", "lossless"])
def test_hide_and_reveal_image_report_their_stages(tmp_path, cover, mode):
    secret = np.asarray(Image.fromarray(photo("coffee")).resize((200, 133)))
    heard = Recorder()
    result = stegokit.hide_image(cover, secret, mode=mode, passphrase="pw", kdf=CHEAP_KDF,
                                 progress=heard)
    result.save(tmp_path / "o.png", progress=heard)
    stages = heard.stages()
    assert stages[:2] == ["Reading the cover", "Reading the secret"]
    assert stages[-1] == "Writing PNG"
    assert "Hiding the image" in stages or "Hiding the data" in stages
    heard = Recorder()
    found = stegokit.reveal_image(tmp_path / "o.png", passphrase="pw", kdf=CHEAP_KDF,
                                  progress=heard)
    found.save(tmp_path / "secret.png", progress=heard)
    stages = heard.stages()
    assert stages[:2] == ["Reading the image", "Looking for a hidden image"]
    assert ("Reading the hidden image" in stages) == (not result.packed)  # a stream's sweeps


def test_analyze_reports_its_estimators(cover):
    heard = Recorder()
    reports.examine(cover, progress=heard)
    assert heard.stages() == ["Reading the image", "RS analysis", "Sample pair analysis",
                              "Chi-square windows", "Bit planes", "Looking for stegokit data"]
    windows = [call for call in heard.calls if call[0] == "Chi-square windows"]
    assert windows[-1][1:] == (100, 100)


def _in_terminal(*args: str) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal, the display shown at once;
    return what the terminal received."""
    code = ("import stegokit.cli.progress as p; p.SHOW_AFTER = 0; "
            "from stegokit.cli import main; main()")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TERM": "xterm",
           "COLUMNS": "120"}
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.DEVNULL,
                            stdout=child, stderr=child, env=env)
    os.close(child)
    received = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        received += chunk
    os.close(main)
    assert proc.wait(timeout=120) == 0, received.decode("utf-8", "replace")
    return received.decode("utf-8", "replace")


def test_terminal_shows_stages_json_and_pipes_do_not(tmp_path, cover):
    secret = tmp_path / "secret.png"
    Image.fromarray(photo("coffee")).resize((300, 200)).save(secret)
    shown = _in_terminal("hide-image", cover, str(secret), "-o", str(tmp_path / "a.png"),
                         "--mode", "nibble")
    assert "Hiding the image" in shown and "Writing PNG" in shown
    quiet = _in_terminal("hide-image", cover, str(secret), "-o", str(tmp_path / "b.png"),
                         "--mode", "nibble", "--json")
    assert "Hiding the image" not in quiet and "Reading the cover" not in quiet
    assert json.loads(quiet[quiet.index("{"):])["mode"] == "nibble"
    piped = runner.invoke(app, ["hide-image", cover, str(secret), "-o",
                                str(tmp_path / "c.png"), "--mode", "nibble"])
    assert piped.exit_code == 0 and piped.stderr == ""


def test_steps_reach_their_total_whatever_the_items():
    from stegokit.progress import steps

    for items, total in (([1, 2], 5), ([], 0), ([1, 2, 3], 3)):
        heard = Recorder()
        assert list(steps(heard, "stage", iter(items), total)) == items
        assert heard.stages() == ["stage"]
        assert heard.calls[-1][1] == heard.calls[-1][2] >= 1
    assert list(steps(None, "stage", iter([1]), 1)) == [1]
