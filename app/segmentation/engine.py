"""Frame in, matte out: one downscale, the model that suits the frame's shape, refinement."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.common.resize import downscale, fit_long_side, halvings
from app.common.worker import WorkerThread
from app.frames import Matte
from app.segmentation import models, runtimes
from app.segmentation.base import Segmenter
from app.segmentation.refine import MatteRefiner, RefineParams

logger = logging.getLogger(__name__)

# Frames at least this wide for their height go to the landscape (256x144) model, the rest to the
# square one. `scripts/evaluate_models.py` measures both (numbers in the README): the square model
# is more accurate everywhere but 60% slower, so wide frames take the landscape model for speed.
LANDSCAPE_MIN_ASPECT = 1.5
# The guided filter works at twice the model's resolution: fine enough for hair and shoulders,
# small enough to cost well under a millisecond.
GUIDE_LONG_SIDE = 512
CUSTOM_MODEL_LONG_SIDE = 256


def choose_model(size: tuple[int, int]) -> str:
    w, h = size
    return "landscape" if w / h >= LANDSCAPE_MIN_ASPECT else "square"


class SegmentationEngine:
    """Owns the segmenters (created lazily, one per model) and one refiner."""

    def __init__(
        self,
        model_path: Path | None = None,
        video: bool = True,
        refine: RefineParams | None = None,
        models_dir: Path | None = None,
        force_model: str | None = None,
        guide_long_side: int = GUIDE_LONG_SIDE,
        runtime: str = runtimes.DEFAULT_RUNTIME,
    ) -> None:
        self.video = video
        self.runtime = runtimes.get(runtime)
        self.guide_long_side = guide_long_side
        self.custom_model = Path(model_path) if model_path else None
        self.models_dir = models_dir
        self.force_model = force_model
        params = refine or RefineParams()
        self._segmenters: dict[str, Segmenter] = {}
        self._model_thread = WorkerThread("focuscam-model")
        self._last_model: str | None = None
        self.last_prob: np.ndarray | None = None  # the model's raw output for the last frame
        if self.custom_model is not None:
            self._segmenters["custom"] = self.runtime.segmenter(self.custom_model, video)
        else:
            # Fail now, with the fix in the message, rather than on the first frame.
            for name in (force_model,) if force_model else models.SEGMENTATION_MODELS:
                models.locate(name, models_dir)
        self._faces = self._far_faces = None
        if params.face_gate:
            self._faces = self.runtime.face_detector(models.locate("face", models_dir))
            self._far_faces = self.runtime.face_detector(models.locate("face_full", models_dir))
        self.refiner = MatteRefiner(
            params,
            self._faces.detect if self._faces else None,
            self._far_faces.detect if self._far_faces else None,
        )

    def _segmenter(self, name: str) -> Segmenter:
        seg = self._segmenters.get(name)
        if seg is None:
            seg = self.runtime.segmenter(models.locate(name, self.models_dir), self.video)
            self._segmenters[name] = seg
        return seg

    def model_for(self, size: tuple[int, int]) -> tuple[str, tuple[int, int]]:
        """(model name, model input size) for a frame of ``size``."""
        if self.custom_model is not None:
            return "custom", fit_long_side(size, CUSTOM_MODEL_LONG_SIDE)
        name = self.force_model or choose_model(size)
        return name, models.KNOWN_MODELS[name].input_size

    def process(
        self,
        image: np.ndarray,
        t_ns: int | None = None,
        alongside: Callable[[np.ndarray], object] | None = None,
    ) -> tuple[Matte, dict[str, float]]:
        """Segment and refine one BGR frame; returns the matte and per-stage milliseconds.

        ``alongside(guide)`` runs on this thread while the model runs, after the refiner's own
        share: the compositor starts the frame's background there (``CpuCompositor.prepare``).
        """
        h, w = image.shape[:2]
        t0 = time.perf_counter()
        name, model_size = self.model_for((w, h))
        if self._last_model is not None and name != self._last_model:
            self.refiner.reset()  # a different model sees a different world: no shared history
        self._last_model = name
        guide_size = fit_long_side((w, h), self.guide_long_side)
        # The guide and the model's input share their first halvings. The model runs on the
        # engine's model thread (it releases the GIL and keeps one core busy) from there, while
        # the guide is finished and the frame's share of refinement is done on this one.
        base = halvings(image, guide_size)
        ts_ms = None if t_ns is None else t_ns // 1_000_000
        running = self._model_thread.submit(self._segment, name, base, model_size, ts_ms)
        try:
            guide = downscale(base, guide_size)
            work = self.refiner.prepare(guide, model_size)
            if alongside is not None:
                alongside(guide)
        finally:
            prob = running.result()
        prob, model_ms = prob
        self.last_prob = prob
        t1 = time.perf_counter()
        matte = self.refiner.finish(prob, work, model=name)
        t2 = time.perf_counter()
        # "model" is the model call alone; it runs inside "segment", alongside the caller's work.
        return matte, {
            "segment": (t1 - t0) * 1e3,
            "refine": (t2 - t1) * 1e3,
            "model": model_ms,
        }

    def _segment(
        self, name: str, image: np.ndarray, size: tuple[int, int], ts_ms: int | None
    ) -> tuple[np.ndarray, float]:
        small = downscale(image, size)
        seg = self._segmenter(name)
        t0 = time.perf_counter()
        prob = seg.segment(small, ts_ms)
        return prob, (time.perf_counter() - t0) * 1e3

    def reset(self) -> None:
        """Forget temporal history (camera switch, new file)."""
        self.refiner.reset()

    def close(self) -> None:
        self._model_thread.close()
        for seg in self._segmenters.values():
            seg.close()
        self._segmenters.clear()
        for det in (self._faces, self._far_faces):
            if det is not None:
                det.close()
        self._faces = self._far_faces = None

    def __enter__(self) -> SegmentationEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
