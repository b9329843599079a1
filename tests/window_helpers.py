"""What the window tests share: the sources a test window opens, opening it as a desktop
would, waiting for frames, and reading back what a widget paints."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage

from app.sources.base import SourceInfo
from app.ui.window import MainWindow
from tests.conftest import write_video


def two_colour_clip(path, left, right, n=6, size=(320, 180)):
    w, h = size
    frame = np.zeros((h, w, 3), np.uint8)
    frame[:, : w // 2], frame[:, w // 2 :] = left, right
    return write_video(path, [frame] * n, fps=30.0, fourcc="MJPG")


def grab(widget) -> np.ndarray:
    """What the widget paints, as BGR."""
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_BGR888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    return np.frombuffer(ptr, np.uint8).reshape(h, bpl)[:, : w * 3].reshape(h, w, 3).copy()


class Sources:
    """Named sources for the window to open, the way the app maps camera specs to sources."""

    def __init__(self, **sources) -> None:
        self.by_spec = {}
        self.infos = []
        for src in sources.values():
            self.by_spec[src.info.spec] = src
            self.infos.append(src.info)

    def make(self, info: SourceInfo):
        return self.by_spec[info.spec]


def open_window(qtbot, sources: Sources, settings, **kw) -> MainWindow:
    win = MainWindow(sources.infos, sources.make, settings, **kw)
    qtbot.addWidget(win)
    win.resize(640, 400)
    with qtbot.waitActive(win):  # shortcuts belong to the active window, as on a desktop
        win.show()
        win.activateWindow()
    return win


def wait_frames(qtbot, win, n, timeout=20000):
    start = win.pipeline.stats.frames_displayed
    qtbot.waitUntil(lambda: win.pipeline.stats.frames_displayed >= start + n, timeout=timeout)
