"""The window's layout promises, measured on the real window: at the size `focuscam live` opens
it the picture fills it and the controls are one row with the shutter in the middle; from 480 px
to full HD nothing is clipped; messages never cover a face (found by the face detector in the
picture shown) and keep what they ask the user to do until dismissed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PyQt6.QtCore import QRect, QRectF, Qt
from PyQt6.QtGui import QFont, QFontMetrics
from PyQt6.QtWidgets import QWidget

from app.delivery import VIEW_SIZE
from app.segmentation import models
from app.segmentation.runtimes import DEFAULT_RUNTIME, RUNTIMES
from app.sources.demo import DemoSource
from app.sources.files import FileSource
from tests.conftest import write_video
from tests.window_helpers import Sources, open_window, wait_frames

pytestmark = pytest.mark.gui

LONG_MESSAGE = (
    "Virtual camera: no virtual camera device; install v4l2loopback (package v4l2loopback-dkms "
    "on Debian and Ubuntu), then create one with: sudo modprobe v4l2loopback devices=1 "
    "exclusive_caps=1 card_label=FocusCam"
)


def sized(qtbot, win, width: int):
    win.fit_picture((width, width * 9 // 16))
    qtbot.waitUntil(lambda: win.viewfinder.width() == width, timeout=3000)
    return win


def test_at_the_size_it_opens_the_picture_fills_the_window_over_one_row_of_controls(
    qtbot, settings
):
    win = open_window(qtbot, Sources(a=DemoSource()), settings)
    sized(qtbot, win, VIEW_SIZE[0])
    wait_frames(qtbot, win, 3)
    vf, bar = win.viewfinder, win.controls
    assert (vf.width(), vf.height()) == VIEW_SIZE
    # the picture (16:9) covers the viewfinder: no bars on any side
    qtbot.waitUntil(lambda: vf.picture_size() == VIEW_SIZE, timeout=5000)
    assert vf.picture_rect() == QRectF(0, 0, *VIEW_SIZE)
    # one row: every control crosses the shutter's middle line
    assert bar.rows == 1
    shutter = bar.shutter.geometry()
    mid = shutter.center().y()
    shown = [w for w in bar.findChildren(QWidget)
             if w.isVisible() and w.parentWidget() is bar]  # fmt: skip
    assert len(shown) >= 8
    for w in shown:
        g = w.geometry()
        assert g.top() <= mid <= g.bottom(), (w.accessibleName(), g, mid)
        assert bar.rect().contains(g), (w.accessibleName(), g)
        if w is not bar.shutter:
            assert not g.intersects(shutter), w.accessibleName()
    # the shutter in the middle, under the picture's centre
    assert abs(bar.shutter.mapTo(win, shutter.center() - shutter.topLeft()).x()
               - win.width() / 2) <= 2  # fmt: skip
    win.close()


def test_a_narrow_window_keeps_every_control_whole_the_shutter_still_in_the_middle(
    qtbot, settings
):
    win = sized(qtbot, open_window(qtbot, Sources(a=DemoSource()), settings), 480)
    bar = win.controls
    assert bar.rows > 1
    shown = [w for w in bar.findChildren(QWidget)
             if w.isVisible() and w.parentWidget() is bar]  # fmt: skip
    rects = [w.geometry() for w in shown]
    for i, g in enumerate(rects):
        assert bar.rect().contains(g), (shown[i].accessibleName(), g, bar.rect())
        for h in rects[i + 1 :]:
            assert not g.intersects(h)  # none drawn over another
    assert abs(bar.shutter.geometry().center().x() - bar.width() / 2) <= 2
    win.close()


@pytest.mark.parametrize("width", [480, 960, 1920])
def test_every_overlay_fits_the_window_from_480_pixels_to_full_hd(
    qtbot, settings, scene_clip, width
):
    win = sized(qtbot, open_window(qtbot, Sources(a=FileSource(scene_clip)), settings), width)
    wait_frames(qtbot, win, 3)
    vf = win.viewfinder
    qtbot.keyClick(win, Qt.Key.Key_H)
    win._update_hud()
    qtbot.keyClick(win, Qt.Key.Key_Question)
    win.show_message(LONG_MESSAGE, 0)
    vf.grab()  # paints every overlay
    assert set(vf.overlay_rects) == {"hud", "sheet"}  # the sheet, while up, hides messages
    assert not vf.band.isVisible()
    sheet = vf.overlay_rects
    x_keys, x_what = vf.sheet_columns
    qtbot.keyClick(win, Qt.Key.Key_Question)  # the sheet away: the message shows
    vf.grab()
    vf.overlay_rects.update(sheet=sheet["sheet"])
    assert set(vf.overlay_rects) == {"hud", "sheet", "message"}
    for name, rect in vf.overlay_rects.items():
        assert vf.rect().contains(rect), (name, rect, vf.rect())
    # the message's text and buttons fit its band, its text all shown (wrapped, not cut)
    band = vf.band
    for w in (band.label, band.copy, band.dismiss):
        assert band.rect().contains(w.geometry()), (w, w.geometry(), band.rect())
    fm = QFontMetrics(band.label.font())
    needed = fm.boundingRect(QRect(0, 0, band.label.width(), 10000),
                             Qt.TextFlag.TextWordWrap, LONG_MESSAGE)  # fmt: skip
    assert needed.height() <= band.label.height()
    # the sheet's two columns: every description starts at the same x, right of every key
    fm = QFontMetrics(QFont(vf.font().family(), 6))
    rows = [(k, w) for k, w, _ in win.shortcuts]
    assert x_what > x_keys + max(fm.horizontalAdvance(k) for k, _ in rows)
    win.close()


def face_in(picture: np.ndarray) -> tuple[float, float, float, float]:
    """The largest face the face detector finds in ``picture``, (x0, y0, x1, y1) in 0..1."""
    runtime = RUNTIMES[DEFAULT_RUNTIME]
    for name in ("face", "face_full"):
        det = runtime.face_detector(models.locate(name))
        try:
            faces = det.detect(picture)
        finally:
            det.close()
        if faces:
            f = max(faces, key=lambda f: (f.x1 - f.x0) * (f.y1 - f.y0))
            return f.x0, f.y0, f.x1, f.y1
    raise AssertionError("no face in the picture shown")


def low_face_clip(tmp_path) -> str:
    """The demo scene moved down a third of the frame: the face in the lower half."""
    demo = DemoSource((640, 360), paced=False)
    demo.open()
    frames = []
    for _ in range(30):
        image = demo.read()
        dy = image.shape[0] // 3
        frames.append(cv2.copyMakeBorder(image[:-dy], dy, 0, 0, 0, cv2.BORDER_REPLICATE))
    demo.close()
    return write_video(tmp_path / "low.avi", frames, fps=30.0, fourcc="MJPG")


@pytest.mark.parametrize("width", [480, 960, 1920])
@pytest.mark.parametrize("where", ["demo scene", "face low in the frame"])
def test_a_message_never_covers_the_face_and_stays_until_dismissed(
    qtbot, settings, tmp_path, width, where
):
    source = DemoSource() if where == "demo scene" else FileSource(low_face_clip(tmp_path))
    win = sized(qtbot, open_window(qtbot, Sources(a=source), settings), width)
    vf = win.viewfinder
    qtbot.waitUntil(lambda: vf.result is not None and bool(vf.result.faces), timeout=20000)
    win.show_message(LONG_MESSAGE, 0)
    wait_frames(qtbot, win, 3)
    view = vf.result.view
    x0, y0, x1, y1 = face_in(view)
    pic = vf.picture_rect()
    face = QRectF(pic.left() + x0 * pic.width(), pic.top() + y0 * pic.height(),
                  (x1 - x0) * pic.width(), (y1 - y0) * pic.height())  # fmt: skip
    band = vf.band.geometry()
    assert vf.band.isVisible() and not QRectF(band).intersects(face), (band, face)
    assert pic.contains(QRectF(band))
    if where == "face low in the frame":
        assert band.bottom() < face.top()  # over the face's head, not under its chin
    # what asks for something stays (no timer takes it away) until its ✕
    qtbot.wait(300)
    assert vf.band.isVisible() and "modprobe" in vf.message
    qtbot.mouseClick(vf.band.dismiss, Qt.MouseButton.LeftButton)
    assert not vf.band.isVisible() and vf.message == ""
    win.close()
