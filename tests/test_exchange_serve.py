"""Client and server for real: two ``stegokit serve`` processes on loopback, one over HTTPS.

Alice and Bob each have their own STEGOKIT_HOME and keyring. Bob serves HTTPS with a
self-signed certificate made here; Alice serves plain HTTP on loopback. Alice seals a
message to Bob, ``stegokit send`` delivers it (refused without --cafile, accepted with it),
Bob's ``stegokit inbox -o`` writes it out and ``extract-text --user`` reads it; then 50
concurrent deliveries, and Bob's reply the other way.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import require
from exchange_support import ServeProcess, png_bytes, self_signed_certificate
from keyring_support import isolate, run, subprocess_env, write_cover

from stegokit import exchange

require("starlette")
require("uvicorn")

MESSAGE = "the drop is at the old mill, 6 pm"
REPLY = "see you there"
CONCURRENT = 50
#: Bob's server takes images up to 4 MB.
LIMIT = 4_000_000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli(home, *args, password=None):
    """``stegokit ARGS`` in this process, on ``home``'s keyring."""
    env = {"STEGOKIT_HOME": str(home)}
    return run(*args, password=password, **env)


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stegokit: error: "), result.output
    return lines[0]


@pytest.fixture
def people(monkeypatch, tmp_path):
    """Alice's and Bob's homes, each with its user, and each the other's contact."""
    isolate(monkeypatch, tmp_path)
    homes = {name: tmp_path / name for name in ("alice", "bob")}
    for name, home in homes.items():
        ok(cli(home, "user", "register", "--name", name.title(), "--email",
               f"{name}@example.org", password=f"{name} pw"))
    keys = {name: ok(cli(home, "user", "export-key")).strip() for name, home in homes.items()}
    ok(cli(homes["alice"], "contact", "add", "Bob", "bob@example.org", keys["bob"]))
    ok(cli(homes["bob"], "contact", "add", "Alice", "alice@example.org", keys["alice"]))
    return homes


@pytest.fixture
def servers(people, tmp_path):
    """Bob's server over HTTPS (self-signed), Alice's over HTTP; both stopped at the end."""
    cert, key = self_signed_certificate(tmp_path)
    bob_env = subprocess_env(people["bob"]) | {"STEGOKIT_INBOX_LIMITS": f"{LIMIT},1000,{1 << 30}"}
    bob = ServeProcess(bob_env, tmp_path / "bob-serve.log",
                       "--tls-cert", str(cert), "--tls-key", str(key))
    alice = ServeProcess(subprocess_env(people["alice"]), tmp_path / "alice-serve.log")
    with bob, alice:
        yield {"bob": bob, "alice": alice, "cert": cert}
    assert bob.process.poll() is not None and alice.process.poll() is not None


def test_alice_seals_sends_and_bob_reads(people, servers, tmp_path):
    alice_home, bob_home = people["alice"], people["bob"]
    bob_url, cert = servers["bob"].url, servers["cert"]
    assert bob_url.startswith("https://127.0.0.1:")
    stego = tmp_path / "for-bob.png"
    ok(cli(alice_home, "embed-text", str(write_cover(tmp_path / "cover.png")), "-o",
           str(stego), "-m", MESSAGE, "--to", "bob@example.org"))

    untrusted = cli(alice_home, "send", str(stego), "--server", bob_url, "--to",
                    "bob@example.org")
    assert "certificate" in error_line(untrusted) and "--cafile" in error_line(untrusted)

    sent = json.loads(ok(cli(alice_home, "send", str(stego), "--server", bob_url, "--to",
                             "bob@example.org", "--cafile", str(cert), "--json")))
    assert sent["sha256"] == sha256(stego.read_bytes())
    assert sent["sender"] == "alice@example.org" and sent["to"] == ["bob@example.org"]

    received = tmp_path / "received"
    (row,) = json.loads(ok(cli(bob_home, "inbox", "-o", str(received), "--json")))["arrivals"]
    assert row["sender"] == "alice@example.org"
    written = Path(row["output"])
    assert written.parent == received
    assert sha256(written.read_bytes()) == row["sha256"] == sha256(stego.read_bytes())
    opened = cli(bob_home, "extract-text", str(written), "--user", "bob@example.org",
                 password="bob pw")
    assert ok(opened).strip() == MESSAGE

    # Bob answers over Alice's plain-HTTP server, sealed to her.
    reply = tmp_path / "for-alice.png"
    ok(cli(bob_home, "embed-text", str(write_cover(tmp_path / "cover2.png")), "-o",
           str(reply), "-m", REPLY, "--to", "alice@example.org"))
    ok(cli(bob_home, "send", str(reply), "--server", servers["alice"].url, "--to",
           "alice@example.org"))
    (back,) = json.loads(ok(cli(alice_home, "inbox", "-o", str(tmp_path / "back"),
                                "--json")))["arrivals"]
    assert back["sender"] == "bob@example.org"
    assert ok(cli(alice_home, "extract-text", back["output"],
                  "--user", "alice@example.org", password="alice pw")).strip() == REPLY


def test_fifty_concurrent_sends_lose_none(people, servers, tmp_path):
    files = []
    for index in range(CONCURRENT):
        path = tmp_path / f"image-{index}.png"
        path.write_bytes(png_bytes(index, side=32))
        files.append(path)

    def deliver(path):
        return exchange.send(path, servers["bob"].url, "bob@example.org",
                             "alice@example.org", cafile=servers["cert"])

    with ThreadPoolExecutor(CONCURRENT) as pool:
        deliveries = list(pool.map(deliver, files))
    sent = {sha256(path.read_bytes()) for path in files}
    assert {d.sha256 for d in deliveries} == sent
    listed = json.loads(ok(cli(people["bob"], "inbox", "-o", str(tmp_path / "all"),
                               "--json")))["arrivals"]
    assert len(listed) == CONCURRENT
    assert {row["sha256"] for row in listed} == sent
    for row in listed:
        assert sha256(Path(row["output"]).read_bytes()) == row["sha256"]


def test_refusals_from_a_real_server(people, servers, tmp_path):
    alice_home, bob_url = people["alice"], servers["bob"].url
    cafile = ["--cafile", str(servers["cert"])]
    image = tmp_path / "image.png"
    image.write_bytes(png_bytes())
    unknown = cli(alice_home, "send", str(image), "--server", bob_url, "--to",
                  "zed@example.org", *cafile)
    assert "refused the image (404): no user zed@example.org" in error_line(unknown)
    text = tmp_path / "notes.png"
    text.write_bytes(b"not an image at all\n" * 50)
    refused = cli(alice_home, "send", str(text), "--server", bob_url, "--to",
                  "bob@example.org", *cafile)
    assert "refused the image (415)" in error_line(refused)
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_bytes() + bytes(8 * LIMIT))
    too_large = cli(alice_home, "send", str(huge), "--server", bob_url, "--to",
                    "bob@example.org", *cafile)
    assert "refused the image (413): the image is larger than this inbox accepts" in \
        error_line(too_large)
    with pytest.raises(exchange.Refused) as refusal:  # the library says which status
        exchange.send(huge, bob_url, "bob@example.org", cafile=servers["cert"])
    assert refusal.value.status == 413
    assert json.loads(ok(cli(people["bob"], "inbox", "--json")))["arrivals"] == []


def test_a_stopped_server_is_unreachable(people, servers, tmp_path):
    image = tmp_path / "image.png"
    image.write_bytes(png_bytes())
    servers["alice"].stop()
    result = subprocess.run(
        [sys.executable, "-m", "stegokit", "send", str(image), "--server",
         servers["alice"].url, "--to", "alice@example.org"],
        env=subprocess_env(people["bob"]), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("stegokit: error: cannot connect to http://127.0.0.1:")
    assert "connection refused" in result.stderr and "Traceback" not in result.stderr
