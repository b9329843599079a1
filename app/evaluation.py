"""Raw model vs refined matte on synthetic scenes with exact truth (tests, tuning, README)."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from app import metrics
from app.segmentation import models, runtimes
from app.segmentation.engine import GUIDE_LONG_SIDE
from app.segmentation.refine import MatteRefiner, RefineParams
from app.segmentation.resize import downscale, fit_long_side
from app.synthetic import Scene


@dataclass
class SequenceScores:
    iou: list[float] = field(default_factory=list)
    boundary_f1: list[float] = field(default_factory=list)
    flicker: list[float] = field(default_factory=list)
    person_fraction: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {k: float(np.mean(v)) if v else float("nan") for k, v in self.__dict__.items()}


def evaluate(
    scene: Scene,
    n_frames: int,
    model: str,
    params: RefineParams | None = None,
    runtime: str = runtimes.DEFAULT_RUNTIME,
) -> dict[str, dict[str, float]]:
    """Score the raw model output (bilinear upsampling) and the refined matte, frame by frame."""
    w, h = scene.size
    rt = runtimes.get(runtime)
    seg = rt.segmenter(models.locate(model), video=True)
    faces = rt.face_detector(models.locate("face"))
    refiner = MatteRefiner(params, faces.detect)
    raw, ref = SequenceScores(), SequenceScores()
    prev: dict[str, np.ndarray] = {}
    prev_truth = None
    try:
        for i, sf in enumerate(scene.frames(n_frames)):
            guide = downscale(sf.image, fit_long_side((w, h), GUIDE_LONG_SIDE))
            small = downscale(guide, models.KNOWN_MODELS[model].input_size)
            prob = seg.segment(small, int(i * 1000 / scene.fps))
            outs = {
                "raw": cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR),
                "refined": refiner(prob, guide).full((w, h)),
            }
            for key, scores in (("raw", raw), ("refined", ref)):
                m = outs[key]
                scores.person_fraction.append(metrics.person_fraction(m))
                if sf.truth.any():
                    scores.iou.append(metrics.iou(m, sf.truth))
                    scores.boundary_f1.append(metrics.boundary_f1(m, sf.truth))
                if prev_truth is not None:
                    scores.flicker.append(metrics.flicker(prev[key], m, prev_truth, sf.truth))
            prev, prev_truth = outs, sf.truth
    finally:
        seg.close()
        faces.close()
    return {"raw": raw.summary(), "refined": ref.summary()}
