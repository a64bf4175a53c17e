"""Each command imports only what it needs, so a whole ``stegokit`` process starts fast.

Every case runs the real CLI in a fresh interpreter and lists the modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

RUN = """
import json, sys
from stegokit.cli import main
report, sys.argv = sys.argv[1], ["stegokit", *sys.argv[2:]]
try:
    main()
except SystemExit as exc:
    status = exc.code
with open(report, "w") as f:
    json.dump({"status": status, "modules": sorted(sys.modules)}, f)
"""

#: Only the neural codec needs these, only the keyring and mail commands, only analyze.
NEURAL = {"onnxruntime", "stegokit.codecs.reedsolomon"}
KEYRING_AND_MAIL = {"sqlite3", "smtplib", "ssl"}
ANALYSIS = {"stegokit.analysis", "stegokit.filetraits"}


def loaded(tmp_path, *args: str) -> set[str]:
    report = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", RUN, str(report), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    result = json.loads(report.read_text())
    assert result["status"] == 0
    return set(result["modules"])


def test_help_loads_no_image_or_crypto_library(tmp_path):
    modules = loaded(tmp_path, "--help")
    assert not modules & {"numpy", "PIL", "cryptography", *NEURAL, *KEYRING_AND_MAIL, *ANALYSIS}


def test_plain_embed_and_extract_load_no_neural_keyring_or_rich(tmp_path, cover_png):
    stego = str(tmp_path / "stego.png")
    embedded = loaded(tmp_path, "embed-text", cover_png, "-o", stego, "-m", "hi")
    extracted = loaded(tmp_path, "extract-text", stego)
    # Embedding opens the keyring only to note the embed in a logged-in user's history.
    assert not embedded & {"rich", *NEURAL, *KEYRING_AND_MAIL - {"sqlite3"}, *ANALYSIS}
    assert not extracted & {"rich", *NEURAL, *KEYRING_AND_MAIL, *ANALYSIS}
    # the other commands are not even built: their modules stay unloaded
    assert not extracted & {f"stegokit.cli.{name}" for name in
                            ("analyze", "batch", "capacity", "demo", "exchange", "image",
                             "mail", "serve", "users")}
    assert "stegokit.codecs.lsb" in extracted  # the check above ran a real extraction


# analyze runs the neural decoder, as extract-text does, to recognise its messages
@pytest.mark.parametrize("command, unused", [("capacity", {"onnxruntime", *KEYRING_AND_MAIL}),
                                             ("analyze", KEYRING_AND_MAIL)])
def test_table_commands_load_only_their_parts(tmp_path, cover_png, command, unused):
    modules = loaded(tmp_path, command, cover_png)
    assert "rich.table" in modules
    assert not modules & unused
