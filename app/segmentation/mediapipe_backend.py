"""The opt-in runtime: MediaPipe Tasks (ImageSegmenter, FaceDetector).

Current mediapipe wheels carry Google's usage-metrics uploader in their native library: a
process that creates a Tasks object queries play.googleapis.com and, with internet, uploads
(MediaPipe's Tasks privacy notice). FocusCam therefore runs it only on request
(``--runtime mediapipe``); it is the reference the LiteRT runtime is tested against.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import cv2
import numpy as np

from app.errors import ModelError
from app.segmentation.base import FaceBox, person_probability
from app.segmentation.native import native_quiet

logger = logging.getLogger(__name__)


def _vision():
    try:
        from mediapipe.tasks.python import BaseOptions, vision
    except ImportError as exc:
        raise ModelError(
            f"the mediapipe runtime is not installed ({exc}); "
            "`pip install 'focuscam[mediapipe]'` or use --runtime litert"
        ) from None
    return BaseOptions, vision


class MediaPipeSegmenter:
    """One model, one running mode. VIDEO mode gets strictly increasing timestamps from us."""

    def __init__(self, model_path: Path, video: bool = True) -> None:
        BaseOptions, vision = _vision()
        model_path = Path(model_path)
        if not model_path.is_file():
            raise ModelError(f"model file not found: {model_path}")
        self._vision = vision
        self.video = video
        mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
        options = vision.ImageSegmenterOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=mode,
            output_confidence_masks=True,
            output_category_mask=False,
        )
        try:
            with native_quiet():
                self._seg = vision.ImageSegmenter.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(
                f"{model_path.name} is not a usable image-segmenter model: {first}"
            ) from None
        self.labels: list[str] = list(getattr(self._seg, "labels", None) or [])
        self.path = model_path
        self._last_ts = -1
        self._ran = False

    def segment(self, image_bgr: np.ndarray, timestamp_ms: int | None = None) -> np.ndarray:
        """Person probability (float32, same size as the input) for a small BGR image."""
        import mediapipe as mp

        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        quiet = native_quiet() if not self._ran else contextlib.nullcontext()
        self._ran = True
        with quiet:  # the first run logs how LiteRT set itself up
            if self.video:
                # The graph rejects non-increasing timestamps; looping files and restarted
                # cameras would otherwise trip it, so we keep them strictly increasing ourselves.
                ts = (
                    self._last_ts + 1
                    if timestamp_ms is None
                    else max(timestamp_ms, self._last_ts + 1)
                )
                self._last_ts = ts
                result = self._seg.segment_for_video(image, ts)
            else:
                result = self._seg.segment(image)
        # Copies: the views belong to the result, which MediaPipe frees with the segmenter.
        masks = [np.array(m.numpy_view(), dtype=np.float32) for m in result.confidence_masks]
        masks = [m[..., 0] if m.ndim == 3 else m for m in masks]
        return np.ascontiguousarray(person_probability(masks, self.labels))

    def close(self) -> None:
        with native_quiet():
            self._seg.close()


class MediaPipeFaceDetector:
    """BlazeFace through the Tasks FaceDetector."""

    def __init__(self, model_path: Path, min_confidence: float = 0.5) -> None:
        BaseOptions, vision = _vision()

        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=min_confidence,
        )
        try:
            with native_quiet():
                self._det = vision.FaceDetector.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                f"{Path(model_path).name} is not a usable face detector: {exc}"
            ) from None
        self._ran = False

    def detect(self, image_bgr: np.ndarray) -> list[FaceBox]:
        import mediapipe as mp

        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        quiet = native_quiet() if not self._ran else contextlib.nullcontext()
        self._ran = True
        with quiet:
            result = self._det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        out = []
        for d in result.detections:
            b = d.bounding_box
            score = d.categories[0].score if d.categories else 0.0
            x0, y0 = b.origin_x / w, b.origin_y / h
            out.append(FaceBox(x0, y0, x0 + b.width / w, y0 + b.height / h, float(score)))
        return sorted(out, key=lambda f: -f.score)

    def close(self) -> None:
        with native_quiet():
            self._det.close()
