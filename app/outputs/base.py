"""The one shape every output has (picamera2's habit): open, write frames, commit or abort."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np


class Output(ABC):
    """Where frames leave the app.

    ``open(size, fps)`` once, ``write(image, t_ns, matte)`` per frame (BGR uint8 at ``size``;
    the matte, float32 0..1 at the same size, when the output wants it), then ``commit()``,
    which makes everything visible at once and returns the paths written, or ``abort()``,
    which removes what this output created and nothing else. Nothing is reported written
    unless it was: a failed write or finalisation raises FocusCamError.
    """

    wants_matte = False

    @abstractmethod
    def open(self, size: tuple[int, int], fps: float) -> None: ...

    @abstractmethod
    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None: ...

    @abstractmethod
    def commit(self) -> list[Path]: ...

    @abstractmethod
    def abort(self) -> None: ...

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is not None:
            self.abort()
