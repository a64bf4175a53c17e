"""Edges: inputs never overwritten, image formats by content, private metadata, mail headers.

Each case drives the real CLI on real files (Pillow-written images, real EXIF) and checks the
exit code, the message and that nothing was written.
"""

from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

import numpy as np
import pytest
from keyring_support import isolate, register, run, write_cover
from PIL import EpsImagePlugin, Image, PngImagePlugin
from skimage import data as skdata

import stegokit
from stegokit import images


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


def one_error_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stegokit: error: "), result.stderr
    assert "internal error" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in a folder (links not followed): its bytes and modification time."""
    return {p.name: (p.read_bytes() if p.is_file() else b"", os.lstat(p).st_mtime_ns)
            for p in sorted(folder.iterdir()) if p.name != "home"}


# --- an output is never one of the inputs -----------------------------------------------

@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    cover = write_cover(tmp_path / "cover.png")
    secret = tmp_path / "secret.png"
    Image.fromarray(skdata.astronaut()[:32, :32]).save(secret)
    stego = tmp_path / "stego.png"
    stegokit.embed_text(cover, "hello").save(stego)
    note = tmp_path / "note.txt"
    note.write_text("hello from a file")
    hard = tmp_path / "hard-link.png"
    os.link(cover, hard)
    soft = tmp_path / "soft-link.png"
    soft.symlink_to(stego)
    return {"cover": cover, "secret": secret, "stego": stego, "note": note,
            "hard": hard, "soft": soft}


def same_file_cases(f: dict[str, Path]) -> list[tuple[list[str], Path]]:
    """(command, the input it would overwrite)."""
    return [
        (["embed-text", str(f["cover"]), "-o", str(f["cover"]), "-m", "x"], f["cover"]),
        (["embed-text", str(f["cover"]), "-o", str(f["hard"]), "-m", "x"], f["cover"]),
        (["embed-text", str(f["stego"]), "-o", str(f["soft"]), "-m", "x"], f["stego"]),
        (["embed-text", str(f["cover"]), "-o", str(f["stego"]), "--file", str(f["soft"])],
         f["soft"]),
        (["hide-image", str(f["cover"]), str(f["secret"]), "-o", str(f["secret"])],
         f["secret"]),
        (["hide-image", str(f["cover"]), str(f["secret"]), "-o", str(f["hard"])], f["cover"]),
        (["reveal-image", str(f["stego"]), "-o", str(f["soft"])], f["stego"]),
        (["extract-text", str(f["stego"]), "-o", str(f["stego"])], f["stego"]),
        (["analyze", str(f["cover"]), "--planes", str(f["hard"])], f["cover"]),
        (["mail", str(f["stego"]), "--to", "bob@example.org", "--from", "a@example.org",
          "--eml", str(f["soft"])], f["stego"]),
    ]


def test_an_input_is_never_overwritten_even_with_force(files, tmp_path):
    before = snapshot(tmp_path)
    for args, victim in same_file_cases(files):
        result = run(*args, "--force")
        one_error_line(result, "is the input", str(victim), "not even with --force")
        assert snapshot(tmp_path) == before, args  # nothing written, no temporary file
    message = one_error_line(run("embed-text", str(files["cover"]), "-o",
                                 str(files["cover"]), "-m", "x"))
    assert "exists" not in message  # not the "use --force" advice


def test_other_outputs_are_still_overwritten_with_force(files, tmp_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    assert run("embed-text", str(files["cover"]), "-o", str(out), "-m", "x",
               "--force").exit_code == 0
    assert stegokit.extract_text(out).text == "x"


# --- image formats are recognised by content, from an allow-list -------------------------

REFUSED_FORMATS = ("EPS", "PPM", "PCX", "TGA", "ICO", "SGI", "IM", "DDS", "QOI")


def test_formats_outside_the_allow_list_never_reach_pillow(tmp_path, monkeypatch):
    opened = []
    original = EpsImagePlugin.EpsImageFile._open
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open",
                        lambda self: opened.append(1) or original(self))
    pixels = skdata.astronaut()[:64, :64]
    for fmt in REFUSED_FORMATS:
        disguised = tmp_path / f"{fmt.lower()}-file.png"
        Image.fromarray(pixels).save(disguised, format=fmt)
        with Image.open(disguised) as check:  # Pillow itself would decode it
            assert check.format == fmt
        opened.clear()
        out = tmp_path / "out.png"
        for args in (["embed-text", str(disguised), "-o", str(out), "-m", "x"],
                     ["extract-text", str(disguised)], ["capacity", str(disguised)],
                     ["analyze", str(disguised)]):
            one_error_line(run(*args), str(disguised), "not an image stegokit reads",
                           "PNG, JPEG, BMP, TIFF, WebP or GIF")
            assert not out.exists()
        assert opened == []  # the EPS plugin (Ghostscript) was never asked


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "MPO", "BMP", "TIFF", "WEBP", "GIF"])
def test_allowed_formats_are_read_whatever_the_extension(tmp_path, fmt):
    named_wrong = tmp_path / "photo.png" if fmt != "PNG" else tmp_path / "photo.bmp"
    Image.fromarray(skdata.astronaut()[:64, :64]).save(named_wrong, format=fmt)
    result = run("capacity", str(named_wrong), "--json")
    assert result.exit_code == 0, result.output


# --- private metadata is left out of the stego image by default ---------------------------

def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif.update({0x010F: "Canon", 0x0110: "Canon EOS R5", 0x0112: 1})
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    exif.get_ifd(0x8769).update({
        0x9003: "2026:05:01 10:00:00", 0xA431: "SN-0012345678", 0xA435: "LENS-998877",
        0xA430: "Jane Q. Owner", 0x927C: b"maker notes SN-0012345678", 0xA420: "UID-4242"})
    return exif


PRIVATE = (b"SN-0012345678", b"LENS-998877", b"Jane Q. Owner", b"UID-4242", b"hidden-gps")
REMOVED = ("Removed from the metadata: GPS position, camera serial number, lens serial "
           "number, camera owner name, maker notes, image unique ID")


@pytest.fixture
def camera_jpeg(tmp_path) -> Path:
    path = tmp_path / "camera.jpg"
    Image.fromarray(skdata.astronaut()[:256, :256]).save(path, exif=camera_exif(), quality=95)
    return path


def read_exif(path: Path) -> tuple[dict, dict, dict]:
    with Image.open(path) as image:
        exif = image.getexif()
        return dict(exif), dict(exif.get_ifd(0x8825)), dict(exif.get_ifd(0x8769))


def test_gps_and_serial_numbers_are_removed_by_default(camera_jpeg, tmp_path):
    out = tmp_path / "stego.png"
    result = run("embed-text", str(camera_jpeg), "-o", str(out), "-m", "meet at noon")
    assert result.exit_code == 0, result.output
    assert REMOVED + "." in result.stdout
    ifd0, gps, sub = read_exif(out)
    assert gps == {} and 0x8825 not in ifd0
    assert ifd0[0x0110] == "Canon EOS R5" and sub == {0x9003: "2026:05:01 10:00:00"}
    stored = out.read_bytes()
    for secret in PRIVATE:
        assert secret not in stored
    assert stegokit.extract_text(out).text == "meet at noon"


def test_keep_metadata_keeps_everything(camera_jpeg, tmp_path):
    out = tmp_path / "stego.png"
    result = run("embed-text", str(camera_jpeg), "-o", str(out), "-m", "x", "--keep-metadata",
                 "--json")
    assert result.exit_code == 0, result.output
    assert '"removed_metadata": []' in result.stdout
    _, gps, sub = read_exif(out)
    assert gps[1] == "N" and sub[0xA431] == "SN-0012345678" and sub[0xA420] == "UID-4242"


def test_hide_image_strips_exif_and_xmp_from_a_png_cover(tmp_path):
    cover = tmp_path / "cover.png"
    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta><exif:GPSLatitude>hidden-gps"
                  "</exif:GPSLatitude></x:xmpmeta>")
    text.add_text("Comment", "holiday")
    Image.fromarray(skdata.astronaut()[:256, :256]).save(cover, exif=camera_exif(),
                                                         pnginfo=text)
    secret = tmp_path / "secret.png"
    Image.fromarray(skdata.astronaut()[:24, :24]).save(secret)
    out = tmp_path / "stego.png"
    result = run("hide-image", str(cover), str(secret), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert REMOVED + ", XMP packet." in result.stdout
    with Image.open(out) as stego:
        assert stego.text == {"Comment": "holiday"}
    for private in PRIVATE:
        assert private not in out.read_bytes()


def test_the_hidden_images_own_gps_and_serial_numbers_are_left_out(tmp_path):
    """The secret image's file travels inside the stego image: its GPS position must not."""
    cover = tmp_path / "cover.png"
    Image.fromarray(skdata.astronaut()).save(cover)
    secret = tmp_path / "secret.png"
    Image.fromarray(skdata.coffee()[:40, :40]).save(secret, exif=camera_exif())
    out, revealed = tmp_path / "stego.png", tmp_path / "revealed.png"
    result = run("hide-image", str(cover), str(secret), "-o", str(out), "--mode", "lossless")
    assert result.exit_code == 0, result.output
    assert ("left out of the hidden image's metadata: GPS position, camera serial number"
            in " ".join(result.output.split()))
    found = stegokit.reveal_image(out)
    assert run("reveal-image", str(out), "-o", str(revealed)).exit_code == 0
    for private in PRIVATE[:4]:
        assert private not in found.data and private not in revealed.read_bytes()
    assert read_exif(revealed)[1] == {}
    with Image.open(secret) as original:
        assert np.array_equal(found.pixels, np.asarray(original))


def test_the_library_strips_too_and_says_what(camera_jpeg, tmp_path):
    result = stegokit.embed_text(camera_jpeg, "short", method="neural")
    removed = result.save(tmp_path / "out.jpg", quality=90)
    assert removed == ("GPS position", "camera serial number", "lens serial number",
                       "camera owner name", "maker notes", "image unique ID")
    assert read_exif(tmp_path / "out.jpg")[1] == {}
    assert result.save(tmp_path / "kept.jpg", keep_metadata=True) == ()
    assert read_exif(tmp_path / "kept.jpg")[1][1] == "N"
    plain = stegokit.embed_text(write_cover(tmp_path / "plain.png"), "x")
    assert plain.save(tmp_path / "plain-out.png") == ()


def test_unreadable_exif_is_dropped():
    picture = images.Picture(np.zeros((4, 4, 3), np.uint8), {"exif": b"Exif\0\0garbage!"})
    stripped, removed = images.strip_private_metadata(picture)
    assert removed == ("unreadable EXIF block",) and "exif" not in stripped.info


# --- mail headers are one line ----------------------------------------------------------

@pytest.mark.parametrize("subject", ["hi\r\nBcc: eve@example.org", "hi\nthere", "hi\rthere"])
def test_a_subject_with_a_line_break_is_refused(tmp_path, subject):
    stego = write_cover(tmp_path / "stego.png")
    eml = tmp_path / "out.eml"
    result = run("mail", str(stego), "--to", "bob@example.org", "--from", "a@example.org",
                 "--subject", subject, "--eml", str(eml))
    one_error_line(result, "the subject contains a line break")
    assert not eml.exists()


def test_other_header_fields_are_checked(tmp_path):
    stego = write_cover(tmp_path / "line\nbreak.png")
    eml = tmp_path / "out.eml"
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", "--from",
                       "a@example.org", "--eml", str(eml)), "line break")
    tame = write_cover(tmp_path / "tame.png")
    one_error_line(run("mail", str(tame), "--to", "bob@example.org", "--from",
                       "a@example.org", "--subject", "ring\abell", "--eml", str(eml)),
                   "control character", "ring\\x07bell")
    register("alice@example.org", "pw", name="Alice")
    import sqlite3

    from stegokit.keyring import database_path
    db = sqlite3.connect(database_path())
    db.execute("UPDATE users SET name = 'Alice\r\nBcc: eve@example.org'")
    db.commit()
    db.close()
    one_error_line(run("mail", str(tame), "--to", "bob@example.org", "--eml", str(eml)),
                   "the sender contains a line break")
    assert not eml.exists()
    fine = run("mail", str(tame), "--to", "bob@example.org", "--from", "a@example.org",
               "--subject", "holiday", "--body", "line one\nline two", "--eml", str(eml))
    assert fine.exit_code == 0, fine.output
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "holiday" and message["Bcc"] is None
