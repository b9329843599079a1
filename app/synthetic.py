"""Synthetic scenes with exact ground truth: a real person cut out of a portrait, over real photos.

The cut-out is made once per process: the square selfie model seeds OpenCV's GrabCut on Grace
Hopper's portrait, and GrabCut snaps the outline to the photo's own edges. Because every scene is
composited from that alpha, the true person mask of every frame is known exactly. The demo source,
the benchmark and the refinement tests all draw from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from app import samples
from app.imaging import cover_fit


@dataclass(frozen=True)
class Cutout:
    image: np.ndarray  # BGR uint8, cropped to the person
    alpha: np.ndarray  # float32 0..1, same size


@lru_cache(maxsize=1)
def person_cutout() -> Cutout:
    from app.segmentation import models, runtimes

    img = samples.portrait()
    h, w = img.shape[:2]
    seg = runtimes.get(runtimes.DEFAULT_RUNTIME).segmenter(models.locate("square"), video=False)
    try:
        small = cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA)
        prob = cv2.resize(seg.segment(small), (w, h), interpolation=cv2.INTER_LINEAR)
    finally:
        seg.close()
    kernel = np.ones((25, 25), np.uint8)
    labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    labels[prob > 0.5] = cv2.GC_PR_FGD
    labels[cv2.erode((prob > 0.95).astype(np.uint8), kernel) > 0] = cv2.GC_FGD
    labels[cv2.dilate((prob > 0.05).astype(np.uint8), kernel) == 0] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)
    cv2.grabCut(img, labels, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
    fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    # Keep the largest region and fill its holes: one person, no islands.
    n, lab, stats, _ = cv2.connectedComponentsWithStats(fg)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    fg = (lab == largest).astype(np.uint8)
    contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    fg = cv2.drawContours(np.zeros_like(fg), contours, -1, 1, thickness=cv2.FILLED)
    # A one-pixel anti-aliased edge, as a real lens gives.
    alpha = cv2.GaussianBlur(fg.astype(np.float32), (3, 3), 0.7)
    return Cutout(img, alpha)


@dataclass(frozen=True)
class SceneFrame:
    image: np.ndarray  # BGR uint8
    truth: np.ndarray  # bool: True where the person is


class Scene:
    """A person (or nobody) over a real background; ``frame(i)`` renders frame i with its truth."""

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        background: str = "motorcycle_left.png",
        motion: str = "moving",  # "still" | "moving" | "sway" | "none" (no person)
        noise: float = 3.0,
        seed: int = 0,
        person_height: float = 0.9,
        fps: float = 30.0,
    ) -> None:
        if motion not in ("still", "moving", "sway", "none"):
            raise ValueError(f"unknown motion {motion!r}")
        self.size, self.motion, self.noise, self.fps = size, motion, noise, fps
        self.seed = seed
        self.background = cover_fit(samples.scene(background), size)
        self.person_height = person_height
        if motion != "none":
            cut = person_cutout()
            w, h = size
            s = person_height * h / cut.image.shape[0]
            pw = max(1, round(cut.image.shape[1] * s))
            ph = max(1, round(cut.image.shape[0] * s))
            self._person = cv2.resize(cut.image, (pw, ph), interpolation=cv2.INTER_AREA)
            self._alpha = cv2.resize(cut.alpha, (pw, ph), interpolation=cv2.INTER_AREA)

    def _offset(self, i: int) -> tuple[float, float]:
        w, h = self.size
        ph, pw = self._alpha.shape
        t = i / self.fps
        cx = w / 2
        if self.motion == "moving":
            # Walking side to side across half the frame every 4 s: about 10 px a frame at 720p.
            cx = w / 2 + 0.25 * w * math.sin(2 * math.pi * t / 4.0)
        elif self.motion == "sway":
            cx = w / 2 + 0.06 * w * math.sin(2 * math.pi * t / 6.0)
        return cx - pw / 2, h - ph

    def frame(self, i: int) -> SceneFrame:
        w, h = self.size
        img = self.background
        truth = np.zeros((h, w), bool)
        if self.motion != "none":
            x, y = self._offset(i)
            m = np.float32([[1, 0, x], [0, 1, y]])
            person = cv2.warpAffine(self._person, m, (w, h), flags=cv2.INTER_LINEAR)
            alpha = cv2.warpAffine(self._alpha, m, (w, h), flags=cv2.INTER_LINEAR)
            img = cv2.blendLinear(person, img, alpha, 1.0 - alpha)
            truth = alpha > 0.5
        if self.noise > 0:
            rng = np.random.default_rng(self.seed * 100003 + i)
            # Sensor noise as int16 then back, without a float copy of the whole frame.
            n = rng.normal(0.0, self.noise, img.shape).astype(np.int16)
            img = cv2.add(img.astype(np.int16), n, dtype=cv2.CV_8U)
        return SceneFrame(img, truth)

    def frames(self, n: int) -> Iterator[SceneFrame]:
        for i in range(n):
            yield self.frame(i)
