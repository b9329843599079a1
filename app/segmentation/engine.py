"""Frame in, matte out: one downscale, the model that suits the frame's shape, refinement."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from app.common.resize import downscale, fit_long_side, halvings
from app.common.worker import WorkerThread
from app.frames import Matte
from app.segmentation import models, runtimes
from app.segmentation.base import Segmenter
from app.segmentation.cadence import Cadence, CadenceParams
from app.segmentation.crop import (
    CropParams,
    ViewPlanner,
    aspect_gap,
    big_blobs,
    cut_out,
    paste,
)
from app.segmentation.held import HeldParams, keep_held
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
DEFAULT_CROPS = CropParams()
DEFAULT_HELD = HeldParams()


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
        crops: CropParams | None = DEFAULT_CROPS,
        held: HeldParams | None = DEFAULT_HELD,
        cadence: CadenceParams | None = None,
    ) -> None:
        """``crops``: how the model is run on a crop around the people (crop.py); None: the
        whole frame only. ``held``: for photos (``video`` off), how the matte is grown into
        what the people hold (held.py); None: not. Video never takes that step: it costs
        tens of milliseconds a frame. ``cadence``: for video, when a frame may reuse the
        model's last answer (cadence.py); None: the model runs on every frame (files; the
        live pipeline sets one, cadence.LIVE_SEGMENT_EVERY)."""
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
        self.views = None
        if crops is not None and model_path is None:
            self.views = ViewPlanner(self._crop_aspects(), crops)
        self.last_crop: tuple[float, float, float, float] | None = None  # where it looked
        self.held = None if video else held
        self.cadence = Cadence(cadence) if (video and cadence is not None) else None
        self.model_calls = 0  # frames the model ran on (stats: model calls per second)
        self._last_matte: Matte | None = None  # what a frame the model skips shows (cadence)
        self.last_held: np.ndarray | None = None  # what the last photo's held step added
        if self.custom_model is not None:
            self._segmenters["custom"] = self.runtime.segmenter(self.custom_model, video)
            logger.info("model %s (given with --model) on the %s runtime", self.custom_model,
                        self.runtime.name)  # fmt: skip
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
            path = self.custom_model if name == "custom" else models.locate(name, self.models_dir)
            seg = self.runtime.segmenter(path, self.video)
            self._segmenters[name] = seg
            logger.info("model %s (%s) on the %s runtime (%s), for %s", name, path.name,
                        self.runtime.name, self.runtime.privacy,
                        "video" if self.video else "photos")  # fmt: skip
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
            self.last_prob = None
        self._last_model = name
        guide_size = fit_long_side((w, h), self.guide_long_side)
        # The guide and the model's input share their first halvings. The model runs on the
        # engine's model thread (it releases the GIL and keeps one core busy) from there, while
        # the guide is finished and the frame's share of refinement is done on this one.
        base = halvings(image, guide_size)
        # The whole frame at the model's size: made here only when the cadence compares it;
        # otherwise on the model thread, and only for a whole-frame look.
        small = downscale(base, model_size) if self.cadence is not None else None
        ts_ms = None if t_ns is None else t_ns // 1_000_000
        crop, full = self.views.plan((w, h)) if self.views is not None else (None, True)
        last = self._last_matte
        reusable = (
            last is not None and last.alpha.shape == guide_size[::-1] and last.model == name
        )
        # A whole-frame look beside a crop (crop.py) is never skipped: it finds newcomers, and
        # carrying its merged answer over the frames after it costs the matte its crop's detail.
        # Nor is a frame the last matte does not fit (another size, another model).
        if not self._model_due(small, force=(full and crop is not None) or not reusable):
            # Nothing moved near the people since the model last looked (cadence.py): the
            # matte is the last frame's, on this frame's guide; no refining to pay for.
            guide = downscale(base, guide_size)
            if alongside is not None:
                alongside(guide)
            ms = (time.perf_counter() - t0) * 1e3
            return replace(last, guide=guide), {"segment": ms, "refine": 0.0, "model": 0.0}
        running = self._model_thread.submit(
            self._segment_views, name, image, base, model_size, small, crop, full, ts_ms
        )
        try:
            guide = downscale(base, guide_size)
            work = self.refiner.prepare(guide, model_size)
            if alongside is not None:
                alongside(guide)
        finally:
            prob, model_ms, crop, seen = running.result()
        new_view = crop != self.last_crop
        self.last_prob, self.last_crop = prob, crop
        t1 = time.perf_counter()
        matte = self.refiner.finish(prob, work, model=name, new_view=new_view)
        if self.views is not None:
            cut = work.motion is None and self.video
            self.views.update(None if cut else matte.alpha, (w, h), seen)
        self.model_calls += 1
        if self.held is not None:
            matte = self._keep_held(matte)
        self._last_matte = matte if self.cadence is not None else None
        t2 = time.perf_counter()
        # "model" is the model calls alone; they run inside "segment", alongside the caller's work.
        return matte, {
            "segment": (t1 - t0) * 1e3,
            "refine": (t2 - t1) * 1e3,
            "model": model_ms,
        }

    def _keep_held(self, matte: Matte) -> Matte:
        """The photo's matte grown into what the people hold (held.py)."""
        self.last_held = None
        if self._far_faces is None or not (matte.alpha > 0.5).any():
            return matte
        least = self.refiner.params.gate.face_min_score
        faces = [f for f in self._far_faces.detect(matte.guide) if f.score >= least]
        alpha, self.last_held = keep_held(matte.guide, matte.alpha, faces, self.held)
        return replace(matte, alpha=alpha)

    def set_cadence(self, cadence: CadenceParams | None) -> None:
        """From the next frame on: the model only when the picture changed (``cadence``), or
        on every frame (None). For video only; the running matte is kept."""
        self.cadence = Cadence(cadence) if (self.video and cadence is not None) else None

    def _model_due(self, small: np.ndarray | None, force: bool = False) -> bool:
        """Whether the model runs on this frame (cadence.py), or its last answer stands."""
        if self.cadence is None or small is None:
            return True
        prob = self.last_prob
        if prob is None or prob.shape != small.shape[:2]:
            self.cadence.reset()
            return self.cadence.due(small, None)  # the first frame: remembered, and run
        return self.cadence.due(small, prob > 0.5, force)

    def _segment_views(
        self,
        name: str,
        image: np.ndarray,
        base: np.ndarray,
        size: tuple[int, int],
        small: np.ndarray | None,
        crop,
        full: bool,
        ts_ms: int | None,
    ):
        """The model's answer over the whole frame at ``size`` (the refiner's grid): from the
        whole frame and/or a crop around the people (crop.py). Returns (prob, model ms, the
        crop used or None, the big blobs the whole frame showed or None)."""
        h, w = image.shape[:2]
        model_ms = 0.0
        seen = None
        if full:
            if small is None:
                small = downscale(base, size)
            prob, model_ms = self._segment(name, small, ts_ms)
            seen = big_blobs(prob, self.refiner.params.min_region)
            if crop is None and self.views is not None:
                crop = self.views.first_crop(seen, (w, h))
        else:
            prob = None
        if crop is not None:
            crop_name = self._crop_model(crop)
            crop_size = models.KNOWN_MODELS[crop_name].input_size
            src = base if base.shape[1] * (crop[2] - crop[0]) >= w * crop_size[0] else image
            small = cut_out(src, crop, (w, h), crop_size)
            crop_prob, ms = self._segment(crop_name, small, ts_ms)
            model_ms += ms
            cropped = np.zeros((size[1], size[0]), np.float32) if prob is None else prob.copy()
            prob = self.views.merge(prob, paste(cropped, crop_prob, crop, (w, h)))
        return prob, model_ms, crop, seen

    def _crop_aspects(self) -> tuple[float, ...]:
        if self.force_model:
            return (models.KNOWN_MODELS[self.force_model].aspect,)
        return tuple(models.KNOWN_MODELS[n].aspect for n in models.SEGMENTATION_MODELS)

    def _crop_model(self, crop) -> str:
        aspect = (crop[2] - crop[0]) / (crop[3] - crop[1])
        if self.force_model:
            return self.force_model
        return min(
            models.SEGMENTATION_MODELS,
            key=lambda n: aspect_gap(models.KNOWN_MODELS[n].aspect, aspect),
        )

    def _segment(self, name: str, small: np.ndarray, ts_ms: int | None) -> tuple[np.ndarray, float]:
        seg = self._segmenter(name)
        t0 = time.perf_counter()
        prob = seg.segment(small, ts_ms)
        return prob, (time.perf_counter() - t0) * 1e3

    def find_faces(
        self, image: np.ndarray, least: float | None = None, every: bool = True
    ) -> list:
        """The faces in ``image`` (BGR, any size) the gate would trust, as FaceBoxes in 0..1
        of the image: the short-range detector's, and the full-range one's that it missed
        (small faces, further back). Empty when the gate, and so the detectors, are off.
        ``least``: the lowest score kept (default: the gate's own, which a poster or a cat
        rarely reaches; lower finds a face turned away, where only people are looked at).
        ``every=False``: the full-range detector only when the short-range one found none
        (a third of the cost, for where one face will do)."""
        if least is None:
            least = self.refiner.params.gate.face_min_score
        found: list = []
        for det in (self._faces, self._far_faces):
            if det is None:
                continue
            if found and not every:
                break
            for f in det.detect(image):
                if f.score >= least and all(_iou(f, g) < 0.3 for g in found):
                    found.append(f)  # a face the other detector did not find already
        return found

    def reset(self) -> None:
        """Forget temporal history (camera switch, new file)."""
        self.refiner.reset()
        self.last_prob = None
        self._last_matte = None
        if self.views is not None:
            self.views.reset()
        if self.cadence is not None:
            self.cadence.reset()

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


def _iou(a, b) -> float:
    """Overlap of two FaceBoxes: intersection over union."""
    w = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    h = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = w * h
    union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter
    return inter / union if union > 0 else 0.0
