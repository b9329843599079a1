"""Side-by-side pictures for the README (before/after comparisons)."""

from __future__ import annotations

import cv2
import numpy as np


def side_by_side(left: np.ndarray, right: np.ndarray, labels: tuple[str, str]) -> np.ndarray:
    """``left`` and ``right`` (same height) with a white gap and a label on each."""
    h = left.shape[0]
    both = np.hstack([left, np.full((h, 8, 3), 255, np.uint8), right])
    scale = max(0.6, h / 600)
    for x, text in ((12, labels[0]), (left.shape[1] + 20, labels[1])):
        cv2.putText(both, text, (x, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                    (255, 255, 255), 2)  # fmt: skip
    return both
