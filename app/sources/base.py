"""The one interface every frame source implements, and how a ``--source`` text names one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import cv2
import numpy as np

from app.errors import FocusCamError

FRONT, BACK = "front", "back"

# FFmpeg's open parameters for a source read at its own pace (a camera, a stream, a file played
# live): one decoding thread. A frame is due only every 33 ms and one thread decodes even 1080p
# MJPEG well within that, while FFmpeg's default (a thread per core) costs more CPU for the
# same frames (README, Speed). `process` reads files unpaced and keeps the default: there
# decoding is wall time.
ONE_DECODE_THREAD = [cv2.CAP_PROP_N_THREADS, 1]


def usable_fps(reported: float, default: float = 30.0) -> float:
    """A frame rate a container or driver reports, or ``default`` when it is missing or absurd
    (0, NaN, 1000)."""
    return reported if 1.0 <= reported <= 240.0 else default


class SourceError(FocusCamError):
    """A source cannot be opened or has stopped delivering frames (unplugged, busy, bad file)."""


@dataclass(frozen=True)
class SourceInfo:
    """What the UI shows about a source and how to open it again."""

    name: str  # for people: "Integrated Camera", "demo scene", "clip.mp4"
    spec: str  # for ``--source`` and settings: "camera:0", "/dev/video2", "demo", a path or URL
    facing: str = FRONT  # front cameras preview mirrored
    sizes: tuple[tuple[int, int], ...] = ()  # the capture sizes it offers, when known


class FrameSource(ABC):
    """Opens, reads, closes. ``read`` blocks until the next frame is due and returns BGR uint8.

    ``read`` raises SourceError when the source fails (a camera unplugged mid-stream); the
    capture thread then closes it and tries ``open`` again with back-off. Sources are used from
    one thread at a time.
    """

    info: SourceInfo

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def read(self) -> np.ndarray: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    def fps(self) -> float:
        """The rate the source delivers at (0 when it does not say)."""
        return 0.0

    @property
    def live(self) -> bool:
        """True for a real camera (worth retrying when it fails), False for files and the demo."""
        return False

    def fresh(self) -> FrameSource:
        """An unopened source for the same thing, to reopen while this one may still be held
        by a driver that never returned (a hung camera). Sources that cannot hang may return
        themselves."""
        return self

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
