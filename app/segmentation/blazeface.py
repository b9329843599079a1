"""BlazeFace's output decoded by hand: SSD anchors, box regression, weighted suppression.

The face detection models emit, for every anchor, 16 regression values (box centre, size and
six keypoints, in input pixels relative to the anchor) and one score logit. The anchor layout
and the decoding follow MediaPipe's face-detection graph options (SsdAnchorsCalculator,
TensorsToDetectionsCalculator, NonMaxSuppressionCalculator in WEIGHTED mode), so LiteRT gives
the boxes the Tasks FaceDetector gives; ``tests/test_runtimes.py`` compares them on real faces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.segmentation.base import FaceBox


@dataclass(frozen=True)
class AnchorSpec:
    input_size: int  # square input, pixels
    strides: tuple[int, ...]
    interpolated_scale_aspect_ratio: float
    min_score: float  # the graph's default detection threshold for this model
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    anchor_offset: float = 0.5


# Short range (faces within ~2 m of a front camera): 128x128, 896 anchors.
SHORT_RANGE = AnchorSpec(128, (8, 16, 16, 16), 1.0, 0.5)
# Full range (faces up to ~5 m, smaller in the frame): 192x192, 2304 anchors.
FULL_RANGE = AnchorSpec(192, (4,), 0.0, 0.6)
SPECS = {SHORT_RANGE.input_size: SHORT_RANGE, FULL_RANGE.input_size: FULL_RANGE}

MIN_SUPPRESSION_IOU = 0.3
SCORE_CLIP = 100.0


@lru_cache(maxsize=4)
def anchors(spec: AnchorSpec) -> np.ndarray:
    """(N, 2) anchor centres in 0..1, in the order the model emits them (fixed anchor size:
    every anchor's width and height are 1, so only centres matter)."""
    out = []
    layer = 0
    strides = spec.strides
    while layer < len(strides):
        per_cell = 0
        last = layer
        # Layers that share a stride share one feature map: their anchors interleave per cell.
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += 1  # aspect ratio 1.0
            if spec.interpolated_scale_aspect_ratio > 0:
                per_cell += 1
            last += 1
        fm = math.ceil(spec.input_size / strides[layer])
        ys, xs = np.mgrid[0:fm, 0:fm].astype(np.float32)
        centres = np.stack([(xs + spec.anchor_offset) / fm, (ys + spec.anchor_offset) / fm], -1)
        out.append(np.repeat(centres.reshape(-1, 2), per_cell, axis=0))
        layer = last
    return np.concatenate(out).astype(np.float32)


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, spec: AnchorSpec, min_score: float
) -> tuple[np.ndarray, np.ndarray]:
    """(boxes (K, 4) as x0, y0, x1, y1 in 0..1 of the model input, scores (K,)) above
    ``min_score``, before suppression."""
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    a = anchors(spec)[keep]
    r = raw_boxes.reshape(-1, raw_boxes.shape[-1])[keep, :4] / spec.input_size
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    w, h = r[:, 2], r[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes.astype(np.float32), scores[keep].astype(np.float32)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    ix0 = np.maximum(box[0], others[:, 0])
    iy0 = np.maximum(box[1], others[:, 1])
    ix1 = np.minimum(box[2], others[:, 2])
    iy1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(
    boxes: np.ndarray, scores: np.ndarray, threshold: float = MIN_SUPPRESSION_IOU
) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted suppression: each cluster of overlapping boxes becomes the
    score-weighted mean of its boxes, with the best box's score."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    out = []
    remaining = np.arange(len(scores))
    while remaining.size:
        top = remaining[0]
        overlap = _iou(boxes[top], boxes[remaining])
        cluster = remaining[overlap > threshold]
        if cluster.size == 0:
            cluster = remaining[:1]
        w = scores[cluster][:, None]
        out.append(((boxes[cluster] * w).sum(0) / w.sum(), float(scores[top])))
        remaining = remaining[~np.isin(remaining, cluster)]
    return out


def letterbox(w: int, h: int, size: int) -> tuple[float, float, float]:
    """(scale, pad_x, pad_y) for fitting a w x h image into size x size with its aspect kept,
    centred; the padding on each side is in 0..1 of the model input."""
    s = min(size / w, size / h)
    return s, (size - w * s) / 2 / size, (size - h * s) / 2 / size


def to_image_boxes(
    clusters: list[tuple[np.ndarray, float]], pad_x: float, pad_y: float
) -> list[FaceBox]:
    """Boxes in 0..1 of the model input (letterboxed) to 0..1 of the image."""
    sx, sy = 1.0 - 2 * pad_x, 1.0 - 2 * pad_y
    faces = []
    for box, score in clusters:
        x0, y0, x1, y1 = (float(v) for v in box)
        faces.append(
            FaceBox(
                (x0 - pad_x) / sx, (y0 - pad_y) / sy, (x1 - pad_x) / sx, (y1 - pad_y) / sy, score
            )  # fmt: skip
        )
    return faces
