"""The inbox store: bytes untouched with their SHA-256, formats by content, bounds, atomicity."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest
from exchange_support import png_bytes
from PIL import ImageFile

from stegokit import images
from stegokit.errors import InputError
from stegokit.inbox import (
    INDEX_NAME,
    Inbox,
    InboxDamaged,
    InboxFull,
    Limits,
    NotAnImage,
    TooLarge,
    recipient_folder,
)

CORPUS = Path(__file__).parent / "corpus"
#: The corpus files a receiving server must refuse: not images, damaged, truncated, bombs,
#: or pixels stegokit cannot read. The other corpus files are odd but sound images.
REFUSED = {"empty.png", "text.png", "truncated.png", "truncated.jpg", "bad-crc.png",
           "huge-header.png", "zero-size.png", "float.tiff",
           "random-bytes.bmp"}
CORPUS_FILES = sorted(p for p in CORPUS.iterdir() if p.suffix != ".py")


def stray_files(root: Path) -> list[Path]:
    """Files in the inbox other than the index and stored images."""
    return [p for p in root.rglob("*") if p.is_file() and (p.name.startswith(".")
                                                         or p.suffix == ".tmp")]


@pytest.fixture
def inbox(private_home) -> Inbox:
    return Inbox.open()


def test_stores_bytes_untouched_with_hash_sender_time_and_size(inbox):
    data = png_bytes() + b"trailing bytes a decoder would drop"
    arrival = inbox.receive("bob@example.org", "alice@example.org", data)
    assert arrival.path.read_bytes() == data
    assert arrival.sha256 == hashlib.sha256(data).hexdigest()
    assert (arrival.size, arrival.format, arrival.sender) == (len(data), "PNG",
                                                              "alice@example.org")
    assert arrival.received.endswith("+00:00")
    assert arrival.path.parent.name == recipient_folder("bob@example.org")
    assert inbox.arrivals("bob@example.org") == [arrival]
    assert inbox.read(arrival) == data
    assert stray_files(inbox.root) == []


def test_each_recipient_sees_only_their_own(inbox):
    for_bob = inbox.receive("bob@example.org", None, png_bytes(1))
    for_carol = inbox.receive("carol@example.org", None, png_bytes(2))
    assert inbox.arrivals("bob@example.org") == [for_bob]
    assert inbox.arrivals("BOB@example.org") == [for_bob]
    assert inbox.arrivals("carol@example.org") == [for_carol]
    assert for_bob.path.parent != for_carol.path.parent
    assert inbox.find(for_carol.id) == for_carol
    assert inbox.find("0" * 24) is None


def test_a_new_inbox_is_private(inbox):
    inbox.receive("bob@example.org", None, png_bytes())
    assert inbox.root.stat().st_mode & 0o777 == 0o700
    assert (inbox.root / INDEX_NAME).stat().st_mode & 0o777 == 0o600
    folder = inbox.root / recipient_folder("bob@example.org")
    assert folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_files_are_refused_or_kept_whole(inbox, path):
    data = path.read_bytes()
    if path.name in REFUSED:
        with pytest.raises(NotAnImage, match="the upload"):
            inbox.receive("bob@example.org", None, data)
        assert inbox.arrivals("bob@example.org") == []
    else:
        arrival = inbox.receive("bob@example.org", None, data)
        assert arrival.path.read_bytes() == data
    assert stray_files(inbox.root) == []


def test_inspect_decodes_no_pixels(tmp_path, monkeypatch):
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes())

    def no_decoding(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    assert images.inspect(path) == images.FileHeader("PNG", 48, 48, "RGB")


def test_a_postscript_file_named_png_is_refused(inbox):
    with pytest.raises(NotAnImage, match="not an image stegokit reads"):
        inbox.receive("bob@example.org", None, b"%!PS-Adobe-3.0\n%%BoundingBox: 0 0 1 1\n")


def test_too_large_stops_and_leaves_nothing(private_home):
    inbox = Inbox.open(Limits(max_image_bytes=1000))
    with pytest.raises(TooLarge, match="1,000 bytes"):
        inbox.receive("bob@example.org", None, png_bytes())
    assert inbox.arrivals("bob@example.org") == []
    assert stray_files(inbox.root) == []


def test_count_and_byte_quotas_per_recipient(private_home):
    first = png_bytes(1)
    inbox = Inbox.open(Limits(max_files=2, max_total_bytes=3 * len(first)))
    inbox.receive("bob@example.org", None, first)
    inbox.receive("bob@example.org", None, png_bytes(2))
    with pytest.raises(InboxFull, match=r"full \(2 images\)"):
        inbox.receive("bob@example.org", None, png_bytes(3))
    inbox.receive("carol@example.org", None, png_bytes(4))  # another recipient's quota
    small = Inbox.open(Limits(max_total_bytes=len(first) + 10))
    small.receive("dave@example.org", None, first)
    with pytest.raises(InboxFull, match="bytes stored"):
        small.receive("dave@example.org", None, png_bytes(5))
    assert len(inbox.arrivals("bob@example.org")) == 2
    assert stray_files(inbox.root) == []
    folder = inbox.root / recipient_folder("bob@example.org")
    assert len(list(folder.iterdir())) == 2


def test_concurrent_uploads_are_all_stored_and_the_quota_holds(private_home):
    inbox = Inbox.open(Limits(max_files=30))
    payloads = [png_bytes(seed, side=24) for seed in range(40)]
    outcomes: list[str] = []

    def upload(data: bytes) -> None:
        try:
            Inbox.open(inbox.limits).receive("bob@example.org", "alice@example.org", data)
            outcomes.append("stored")
        except InboxFull:
            outcomes.append("full")

    threads = [threading.Thread(target=upload, args=(data,)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = inbox.arrivals("bob@example.org")
    assert (outcomes.count("stored"), outcomes.count("full")) == (30, 10)
    assert len(stored) == 30
    sent = {hashlib.sha256(data).hexdigest() for data in payloads}
    assert {a.sha256 for a in stored} <= sent
    assert all(hashlib.sha256(a.path.read_bytes()).hexdigest() == a.sha256 for a in stored)
    assert stray_files(inbox.root) == []


def test_a_failed_commit_removes_the_stored_file(inbox, monkeypatch):
    with sqlite3.connect(inbox.root / INDEX_NAME) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON arrivals "
                   "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(InboxDamaged, match="disk says no"):
        inbox.receive("bob@example.org", None, png_bytes())
    folder = inbox.root / recipient_folder("bob@example.org")
    assert list(folder.iterdir()) == []


def test_a_changed_file_is_reported_not_returned(inbox):
    arrival = inbox.receive("bob@example.org", None, png_bytes())
    data = bytearray(arrival.path.read_bytes())
    data[-20] ^= 1
    arrival.path.write_bytes(bytes(data))
    with pytest.raises(InboxDamaged, match="no longer matches its SHA-256"):
        inbox.read(arrival)


def test_a_row_pointing_outside_the_inbox_is_refused(inbox):
    arrival = inbox.receive("bob@example.org", None, png_bytes())
    with sqlite3.connect(inbox.root / INDEX_NAME) as db:
        db.execute("UPDATE arrivals SET file = '../../keyring.db' WHERE id = ?", (arrival.id,))
    with pytest.raises(InboxDamaged, match="outside the inbox"):
        inbox.arrivals("bob@example.org")


def test_a_damaged_index_is_one_clear_error(private_home):
    root = private_home / "inbox"
    root.mkdir()
    (root / INDEX_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(InboxDamaged, match="inbox index is damaged"):
        Inbox.open()


@pytest.mark.parametrize("sender", ["not an address", "a@b" + "c" * 300])
def test_a_malformed_sender_is_refused_before_anything_is_written(inbox, sender):
    with pytest.raises(InputError):
        inbox.receive("bob@example.org", sender, png_bytes())
    assert not (inbox.root / recipient_folder("bob@example.org")).exists()


def test_removing_an_arrival_deletes_row_and_file(inbox):
    arrival = inbox.receive("bob@example.org", None, png_bytes())
    inbox.remove(arrival)
    assert inbox.arrivals("bob@example.org") == []
    assert not arrival.path.exists()


def test_the_first_uploads_to_a_new_inbox_may_come_together(tmp_path):
    # SQLite refuses ("database is locked", no waiting) connections that race to turn a
    # fresh file into WAL mode; with that race a trial fails about one time in fifteen
    for trial in range(300):
        root = tmp_path / f"inbox-{trial}"
        root.mkdir(mode=0o700)
        start = threading.Barrier(3)
        failures: list[Exception] = []

        def open_inbox(root: Path = root, start: threading.Barrier = start,
                       failures: list[Exception] = failures) -> None:
            start.wait()
            try:
                Inbox(root)
            except InboxDamaged as exc:
                failures.append(exc)

        threads = [threading.Thread(target=open_inbox) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == [], f"trial {trial}"
        assert stray_files(root) == []
    assert Inbox(root).receive("bob@example.org", None, png_bytes()).size > 0
