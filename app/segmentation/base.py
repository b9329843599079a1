"""What every segmentation runtime provides: a segmenter and a face detector, same contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.errors import ModelError


@dataclass(frozen=True)
class FaceBox:
    """A face found in an image: its box in 0..1 image coordinates and the detector's score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


class Segmenter(Protocol):
    """One model. ``segment`` takes a BGR image already at the model's input size."""

    labels: list[str]

    def segment(self, image_bgr: np.ndarray, timestamp_ms: int | None = None) -> np.ndarray:
        """Person probability, float32 in 0..1, the input's size."""
        ...

    def close(self) -> None: ...


class FaceDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[FaceBox]:
        """Faces in a BGR image of any size, best first."""
        ...

    def close(self) -> None: ...


def person_probability(masks: list[np.ndarray], labels: list[str]) -> np.ndarray:
    """Person probability from a segmenter's confidence masks.

    A one-mask model (the selfie models) gives the person directly. For a multi-class model the
    person is everything that is not background: 1 - P(background), where background is the
    label named so, or class 0 when the model has no labels.
    """
    if not masks:
        raise ModelError("the segmenter returned no confidence masks")
    if len(masks) == 1:
        return masks[0]
    names = [label.strip().lower() for label in labels]
    bg = names.index("background") if "background" in names else 0
    return 1.0 - masks[bg]
