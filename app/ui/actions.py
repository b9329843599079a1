"""What a person does in the main window: switch cameras and effects, take photos, choose
folders and pictures. A mixin of MainWindow (app/ui/window.py), which owns the state; what it
uses of the window is declared in ``WindowActions`` (``HOST``), and tests/test_window.py checks
that the window provides all of it."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QUrl
from PyQt6.QtGui import QDesktopServices, QIcon, QPixmap

from app.errors import FocusCamError
from app.outputs.photo import default_folder
from app.sources.registry import COMMON_SIZES
from app.steps.photo import PhotoOptions
from app.ui.controls import EFFECTS
from app.ui.dialogs import pick_background, pick_folder
from app.ui.shortcuts import sheet
from app.ui.viewer import PhotoViewer
from app.ui.viewfinder import to_qimage


class WindowActions:
    """The window's actions. What they read and call on their host, the window, and nothing
    else (a test fails when one is missing, or when an action uses something not listed)."""

    # What the actions use of the window: its state (settings, pipeline, outputs, photo jobs,
    # viewfinder, controls, cameras...), its own steps, and Qt's. Nothing else: an action that
    # needs more adds it here, and tests/test_window.py checks both directions.
    HOST = (
        "settings", "pipeline", "call_outputs", "photo_jobs", "viewfinder", "controls",
        "countdown", "shortcuts", "cameras", "index", "list_cameras", "make_source", "photos",
        "last_error", "_closed", "camera", "photo_done", "thumb",
        "show_message", "dismiss_message", "_clear_message", "_set", "_spec", "_sync_controls",
        "_push_request",
        "isFullScreen", "showFullScreen", "showNormal",
    )  # fmt: skip
    OWN = ("viewer",)  # what the actions keep on the window themselves (the open photo viewer)

    def press_shutter(self) -> None:
        """The shutter does what the mode says: a photo (after the countdown), start or stop a
        recording, or go live on the virtual camera (or stop)."""
        mode = self.settings.get("mode")
        if mode == "video":
            self.call_outputs.toggle_recording()
        elif mode == "call":
            self.call_outputs.toggle_camera()
        else:
            self.countdown.start(int(self.settings.get("countdown")))

    def set_mode(self, mode: str) -> None:
        self._set("mode", mode)

    def toggle_call_mode(self) -> None:
        self.set_mode("photo" if self.settings.get("mode") == "call" else "call")

    def toggle_auto_frame(self) -> None:
        self._set("auto_frame", not self.settings.get("auto_frame"))

    def toggle_shortcuts(self) -> None:
        """The ``?`` sheet: every shortcut, over the picture (press ? again to hide it)."""
        text = sheet(self.shortcuts)
        if self.viewfinder.message == text:
            self._clear_message()
        else:
            self.show_message(text, 15000)

    # -- actions -------------------------------------------------------------------------------
    def next_camera(self) -> None:
        if self.list_cameras is not None:
            # Cameras come and go: look again, keeping what we have (files, demo) in the cycle.
            fresh = self.list_cameras()
            specs = {c.spec for c in self.cameras}
            self.cameras += [c for c in fresh if c.spec not in specs]
        if len(self.cameras) < 2:
            self.show_message("There is no other camera.", 2500)
            return
        self.choose_camera((self.index + 1) % len(self.cameras))

    def choose_camera(self, nxt: int) -> None:
        """Switch to camera ``nxt`` of the list (by name in the camera menu, or C)."""
        try:
            source = self.make_source(self.cameras[nxt])
        except FocusCamError as exc:  # a file that has gone away since the list was made
            self.cameras.pop(nxt)
            self.index = self.index if nxt > self.index else self.index - 1
            self.show_message(f"{exc}", 4000)
            return
        self.index = nxt
        self.settings.set("camera", self.camera.spec)
        self._fill_camera_menu()
        self._sync_controls()
        self.viewfinder.soften()
        self.viewfinder.message = f"Opening {self.camera.name}…"
        self._push_request()
        self.pipeline.switch_to(source)

    def choose_size(self, size: str) -> None:
        """Ask the camera for ``size`` ("WxH", or "" for its default) and reopen it."""
        self.settings.set("capture_size", size)
        self.choose_camera(self.index)

    def _fill_camera_menu(self) -> None:
        cam = self.camera
        self.controls.set_cameras(
            [c.name for c in self.cameras], self.index,
            [f"{w}x{h}" for w, h in (cam.sizes or COMMON_SIZES)],
            self.settings.get("capture_size"), cam.spec.startswith(("camera:", "/dev/")),
        )  # fmt: skip

    def next_effect(self) -> None:
        keys = [k for k, _ in EFFECTS]
        current = self.settings.get("effect")
        nxt = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        self._set("effect", nxt)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def leave_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.dismiss_message()

    def choose_background(self) -> None:
        path = pick_background(self)
        if path:
            self.settings.set("background", path)
            self._set("effect", "replace")

    def choose_folder(self) -> None:
        path = pick_folder(self, self.photo_folder)
        if path:
            self._set("photo_folder", path)

    @property
    def photo_folder(self) -> Path:
        return Path(self.settings.get("photo_folder") or default_folder())

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.photo_folder)))

    def open_viewer(self, path: Path | None = None) -> PhotoViewer:
        """The last shots in the app's own viewer (the newest, or ``path``)."""
        viewer = getattr(self, "viewer", None)
        if viewer is None or viewer.folder != self.photo_folder:
            viewer = self.viewer = PhotoViewer(self.photo_folder, self)
            viewer.deleted.connect(self._photo_deleted)
        viewer.show_photo(path or (self.photos[-1] if self.photos else None))
        return viewer

    def _photo_deleted(self, path: Path) -> None:
        if path in self.photos:
            self.photos.remove(path)
        if not self.photos:
            self.thumb.hide()

    def take_photo(self):
        """Shutter: returns the photo's Future (None when there is no picture yet)."""
        shown = self.viewfinder.result
        live = None
        if shown is not None and shown.frame.source == self.pipeline.current_tag:
            # The frame on screen, with the live matte the preview showed for it.
            frame, live = shown.frame, shown.matte
        else:
            frame = self.pipeline.latest_frame()
        if frame is None:
            self.show_message("No picture to take yet.", 2000)
            return None
        s = self.settings
        options = PhotoOptions(
            folder=self.photo_folder,
            spec=self._spec(),
            mirror=s.get("mirror_photos"),
            save_original=s.get("save_original"),
            save_matte=s.get("save_matte"),
            camera=self.camera.name,
        )
        self.viewfinder.flash()
        future = self.photo_jobs.take(frame, options, live=live)
        future.add_done_callback(self.photo_done.emit)
        return future

    def _photo_done(self, future) -> None:
        if self._closed or future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self.last_error = str(exc)
            self.show_message(f"Photo not saved: {exc}", 6000)
            return
        result = future.result()
        self.photos.append(result.path)
        self.thumb.setIcon(QIcon(QPixmap.fromImage(to_qimage(result.thumbnail))))
        self.thumb.setToolTip(f"Saved {result.path.name}; look at the last shots (L)")
        self.thumb.show()
        # An overlay, like every message: the viewfinder never moves or shrinks for it.
        self.show_message(f"Saved {result.path.name}", 3000)

