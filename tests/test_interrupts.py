"""Killing a command at a random moment never leaves a partial or corrupt output file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import photo
from PIL import Image

import stegokit
from stegokit.errors import StegokitError

TRIALS = 50  # per command: 100 in all
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


@pytest.fixture(scope="module")
def big_cover(tmp_path_factory) -> Path:
    """A 2.4-megapixel photo, so that embedding and saving take a while."""
    path = tmp_path_factory.mktemp("kill") / "cover.png"
    Image.fromarray(np.kron(photo("astronaut"), np.ones((3, 3, 1), np.uint8))).save(path)
    return path


def _valid(path: Path, payloads: set[bytes]) -> bool:
    try:
        return _hidden(path) in payloads
    except StegokitError:
        return False


def _hidden(path: Path) -> bytes:
    """What a stego file carries: a text payload's bytes, or a hidden image's pixels."""
    try:
        return stegokit.extract_text(path).payload.data
    except StegokitError:
        return stegokit.reveal_image(path).pixels.tobytes()


@pytest.mark.parametrize("command", ["embed-text", "hide-image"])
def test_killing_a_command_leaves_old_or_new_output(tmp_path, big_cover, command):
    rng = np.random.default_rng(2026)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    if command == "embed-text":
        old, new = rng.bytes(30_000), rng.bytes(60_000)
        (tmp_path / "new.bin").write_bytes(new)
        write_old = stegokit.embed_text(big_cover, old, filename="old.bin").save
        args = ["--file", str(tmp_path / "new.bin")]
    else:
        secret = photo("coffee")
        Image.fromarray(secret).save(tmp_path / "secret.png")
        old, new = photo("chelsea").tobytes(), secret.tobytes()
        write_old = stegokit.hide_image(big_cover, photo("chelsea")).save
        args = [str(tmp_path / "secret.png")]
    out = tmp_path / "out.png"
    argv = [sys.executable, "-m", "stegokit", command, str(big_cover), *args, "-o", str(out),
            "--force"]
    # Kill moments scale with how long the command takes on this machine right now, so
    # they land before, during and after the write whether the machine is idle or busy.
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    duration = time.perf_counter() - started
    outcomes = {"absent": 0, "old": 0, "new": 0}
    for trial in range(TRIALS):
        out.unlink(missing_ok=True)
        if trial % 2:
            write_old(out)
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.2) * duration)
        sent = SIGNALS[trial % 3]
        process.send_signal(sent)
        process.wait(timeout=60)
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".out.png.")]
        if sent != signal.SIGKILL:
            assert leftovers == [], f"a temporary file was left behind after {sent!r}"
        for p in leftovers:
            p.unlink()
        if not out.exists():
            outcomes["absent"] += 1
            assert trial % 2 == 0, "an existing output was removed"
            continue
        assert _valid(out, {old, new}), f"corrupt output after {sent!r} in trial {trial}"
        outcomes["new" if _hidden(out) == new else "old"] += 1
    # The kills must have landed both before and after the write, or the test proves little.
    assert outcomes["new"] and (outcomes["absent"] or outcomes["old"]), outcomes


WRITER = """
import sys
from stegokit import crypto, keyring
with keyring.Keyring.open() as ring:
    for i in range(100000):
        _, public = crypto.generate_keypair()
        ring.add_contact(f"c{i}", f"{sys.argv[1]}-{i}@example.org", public)
"""


def test_keyring_survives_a_writer_killed_mid_transaction(tmp_path, monkeypatch):
    from stegokit import keyring

    monkeypatch.setenv("STEGOKIT_HOME", str(tmp_path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = np.random.default_rng(5)
    started = time.perf_counter()  # the writer's start-up, so kills land mid-writing
    subprocess.run([sys.executable, "-c", "from stegokit import crypto, keyring"], env=env,
                   check=True)
    startup = time.perf_counter() - started
    committed = 0
    for run in range(8):
        process = subprocess.Popen([sys.executable, "-c", WRITER, f"run{run}"],
                                   env=env, stderr=subprocess.DEVNULL)
        time.sleep(startup + rng.uniform(0.3, 1.5))
        process.kill()
        process.wait()
        with keyring.Keyring.open() as ring:
            assert ring._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            count = len(ring.contacts())
        assert count >= committed, "a committed row was lost"
        committed = count
    assert committed > 8, "the writer hardly got to write"
