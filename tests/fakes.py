"""A test backend behind the real FrameSource interface (no mock of OpenCV): a camera that can
be unplugged and plugged back in. Frames come from a real video file through FileSource."""

from __future__ import annotations

import threading

import numpy as np

from app.sources.base import FRONT, FrameSource, SourceError, SourceInfo
from app.sources.files import FileSource


class UnpluggableCamera(FrameSource):
    def __init__(self, path, name: str = "USB camera", facing: str = FRONT) -> None:
        self.info = SourceInfo(name, f"fake:{name}", facing)
        self._file = FileSource(path, facing=facing)
        self.unplugged = threading.Event()
        self.opens = 0
        self.is_open = False

    @property
    def live(self) -> bool:
        return True

    @property
    def fps(self) -> float:
        return self._file.fps

    def open(self) -> None:
        if self.unplugged.is_set():
            raise SourceError(f"cannot open {self.info.name}: not connected")
        self._file.open()
        self.opens += 1
        self.is_open = True

    def read(self) -> np.ndarray:
        if self.unplugged.is_set():
            raise SourceError(f"{self.info.name} stopped sending frames (unplugged?)")
        return self._file.read()

    def close(self) -> None:
        self._file.close()
        self.is_open = False
