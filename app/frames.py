"""Values that travel between the pipeline's stages."""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from app.errors import UsageError


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` (e.g. ``1280x720``) as (w, h), each side 16..8192; a UsageError otherwise."""
    try:
        w, h = (int(v) for v in text.strip().lower().split("x"))
    except ValueError:
        raise UsageError(f"bad size {text.strip()!r}; expected WxH, e.g. 1280x720") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise UsageError(f"size {w}x{h} is out of range (16..8192 per side)")
    return w, h


def now_ns() -> int:
    """The one clock every stage stamps with (monotonic nanoseconds)."""
    return time.monotonic_ns()


@dataclass(slots=True)
class Frame:
    """One camera image (BGR uint8) with its sequence number and capture stamp."""

    image: np.ndarray
    seq: int
    t_capture_ns: int
    source: str = ""

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return w, h


@dataclass(slots=True)
class Matte:
    """Where the person is, for one frame.

    ``alpha`` is the refined person matte (float32, 0..1) at the guide resolution, about twice
    the model's: its edges have already been snapped to the frame's own edges by the guided
    filter, and averaging down to this size keeps sensor noise out of it. Every compositor (CPU
    or GL) takes it to the output size with plain bilinear interpolation. ``guide`` is the frame
    at that same resolution, from which the background blur starts.
    """

    alpha: np.ndarray
    guide: np.ndarray
    model: str = ""

    def full(self, size: tuple[int, int]) -> np.ndarray:
        """The matte at ``size`` (w, h), float32 in 0..1."""
        if (self.alpha.shape[1], self.alpha.shape[0]) == tuple(size):
            return self.alpha
        return cv2.resize(self.alpha, tuple(size), interpolation=cv2.INTER_LINEAR)
