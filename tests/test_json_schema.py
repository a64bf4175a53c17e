"""Every command's ``--json``, on success and on failure, against the one schema.

``CASES`` holds, for each command the app registers, the runs to make; a command without an
entry fails :func:`test_every_command_has_cases`, so a new command (``serve``, ``send``,
``inbox``...) must add its own. A case is a function of a :class:`World` (the files and
keyring state it asks for are made on first use) returning ``(arguments, exit code)`` runs;
each run gets ``--json`` appended, and its stdout must be JSON that :func:`problems` accepts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import pytest
from cli_support import command_paths, smtp_env, smtp_server
from conftest import photo
from exchange_support import ServeProcess
from keyring_support import isolate, subprocess_env
from PIL import Image
from typer.testing import CliRunner

from stegokit.cli import app
from stegokit.reports import ERROR_SCHEMA, RECORD_LISTS, SCHEMA

PASSWORD = "alice's keyring password"
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def _fits(value, types: str) -> bool:
    return any(_TYPES[name](value) for name in types.split("|"))


def problems(document, schema: dict = SCHEMA, where: str = "") -> list[str]:
    """What in a ``--json`` document breaks the schema (nothing: it conforms)."""
    if not isinstance(document, dict):
        return [f"{where or 'the document'} is not an object"]
    found = []
    if schema is ERROR_SCHEMA and set(document) != set(ERROR_SCHEMA):
        found.append(f"{where}: the error object has {sorted(document)}")
    for key, value in document.items():
        if key not in schema:
            found.append(f"{where}{key}: not in the schema")
            continue
        if not _fits(value, schema[key][0]):
            found.append(f"{where}{key}: {value!r} is not {schema[key][0]}")
        elif key == "error" and value is not None:
            found += problems(value, ERROR_SCHEMA, f"{where}error.")
        elif key in RECORD_LISTS:
            for i, item in enumerate(value):
                found += problems(item, SCHEMA, f"{where}{key}[{i}].")
    return found


class World:
    """The files and keyring state the cases use, made when first asked for."""

    def __init__(self, root: Path, smtp_port: int) -> None:
        self.root = root
        self.smtp_port = smtp_port
        self.servers: list[ServeProcess] = []

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    @cached_property
    def cover(self) -> Path:
        path = self / "cover.png"
        Image.fromarray(photo("astronaut")[:192, :192]).save(path)
        return path

    @cached_property
    def stego(self) -> Path:
        self._made("embed-text", self.cover, "-o", self / "stego.png", "-m", "hello")
        return self / "stego.png"

    @cached_property
    def secret(self) -> Path:
        path = self / "secret.png"
        Image.fromarray(photo("coffee")[:40, :60]).save(path)
        return path

    @cached_property
    def image_stego(self) -> Path:
        self._made("hide-image", self.cover, self.secret, "-o", self / "hidden.png")
        return self / "hidden.png"

    @cached_property
    def alice(self) -> str:
        self._made("user", "register", "--name", "Alice", "--email", "alice@example.org")
        return "alice@example.org"

    @cached_property
    def alice_key(self) -> str:
        return invoke("user", "export-key", "--user", self.alice).stdout.strip()

    @cached_property
    def contact(self) -> str:
        self._made("contact", "add", "Carol", "carol@example.org", self.alice_key)
        return "carol@example.org"

    @cached_property
    def smtp_account(self) -> str:
        self._made("user", "smtp", "set", "--host", "127.0.0.1", "--port", self.smtp_port,
                   "--security", "none", "--user", self.alice)
        return self.alice

    @cached_property
    def images(self) -> Path:
        folder = self / "images"
        folder.mkdir()
        Image.fromarray(photo("astronaut")[:160, :160]).save(folder / "a.png")
        Image.fromarray(photo("chelsea")[:160, :160]).save(folder / "b.png")
        return folder

    @cached_property
    def broken_images(self) -> Path:
        folder = self / "broken"
        folder.mkdir()
        (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
        return folder

    @cached_property
    def marked(self) -> Path:
        self._made("batch", "embed", self.images, "-o", self / "marked-set", "-m", "mark",
                   "-j", "1")
        return self / "marked-set"

    @cached_property
    def server(self) -> str:
        """The URL of a real ``stegokit serve`` on this keyring (Alice has an inbox)."""
        assert self.alice  # registered before the server starts
        server = ServeProcess(subprocess_env(self / "home"), self / "serve.log")
        self.servers.append(server)
        server.wait_ready()
        return server.url

    def _made(self, *args) -> None:
        result = invoke(*args)
        assert result.exit_code == 0, result.output


def invoke(*args, env: dict | None = None):
    """``stegokit ARGS`` in-process, with alice's keyring password in the environment."""
    return CliRunner().invoke(app, [str(a) for a in args],
                              env={"STEGOKIT_PASSWORD": PASSWORD, **(env or {})})


Run = tuple[list, int]
#: command -> the runs that cover it, in order: (arguments without --json, exit code). The
#: World's files and keyring state are made as the list is built, before the first run.
CASES: dict[tuple[str, ...], Callable[[World], list[Run]]] = {
    ("demo",): lambda w: [
        ([], 0), (["--sample", w / "sample.jpg"], 0),
        (["--sample", w / "sample.jpg"], 1),  # the output exists
    ],
    ("embed-text",): lambda w: [
        ([w.cover, "-o", w / "a.png", "-m", "hi"], 0),
        ([w.cover, "-o", w / "n.png", "-m", "hi", "--method", "neural"], 0),
        ([w.cover, "-o", w / "a.png", "-m", "hi"], 1),  # the output exists
        ([w.cover, "-m", "hi"], 2),  # no -o: a usage error
    ],
    ("extract-text",): lambda w: [
        ([w.stego], 0), ([w.stego, "-o", w / "payload.txt"], 0), ([w.cover], 3),
    ],
    ("capacity",): lambda w: [([w.cover], 0), ([w / "missing.png"], 1)],
    ("analyze",): lambda w: [([w.cover], 0), ([w / "missing.png"], 1)],
    ("hide-image",): lambda w: [
        ([w.cover, w.secret, "-o", w / "h.png"], 0),
        ([w.cover, w / "missing.png", "-o", w / "h2.png"], 1),
    ],
    ("reveal-image",): lambda w: [
        ([w.image_stego, "-o", w / "back.png"], 0), ([w.cover, "-o", w / "none.png"], 3),
    ],
    ("user", "register"): lambda w: [
        (["--name", "Bob", "--email", "bob@example.org"], 0),
        (["--name", "Bob", "--email", "bob@example.org"], 1),  # exists
    ],
    ("user", "login"): lambda w: [([w.alice], 0), (["nobody@example.org"], 1)],
    ("user", "logout"): lambda w: [([], 0), (["--bogus"], 2)],
    ("user", "list"): lambda w: [([], 0), (["extra"], 2)],
    ("user", "passwd"): lambda w: [
        (["--user", w.alice], 0), (["--user", "nobody@example.org"], 1),
    ],
    ("user", "remove"): lambda w: [
        (["nobody@example.org", "--yes"], 1), ([w.alice, "--yes"], 0),
    ],
    ("user", "export-key"): lambda w: [
        (["--user", w.alice], 0), (["--user", "nobody@example.org"], 1),
    ],
    ("user", "smtp", "set"): lambda w: [
        (["--host", "127.0.0.1", "--security", "none", "--user", w.alice], 0),
        (["--host", "h", "--security", "tls", "--user", w.alice], 1),
    ],
    ("user", "smtp", "show"): lambda w: [
        (["--user", w.smtp_account], 0), (["--user", "nobody@example.org"], 1),
    ],
    ("user", "smtp", "remove"): lambda w: [
        (["--user", w.smtp_account], 0), (["--user", w.alice], 1),  # already removed
    ],
    ("contact", "add"): lambda w: [
        (["Dave", "dave@example.org", w.alice_key], 0),
        (["Eve", "eve@example.org", "stegokit1:broken"], 1),
    ],
    ("contact", "list"): lambda w: [([], 0), (["extra"], 2)],
    ("contact", "remove"): lambda w: [([w.contact], 0), ([w.contact], 1)],
    ("history",): lambda w: [
        (["--user", "nobody@example.org"], 1), (["--user", w.alice], 0),
    ],
    ("mail",): lambda w: [
        ([w.stego, "--to", "bob@example.org", "--from", "alice@example.org",
          "--eml", w / "m.eml"], 0),
        ([w.stego, "--to", "bob@example.org", "--from", "alice@example.org"], 0),
        ([w.stego, "--to", "not an address", "--from", "alice@example.org"], 1),
    ],
    ("send",): lambda w: [
        ([w.stego, "--server", w.server, "--to", w.alice, "--from", "bob@example.org"], 0),
        ([w.stego, "--server", w.server, "--to", "nobody@example.org"], 1),  # no such user
        ([w.stego, "--server", "ftp://example.org", "--to", w.alice], 1),
    ],
    ("inbox",): lambda w: [
        (["--user", w.alice], 0), (["--user", w.alice, "-o", w / "arrived"], 0),
        (["--user", "nobody@example.org"], 1),
    ],
    ("serve",): lambda w: [  # the success: test_serve_prints_its_address_as_json
        (["--host", "0.0.0.0"], 2), (["--tls-cert", w.cover], 2),
    ],
    ("batch", "embed"): lambda w: [
        ([w.images, "-o", w / "marked", "-m", "batch", "-j", "1"], 0),
        ([w.broken_images, "-o", w / "marked2", "-m", "batch", "-j", "1"], 1),
        ([w / "missing", "-o", w / "marked3", "-m", "batch"], 1),
    ],
    ("batch", "extract"): lambda w: [
        ([w.marked, "-j", "1", "--report", w / "found.jsonl"], 0),
        ([w.images, "-j", "1", "--report", w / "clean.jsonl"], 1),  # code 3 records
        ([w.stego, "--report", w / "x.jsonl"], 1),  # a PNG is not a list of paths
    ],
    ("batch", "analyze"): lambda w: [
        ([w.images, "-j", "1", "--report", w / "triage.jsonl"], 0),
        ([w / "missing", "--report", w / "none.jsonl"], 1),
    ],
}


@pytest.fixture
def world(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("STEGOKIT_NEW_PASSWORD", "a new keyring password")
    with smtp_server() as (port, _):
        for name, value in smtp_env(port).items():
            monkeypatch.setenv(name, value)
        world = World(tmp_path, port)
        yield world
        for server in world.servers:
            server.stop()


def test_every_command_has_cases():
    assert set(command_paths()) == set(CASES), "add the new command to CASES"


@pytest.mark.parametrize("words", list(CASES), ids=" ".join)
def test_json_output_follows_the_schema(words, world):
    runs = CASES[words](world)
    expected = {False} if words == ("serve",) else {True, False}
    assert {code == 0 for _, code in runs} == expected, "a success and a failure"
    for args, code in runs:
        result = invoke(*words, *args, "--json")
        where = f"stegokit {' '.join(words)} {' '.join(map(str, args))}"
        assert result.exit_code == code, f"{where}: {result.output}"
        for document in _documents(result.stdout, lines=words[0] == "batch"):
            assert problems(document) == [], f"{where}: {document}"
            if "error" in document and len(document) == 1:
                _check_failure(document["error"], result, code, where)
            if words[0] == "batch" and document.get("status") == "failed":
                assert document["error"]["code"] in (1, 3, 4)


def test_serve_prints_its_address_as_json(tmp_path):
    """A script learns the port of ``serve --port 0 --json`` from its first line."""
    server = subprocess.Popen(
        [sys.executable, "-m", "stegokit", "serve", "--port", "0", "--json"],
        env=subprocess_env(tmp_path / "home"), stdout=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        line = server.stdout.readline()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server.stdout.close()
    document = json.loads(line)
    assert problems(document) == []
    assert document["tls"] is False and document["url"].startswith("http://127.0.0.1:")


def _documents(stdout: str, *, lines: bool) -> list:
    """The JSON on stdout: one object, or (batch) one per line; nothing else is allowed."""
    try:
        return [json.loads(stdout)]
    except ValueError:
        if not lines:
            raise
    return [json.loads(line) for line in stdout.splitlines()]


def _check_failure(error: dict, result, code: int, where: str) -> None:
    """The error object says what the exit code and the stderr line say."""
    assert error["code"] == code, where
    if code == 2:
        assert error["kind"] == "usage", where
    else:
        assert result.stderr == f"stegokit: error: {error['message']}\n", where
        assert error["kind"] != "internal", where


def test_a_neural_result_has_no_bit_depth(world):
    """The neural codec writes no low bits: null, not 0, for bits and rate."""
    made = json.loads(invoke("embed-text", world.cover, "-o", world / "n.jpg", "-m", "hi",
                             "--method", "neural", "--json").stdout)
    assert made["bits"] is None and made["rate"] is None and made["changed"] > 0
    found = json.loads(invoke("extract-text", world / "n.jpg", "--json").stdout)
    assert found["method"] == "neural" and found["bits"] is None


def test_the_same_thing_has_the_same_name(world):
    """Payload size, secret size and colour mode are named alike wherever they appear."""
    made = json.loads(invoke("embed-text", world.cover, "-o", world / "s.png", "-m", "hello",
                             "--json").stdout)
    found = json.loads(invoke("extract-text", world / "s.png", "--json").stdout)
    assert made["payload_bytes"] == found["payload_bytes"] == 5
    hid = json.loads(invoke("hide-image", world.cover, world.secret, "-o", world / "h.png",
                            "--json").stdout)
    back = json.loads(invoke("reveal-image", world / "h.png", "-o", world / "b.png",
                             "--json").stdout)
    for key in ("secret_width", "secret_height", "secret_image_mode", "mode", "bits"):
        assert hid[key] == back[key], key
    assert (hid["secret_width"], hid["secret_height"]) == (60, 40)
    room = json.loads(invoke("capacity", world.cover, "--json").stdout)
    assert room["image_mode"] == "RGB" and "mode" not in room


def test_the_error_kinds_come_from_the_error_classes():
    from stegokit import errors
    from stegokit.codecs.neural_model import ModelError
    from stegokit.keyring import KeyringDamaged
    from stegokit.mail import MailError
    from stegokit.reports import error_kind

    assert error_kind(errors.NoPayloadError("x")) == "no_payload"
    assert error_kind(errors.AuthenticationError("x")) == "authentication"
    assert error_kind(errors.OutputExistsError("x")) == "output_exists"
    assert error_kind(KeyringDamaged("x")) == "keyring_damaged"
    assert error_kind(MailError("x")) == "mail" and error_kind(ModelError("x")) == "model"
    assert error_kind(errors.StegokitError("x")) == "error"
    assert error_kind(ValueError("x")) == "internal"
    documented = ERROR_SCHEMA["kind"][1]
    for kind in ("no_payload", "authentication", "output_exists", "keyring_damaged", "usage"):
        assert kind in documented


def _doc_table(text: str, heading_key: str) -> dict[str, str]:
    """``key -> type`` of the docs table whose first row is ``heading_key``."""
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([a-z|]+) \| .+ \|$", text, re.M)
    start = [key for key, _ in rows].index(heading_key)
    table = {}
    for key, types in rows[start:]:
        if key in table:
            break
        table[key] = types
    return table


def test_docs_list_every_key_with_its_type():
    text = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    text = text.replace("\\|", "|")
    schema = {key: types for key, (types, _) in SCHEMA.items()}
    documented = _doc_table(text, next(iter(SCHEMA)))
    assert {k: documented[k] for k in documented if k in schema} == schema
    errors = _doc_table(text, next(iter(ERROR_SCHEMA)))
    assert {k: errors[k] for k in ERROR_SCHEMA} == {k: t for k, (t, _) in ERROR_SCHEMA.items()}
