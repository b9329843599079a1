"""The window's live outputs: the virtual camera and the recorder, switched on and off.

Both take the call picture (16:9, 720p, not mirrored, auto-framed when that is on) from the
pipeline through their own feeds, so neither can slow the preview. Failures come back as a
message (the window says it and carries on)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from app.errors import FocusCamError
from app.outputs.live import CAMERA, RECORDER, open_recorder, open_virtual_camera, recording_path
from app.pipeline import Pipeline

logger = logging.getLogger(__name__)



class CallOutputs(QObject):
    failed = pyqtSignal(str)  # from an output's thread: queued to the window
    changed = pyqtSignal()

    def __init__(
        self, pipeline: Pipeline, folder: Callable[[], Path], say: Callable[[str, int], None]
    ) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.folder = folder
        self.say = say
        self.last_recording: Path | None = None
        self.recording_since = time.monotonic()  # set again when a recording starts
        self.failed.connect(self._failed)

    @property
    def camera_on(self) -> bool:
        return self.pipeline.feed(CAMERA) is not None

    @property
    def recording(self) -> bool:
        return self.pipeline.feed(RECORDER) is not None

    def start_camera(
        self, device: str | None = None, backend: str | None = None, strict: bool = False
    ) -> bool:
        """Feed the virtual camera; False (and a message) when there is none, or with
        ``strict`` (the command line) the error itself."""
        try:
            feed = open_virtual_camera(device, 30.0, self.failed.emit, backend)
            self.pipeline.add_feed(CAMERA, feed)
        except FocusCamError as exc:
            if strict:
                raise
            self.say(f"Virtual camera: {exc}", 0)  # something to do: stays until dismissed
            return False
        self.say(f"Call apps can now pick the camera {feed.output.device_name}.", 4000)
        self.changed.emit()
        return True

    def stop_camera(self) -> None:
        feed = self.pipeline.remove_feed(CAMERA)
        if feed is not None:
            try:
                feed.close()
            except FocusCamError as exc:
                logger.info("virtual camera: %s", exc)
        self.changed.emit()

    def toggle_camera(self) -> None:
        self.stop_camera() if self.camera_on else self.start_camera()

    def start_recording(self, path: Path | None = None, overwrite: bool = False) -> bool:
        try:
            target = path or recording_path(self.folder())
            self.pipeline.add_feed(
                RECORDER, open_recorder(target, 30.0, overwrite, self.failed.emit)
            )
        except FocusCamError as exc:
            self.say(f"Not recording: {exc}", 6000)
            return False
        self.recording_since = time.monotonic()
        self.say(f"Recording to {target.name}", 2500)
        self.changed.emit()
        return True

    def recording_seconds(self) -> float | None:
        """How long the recording has run, or None when not recording."""
        return time.monotonic() - self.recording_since if self.recording else None

    def stop_recording(self) -> Path | None:
        feed = self.pipeline.remove_feed(RECORDER)
        self.changed.emit()
        if feed is None:
            return None
        try:
            paths = feed.close()
        except FocusCamError as exc:
            self.say(f"Recording not saved: {exc}", 8000)
            return None
        self.last_recording = paths[0] if paths else None
        if self.last_recording is not None:
            self.say(f"Saved {self.last_recording.name} ({feed.sent} frames"
                     + (f", {feed.dropped} dropped)" if feed.dropped else ")"), 5000)  # fmt: skip
        return self.last_recording

    def toggle_recording(self) -> None:
        self.stop_recording() if self.recording else self.start_recording()

    def hud_line(self) -> str:
        parts = []
        cam = self.pipeline.feed(CAMERA)
        if cam is not None:
            parts.append(f"virtual camera: {getattr(cam.output, 'sent', cam.sent)} sent")
        rec = self.pipeline.feed(RECORDER)
        if rec is not None:
            parts.append(f"recording: {rec.sent} frames, {rec.dropped} dropped")
        return " · ".join(parts)

    def stop_all(self) -> None:
        self.stop_recording()
        self.stop_camera()

    def _failed(self, message: str) -> None:
        # The feed has already stopped itself (and removed a partial recording).
        for name in (CAMERA, RECORDER):
            feed = self.pipeline.feed(name)
            if feed is not None and feed.failed:
                self.pipeline.remove_feed(name)
        self.say(message, 0)  # stays until dismissed: a recording stopped, a camera went away
        self.changed.emit()
