"""``stegokit inbox`` on the local store, and ``stegokit send``'s errors without a server.

Deliveries through real servers are in test_exchange_serve.py.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time

import pytest
from exchange_support import free_port, png_bytes
from keyring_support import isolate, register, run

from stegokit import reports
from stegokit.inbox import Inbox


@pytest.fixture
def home(monkeypatch, tmp_path):
    home = isolate(monkeypatch, tmp_path)
    register("bob@example.org", "bob pw")
    register("carol@example.org", "carol pw")
    return home


def one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("stegokit: error: ")
    return lines[0]


def test_inbox_lists_a_users_arrivals_only(home):
    store = Inbox.open()
    mine = store.receive("bob@example.org", "alice@example.org", png_bytes(1))
    store.receive("carol@example.org", None, png_bytes(2))
    result = run("inbox", "--user", "bob@example.org", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"user": "bob@example.org",
                                         "arrivals": [reports.arrival_report(mine, None)]}
    text = run("inbox", "--user", "bob@example.org")
    assert mine.id in text.output and "alice@example.org" in text.output
    assert mine.sha256 in text.output


def test_inbox_defaults_to_the_logged_in_user(home):
    Inbox.open().receive("bob@example.org", None, png_bytes())
    result = run("inbox", "--json")  # bob registered first: the default user
    assert len(json.loads(result.output)["arrivals"]) == 1


def test_inbox_writes_each_image_byte_for_byte_and_never_overwrites(home, tmp_path):
    store = Inbox.open()
    sent = [png_bytes(1), png_bytes(2) + b"tail kept as sent"]
    arrivals = [store.receive("bob@example.org", None, data) for data in sent]
    out = tmp_path / "received"
    result = run("inbox", "--user", "bob@example.org", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["arrivals"]
    for row, arrival, data in zip(rows, arrivals, sent, strict=True):
        written = out / arrival.file_name
        assert row["output"] == str(written)
        assert written.read_bytes() == data
        assert hashlib.sha256(written.read_bytes()).hexdigest() == row["sha256"]
    (out / arrivals[0].file_name).unlink()
    (out / arrivals[1].file_name).write_bytes(b"edited by the user")
    again = run("inbox", "--user", "bob@example.org", "-o", str(out))
    assert again.exit_code == 1
    assert "exists; use --force" in one_error_line(again)
    assert (out / arrivals[1].file_name).read_bytes() == b"edited by the user"
    assert not (out / arrivals[0].file_name).exists()  # checked before anything is written
    forced = run("inbox", "--user", "bob@example.org", "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert [(out / a.file_name).read_bytes() for a in arrivals] == sent
    assert sorted(p.name for p in out.iterdir()) == sorted(a.file_name for a in arrivals)


def test_inbox_refuses_a_changed_stored_image(home, tmp_path):
    arrival = Inbox.open().receive("bob@example.org", None, png_bytes())
    arrival.path.write_bytes(png_bytes(9))
    result = run("inbox", "--user", "bob@example.org", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "no longer matches its SHA-256" in one_error_line(result)
    assert not any((tmp_path / "out").iterdir())


def test_inbox_with_nothing_yet(home):
    result = run("inbox", "--user", "carol@example.org")
    assert result.exit_code == 0
    assert "No images have arrived for carol@example.org" in result.output


def test_inbox_errors(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    assert "no local users yet" in one_error_line(run("inbox"))
    register("bob@example.org", "bob pw")
    result = run("inbox", "--user", "zed@example.org")
    assert result.exit_code == 1
    assert "no local user zed@example.org" in one_error_line(result)


def test_inbox_remove(home):
    store = Inbox.open()
    kept = store.receive("bob@example.org", None, png_bytes(1))
    gone = store.receive("bob@example.org", None, png_bytes(2))
    result = run("inbox", "--user", "bob@example.org", "--remove", gone.id)
    assert result.exit_code == 0, result.output
    assert store.arrivals("bob@example.org") == [kept]
    assert not gone.path.exists()
    other = store.receive("carol@example.org", None, png_bytes(3))
    refused = run("inbox", "--user", "bob@example.org", "--remove", other.id)
    assert refused.exit_code == 1
    assert f"no image {other.id} in the inbox of bob@example.org" in one_error_line(refused)
    assert other.path.exists()
    mixed = run("inbox", "--user", "bob@example.org", "--remove", kept.id, "-o", "out")
    assert "give it without -o or --json" in one_error_line(mixed)
    assert store.arrivals("bob@example.org") == [kept]


@pytest.fixture
def stego(tmp_path):
    path = tmp_path / "stego.png"
    path.write_bytes(png_bytes())
    return path


def test_send_to_nothing_listening_is_one_line_exit_1(home, stego):
    result = run("send", str(stego), "--server", f"http://127.0.0.1:{free_port()}",
                 "--to", "bob@example.org")
    assert result.exit_code == 1
    assert "connection refused" in one_error_line(result)


@pytest.mark.parametrize(("server", "message"), [
    ("ftp://127.0.0.1:21", "is not a server URL"),
    ("127.0.0.1:8765", "is not a server URL"),
    ("http://127.0.0.1:99999", "the port is not a number"),
    ("http://127.0.0.1:8765/?to=x", "without a query"),
])
def test_send_bad_server_url(home, stego, server, message):
    result = run("send", str(stego), "--server", server, "--to", "bob@example.org")
    assert result.exit_code == 1
    assert message in one_error_line(result)


def test_send_bad_addresses_and_files(home, stego, tmp_path):
    server = f"http://127.0.0.1:{free_port()}"
    bad_to = run("send", str(stego), "--server", server, "--to", "bob")
    assert "'bob' is not an e-mail address" in one_error_line(bad_to)
    missing = run("send", str(tmp_path / "none.png"), "--server", server, "--to", "b@x.org")
    assert missing.exit_code == 1
    assert "cannot read the image" in one_error_line(missing)
    cafile = tmp_path / "ca.pem"
    cafile.write_text("not a certificate")
    plain = run("send", str(stego), "--server", server, "--to", "b@x.org", "--cafile",
                str(cafile))
    assert "--cafile is for https:// servers" in one_error_line(plain)
    tls = run("send", str(stego), "--server", server.replace("http", "https"), "--to",
              "b@x.org", "--cafile", str(cafile))
    assert "cannot load the CA file" in one_error_line(tls)


def test_an_answer_sent_before_the_whole_upload_is_still_reported(home, tmp_path):
    """A server may refuse a large upload from its headers alone, answer and close while
    the body is still being sent: the client reads that answer instead of a broken pipe."""
    listener = socket.create_server(("127.0.0.1", 0))
    body = b'{"error": "the image is larger than this inbox accepts (1,000 bytes)"}'

    def answer_early() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                received += connection.recv(65536)
            connection.sendall(b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
                               b"Content-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n" % len(body) + body)
            connection.shutdown(socket.SHUT_WR)
            time.sleep(0.5)

    server = threading.Thread(target=answer_early)
    server.start()
    large = tmp_path / "large.png"
    large.write_bytes(png_bytes() + bytes(32 << 20))
    try:
        result = run("send", str(large), "--server",
                     f"http://127.0.0.1:{listener.getsockname()[1]}", "--to", "bob@example.org")
    finally:
        server.join()
        listener.close()
    assert result.exit_code == 1
    assert "refused the image (413): the image is larger than this inbox accepts" in \
        one_error_line(result)
