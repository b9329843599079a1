"""Sources that are not cameras: a video or image file, and the built-in demo scene."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np

from app.common.images import IMAGE_EXTS, check_pixels, read_image, regular_file
from app.errors import FocusCamError
from app.sources.base import (
    BACK,
    ONE_DECODE_THREAD,
    FrameSource,
    SourceError,
    SourceInfo,
    usable_fps,
)
from app.sources.registry import Backend

logger = logging.getLogger(__name__)


class Pacer:
    """Sleeps until each frame is due at ``fps``; after a stall it restarts the schedule instead
    of bursting to catch up (a camera would have dropped those frames too)."""

    def __init__(self, fps: float) -> None:
        self.period = 1.0 / fps if fps > 0 else 0.0
        self._next: float | None = None

    def wait(self) -> None:
        if self.period <= 0:
            return
        now = time.monotonic()
        if self._next is None or now - self._next > self.period:
            self._next = now
        elif self._next > now:
            time.sleep(self._next - now)
        self._next += self.period

    def reset(self) -> None:
        self._next = None


class FileSource(FrameSource):
    """A video or a still image.

    Live (the default): paced at the video's own fps and looping, as a camera would deliver
    it; an image repeats at ``image_fps``. ``paced=False, loop=False`` is the mode `process`
    uses: every frame, in order, as fast as the reader goes, then SourceError("... ended").
    """

    def __init__(
        self,
        path: Path | str,
        facing: str = BACK,
        loop: bool = True,
        image_fps: float = 30.0,
        paced: bool = True,
    ) -> None:
        self.path = Path(path)
        self.info = SourceInfo(self.path.name, str(self.path), facing)
        self.loop = loop
        self.paced = paced
        self._image_fps = image_fps
        self._image_served = False
        self.frame_count = 0  # what the container says (0 when it does not), after open
        self._cap: cv2.VideoCapture | None = None
        self._image: np.ndarray | None = None
        self._first: np.ndarray | None = None
        self._fps = 0.0
        self._pacer = Pacer(0)
        self.loops = 0

    @property
    def fps(self) -> float:
        return self._fps

    def _open_video(self) -> cv2.VideoCapture:
        try:
            params = ONE_DECODE_THREAD if self.paced else []
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        except cv2.error:
            cap = None
        if cap is None or not cap.isOpened():
            raise SourceError(f"{self.path}: not a readable video (corrupt or unsupported format)")
        return cap

    def open(self) -> None:
        try:
            regular_file(self.path)
            if self.path.suffix.lower() in IMAGE_EXTS:
                self._image = read_image(self.path)
        except FocusCamError as exc:
            raise SourceError(str(exc)) from None
        if self._image is not None:
            self._image.flags.writeable = False
            self._fps = self._image_fps
            self.frame_count = 1
        else:
            cap = self._open_video()
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            try:
                check_pixels(self.path, w, h)  # before the first frame is decoded
            except FocusCamError as exc:
                cap.release()
                raise SourceError(str(exc)) from None
            try:
                ok, first = cap.read()
            except cv2.error:
                ok, first = False, None
            if not ok:
                cap.release()
                raise SourceError(f"{self.path} has no frames")
            self._fps = usable_fps(cap.get(cv2.CAP_PROP_FPS))
            self.frame_count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
            self._first = first  # read to prove the file has frames; it is also frame 0
            self._cap = cap
        self._image_served = False
        self._pacer = Pacer(self._fps if self.paced else 0.0)

    def read(self) -> np.ndarray:
        self._pacer.wait()
        if self._image is not None:
            if not self.loop and self._image_served:
                raise SourceError(f"{self.path} ended")
            self._image_served = True
            return self._image
        if self._cap is None:
            raise SourceError(f"{self.path} is not open")
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        ok, frame = self._cap.read()
        if not ok and self.loop:
            # Reopening is the one rewind every backend honours.
            self._cap.release()
            self._cap = self._open_video()
            self.loops += 1
            ok, frame = self._cap.read()
        if not ok:
            raise SourceError(f"{self.path} ended")
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._image = self._first = None


def _file(spec: str, size, info) -> FileSource:
    return FileSource(Path(spec).expanduser())


# What this module offers the registry (registry.py lists the modules).
BACKENDS = (Backend("file", lambda spec: Path(spec).expanduser().is_file(), _file),)
