"""Real cameras through cv2.VideoCapture: by index, device path, or URL (a phone as IP webcam)."""

from __future__ import annotations

import logging
import re
import sys

import cv2
import numpy as np

from app.sources.base import (
    FRONT,
    ONE_DECODE_THREAD,
    FrameSource,
    SourceError,
    SourceInfo,
    usable_fps,
)
from app.sources.registry import (
    DEFAULT_CAMERA_FPS,
    DEFAULT_CAMERA_SIZE,
    Backend,
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


STREAM_TIMEOUTS = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 3000]


def why_stream_fails(url: str, timeout: float = 3.0) -> str:
    """In words, why a stream URL gives no video: refused, unreachable, an HTTP error, or
    answering with something that is not video. Looks only at the address the user gave."""
    import socket
    import urllib.error
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or {"http": 80, "https": 443, "rtsp": 554}.get(parts.scheme, 0)
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except ConnectionRefusedError:
        return f"connection refused at {where} (is the camera app running?)"
    except socket.gaierror:
        return f"no such host {host}"
    except TimeoutError:
        return f"no answer from {where}"
    except OSError as exc:
        return f"cannot reach {where} ({exc.strerror or exc})"
    if parts.scheme in ("http", "https"):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                kind = resp.headers.get("Content-Type", "?")
                return f"{where} answers with {kind}, not a video stream"
        except urllib.error.HTTPError as exc:
            return f"{where} answered {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError) as exc:
            return f"{where} does not answer as a video stream ({exc})"
    return f"{where} accepts connections but sends no video"


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

    def fresh(self) -> CameraSource:
        return CameraSource(self.target, self.info, self.want_size, self.want_fps)

    def open(self) -> None:
        cap = None
        for api in capture_apis(self.target):
            try:
                # Streams get FFmpeg's own time limits, so that a reader left behind by the
                # capture thread's watchdog ends soon (FFmpeg waits 30 s or more by default).
                params = STREAM_TIMEOUTS + ONE_DECODE_THREAD if is_stream(self.target) else []
                cap = cv2.VideoCapture(self.target, api, params)
            except cv2.error:
                cap = None
            if cap is not None and cap.isOpened():
                break
            if cap is not None:
                cap.release()
        if cap is None or not cap.isOpened():
            if is_stream(self.target):
                raise SourceError(f"cannot open {self.info.name}: {why_stream_fails(self.target)}")
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


# What this module offers the registry (registry.py lists the modules).
BACKENDS = (
    Backend("camera", lambda spec: bool(re.fullmatch(r"camera:\d+|/dev/video\d+", spec)),
            _camera),
    Backend("stream", is_stream, _stream),
)  # fmt: skip
