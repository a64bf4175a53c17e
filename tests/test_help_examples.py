"""The help's examples, pasted in order into a shell in an empty folder, all work.

Each command's ``Example: stegokit ...`` lines are taken from its help, in the order
``stegokit --help`` lists the commands, and run by bash in one empty folder, as a new user
would paste them. What the user would type at a prompt comes from the environment: the
passphrase for an example with ``-p`` (and only for those: a passphrase in the environment
applies to every command), the keyring password; mail goes to a loopback SMTP server.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from cli_support import command, command_paths, smtp_env, smtp_server
from keyring_support import CHEAP_KDF_ENV

SRC = Path(__file__).resolve().parents[1] / "src"
PASSPHRASE = "correct horse battery staple"
EXAMPLE = re.compile(r"^\s*Example: (stegokit .+?)\s*$", re.M)


def examples() -> list[tuple[tuple[str, ...], str]]:
    """``(command, example)`` for every example of every command, in help order."""
    return [(words, line) for words in command_paths()
            for line in EXAMPLE.findall(command(words).help or "")]


def _environment(root: Path) -> dict[str, str]:
    """A shell environment whose ``stegokit`` is this checkout's, with a private home."""
    shims = root / "bin"
    shims.mkdir()
    shim = shims / "stegokit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m stegokit "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEGOKIT_")}
    env.update(PATH=f"{shims}{os.pathsep}{env.get('PATH', '')}",
               PYTHONPATH=f"{SRC}{os.pathsep}{env.get('PYTHONPATH', '')}",
               STEGOKIT_HOME=str(root / "home"), STEGOKIT_KEYRING_KDF=CHEAP_KDF_ENV,
               STEGOKIT_PASSWORD="alice's keyring password",
               COLUMNS="1000", TERMINAL_WIDTH="1000")
    return env


def test_every_task_has_an_example():
    shown = {words[0] for words, _ in examples()}
    assert {"demo", "embed-text", "extract-text", "hide-image", "reveal-image", "capacity",
            "analyze", "mail", "batch", "user", "history"} <= shown


def test_examples_run_in_order_in_an_empty_folder(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    env = _environment(tmp_path)
    written: dict[str, str] = {}
    with smtp_server() as (port, received):
        env.update(smtp_env(port))
        for words, line in examples():
            shown = subprocess.run([*("stegokit", *words), "--help"], env=env, cwd=folder,
                                   capture_output=True, text=True, timeout=120)
            assert line in shown.stdout, f"{line!r} is not shown as is by --help"
            before = {p.name for p in folder.iterdir()}
            typed = {"STEGOKIT_PASSPHRASE": PASSPHRASE} if " -p" in line else {}
            done = subprocess.run(["bash", "-c", line], env={**env, **typed}, cwd=folder,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            assert "error" not in done.stderr, f"{line}\n{done.stderr}"
            for name in {p.name for p in folder.iterdir()} - before:
                written[name] = line
    assert len(received) == 1  # the mail example's message arrived
    assert {"photo.jpg", "card.png", "postcard.jpg", "album.png", "revealed.png"} <= set(written)


def test_no_example_writes_over_a_file_an_earlier_one_made():
    """Each -o/--eml/--planes/--sample target is new: no example clobbers another's file,
    and none needs --force."""
    targets: dict[str, str] = {}
    for _, line in examples():
        assert "--force" not in line, line
        for name in re.findall(r"(?:-o|--eml|--planes|--sample|--report) (\S+)", line):
            assert name not in targets, f"{line} writes {name}, made by: {targets.get(name)}"
            targets[name] = line
