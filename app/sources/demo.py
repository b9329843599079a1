"""The built-in demo scene: a real portrait swaying in front of a real photo, like a person at a
webcam. Drawn from pictures the app ships (assets/demo), so it needs no camera, no lab code and
no model run of its own."""

from __future__ import annotations

import importlib.resources
import math

import cv2
import numpy as np

from app.common.images import cover_fit, read_image
from app.sources.base import BACK, FrameSource, SourceError, SourceInfo
from app.sources.files import Pacer
from app.sources.registry import Backend

PERSON_HEIGHT = 0.85  # share of the frame's height
SWAY = 0.06  # share of the frame's width, each way
SWAY_PERIOD_S = 6.0


def _asset(name: str) -> np.ndarray:
    return read_image(str(importlib.resources.files("app.assets") / "demo" / name))


class DemoSource(FrameSource):
    """The demo scene at ``size`` and ``fps``, paced like a camera."""

    def __init__(
        self, size: tuple[int, int] = (1280, 720), fps: float = 30.0, paced: bool = True
    ) -> None:
        """``paced=False``: frames as fast as they are drawn (scripts, tests), timed as at
        ``fps`` all the same."""
        self.size = size
        self._fps = fps
        # Not a camera that faces you: not mirrored (its name badge reads the right way round).
        self.info = SourceInfo("demo scene", "demo", BACK)
        self._parts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._i = 0
        self._pacer = Pacer(fps if paced else 0.0)

    @property
    def fps(self) -> float:
        return self._fps

    def open(self) -> None:
        w, h = self.size
        backdrop = cover_fit(_asset("backdrop.jpg"), (w, h))
        person = _asset("person.jpg")
        alpha = _asset("person_alpha.png")[..., 0].astype(np.float32) * (1.0 / 255.0)
        s = PERSON_HEIGHT * h / person.shape[0]
        pw, ph = max(1, round(person.shape[1] * s)), max(1, round(person.shape[0] * s))
        person = cv2.resize(person, (pw, ph), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, (pw, ph), interpolation=cv2.INTER_AREA)
        self._parts = (backdrop, person, alpha)
        self._pacer.reset()

    def read(self) -> np.ndarray:
        if self._parts is None:
            raise SourceError("the demo scene is not open")
        self._pacer.wait()
        backdrop, person, alpha = self._parts
        w, h = self.size
        ph, pw = alpha.shape
        t = self._i / self._fps
        self._i += 1
        cx = w / 2 + SWAY * w * math.sin(2 * math.pi * t / SWAY_PERIOD_S)
        m = np.float32([[1, 0, cx - pw / 2], [0, 1, h - ph]])
        sprite = cv2.warpAffine(person, m, (w, h), flags=cv2.INTER_LINEAR)
        a = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR)
        return cv2.blendLinear(sprite, backdrop, a, 1.0 - a)

    def close(self) -> None:
        self._parts = None


def _demo(spec: str, size, info) -> DemoSource:
    return DemoSource(size or (1280, 720))


# What this module offers the registry (registry.py lists the modules).
BACKENDS = (Backend("demo", lambda spec: spec == "demo", _demo),)
