"""The viewfinder window, offscreen (pytest-qt), fed by real video files."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QWidget

from app.delivery import worker_composites
from app.outputs.photo import shot_info
from app.sources.base import BACK, FRONT, SourceInfo
from app.sources.files import FileSource
from app.ui.settings import Settings
from app.ui.window import MainWindow
from tests.conftest import write_video
from tests.fakes import UnpluggableCamera
from tests.window_helpers import Sources, grab, open_window, two_colour_clip, wait_frames

pytestmark = pytest.mark.gui


def test_window_shows_the_blurred_picture_from_a_file_source(qtbot, settings, scene_clip):
    src = FileSource(scene_clip)
    win = open_window(qtbot, Sources(a=src), settings)
    wait_frames(qtbot, win, 5)
    vf = win.viewfinder
    shown = vf.result
    fw, fh = shown.frame.size
    vh, vw = shown.view.shape[:2]
    assert abs(vw / vh - fw / fh) < 0.01  # aspect kept
    r = vf.picture_rect()
    pixels = grab(vf)[round(r.top()) : round(r.bottom()), round(r.left()) : round(r.right())]
    assert pixels.shape[0] >= vf.height() - 2 or pixels.shape[1] >= vf.width() - 2  # fills it
    # What is painted is the composited picture (blurred background), not the raw frame.
    expect = cv2.resize(shown.view, pixels.shape[1::-1])
    raw = cv2.resize(shown.frame.image, pixels.shape[1::-1])
    painted_err = np.abs(pixels.astype(int) - expect).mean()
    assert painted_err < 4
    assert np.abs(pixels.astype(int) - raw).mean() > painted_err + 2


def test_switching_cameras_changes_the_picture_and_mirroring_follows_the_facing(
    qtbot, settings, tmp_path
):
    back = FileSource(two_colour_clip(tmp_path / "b.avi", (0, 0, 220), (220, 0, 0)), facing=BACK)
    front = FileSource(two_colour_clip(tmp_path / "f.avi", (0, 220, 0), (0, 220, 220)),
                       facing=FRONT)  # fmt: skip
    back.info = SourceInfo("back camera", "back", BACK)
    front.info = SourceInfo("front camera", "front", FRONT)
    settings.set("effect", "none")
    win = open_window(qtbot, Sources(b=back, f=front), settings)
    wait_frames(qtbot, win, 3)

    def halves():
        img = grab(win.viewfinder).astype(int)
        h, w = img.shape[:2]
        return img[h // 4 : 3 * h // 4, w // 8 : 3 * w // 8].mean((0, 1)), img[
            h // 4 : 3 * h // 4, 5 * w // 8 : 7 * w // 8
        ].mean((0, 1))

    left, right = halves()
    assert left[2] > 150 and right[0] > 150  # back camera: red left, blue right, not mirrored
    qtbot.keyClick(win, Qt.Key.Key_C)
    tag = win.pipeline.current_tag
    qtbot.waitUntil(
        lambda: win.viewfinder.result is not None and win.viewfinder.result.frame.source == tag
        and not win.viewfinder.soft, timeout=10000,
    )  # fmt: skip
    wait_frames(qtbot, win, 2)
    left, right = halves()
    # Front camera: green on the left of the frame, yellow on the right; mirrored on screen.
    assert left[1] > 150 and left[2] > 150 and right[1] > 150 and right[2] < 80
    assert win.camera_label.text().startswith("front camera")
    qtbot.keyClick(win, Qt.Key.Key_M)  # mirror off: the frame as it is
    qtbot.waitUntil(lambda: halves()[0][2] < 80, timeout=5000)


def test_shutter_saves_a_full_resolution_jpeg_with_exif_without_stalling_the_preview(
    qtbot, settings, scene_clip
):
    src = FileSource(scene_clip)
    src.info = SourceInfo("Test Cam", "test", FRONT)
    win = open_window(qtbot, Sources(a=src), settings)
    wait_frames(qtbot, win, 3)
    painted = []
    win.viewfinder.painted.connect(lambda r, t_ns: painted.append(time.monotonic()))
    t0 = time.monotonic()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert time.monotonic() - t0 < 0.25  # the shutter returns at once
    qtbot.waitUntil(lambda: bool(win.photos), timeout=20000)
    done = time.monotonic()
    qtbot.waitUntil(lambda: painted and painted[-1] > done + 0.2, timeout=5000)
    # The preview kept going while the photo was rendered and saved: no gap of more than a few
    # frame periods (the source runs at 30 fps) around the shot.
    gaps = np.diff([t0, *[t for t in painted if t0 <= t], time.monotonic()])
    assert gaps.max() < 0.15, gaps.max()
    path = win.photos[0]
    assert path.parent == Path(settings.get("photo_folder"))
    assert path.name.startswith("FocusCam_") and path.suffix == ".jpg"
    with Image.open(path) as im:
        assert im.format == "JPEG" and im.size == (640, 360)  # full resolution, not the preview
        exif = im.getexif()
        sub = exif.get_ifd(0x8769)
    assert exif[0x0110] == "Test Cam"
    assert exif[0x0131].startswith("FocusCam ")
    assert len(sub[0x9003]) == 19  # DateTimeOriginal "YYYY:MM:DD HH:MM:SS"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp left
    assert win.thumb.isVisible()


def test_an_unplugged_camera_shows_the_overlay_and_recovers_by_itself(qtbot, settings, scene_clip):
    cam = UnpluggableCamera(scene_clip)
    win = open_window(qtbot, Sources(a=cam), settings, backoff=(0.05, 0.2))
    wait_frames(qtbot, win, 3)
    cam.unplugged.set()
    qtbot.waitUntil(lambda: "not available" in win.viewfinder.message, timeout=5000)
    assert win.viewfinder.soft  # the last picture stays, softened
    cam.unplugged.clear()
    qtbot.waitUntil(lambda: win.viewfinder.message == "", timeout=5000)
    wait_frames(qtbot, win, 5)
    assert win.pipeline.stats.source_events == {"lost": 1, "recovered": 1}


def test_closing_stops_every_thread_and_releases_every_source_within_a_second(
    qtbot, settings, scene_clip
):
    cam = UnpluggableCamera(scene_clip)
    win = open_window(qtbot, Sources(a=cam), settings)
    wait_frames(qtbot, win, 3)
    win.controller.take_photo()  # a photo in flight is finished, not lost
    t0 = time.monotonic()
    win.close()
    assert time.monotonic() - t0 < 1.0
    assert not cam.is_open
    assert not [t for t in threading.enumerate() if t.name.startswith("focuscam-")]
    assert list(Path(settings.get("photo_folder")).glob("FocusCam_*.jpg"))


def test_settings_persist_between_runs(qtbot, settings, scene_clip, tmp_path):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    qtbot.keyClick(win, Qt.Key.Key_B)  # blur -> replace
    qtbot.keyClick(win, Qt.Key.Key_M)  # mirror off
    qtbot.keyClick(win, Qt.Key.Key_H)  # HUD on
    win.strength.setValue(30)
    win.close()
    again = Settings(tmp_path / "settings.ini")
    assert again.get("effect") == "replace"
    assert again.get("mirror") is False and again.get("hud") is True
    assert again.get("strength") == pytest.approx(0.3)
    win2 = open_window(qtbot, Sources(a=FileSource(scene_clip)), again)
    assert win2.effect.currentData() == "replace" and not win2.mirror.isChecked()
    assert win2.hud.isChecked() and win2.strength.value() == 30
    win2.close()


def test_a_photo_that_cannot_be_saved_says_why_and_the_preview_goes_on(
    qtbot, settings, scene_clip, tmp_path
):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    settings.set("photo_folder", str(blocker / "photos"))
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    win.controller.take_photo()
    qtbot.waitUntil(lambda: win.viewfinder.message.startswith("Photo not saved"), timeout=20000)
    assert "could not save the photo" in win.viewfinder.message
    wait_frames(qtbot, win, 5)
    assert not win.photos


def test_a_source_that_cannot_be_made_is_skipped_with_a_message(qtbot, settings, scene_clip):
    from app.errors import UsageError

    good = FileSource(scene_clip)
    gone = SourceInfo("old clip", "gone", BACK)
    sources = Sources(a=good)

    def make(info):
        if info.spec == "gone":
            raise UsageError("no such source 'gone'")
        return sources.make(info)

    win = MainWindow([good.info, gone], make, settings)
    qtbot.addWidget(win)
    with qtbot.waitActive(win):
        win.show()
        win.activateWindow()
    wait_frames(qtbot, win, 2)
    qtbot.keyClick(win, Qt.Key.Key_C)
    assert "no such source" in win.viewfinder.message
    assert win.camera is good.info and len(win.cameras) == 1
    wait_frames(qtbot, win, 3)  # still showing the first source
    win.close()


def test_the_runtime_is_chosen_in_the_menu_and_frames_keep_coming(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    assert win.pipeline.runtime == "litert" and win.controls.runtimes["litert"].isChecked()
    win.controls.runtimes["mediapipe"].trigger()
    assert win.pipeline.runtime == "mediapipe" and settings.get("runtime") == "mediapipe"
    assert "usage metrics" in win.viewfinder.message  # the user is told what it sends
    qtbot.waitUntil(lambda: win.pipeline.engine_runtime == "mediapipe", timeout=20000)
    wait_frames(qtbot, win, 3)  # segmented on MediaPipe now
    win.controls.runtimes["litert"].trigger()
    qtbot.waitUntil(lambda: win.pipeline.engine_runtime == "litert", timeout=20000)
    wait_frames(qtbot, win, 3)
    win.close()


def test_the_model_runs_only_when_the_picture_changes_when_chosen_in_the_menu(
    qtbot, settings, scene_frames, tmp_path
):
    # A person sitting still: the same frame over and over, as a camera on a tripod sends it.
    still = FileSource(write_video(tmp_path / "still.avi", [scene_frames[0]] * 90, fps=30.0,
                                   fourcc="MJPG"))  # fmt: skip
    win = open_window(qtbot, Sources(a=still), settings)
    wait_frames(qtbot, win, 3)
    # on by default: at least every 4th frame, and no more when nothing changes
    assert win.pipeline.segment_every == "auto" and win.controls.segment_auto.isChecked()
    stats = win.pipeline.stats
    calls, shown = stats.model_calls, stats.frames_displayed
    wait_frames(qtbot, win, 20)
    assert 0 < stats.model_calls - calls <= (stats.frames_displayed - shown) / 2
    win.controls.segment_auto.trigger()  # off: the model on every frame
    assert win.pipeline.segment_every == "1" and settings.get("segment_every") == "1"
    wait_frames(qtbot, win, 3)
    calls, shown = stats.model_calls, stats.frames_displayed
    wait_frames(qtbot, win, 10)
    assert stats.model_calls - calls >= stats.frames_displayed - shown - 1
    win.close()


def test_closing_the_window_with_a_hung_camera_takes_under_a_second(qtbot, settings, scene_frames):
    from app.sources.registry import open_source
    from tests.mjpeg_server import MjpegCamera

    phone = MjpegCamera(scene_frames).plug()
    try:
        src = open_source(phone.url)
        win = open_window(qtbot, Sources(a=src), settings, backoff=(0.05, 0.2))
        wait_frames(qtbot, win, 3)
        phone.hung.set()
        qtbot.waitUntil(lambda: "stopped sending" in win.viewfinder.message, timeout=5000)
        t0 = time.monotonic()
        win.close()
        assert time.monotonic() - t0 < 1.0
    finally:
        phone.close()


def test_r_records_the_call_picture_and_w_says_how_to_get_a_virtual_camera(
    qtbot, settings, scene_clip
):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert win.call_outputs.recording and win.controls.record.isChecked()
    wait_frames(qtbot, win, 20)
    # a running timer beside the shutter while recording
    qtbot.waitUntil(lambda: win.controls.rec_time.isVisible(), timeout=2000)
    assert re.fullmatch(r"● \d+:\d\d", win.controls.rec_time.text())
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert not win.call_outputs.recording
    qtbot.waitUntil(lambda: not win.controls.rec_time.isVisible(), timeout=2000)
    saved = win.call_outputs.last_recording
    assert saved is not None and saved.parent == Path(settings.get("photo_folder"))
    assert saved.name.startswith("FocusCam_") and saved.suffix == ".mp4" and saved.stat().st_size
    shown = win.pipeline.stats.frames_displayed
    qtbot.keyClick(win, Qt.Key.Key_W)  # no v4l2loopback on the test machines
    assert "modprobe v4l2loopback" in win.viewfinder.message
    assert "v4l2loopback-dkms" in win.viewfinder.message  # the package to install, named
    band = win.viewfinder.band
    assert band.isVisible() and band.copy.isVisible()  # a button copies the command
    from PyQt6.QtGui import QGuiApplication

    from app.outputs.virtualcam import LINUX_FIX

    QGuiApplication.clipboard().setText("")
    qtbot.mouseClick(band.copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == LINUX_FIX  # a command to paste, exactly
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(win, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)  # and the key
    assert QGuiApplication.clipboard().text() == LINUX_FIX
    assert "modprobe" in win.viewfinder.message  # still there to read
    assert not win.call_outputs.camera_on and not win.controls.virtual_camera.isChecked()
    qtbot.waitUntil(lambda: win.pipeline.stats.frames_displayed > shown + 5, timeout=10000)
    qtbot.keyClick(win, Qt.Key.Key_A)
    assert settings.get("auto_frame") and win.pipeline.request.auto_frame
    win.close()


def test_the_viewfinder_never_moves_for_a_message_and_the_sheet_lists_every_shortcut(
    qtbot, settings, scene_clip
):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    geometry = win.viewfinder.geometry()
    win.controller.take_photo().result(timeout=30)
    qtbot.waitUntil(lambda: win.viewfinder.message.startswith("Saved"), timeout=5000)
    qtbot.keyClick(win, Qt.Key.Key_H)  # the HUD appears, as an overlay
    win._update_hud()
    assert win.viewfinder.hud_lines and win.viewfinder.geometry() == geometry
    qtbot.keyClick(win, Qt.Key.Key_Question)
    assert win.viewfinder.sheet_rows == [(keys, what) for keys, what, _ in win.shortcuts]
    assert win.viewfinder.geometry() == geometry
    # Every action a person can take has a shortcut on the window.
    bound = {a.shortcut().toString() for a in win.actions()}
    assert {"Space", "C", "M", "B", "V", "A", "W", "R", "H", "F", "?"} <= bound
    assert not win.mirror.isEnabled()  # a file faces away: mirroring would do nothing
    assert "front cameras" in win.mirror.toolTip()
    win.close()


def test_the_window_shrinks_to_480_pixels_wide_and_the_controls_wrap(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wide = win.controls.height()
    win.resize(480, 480)
    qtbot.waitUntil(lambda: win.width() <= 480, timeout=3000)
    qtbot.waitUntil(lambda: win.controls.height() >= wide, timeout=3000)
    assert win.minimumSizeHint().width() <= 480
    # wrapped onto as many rows as it takes, none cut off
    bar = win.controls
    shown = [w for w in bar.findChildren(QWidget) if w.parent() is bar and w.isVisible()]
    assert shown and all(w.geometry().right() <= bar.width() for w in shown)
    assert all(w.geometry().bottom() <= bar.height() for w in shown)
    win.close()


def test_the_shutter_follows_the_mode_and_the_countdown_fires_it(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    shutter = win.controls.shutter
    assert shutter.accessibleName() == "Take a photo" and "Space" in shutter.toolTip()
    # Countdown 3 s: the count shows over the picture, then the photo is taken.
    win.controls.countdown.click()
    assert settings.get("countdown") == 3 and "3s" in win.controls.countdown.text()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.viewfinder.count == 3 and not win.photos
    qtbot.waitUntil(lambda: len(win.photos) == 1, timeout=15000)  # fired by the countdown
    assert win.viewfinder.count == 0
    # Video mode: the shutter records.
    win.controls.modes.buttons["video"].click()
    assert settings.get("mode") == "video" and shutter.accessibleName() == "Start recording"
    assert not win.controls.countdown.isEnabled()  # no countdown for videos, and it says why
    shutter.click()
    assert win.call_outputs.recording and shutter.accessibleName() == "Stop recording"
    wait_frames(qtbot, win, 10)
    shutter.click()
    assert not win.call_outputs.recording and win.call_outputs.last_recording.is_file()
    # Call mode: the call preview.
    qtbot.keyClick(win, Qt.Key.Key_V)
    assert settings.get("mode") == "call" and win.pipeline.request.call_preview
    assert shutter.accessibleName() == "Go live on the virtual camera"
    qtbot.keyClick(win, Qt.Key.Key_V)
    assert settings.get("mode") == "photo" and not win.pipeline.request.call_preview
    win.close()


def test_the_viewer_opens_the_photo_just_taken_and_deletes_to_the_trash(
    qtbot, settings, scene_clip, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # the trash goes here
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    first = win.controller.take_photo().result(timeout=30).path
    second = win.controller.take_photo().result(timeout=30).path
    qtbot.waitUntil(lambda: len(win.photos) == 2, timeout=5000)
    win.thumb.click()
    viewer = win.controller.viewer
    assert viewer.isVisible() and viewer.current == second  # the photo just taken
    assert not viewer.picture.pixmap().isNull()
    viewer.prev.click()
    assert viewer.current == first and not viewer.prev.isEnabled()
    viewer.delete.click()
    assert not first.exists() and viewer.current == second and win.photos == [second]
    assert list((tmp_path / "xdg").rglob(first.name))  # in the trash, not gone
    viewer.close()
    win.close()


def test_background_presets_replace_the_background(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    win.controls.presets["launch-pad"].trigger()
    assert settings.get("effect") == "replace" and settings.get("background") == "preset:launch-pad"
    spec = win.pipeline.request.spec
    assert spec.effect == "replace" and spec.background.shape == (720, 1280, 3)
    assert spec.background.mean() < 100  # a dusk launch pad, not the grey studio backdrop
    win.close()


def test_cameras_are_picked_by_name_from_a_menu(qtbot, settings, scene_clip, tmp_path):
    a = FileSource(scene_clip)
    b = FileSource(two_colour_clip(tmp_path / "b.avi", (0, 0, 220), (220, 0, 0)), facing=BACK)
    a.info = SourceInfo("desk camera", "a", FRONT, ((640, 480), (1280, 720)))
    b.info = SourceInfo("room camera", "b", BACK)
    win = open_window(qtbot, Sources(a=a, b=b), settings)
    wait_frames(qtbot, win, 3)
    menu = win.controls.camera_menu.actions()
    cameras = [act for act in menu if act.isCheckable() and act is not win.mirror]
    assert [act.text() for act in cameras] == ["desk camera", "room camera"]
    assert menu[0] is win.controls.switch and menu[0].isEnabled()  # next camera, first
    assert win.mirror in menu  # mirroring is the camera's, in its menu
    sizes = win.controls.camera_menu.actions()[-1].menu()
    assert [act.text() for act in sizes.actions()][1:] == ["640x480", "1280x720"]
    cameras[1].trigger()  # "room camera", by name
    assert win.camera.name == "room camera" and settings.get("camera") == "b"
    qtbot.waitUntil(lambda: win.viewfinder.result is not None
                    and win.viewfinder.result.frame.source == win.pipeline.current_tag,
                    timeout=10000)  # fmt: skip
    win.close()


def test_every_control_has_an_accessible_name_and_a_shortcut(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    c = win.controls
    controls = [c.shutter, c.countdown, c.camera_label, c.effect, c.strength, c.look,
                c.light, c.touch_up, c.pick_bg, c.more, c.thumb,
                *c.modes.buttons.values()]  # fmt: skip
    for w in controls:
        assert w.accessibleName(), w
    # those in menus say their key in their text, as menus do
    assert c.mirror.text().endswith("(M)") and c.hud.text().endswith("(H)")
    assert c.switch.text().endswith("(C)") and c.switch in c.camera_menu.actions()
    assert c.hud in c.more.menu().actions()
    keys = {keys for keys, _, _ in win.shortcuts}
    for needed in ("Space", "T", "C", "K", "B", "[", "]", "G", "M", "H", "Ctrl+,", "L", "P",
                   "Shift+R", "V", "S", "N", "U"):  # fmt: skip
        assert needed in keys
    before = settings.get("strength")
    qtbot.keyClick(win, Qt.Key.Key_BracketRight)
    assert settings.get("strength") == pytest.approx(min(1.0, before + 0.1))
    win.close()


def test_a_minimised_window_stops_compositing_but_a_recording_goes_on(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    assert worker_composites(win.pipeline.request)
    win.call_outputs.start_recording()
    win.showMinimized()
    qtbot.waitUntil(lambda: not worker_composites(win.pipeline.request), timeout=3000)
    rec = win.pipeline.feed("recorder")
    before = rec.sent
    qtbot.waitUntil(lambda: rec.sent > before + 10, timeout=10000)  # the call picture still
    win.showNormal()
    qtbot.waitUntil(lambda: worker_composites(win.pipeline.request), timeout=3000)
    assert win.call_outputs.stop_recording().is_file()
    win.hud.setChecked(True)
    win._update_hud()
    assert "CPU" in win.viewfinder.hud_lines[0]  # the HUD shows what the process costs
    win.close()


def test_a_photo_is_refocused_in_the_viewer_and_saved_as_a_new_file(qtbot, settings, scene_clip):
    assert settings.get("save_original") and settings.get("save_matte")  # on by default
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    shot = win.controller.take_photo().result(timeout=30).path
    qtbot.waitUntil(lambda: len(win.photos) == 1, timeout=5000)
    viewer = win.controller.open_viewer()
    assert viewer.current == shot and viewer.save_new.isEnabled()
    # it opens on the look the photo was taken with (the window's default: blur at 0.6)
    assert viewer.look.currentData() == "blur" and viewer.amount.value() == 60
    size = viewer.picture.size()
    viewer.look.setCurrentIndex(viewer.look.findData("none"))
    assert viewer.picture.size() == size  # another look does not resize the picture
    plain = viewer.refocused()
    original = cv2.imread(str(shot.with_name(f"{shot.stem}_original.jpg")))
    assert np.abs(plain.astype(int) - original).mean() < 1  # "no effect": the original
    viewer.look.setCurrentIndex(viewer.look.findData("lens"))
    saved = viewer.save_refocused()
    assert saved is not None and saved != shot and saved.is_file()
    assert cv2.imread(str(saved)).shape == original.shape
    assert shot.is_file()  # the photo itself is never touched
    # the new file keeps the original's capture time and camera, and says what changed
    first, again = shot_info(shot), shot_info(saved)
    assert again.when == first.when and again.camera == first.camera
    assert again.effect == "lens" and saved.name.startswith(shot.stem)
    from PIL import Image

    with Image.open(saved) as im:
        assert f"re-focused from {shot.name}" in im.getexif()[0x010E]
    viewer.close()
    win.close()


def test_the_lens_look_in_the_live_preview(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    wait_frames(qtbot, win, 3)
    qtbot.keyClick(win, Qt.Key.Key_B)  # blur -> replace
    qtbot.keyClick(win, Qt.Key.Key_B)  # replace -> lens
    assert settings.get("effect") == "lens" and win.pipeline.request.spec.effect == "lens"
    assert worker_composites(win.pipeline.request)  # the CPU viewfinder takes pictures
    wait_frames(qtbot, win, 5)
    assert win.viewfinder.result.request.spec.effect == "lens"
    assert win.strength.isEnabled()
    win.close()


def test_the_viewfinder_paints_the_picture_exactly_and_black_around_it(qtbot):
    """A picture narrower than the viewfinder (a 4:3 camera in a 16:9 window) is painted at
    the centre, pixel for pixel, with black bars beside it, also after a picture that filled
    the whole viewfinder (nothing of it is left in the bars)."""
    from app.frames import Frame, Matte
    from app.pipeline import OutputRequest, Result
    from app.ui.viewfinder import Viewfinder

    vf = Viewfinder()
    qtbot.addWidget(vf)
    vf.resize(320, 180)
    vf.show()
    qtbot.waitExposed(vf)

    def show(view):
        h, w = view.shape[:2]
        frame = Frame(view, 0, 0)
        matte = Matte(alpha=np.ones((h, w), np.float32), guide=view)
        vf.show_result(Result(frame, matte, OutputRequest(), view, None, {}))
        vf.repaint()
        return grab(vf)

    rng = np.random.default_rng(3)
    wide = rng.integers(100, 256, (180, 320, 3), np.uint8)
    assert np.array_equal(show(wide), wide)
    narrow = rng.integers(100, 256, (180, 240, 3), np.uint8)
    painted = show(narrow)
    assert np.array_equal(painted[:, 40:280], narrow)
    assert painted[:, :40].max() == 0 and painted[:, 280:].max() == 0


def test_a_modal_dialog_in_a_test_fails_it_instead_of_hanging(qtbot, settings, scene_clip):
    from app.ui.dialogs import pick_background

    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    with pytest.raises(pytest.fail.Exception, match="modal dialog"):
        pick_background(win)
    win.close()


def test_the_actions_use_exactly_what_they_declare_of_the_window(qtbot, settings, scene_clip):
    import ast
    import inspect

    from app.ui import actions
    from app.ui.actions import ActionHost, WindowActions

    tree = ast.parse(inspect.getsource(actions.WindowActions))
    used = {
        node.attr for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
        and node.value.attr == "win"
    }  # fmt: skip
    declared = set(WindowActions.HOST)
    assert used == declared
    typed = {n for n in vars(ActionHost) if not n.startswith("__")} | set(
        ActionHost.__annotations__
    )
    assert declared <= typed  # the protocol types every name of the surface
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    assert [name for name in WindowActions.HOST if not hasattr(win, name)] == []
    win.close()


def test_the_window_has_the_app_icon_and_set_up_installs_a_desktop_launcher(
    qtbot, settings, scene_clip, tmp_path
):
    import subprocess

    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    icon = win.windowIcon()
    assert not icon.isNull() and not icon.pixmap(64, 64).isNull()  # the SVG renders
    win.close()
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([str(root / "scripts" / "install-desktop-entry")],
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
    entry = (tmp_path / ".local/share/applications/focuscam.desktop").read_text()
    fields = dict(line.split("=", 1) for line in entry.splitlines()[1:] if "=" in line)
    assert entry.startswith("[Desktop Entry]") and fields["Type"] == "Application"
    assert Path(fields["Icon"]).is_file() and fields["Icon"].endswith(".svg")
    run = Path(fields["Exec"].strip('"'))
    assert run == root / "scripts" / "run" and run.stat().st_mode & 0o111


def test_the_thumbnail_shows_the_newest_photo_in_the_folder_at_start(qtbot, settings, scene_clip,
                                                                     portrait):
    folder = Path(settings.get("photo_folder"))
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("FocusCam_20260101_100000.jpg", "FocusCam_20260102_100000.jpg"):
        cv2.imwrite(str(folder / name), portrait)
        time.sleep(0.01)  # distinct modification times
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    assert win.thumb.isVisible() and "FocusCam_20260102_100000.jpg" in win.thumb.toolTip()
    assert win.photos[-1].name == "FocusCam_20260102_100000.jpg"  # L opens it
    win.close()



def test_the_strength_slider_says_its_name_and_value_and_menus_draw_one_arrow(
    qtbot, settings, scene_clip
):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    win.strength.setValue(70)
    c = win.controls
    assert c.strength_label.text() == "70%" and win.strength.accessibleName() == "Blur strength"
    # read left to right: the effect's name, its slider, the value
    at = {w: w.mapTo(win, w.rect().center()) for w in (c.effect, win.strength, c.strength_label)}
    assert at[c.effect].x() < at[win.strength].x() < at[c.strength_label].x()
    assert abs(at[c.effect].y() - at[c.strength_label].y()) <= 4
    win._set("effect", "none")
    assert not win.strength.isEnabled() and not win.controls.strength_label.isEnabled()
    for button in (win.controls.camera_label, win.controls.pick_bg, win.controls.more):
        assert button.text().count("▾") <= 1
        assert "menu-indicator" in button.styleSheet()  # the style's own arrow is off
    win.close()


def test_switching_is_greyed_with_one_camera_and_offered_when_one_is_plugged_in(
    qtbot, settings, scene_clip
):
    plugged: list[SourceInfo] = []
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings,
                      list_cameras=lambda: list(plugged))  # fmt: skip
    assert not win.controls.switch.isEnabled()
    assert "no other camera" in win.controls.switch.toolTip()
    plugged.append(SourceInfo("USB camera", "camera:5", FRONT))
    assert win.controller.refresh_cameras()  # the window looks every few seconds
    assert win.controls.switch.isEnabled() and win.controls.switch.toolTip() == "Next camera (C)"
    win.close()


def test_the_mode_you_are_in_stands_out_and_is_said_to_screen_readers(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    modes = win.controls.modes
    modes.show_mode("video")

    def colour(button) -> np.ndarray:
        image = button.grab().toImage()
        return np.array(image.pixelColor(3, image.height() // 2).getRgb()[:3], float)

    chosen, other = colour(modes.buttons["video"]), colour(modes.buttons["photo"])
    assert np.abs(chosen - other).max() >= 40, (chosen, other)
    assert modes.buttons["video"].accessibleDescription() == "selected"
    assert modes.buttons["photo"].accessibleDescription() == ""
    win.close()
