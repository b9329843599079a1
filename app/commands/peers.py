"""The real tools people use for this job, re-implemented per frame on our runtime and model
file, so that the benchmark compares pipelines, not runtimes:

- **LFBW** (Linux-Fake-Background-Webcam's loop): the whole frame to the model (landscape
  selfie model), the mask thresholded at 0.75, dilated 5x5, box-blurred 10x10, a running
  average with the previous mask (0.5), a 21x21 Gaussian (sigma 7) of the frame behind, and a
  linear blend.
- **cvzone** (``SelfiSegmentation.removeBG`` over a blurred copy): the whole frame to the model,
  a 55x55 Gaussian of the frame, and the pixel kept where the mask is above 0.1.

Each runs "as shipped" (its own fixed blur) or "at our strength" (a Gaussian as strong as
FocusCam's blur at that size, computed the way those tools would: at full resolution).
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from app.compositing.spec import MAX_SIGMA_FRACTION
from app.segmentation import models, runtimes


def our_sigma(size: tuple[int, int], strength: float) -> float:
    """FocusCam's blur sigma at full resolution for ``strength`` on a frame of ``size``."""
    return strength * MAX_SIGMA_FRACTION * min(size)


class _Peer:
    name = ""

    def __init__(self, size, strength: float | None, runtime: str, model: str = "landscape"):
        self.model = model
        self._seg = runtimes.get(runtime).segmenter(models.locate(model), video=True)
        self._input = models.KNOWN_MODELS[model].input_size
        self.sigma = None if strength is None else our_sigma(size, strength)

    def _mask(self, frame: np.ndarray) -> np.ndarray:
        rgb_small = cv2.resize(frame, self._input)  # the whole frame, squeezed, as they do
        h, w = frame.shape[:2]
        return cv2.resize(self._seg.segment(rgb_small), (w, h))

    def _background(self, frame: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
        if self.sigma is not None:  # at our strength: a kernel that grows with the blur
            k = 2 * int(np.ceil(3 * self.sigma)) + 1
            return cv2.GaussianBlur(frame, (k, k), self.sigma)
        return cv2.GaussianBlur(frame, (ksize, ksize), sigma)

    def run(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        out = self._frame(frame)
        return out, (time.perf_counter() - t0) * 1e3

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        self._seg.close()


class LfbwLoop(_Peer):
    name = "lfbw"

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self._previous: np.ndarray | None = None

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        mask = (self._mask(frame) > 0.75).astype(np.float32)
        mask = cv2.dilate(mask, np.ones((5, 5), np.uint8), iterations=1)
        mask = cv2.blur(mask, (10, 10))
        if self._previous is not None:
            mask = mask * 0.5 + self._previous * 0.5
        self._previous = mask
        background = self._background(frame, 21, 7)
        m = mask[..., None]
        return (frame * m + background * (1 - m)).astype(np.uint8)


class CvzoneLoop(_Peer):
    name = "cvzone"

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        background = self._background(frame, 55, 0)
        mask = self._mask(frame)
        condition = np.stack((mask,) * 3, axis=-1) > 0.1
        return np.where(condition, frame, background)


PEERS = {p.name: p for p in (LfbwLoop, CvzoneLoop)}
