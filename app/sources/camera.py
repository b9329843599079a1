"""Real cameras through cv2.VideoCapture: by index, device path, or URL (a phone as IP webcam)."""

from __future__ import annotations

import logging
import re
import sys

import cv2
import numpy as np

from app.sources.base import FRONT, FrameSource, SourceError, SourceInfo, usable_fps
from app.sources.registry import (
    DEFAULT_CAMERA_FPS,
    DEFAULT_CAMERA_SIZE,
    Backend,
    register,
    url_name,
)  # fmt: skip

logger = logging.getLogger(__name__)


def is_stream(target: int | str) -> bool:
    """A network stream (a phone as IP webcam), not a local camera."""
    return isinstance(target, str) and "://" in target


def capture_apis(target: int | str) -> list[int]:
    """The capture APIs to try, in order: the platform's own for local cameras (Windows has two
    that disagree about which cameras work), FFmpeg for stream URLs."""
    if is_stream(target):
        return [cv2.CAP_FFMPEG, cv2.CAP_ANY]
    if sys.platform.startswith("linux"):
        return [cv2.CAP_V4L2]
    if sys.platform == "win32":
        return [cv2.CAP_MSMF, cv2.CAP_DSHOW]
    if sys.platform == "darwin":
        return [cv2.CAP_AVFOUNDATION]
    return [cv2.CAP_ANY]


class CameraSource(FrameSource):
    """A camera. Asks for MJPG, then the size, then the fps, and reads each back."""

    def __init__(
        self,
        target: int | str,
        info: SourceInfo | None = None,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
    ) -> None:
        self.target = target
        spec = f"camera:{target}" if isinstance(target, int) else str(target)
        self.info = info or SourceInfo(f"camera {target}", spec, FRONT)
        self.want_size = size
        self.want_fps = fps
        self._cap: cv2.VideoCapture | None = None
        self._fps = 0.0
        self.actual_size: tuple[int, int] | None = None

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def live(self) -> bool:
        return True

    def open(self) -> None:
        for api in capture_apis(self.target):
            cap = cv2.VideoCapture(self.target, api)
            if cap.isOpened():
                break
            cap.release()
        if not cap.isOpened():
            raise SourceError(
                f"cannot open {self.info.name}: not connected, or in use by another app"
            )
        if not is_stream(self.target):
            # Order matters on V4L2 and MSMF: the pixel format limits which sizes exist, and the
            # size limits which frame rates do.
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            if self.want_size:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.want_size[0])
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.want_size[1])
            if self.want_fps:
                cap.set(cv2.CAP_PROP_FPS, self.want_fps)
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise SourceError(
                f"{self.info.name} opened but sends no frames (in use by another app?)"
            )
        self.actual_size = (frame.shape[1], frame.shape[0])
        self._fps = usable_fps(cap.get(cv2.CAP_PROP_FPS))
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        fourcc_text = "".join(chr((fourcc >> 8 * i) & 0xFF) for i in range(4)).strip("\0")
        logger.info(
            "%s: %dx%d at %.1f fps, format %r (asked for %s at %s fps)",
            self.info.name, *self.actual_size, self._fps, fourcc_text, self.want_size,
            self.want_fps,
        )  # fmt: skip
        if self.want_size and self.actual_size != tuple(self.want_size):
            logger.warning(
                "%s gives %dx%d, not the %dx%d asked for", self.info.name, *self.actual_size,
                *self.want_size,
            )  # fmt: skip
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise SourceError(f"{self.info.name} is not open")
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise SourceError(f"{self.info.name} stopped sending frames (unplugged?)")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _camera(spec: str, size, info) -> CameraSource:
    m = re.fullmatch(r"camera:(\d+)", spec)
    target: int | str = int(m.group(1)) if m else spec
    return CameraSource(target, info, size or DEFAULT_CAMERA_SIZE, DEFAULT_CAMERA_FPS)


def _stream(spec: str, size, info) -> CameraSource:
    return CameraSource(spec, info or SourceInfo(url_name(spec), spec, FRONT), size)


register(Backend(
    "camera", lambda spec: bool(re.fullmatch(r"camera:\d+|/dev/video\d+", spec)), _camera
))  # fmt: skip
register(Backend("stream", is_stream, _stream))
