"""Every hostile file of the corpus (and those tests/hostile_files.py builds), uploaded to
every page that takes an image: a clean page (one error message, a 4xx, no stack trace, no
temporary path) or a normal result, and no temporary file left behind."""

from __future__ import annotations

from pathlib import Path

import hostile_files
import pytest
from web_support import errors, png_bytes, register, small_photo, temp_files, token, web_client

CORPUS = sorted(p for p in (Path(__file__).parent / "corpus").iterdir() if p.suffix != ".py")
GOOD = (Path(__file__).parent / "corpus" / "palette-alpha.png").read_bytes()

#: (page, fields, the file field the hostile file goes in, other files)
UPLOADS = [
    ("/hide", {"kind": "text", "message": "hello", "lock": "none"}, "cover", {}),
    ("/reveal", {"unlock": "none"}, "stego", {}),
    ("/reveal", {"unlock": "passphrase", "passphrase": "guess"}, "stego", {}),
    ("/reveal", {"unlock": "key"}, "stego", {}),
    ("/hide-image", {"mode": "auto"}, "cover", {"secret": GOOD}),
    ("/hide-image", {"mode": "auto"}, "secret", {"cover": GOOD}),
    ("/reveal-image", {"unlock": "none"}, "stego", {}),
    ("/capacity", {}, "cover", {}),
    ("/analyze", {}, "image", {}),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> list[Path]:
    """The hostile stego images of tests/hostile_files.py, on a small real photo."""
    folder = tmp_path_factory.mktemp("hostile")
    cover = small_photo(256)
    made = {
        "kdf-bomb.png": hostile_files.kdf_bomb(cover),
        "low-order-key.png": hostile_files.low_order_key(cover),
        "hidden-image-bomb.png": hostile_files.hidden_image_bomb(small_photo(400)),
    }
    paths = []
    for name, pixels in made.items():
        paths.append(folder / name)
        paths[-1].write_bytes(png_bytes(pixels))
    return paths


def check_clean(client, home: Path, path: Path) -> None:
    for page, fields, field, others in UPLOADS:
        files = {field: (path.name, path.read_bytes())}
        files.update({name: ("other.png", data) for name, data in others.items()})
        answer = client.post(page, data={"csrf_token": token(client, page), **fields},
                             files=files)
        where = (path.name, page, field, answer.status_code)
        assert answer.status_code in (200, 400, 403, 413, 422), where
        assert "Traceback" not in answer.text and "internal error" not in answer.text, where
        assert str(home) not in answer.text, where
        if answer.status_code != 200:
            assert len(errors(answer)) == 1, (where, answer.text[-2000:])
        assert temp_files(home) == [], where


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_corpus_file_on_every_upload_page(path, private_home):
    client = web_client()
    register(client)
    check_clean(client, private_home, path)


def test_the_built_hostile_images(built, private_home):
    client = web_client()
    register(client)
    for path in built:
        check_clean(client, private_home, path)


def test_the_zip_bomb_is_refused(private_home, tmp_path):
    client = web_client()
    register(client)
    bomb = tmp_path / "zip-bomb.png"
    bomb.write_bytes(png_bytes(hostile_files.zip_bomb()))
    answer = client.post("/reveal", data={"csrf_token": token(client, "/reveal"),
                                          "unlock": "none"},
                         files={"stego": (bomb.name, bomb.read_bytes())})
    assert answer.status_code in (400, 422) and len(errors(answer)) == 1
    assert temp_files(private_home) == []


@pytest.mark.parametrize("name", ["../../escape.png", "/etc/passwd", "..", "a\x00b.png",
                                  "con:stream.png", "x" * 300 + ".png"])
def test_hostile_upload_names_stay_in_the_temporary_folder(name, private_home):
    client = web_client()
    register(client)
    answer = client.post("/capacity", data={"csrf_token": token(client, "/capacity")},
                         files={"cover": (name, png_bytes(small_photo(32)))})
    assert answer.status_code == 200, errors(answer)
    assert temp_files(private_home) == []
    assert not (private_home.parent / "escape.png").exists()


def test_malformed_multipart_bodies_are_refused(private_home):
    client = web_client()
    register(client)
    csrf = token(client, "/hide")
    bodies = [
        (b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XYZ--\r\n", "XYZ"),
        (b"garbage without a boundary", "XYZ"),
        (b"", ""),
    ]
    for body, boundary in bodies:
        kind = f"multipart/form-data; boundary={boundary}" if boundary else \
            "multipart/form-data"
        answer = client.post("/hide", content=body, headers={"content-type": kind})
        assert answer.status_code in (400, 403), (body, answer.status_code)
        assert "Traceback" not in answer.text
    json_body = client.post("/hide", json={"csrf_token": csrf})
    assert json_body.status_code == 415
    assert temp_files(private_home) == []


def test_too_many_fields_or_files(private_home):
    client = web_client()
    register(client)
    csrf = token(client, "/hide")
    many = {f"f{i}": "x" for i in range(40)}
    assert client.post("/hide", data={"csrf_token": csrf, **many},
                       files={"cover": ("c.png", b"x")}).status_code == 400
    files = {f"file{i}": (f"{i}.png", b"x") for i in range(6)}
    assert client.post("/hide", data={"csrf_token": csrf}, files=files).status_code == 400
    assert temp_files(private_home) == []


def test_stale_workspaces_of_a_killed_server_are_swept(private_home):
    import os

    from stegokit.web import uploads

    stale, fresh = uploads.temp_root() / "dead1234", uploads.temp_root() / "live5678"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "cover.png").write_bytes(b"x")
    os.utime(stale, (1, 1))
    web_client()  # a new app sweeps
    assert not stale.exists() and (fresh / "cover.png").exists()
