"""The lens look: background blur as a fast lens renders it (CPU reference).

Three things make a Gaussian look like a lens:

1. **Bokeh discs.** A lens spreads each out-of-focus point into a flat disc, not a soft bump:
   the blur kernel is a filled circle.
2. **Highlight recovery.** A small light clipped at 255 holds far more light than 255; blurred
   as it is, it fades into a grey smudge. So values near white are expanded (into linear light,
   boosted above a knee) before the blur and compressed after it: a clipped light blooms into a
   bright disc. The expansion is a look-up table on the 8-bit frame, done before it is shrunk,
   so a light a few pixels wide keeps its energy in the reduced copy. Frames above
   ``EXPAND_MAX_PIXELS`` (a 12 MP photo, 4K) are first halved in 8 bits down to that: a float
   copy of 12 MP costs more than the rest of the look, and at that size a light spans several
   pixels, so it keeps most of its bloom (at least 80% in tests/test_lens.py).
3. **Depth.** Blur grows with distance behind the subject. FocusCam knows only the matte, so
   depth is estimated from it: the further from the person's silhouette, the more blur (a
   background far from the person is usually far behind), and lower in the frame is nearer (the
   floor or the desk in front). Two disc sizes are blended by that estimate.

Mask-aware like ``blur``: both discs average the background only (normalised by 1 - alpha), so
the person never bleeds into it.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from app.common.resize import downscale, downscale_steps
from app.compositing.spec import FILL_EPS, background_weight

GAMMA = 2.2
KNEE = 0.88  # 8-bit values above this (0..1) are treated as highlights ...
HIGHLIGHT_GAIN = 150.0  # ... and clipped white holds this much more light than it shows
SHOULDER = 0.8  # after the blur, linear values above this roll off softly to white
DISC_PER_SIGMA = 2.2  # disc radius per Gaussian sigma of the same strength
NEAR_SHARE = 0.45  # the nearest background gets this share of the full disc


EXPAND_MAX_PIXELS = 4_200_000  # 1080p and 1440p are expanded at full size, 4K and 12 MP halved


def expand_size(
    size: tuple[int, int], work_size: tuple[int, int], max_pixels: int = EXPAND_MAX_PIXELS
) -> tuple[int, int]:
    """Where the highlights are expanded: ``size`` halved (the first steps of its downscale to
    ``work_size``) until it is at most ``max_pixels``."""
    w, h = size
    for step in downscale_steps(size, work_size):
        if w * h <= max_pixels or step != (w // 2, h // 2):
            break
        w, h = step
    return w, h


@lru_cache(maxsize=1)
def expand_lut() -> np.ndarray:
    """8-bit value -> linear light, boosted above the knee (float32)."""
    v = np.arange(256, dtype=np.float64) / 255.0
    t = np.clip((v - KNEE) / (1.0 - KNEE), 0.0, 1.0)
    boost = 1.0 + HIGHLIGHT_GAIN * t**3  # steep: only what is (nearly) clipped holds more
    return (v**GAMMA * boost).astype(np.float32)


def compress(lin: np.ndarray) -> np.ndarray:
    """Linear light back to 8-bit, rolling off softly above the shoulder (no hard clip)."""
    over = np.maximum(lin - SHOULDER, 0.0)
    rolled = np.minimum(lin, SHOULDER) + (1.0 - SHOULDER) * (1.0 - np.exp(-over / (1.0 - SHOULDER)))
    return np.clip(255.0 * rolled ** (1.0 / GAMMA) + 0.5, 0, 255).astype(np.uint8)


@lru_cache(maxsize=16)
def disc(radius: float) -> np.ndarray:
    """A flat disc kernel of ``radius`` pixels, anti-aliased at its edge, summing to 1."""
    r = max(radius, 0.5)
    n = int(np.ceil(r)) + 1
    yy, xx = np.mgrid[-n : n + 1, -n : n + 1].astype(np.float32)
    k = np.clip(r + 0.5 - np.hypot(xx, yy), 0.0, 1.0)
    return (k / k.sum()).astype(np.float32)


def disc_radii(sigma: float) -> tuple[float, float]:
    """(far, near) disc radius in work pixels for a Gaussian ``sigma`` of the same strength."""
    radius = DISC_PER_SIGMA * sigma
    return radius, max(1.0, NEAR_SHARE * radius)


def depth_map(alpha_small: np.ndarray) -> np.ndarray:
    """0 (near the subject) .. 1 (far behind), per work pixel, from the matte alone."""
    h, w = alpha_small.shape
    person = (alpha_small > 0.5).astype(np.uint8)
    if not person.any():
        far = np.ones((h, w), np.float32)
    else:
        dist = cv2.distanceTransform(1 - person, cv2.DIST_L2, 3)
        far = np.clip(dist / (0.35 * min(h, w)), 0.0, 1.0)
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    ground = 1.0 - 0.5 * np.clip((rows - 0.6) / 0.4, 0.0, 1.0)  # the lowest rows are nearer
    return (0.35 + 0.65 * far) * ground


def _masked(energy: np.ndarray, weight: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    num = cv2.filter2D(energy * weight[..., None], -1, kernel, borderType=cv2.BORDER_REFLECT)
    den = cv2.filter2D(weight, -1, kernel, borderType=cv2.BORDER_REFLECT)
    plain = cv2.filter2D(energy, -1, kernel, borderType=cv2.BORDER_REFLECT)
    return (num + FILL_EPS * plain) / (den + FILL_EPS)[..., None]


def lens_background(
    frame: np.ndarray,
    alpha_small: np.ndarray,
    work_size: tuple[int, int],
    sigma: float,
    expand_max_pixels: int = EXPAND_MAX_PIXELS,
) -> np.ndarray:
    """The background as a lens renders it, at ``work_size`` (BGR uint8). ``sigma`` is the
    Gaussian sigma of the same strength in work pixels; ``alpha_small`` the matte there."""
    h, w = frame.shape[:2]
    # Only halvings, and only above expand_max_pixels.
    frame = downscale(frame, expand_size((w, h), work_size, expand_max_pixels))
    energy = downscale(cv2.LUT(frame, expand_lut()), work_size)  # highlights keep their light
    weight = background_weight(alpha_small)
    far_r, near_r = disc_radii(sigma)
    far = _masked(energy, weight, disc(far_r))
    near = _masked(energy, weight, disc(near_r))
    depth = depth_map(alpha_small)[..., None]
    return compress(near + depth * (far - near))
