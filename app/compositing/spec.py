"""The effect spec: every compositor (CPU reference, GL shaders) implements exactly this."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.errors import UsageError

# Every effect (both compositors render each one), and what a person picks from, in the order
# the B key cycles (the matte view is for checking, not for calls). Each is listed only here.
# key: the background a solid colour for call apps and OBS to key out; cutout: transparent
# (files: PNG, WebM VP9 and ProRes 4444 carry it).
EFFECTS = ("blur", "lens", "replace", "key", "none", "matte", "cutout")
EFFECT_LABELS = {"blur": "Blur", "replace": "Replace", "lens": "Lens", "key": "Green screen",
                 "none": "Off"}  # fmt: skip
STRENGTH_EFFECTS = ("blur", "lens")  # the effects a strength applies to
DEFAULT_EFFECT, DEFAULT_STRENGTH = "blur", 0.6
KEY_COLOR = "00B140"  # chroma-key green (RRGGBB), the default of --key-color
LOW_LIGHT_MODES = ("auto", "on", "off")


def parse_color(text: str) -> tuple[int, int, int]:
    """"RRGGBB" (a leading # allowed) as a BGR triple; a UsageError in one line otherwise."""
    hexa = text.strip().lstrip("#")
    if len(hexa) != 6 or any(c not in "0123456789abcdefABCDEF" for c in hexa):
        raise UsageError(f"colour {text!r}: give it as RRGGBB, for example {KEY_COLOR}")
    r, g, b = (int(hexa[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r

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
    """What to render: the effect, and the looks that combine with every effect."""

    effect: str = DEFAULT_EFFECT
    strength: float = DEFAULT_STRENGTH  # 0..1, blur and lens
    # BGR picture for replace, or a moving background (app/common/moving.py: a video, a GIF)
    background: object | None = field(default=None, repr=False)
    key_color: tuple[int, int, int] = parse_color(KEY_COLOR)  # BGR, the key effect's
    light: float = 0.0  # studio light, 0..1 (looks.py)
    low_light: str = "off"  # auto | on | off (the command line and the window: auto)
    touch_up: float = 0.0  # skin smoothing, 0..1

    def __post_init__(self) -> None:
        if self.effect not in EFFECTS:
            raise UsageError(f"unknown effect {self.effect!r}; choose one of {', '.join(EFFECTS)}")
        for name in ("strength", "light", "touch_up"):
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0) or math.isnan(value):
                raise UsageError(f"{name.replace('_', '-')} must be between 0 and 1, got {value}")
        if self.effect == "replace" and self.background is None:
            raise UsageError("the replace effect needs a background image (--background IMG)")
        if self.low_light not in LOW_LIGHT_MODES:
            raise UsageError(f"low light {self.low_light!r}: choose auto, on or off")


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
