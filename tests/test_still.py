"""Full-quality stills: names, no overwriting, EXIF, errors in words; `focuscam still`."""

from __future__ import annotations

import errno
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from app.cli import main
from app.common.files import describe_os_error, write_unique
from app.errors import FocusCamError
from app.frames import Frame
from app.steps.photo import PhotoJobs, PhotoOptions


@pytest.fixture(scope="module")
def renderer():
    r = PhotoJobs()
    yield r
    assert r.close()


def test_photos_taken_in_the_same_second_never_overwrite_each_other(tmp_path):
    a = write_unique(tmp_path, "FocusCam_20261123_101500", ".jpg", b"first")
    b = write_unique(tmp_path, "FocusCam_20261123_101500", ".jpg", b"second")
    c = write_unique(tmp_path, "FocusCam_20261123_101500", ".jpg", b"third")
    assert [p.name for p in (a, b, c)] == [
        "FocusCam_20261123_101500.jpg", "FocusCam_20261123_101500_2.jpg",
        "FocusCam_20261123_101500_3.jpg",
    ]  # fmt: skip
    assert a.read_bytes() == b"first" and b.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (a, b, c))


def test_a_still_is_full_resolution_jpeg_with_exif_and_optional_original_and_matte(
    renderer, tmp_path, portrait
):
    when = datetime(2026, 11, 23, 10, 15, 0)
    options = PhotoOptions(tmp_path, save_original=True, save_matte=True, camera="Front Cam")
    res = renderer.take(Frame(portrait, 1, 0), options, when).result(timeout=30)
    assert res.path.name == "FocusCam_20261123_101500.jpg"
    h, w = portrait.shape[:2]
    with Image.open(res.path) as im:
        assert im.size == (w, h) and im.format == "JPEG"
        exif = im.getexif()
        assert exif[0x0110] == "Front Cam"
        assert exif.get_ifd(0x8769)[0x9003] == "2026:11:23 10:15:00"
    names = sorted(p.name for p in res.extras)
    assert names == ["FocusCam_20261123_101500_matte.png", "FocusCam_20261123_101500_original.jpg"]
    with Image.open(tmp_path / names[0]) as m:
        assert m.mode == "L" and m.size == (w, h)
        lo, hi = m.getextrema()
        assert lo == 0 and hi == 255  # a real matte: background and person


def test_an_unwritable_photo_folder_is_a_clear_error_not_a_crash(renderer, tmp_path, portrait):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    fut = renderer.take(Frame(portrait, 1, 0), PhotoOptions(blocker / "photos"))
    with pytest.raises(FocusCamError, match="could not save the photo"):
        fut.result(timeout=30)
    # The renderer carries on with the next photo.
    ok = renderer.take(Frame(portrait, 2, 0), PhotoOptions(tmp_path / "ok")).result(timeout=30)
    assert ok.path.is_file()


@pytest.mark.parametrize(
    "code, words",
    [(errno.ENOSPC, "is full"), (errno.EACCES, "no permission"), (errno.EROFS, "no permission")],
)
def test_disk_errors_are_described_in_words(code, words):
    assert words in describe_os_error(OSError(code, "x"), Path("/photos"))


def test_focuscam_still_takes_one_photo_from_the_demo_scene(tmp_path):
    out = tmp_path / "me.jpg"
    assert main(["still", "--source", "demo", "-t", "0.3", "-o", str(out)]) == 0
    with Image.open(out) as im:
        assert im.size == (1280, 720)
        assert im.getexif()[0x0110] == "demo scene"


def test_focuscam_still_never_overwrites_without_being_asked(tmp_path, capsys):
    out = tmp_path / "me.jpg"
    out.write_bytes(b"an earlier photo")
    assert main(["still", "--source", "demo", "-t", "0", "-o", str(out)]) == 2
    assert out.read_bytes() == b"an earlier photo"
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--overwrite" in err
    assert main(["still", "--source", "demo", "-t", "0", "-o", str(out), "--overwrite"]) == 0
    assert out.read_bytes()[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    "args, code",
    [(["-o", "x.gif"], 2), (["--source", "nope.mp4", "-o", "x.jpg"], 2), (["-t", "-1"], 2)],
)
def test_focuscam_still_bad_input_is_one_line_and_no_file(
    tmp_path, monkeypatch, capsys, args, code
):
    monkeypatch.chdir(tmp_path)
    assert main(["still", "--source", "demo", *args]) == code
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert list(tmp_path.iterdir()) == []


def test_focuscam_still_runs_as_a_command(tmp_path):
    out = tmp_path / "cmd.jpg"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "still", "--source", "demo", "-t", "0", "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"wrote {out}"


def test_a_photo_is_re_rendered_later_from_its_saved_original_and_matte(
    renderer, tmp_path, portrait
):
    import cv2
    import numpy as np

    when = datetime(2026, 11, 23, 11, 0, 0)
    options = PhotoOptions(tmp_path, save_original=True, save_matte=True)
    res = renderer.take(Frame(portrait, 1, 0), options, when).result(timeout=30)
    original = next(p for p in res.extras if p.name.endswith("_original.jpg"))
    matte = next(p for p in res.extras if p.name.endswith("_matte.png"))
    # Later: the same photo with another look, without segmenting again.
    out = tmp_path / "replaced.jpg"
    assert main(["process", str(original), "-o", str(out), "--matte", str(matte),
                 "--effect", "replace", "--background", str(res.path)]) == 0  # fmt: skip
    a8 = cv2.imread(str(matte), cv2.IMREAD_GRAYSCALE)
    got = cv2.imread(str(out)).astype(int)
    src = cv2.imread(str(original)).astype(int)
    person = a8 == 255
    assert np.abs(got[person] - src[person]).mean() < 3  # the person is kept as saved
    assert main(["process", str(original), "-o", str(tmp_path / "x.jpg"), "--matte",
                 str(tmp_path / "nope.png")]) == 2  # fmt: skip


def test_focuscam_still_from_a_camera_that_is_not_there_fails_at_once_in_one_line(capsys):
    import time

    t0 = time.monotonic()
    assert main(["still", "--source", "camera:97", "-o", "x.jpg", "-t", "0"]) == 1
    assert time.monotonic() - t0 < 5  # no waiting out retries in a one-shot command
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "camera 97" in err


@pytest.mark.parametrize("height, background", [(0.9, "motorcycle_left.png"), (0.6, "rocket.jpg")])
def test_the_photo_keeps_the_person_as_shot_and_is_never_worse_than_the_preview(height, background):
    """The shutter takes the live engine's matte for the frame on screen and refines it at full
    resolution: on a real portrait at 1080p, at most 1% of the person's inner pixels change."""
    from app.lab.evaluation import photo_fidelity
    from app.lab.synthetic import Actor, Scene

    person = Actor("hopper", height, 0.5, "sway")
    scene = Scene((1920, 1080), background, noise=2.0, actors=(person,))
    assert photo_fidelity(scene, 30, use_live=True) <= 0.01


def test_a_png_photo_is_lossless_with_the_same_metadata(tmp_path):
    out = tmp_path / "me.png"
    assert main(["still", "--source", "demo", "-t", "0", "-o", str(out)]) == 0
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (1280, 720)
        assert im.getexif()[0x0110] == "demo scene"
