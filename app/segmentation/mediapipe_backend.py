"""MediaPipe Tasks ImageSegmenter: a small BGR image in, person probability out."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from app.errors import ModelError

logger = logging.getLogger(__name__)


_QUIET_LOCK = threading.Lock()


@contextlib.contextmanager
def native_quiet():
    """Silence the native (C++) log lines MediaPipe and LiteRT write straight to stderr while a
    model loads, first runs and closes: a page of INFO and W0000 lines on every command is noise
    to a user. FOCUSCAM_NATIVE_LOGS=1 (or `focuscam -v`) keeps them. Python's own messages
    written in that moment would be lost too, so the window is kept to those calls."""
    if os.environ.get("FOCUSCAM_NATIVE_LOGS") == "1":
        yield
        return
    with _QUIET_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no real stderr (embedded, some IDEs): nothing to hide
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def person_probability(masks: list[np.ndarray], labels: list[str]) -> np.ndarray:
    """Person probability from an ImageSegmenter's confidence masks.

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


class MediaPipeSegmenter:
    """One model, one running mode. VIDEO mode gets strictly increasing timestamps from us."""

    def __init__(self, model_path: Path, video: bool = True) -> None:
        try:
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:  # pragma: no cover - mediapipe is a hard dependency
            raise ModelError(f"mediapipe is not installed: {exc}") from None
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
        masks = [np.asarray(m.numpy_view(), dtype=np.float32) for m in result.confidence_masks]
        masks = [m[..., 0] if m.ndim == 3 else m for m in masks]
        return np.ascontiguousarray(person_probability(masks, self.labels))

    def close(self) -> None:
        with native_quiet():
            self._seg.close()


class MediaPipeFaceDetector:
    """BlazeFace through the Tasks FaceDetector; returns face centres in 0..1 image coordinates."""

    def __init__(self, model_path: Path, min_confidence: float = 0.5) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

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

    def centres(self, image_bgr: np.ndarray) -> list[tuple[float, float]]:
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
            out.append(((b.origin_x + b.width / 2) / w, (b.origin_y + b.height / 2) / h))
        return out

    def close(self) -> None:
        with native_quiet():
            self._det.close()
