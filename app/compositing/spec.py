"""The effect spec: every compositor (CPU reference, GL shaders) implements exactly this."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.errors import UsageError

# Every effect (both compositors render each one), and what a person picks from, in the order
# the B key cycles (the matte view is for checking, not for calls). Each is listed only here.
EFFECTS = ("blur", "lens", "replace", "none", "matte")
EFFECT_LABELS = {"blur": "Blur", "replace": "Replace", "lens": "Lens", "none": "Off"}
STRENGTH_EFFECTS = ("blur", "lens")  # the effects a strength applies to
DEFAULT_EFFECT, DEFAULT_STRENGTH = "blur", 0.6

# Background blur: Gaussian sigma at strength 1, as a share of the frame's shorter side, so the
# look is the same at 480p and 4K.
MAX_SIGMA_FRACTION = 0.035
# The blur runs on a copy shrunk until its sigma is this many pixels; a stronger blur means a
# smaller copy, so the cost never grows with strength.
WORK_SIGMA = 2.0
# ... and the copy is never more than a quarter of the output per side.
MIN_DOWNSCALE = 4.0
# Where no background is near (deep inside the person) the normalised blur has nothing to
# average; this much of the plain blur fills in. It only shows where alpha is almost 1.
FILL_EPS = 1e-3


@dataclass(frozen=True, eq=False)
class EffectSpec:
    effect: str = DEFAULT_EFFECT
    strength: float = DEFAULT_STRENGTH  # 0..1, blur and lens
    background: np.ndarray | None = field(default=None, repr=False)  # BGR, replace only

    def __post_init__(self) -> None:
        if self.effect not in EFFECTS:
            raise UsageError(f"unknown effect {self.effect!r}; choose one of {', '.join(EFFECTS)}")
        if not (0.0 <= self.strength <= 1.0) or math.isnan(self.strength):
            raise UsageError(f"strength must be between 0 and 1, got {self.strength}")
        if self.effect == "replace" and self.background is None:
            raise UsageError("the replace effect needs a background image (--background IMG)")


@dataclass(frozen=True)
class BlurPlan:
    work_size: tuple[int, int]  # (w, h) of the reduced copy
    sigma: float  # Gaussian sigma in work pixels
    ksize: int  # odd kernel size in work pixels

    @property
    def active(self) -> bool:
        return self.sigma > 0.0

    def from_guide(self, guide: np.ndarray) -> bool:
        """Whether the reduced copy is made from the guide (the frame already shrunk for the
        model) rather than the frame: when the guide is at least the working size."""
        gh, gw = guide.shape[:2]
        return self.work_size[0] <= gw and self.work_size[1] <= gh


def blur_plan(size: tuple[int, int], strength: float) -> BlurPlan:
    """Working size and kernel for a background blur of ``strength`` on an output of ``size``."""
    w, h = size
    sigma_full = strength * MAX_SIGMA_FRACTION * min(w, h)
    down = max(MIN_DOWNSCALE, sigma_full / WORK_SIGMA)
    work = (max(8, round(w / down)), max(8, round(h / down)))
    sigma = sigma_full * work[0] / w
    ksize = 2 * math.ceil(3.0 * sigma) + 1 if sigma > 0 else 1
    return BlurPlan(work, sigma, ksize)


_K_RIM = np.ones((3, 3), np.uint8)


def background_weight(alpha_small: np.ndarray) -> np.ndarray:
    """How much each work pixel counts as background for the mask-aware blur and lens looks:
    1 - the matte grown by one pixel (a pixel on the outline is part person, so no person
    colour gets into the average at all). shaders/weight.frag.glsl is the same."""
    return cv2.subtract(1.0, cv2.dilate(alpha_small, _K_RIM))
