"""The one downscale from camera resolution to the model's input."""

from __future__ import annotations

import cv2
import numpy as np


def downscale(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Shrink ``image`` to ``size`` (w, h) with area averaging, cheaply.

    A single large INTER_AREA is slow; exact halvings take
    OpenCV's fast 2x2 path, so we halve while the image is at least twice the target. The last
    step shrinks by less than 2x, where bilinear already averages every source pixel and is
    several times cheaper than a fractional INTER_AREA.
    """
    image = halvings(image, size)
    if (image.shape[1], image.shape[0]) != tuple(size):
        image = cv2.resize(image, tuple(size), interpolation=cv2.INTER_LINEAR)
    return image


def halvings(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Only the halvings ``downscale(image, size)`` starts with: ``downscale`` of the result to
    ``size``, or to anything smaller, goes on from there."""
    h, w = image.shape[:2]
    for step in downscale_steps((w, h), tuple(size)):
        if step != (w // 2, h // 2):
            break  # the last step, never a halving
        # An odd last row or column is left out: every output pixel is then exactly one 2x2
        # block (what the GL chain samples), where INTER_AREA would spread 2.01 rows over
        # each, and a bright light one pixel wide would land differently in the two.
        image = cv2.resize(image[: 2 * step[1], : 2 * step[0]], step, interpolation=cv2.INTER_AREA)
        w, h = step
    return image


def downscale_steps(src: tuple[int, int], dst: tuple[int, int]) -> list[tuple[int, int]]:
    """The sizes ``downscale`` goes through: halvings while at least twice the target, then one
    resize to it (the GL compositor renders the same chain, pass by pass)."""
    (w, h), (tw, th) = src, dst
    steps = []
    while w >= 2 * tw and h >= 2 * th:
        w, h = w // 2, h // 2
        steps.append((w, h))
    if (w, h) != (tw, th):
        steps.append((tw, th))
    return steps


def fit_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``size`` scaled (never up) so its longer side is at most ``long_side``, aspect kept."""
    w, h = size
    s = min(1.0, long_side / max(w, h))
    return max(1, round(w * s)), max(1, round(h * s))
