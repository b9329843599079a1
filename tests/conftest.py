from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")
# Qt tests run offscreen, so that `pytest` alone works as scripts/test does (tests that need a
# real X server start their own Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def state_folder(tmp_path_factory, monkeypatch):
    """Each test's own journal of unfinished outputs (app/outputs/journal.py), inherited by
    the processes it starts: never the user's, never another test's."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("FOCUSCAM_STATE", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A test that opens a modal dialog fails at once, instead of waiting for a click that never
    comes (hanging the suite until its timeout)."""
    import sys

    widgets = sys.modules.get("PyQt6.QtWidgets")
    if widgets is not None:

        def refuse(*args, **kwargs):
            pytest.fail("a modal dialog opened: it would wait for a click that never comes")

        monkeypatch.setattr(widgets.QDialog, "exec", refuse)
        for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
            monkeypatch.setattr(widgets.QFileDialog, name, staticmethod(refuse))
        for name in ("information", "warning", "critical", "question"):
            monkeypatch.setattr(widgets.QMessageBox, name, staticmethod(refuse))
    return None


@pytest.fixture(scope="session")
def portrait() -> np.ndarray:
    from app.lab import samples

    return samples.portrait()


@pytest.fixture(scope="session")
def scene_frames():
    """Ten 640x360 frames of the real portrait moving over a real background."""
    from app.lab.synthetic import Scene

    scene = Scene((640, 360), "coffee.png", "moving", noise=3.0)
    return [scene.frame(i).image for i in range(10)]


@pytest.fixture
def clip(tmp_path):
    """Two seconds of a real person swaying in front of a brick wall, 640x360 MJPG at 30 fps,
    as a webcam sends it (test modules that need another clip define their own)."""
    from app.lab.synthetic import Actor, Scene

    scene = Scene((640, 360), "brick.png", noise=2.0, actors=(Actor("hopper", 0.8, 0.5, "sway"),))
    return write_video(tmp_path / "clip.avi", [scene.frame(i).image for i in range(60)], 30.0,
                       "MJPG")  # fmt: skip


def write_video(path, frames, fps=24.0, fourcc="mp4v"):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cv2 cannot write {path}"
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.fixture
def settings(tmp_path):
    """The window's settings in this test's folder, photos saved there too."""
    from app.ui.settings import Settings

    s = Settings(tmp_path / "settings.ini")
    s.set("photo_folder", str(tmp_path / "photos"))
    return s


@pytest.fixture
def scene_clip(tmp_path):
    """A 1 s 640x360 clip of a person swaying before a photo (MJPG)."""
    from app.lab.synthetic import Scene

    scene = Scene((640, 360), "coffee.png", "sway", noise=2.0)
    return write_video(tmp_path / "scene.avi", [scene.frame(i).image for i in range(30)],
                       fps=30.0, fourcc="MJPG")  # fmt: skip
