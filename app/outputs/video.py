"""Video files: frames encoded under a temporary name, published on commit."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.errors import FocusCamError
from app.outputs.base import Output
from app.outputs.files import TempFile

# Output containers we can write, with the codec OpenCV's bundled FFmpeg has for each.
VIDEO_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "XVID"}


class VideoOutput(Output):
    """A video file at the source's size and rate."""

    def __init__(self, path: Path | str, overwrite: bool = False, grey: bool = False) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_CODECS:
            raise FocusCamError(f"cannot write video {self.path} (unknown container)")
        self.overwrite = overwrite
        self.grey = grey
        self._tmp: TempFile | None = None
        self._writer: cv2.VideoWriter | None = None
        self.frames = 0

    def open(self, size: tuple[int, int], fps: float) -> None:
        self._tmp = TempFile(self.path, self.overwrite)
        fourcc = cv2.VideoWriter_fourcc(*VIDEO_CODECS[self.path.suffix.lower()])
        self._writer = cv2.VideoWriter(str(self._tmp.path), fourcc, fps, tuple(size))
        if not self._writer.isOpened():
            self.abort()
            raise FocusCamError(f"cannot write video {self.path} (no encoder for it here)")

    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None:
        assert self._writer is not None, "open() first"
        if self.grey and image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        self._writer.write(image)
        self.frames += 1

    def commit(self) -> list[Path]:
        assert self._writer is not None and self._tmp is not None, "open() first"
        self._writer.release()
        self._writer = None
        tmp, self._tmp = self._tmp, None
        if self.frames == 0 or tmp.path.stat().st_size == 0:
            tmp.discard()
            raise FocusCamError(f"{self.path}: no video was written")
        tmp.sync()
        return [tmp.publish()]

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._tmp is not None:
            self._tmp.discard()
            self._tmp = None
