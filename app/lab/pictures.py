"""Side-by-side pictures for the README (before/after comparisons)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.common.files import write_file
from app.outputs.images import encode_image


def side_by_side(left: np.ndarray, right: np.ndarray, labels: tuple[str, str]) -> np.ndarray:
    """``left`` and ``right`` (same height) with a white gap and a label on each."""
    h = left.shape[0]
    both = np.hstack([left, np.full((h, 8, 3), 255, np.uint8), right])
    scale = max(0.6, h / 600)
    for x, text in ((12, labels[0]), (left.shape[1] + 20, labels[1])):
        cv2.putText(both, text, (x, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                    (255, 255, 255), 2)  # fmt: skip
    return both


def save_side_by_side(
    target: Path, left: np.ndarray, right: np.ndarray, labels: tuple[str, str]
) -> None:
    """``side_by_side`` written to ``target`` as a README picture (JPEG, quality 88), replacing
    the old one, and said on stdout."""
    write_file(target, encode_image(side_by_side(left, right, labels), ".jpg", 88), overwrite=True)
    print(f"wrote {target}")
