"""The virtual camera: the call picture as a camera any call app can pick (pyvirtualcam:
v4l2loopback on Linux, OBS Virtual Camera on Windows and macOS, Unity Capture on Windows)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from app.errors import FocusCamError
from app.outputs.base import Output

MAX_FPS = 30.0
LINUX_FIX = (
    'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="FocusCam"'
)


def missing_device_help() -> str:
    """The one line that says how to get a virtual camera on this system."""
    if sys.platform.startswith("linux"):
        return (
            "no virtual camera device; install the package v4l2loopback-dkms (Debian, Ubuntu; "
            f"v4l2loopback elsewhere), then create one with: {LINUX_FIX}"
        )
    return "no virtual camera; install OBS Studio and start its Virtual Camera once"


class VirtualCameraOutput(Output):
    """Sends frames to a virtual camera, at most MAX_FPS of them a second, timed from their
    capture stamps (a frame that comes early is held back, not sent in a burst)."""

    def __init__(self, device: str | None = None, backend: str | None = None) -> None:
        self.device = device
        self.backend = backend
        self._cam = None
        self._last_ns: int | None = None
        self._period_ns = int(1e9 / MAX_FPS)
        self.sent = 0
        self.skipped = 0

    def open(self, size: tuple[int, int], fps: float) -> None:
        import pyvirtualcam

        fps = min(fps, MAX_FPS) if fps > 0 else MAX_FPS
        self._period_ns = int(1e9 / fps * 0.9)  # a little slack for capture jitter
        try:
            self._cam = pyvirtualcam.Camera(
                size[0], size[1], fps, fmt=pyvirtualcam.PixelFormat.BGR, device=self.device,
                backend=self.backend,
            )  # fmt: skip
        except Exception as exc:
            text = str(exc)
            if "loopback" in text or "not installed" in text.lower() or "obs" in text.lower():
                raise FocusCamError(missing_device_help()) from None
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            raise FocusCamError(f"cannot start the virtual camera: {first}") from None

    @property
    def device_name(self) -> str:
        return self._cam.device if self._cam is not None else (self.device or "")

    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None:
        assert self._cam is not None, "open() first"
        if self._last_ns is not None and t_ns - self._last_ns < self._period_ns:
            self.skipped += 1  # faster than the camera's rate: the next one will do
            return
        self._last_ns = t_ns
        self._cam.send(np.ascontiguousarray(image))
        self.sent += 1

    def commit(self) -> list[Path]:
        self.abort()
        return []

    def abort(self) -> None:
        if self._cam is not None:
            self._cam.close()
            self._cam = None
