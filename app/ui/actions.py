"""What a person does in the main window: switch cameras and effects, take photos, choose
folders and pictures. A controller the window owns (``window.controller``); it reaches the window
only through the surface ``HOST`` names (typed in ``ActionHost``), and tests/test_window.py
checks both directions: nothing used that is not declared, all of it provided."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2
from PyQt6.QtCore import QUrl
from PyQt6.QtGui import QDesktopServices, QIcon, QPixmap

from app.compositing.spec import LOW_LIGHT_MODES
from app.errors import FocusCamError
from app.outputs.photo import default_folder
from app.sources.registry import COMMON_SIZES
from app.steps.photo import PhotoOptions
from app.ui.controls import EFFECTS, LOOK_ON, LOW_LIGHT_TEXT
from app.ui.dialogs import pick_background, pick_folder
from app.ui.message import command_in
from app.ui.viewer import PhotoViewer, shots_in
from app.ui.viewfinder import to_qimage

if TYPE_CHECKING:
    from PyQt6.QtCore import pyqtBoundSignal
    from PyQt6.QtWidgets import QToolButton

    from app.compositing.spec import EffectSpec
    from app.pipeline import Pipeline
    from app.sources.base import FrameSource, SourceInfo
    from app.steps.photo import PhotoJobs
    from app.ui.call_outputs import CallOutputs
    from app.ui.controls import ControlBar
    from app.ui.settings import Settings
    from app.ui.shutter import Countdown
    from app.ui.viewfinder import Viewfinder


class ActionHost(Protocol):
    """What the actions may use of the window: its state, its own steps, and Qt's."""

    settings: Settings
    pipeline: Pipeline
    call_outputs: CallOutputs
    photo_jobs: PhotoJobs
    viewfinder: Viewfinder
    controls: ControlBar
    countdown: Countdown
    shortcuts: list[tuple]
    cameras: list[SourceInfo]
    index: int
    list_cameras: Callable[[], list[SourceInfo]] | None
    make_source: Callable[[SourceInfo], FrameSource]
    photos: list[Path]
    last_error: str
    _closed: bool
    camera: SourceInfo
    photo_done: pyqtBoundSignal
    thumb: QToolButton

    def show_message(self, text: str, ms: int = 4000) -> None: ...
    def dismiss_message(self) -> None: ...
    def choose_focus(self, what) -> None: ...
    def _set(self, key: str, value: object) -> None: ...
    def _spec(self) -> EffectSpec: ...
    def _sync_controls(self) -> None: ...
    def _push_request(self) -> None: ...
    def isFullScreen(self) -> bool: ...  # noqa: N802 (Qt's names)
    def showFullScreen(self) -> None: ...  # noqa: N802
    def showNormal(self) -> None: ...  # noqa: N802


class WindowActions:
    """The window's actions, on the window ``win`` (an ActionHost)."""

    # What the actions use of the window, read from ActionHost: its state, its own steps, and
    # Qt's. Nothing else: an action that needs more adds it there, and tests/test_window.py
    # checks both directions.
    HOST = (
        *ActionHost.__annotations__,
        *(name for name, value in vars(ActionHost).items()
          if inspect.isfunction(value) and not name.startswith("__")),
    )  # fmt: skip

    def __init__(self, win: ActionHost) -> None:
        self.win = win
        self.viewer: PhotoViewer | None = None  # the open photo viewer, if any

    def press_shutter(self) -> None:
        """The shutter does what the mode says: a photo (after the countdown), start or stop a
        recording, or go live on the virtual camera (or stop)."""
        mode = self.win.settings.get("mode")
        if mode == "video":
            self.win.call_outputs.toggle_recording()
        elif mode == "call":
            self.win.call_outputs.toggle_camera()
        else:
            self.win.countdown.start(int(self.win.settings.get("countdown")))

    def set_mode(self, mode: str) -> None:
        self.win._set("mode", mode)

    def toggle_call_mode(self) -> None:
        self.set_mode("photo" if self.win.settings.get("mode") == "call" else "call")

    def toggle_auto_frame(self) -> None:
        self.win._set("auto_frame", not self.win.settings.get("auto_frame"))

    def toggle_look(self, key: str) -> None:
        """S, U: studio light or touch-up off, or on at ``LOOK_ON`` (its slider sets more)."""
        self.win._set(key, 0.0 if self.win.settings.get(key) > 0 else LOOK_ON)

    def next_low_light(self) -> None:
        """N: low light auto, on, off."""
        current = self.win.settings.get("low_light")
        modes = list(LOW_LIGHT_MODES)
        nxt = modes[(modes.index(current) + 1) % len(modes)] if current in modes else modes[0]
        self.win._set("low_light", nxt)
        self.win.show_message(f"Low light: {LOW_LIGHT_TEXT[nxt]}", 2500)

    def toggle_shortcuts(self) -> None:
        """The ``?`` sheet: every shortcut, over the picture (press ? again to hide it)."""
        vf = self.win.viewfinder
        vf.sheet_rows = [] if vf.sheet_rows else [(k, w) for k, w, _ in self.win.shortcuts]
        vf.update()

    # -- actions -------------------------------------------------------------------------------
    def refresh_cameras(self) -> bool:
        """Cameras come and go: look again, keeping what we have (files, demo) in the cycle.
        True when one was added (the controls then offer switching)."""
        if self.win.list_cameras is None:
            return False
        fresh = self.win.list_cameras()
        specs = {c.spec for c in self.win.cameras}
        added = [c for c in fresh if c.spec not in specs]
        self.win.cameras += added
        if added:
            self.fill_camera_menu()
            self.win._sync_controls()
        return bool(added)

    def next_camera(self) -> None:
        self.refresh_cameras()
        if len(self.win.cameras) < 2:
            self.win.show_message("There is no other camera.", 2500)
            return
        self.choose_camera((self.win.index + 1) % len(self.win.cameras))

    def choose_camera(self, nxt: int) -> None:
        """Switch to camera ``nxt`` of the list (by name in the camera menu, or C)."""
        try:
            source = self.win.make_source(self.win.cameras[nxt])
        except FocusCamError as exc:  # a file that has gone away since the list was made
            self.win.cameras.pop(nxt)
            self.win.index = self.win.index if nxt > self.win.index else self.win.index - 1
            self.win.show_message(f"{exc}", 4000)
            return
        self.win.index = nxt
        self.win.settings.set("camera", self.win.camera.spec)
        self.fill_camera_menu()
        self.win._sync_controls()
        self.win.viewfinder.soften()
        self.win.viewfinder.message = f"Opening {self.win.camera.name}…"
        self.win._push_request()
        self.win.pipeline.switch_to(source)

    def choose_size(self, size: str) -> None:
        """Ask the camera for ``size`` ("WxH", or "" for its default) and reopen it."""
        self.win.settings.set("capture_size", size)
        self.choose_camera(self.win.index)

    def fill_camera_menu(self) -> None:
        cam = self.win.camera
        self.win.controls.set_cameras(
            [c.name for c in self.win.cameras], self.win.index,
            [f"{w}x{h}" for w, h in (cam.sizes or COMMON_SIZES)],
            self.win.settings.get("capture_size"), cam.spec.startswith(("camera:", "/dev/")),
        )  # fmt: skip

    def next_effect(self) -> None:
        keys = [k for k, _ in EFFECTS]
        current = self.win.settings.get("effect")
        nxt = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        self.win._set("effect", nxt)

    def toggle_full_screen(self) -> None:
        self.win.showNormal() if self.win.isFullScreen() else self.win.showFullScreen()

    def leave_full_screen(self) -> None:
        """Esc: out of full screen; else the ? sheet or a message away; else everyone in
        focus again."""
        if self.win.isFullScreen():
            self.win.showNormal()
        elif self.win.viewfinder.sheet_rows or not self.win.pipeline.focus_subject:
            self.win.dismiss_message()
        else:
            self.win.choose_focus(None)
            self.win.dismiss_message()

    def next_in_focus(self) -> None:
        """Tab: the focus moves to the next person (left to right, then everyone)."""
        self.win.choose_focus("next")

    def choose_background(self) -> None:
        path = pick_background(self.win)
        if path:
            self.win.settings.set("background", path)
            self.win._set("effect", "replace")

    def choose_folder(self) -> None:
        path = pick_folder(self.win, self.photo_folder)
        if path:
            self.win._set("photo_folder", path)

    @property
    def photo_folder(self) -> Path:
        return Path(self.win.settings.get("photo_folder") or default_folder())

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.photo_folder)))

    def open_viewer(self, path: Path | None = None) -> PhotoViewer:
        """The last shots in the app's own viewer (the newest, or ``path``)."""
        viewer = self.viewer
        if viewer is None or viewer.folder != self.photo_folder:
            viewer = self.viewer = PhotoViewer(self.photo_folder, self.win)
            viewer.deleted.connect(self._photo_deleted)
        viewer.show_photo(path or (self.win.photos[-1] if self.win.photos else None))
        return viewer

    def _photo_deleted(self, path: Path) -> None:
        if path in self.win.photos:
            self.win.photos.remove(path)
        if not self.win.photos:
            self.win.thumb.hide()

    def take_photo(self):
        """Shutter: returns the photo's Future (None when there is no picture yet)."""
        shown = self.win.viewfinder.result
        live = None
        if shown is not None and shown.frame.source == self.win.pipeline.current_tag:
            # The frame on screen, with the live matte the preview showed for it.
            frame, live = shown.frame, shown.matte
        else:
            frame = self.win.pipeline.latest_frame()
        if frame is None:
            self.win.show_message("No picture to take yet.", 2000)
            return None
        s = self.win.settings
        options = PhotoOptions(
            folder=self.photo_folder,
            spec=self.win._spec(),
            mirror=s.get("mirror_photos"),
            save_original=s.get("save_original"),
            save_matte=s.get("save_matte"),
            camera=self.win.camera.name,
        )
        self.win.viewfinder.flash()
        future = self.win.photo_jobs.take(frame, options, live=live)
        future.add_done_callback(self.win.photo_done.emit)
        return future

    def photo_finished(self, future) -> None:
        if self.win._closed or future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self.win.last_error = str(exc)
            self.win.show_message(f"Photo not saved: {exc}", 6000)
            return
        result = future.result()
        self.win.photos.append(result.path)
        self.win.thumb.setIcon(QIcon(QPixmap.fromImage(to_qimage(result.thumbnail))))
        self.win.thumb.setToolTip(f"Saved {result.path.name}; look at the last shots (L)")
        self.win.thumb.show()
        # An overlay, like every message: the viewfinder never moves or shrinks for it.
        self.win.show_message(f"Saved {result.path.name}", 3000)

    def show_newest_photo(self) -> None:
        """At start: the thumbnail shows the newest photo already in the folder (if any)."""
        shots = shots_in(self.photo_folder)
        if not shots:
            return
        newest = shots[-1]
        small = cv2.imread(str(newest), cv2.IMREAD_REDUCED_COLOR_8)  # a thumbnail's worth
        if small is None:
            return
        self.win.photos.append(newest)
        self.win.thumb.setIcon(QIcon(QPixmap.fromImage(to_qimage(small))))
        self.win.thumb.setToolTip(f"Newest: {newest.name}; look at the last shots (L)")
        self.win.thumb.show()

    def copy_command(self) -> None:
        """Ctrl+C: the command the message on screen gives, to the clipboard."""
        from PyQt6.QtGui import QGuiApplication

        command = command_in(self.win.viewfinder.message)
        if command:
            QGuiApplication.clipboard().setText(command)
            self.win.viewfinder.band.copy.setText("Copied ✓")  # the message stays to read

