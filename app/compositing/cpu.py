"""The CPU reference compositor (OpenCV/NumPy). The GL shaders must match it pixel for pixel."""

from __future__ import annotations

import cv2
import numpy as np

from app.compositing.spec import FILL_EPS, EffectSpec, blur_plan
from app.frames import Matte
from app.imaging import cover_fit
from app.segmentation.resize import downscale


def masked_background_blur(
    small: np.ndarray, alpha_small: np.ndarray, sigma: float, ksize: int
) -> np.ndarray:
    """Blur the background only: blur(I * (1 - a)) / blur(1 - a), at the reduced size.

    Normalising by the blurred weight means the person never bleeds into the background as a
    halo; where no background is near, the plain blur fills in (it only shows under the person).
    """
    img = small.astype(np.float32)
    # A work pixel on the outline is part person: grow the matte by one pixel so that no person
    # colour gets into the average at all.
    wgt = 1.0 - cv2.dilate(alpha_small, np.ones((3, 3), np.uint8))
    k = (ksize, ksize)
    num = cv2.GaussianBlur(img * wgt[..., None], k, sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(wgt, k, sigma, borderType=cv2.BORDER_REFLECT)
    plain = cv2.GaussianBlur(img, k, sigma, borderType=cv2.BORDER_REFLECT)
    out = (num + FILL_EPS * plain) / (den + FILL_EPS)[..., None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class _Buffers:
    """Full-size scratch images, kept between frames: fresh 6 MB arrays every frame cost as much
    in page faults as the arithmetic done in them."""

    def __init__(self, w: int, h: int) -> None:
        self.size = (w, h)
        self.alpha = np.empty((h, w), np.float32)
        self.inv = np.empty((h, w), np.float32)


def person_box(
    alpha_u8: np.ndarray, size: tuple[int, int], margin: int = 2
) -> tuple[int, ...] | None:
    """The output-pixel box (x0, y0, x1, y1) outside which the matte is exactly 0, or None.

    Its corners sit on whole matte pixels, so that upsampling just the box gives the same values
    as upsampling the whole matte (bilinear reads at most one matte pixel beyond, inside margin).
    """
    x, y, bw, bh = cv2.boundingRect(alpha_u8)
    if bw == 0 or bh == 0:
        return None
    mh, mw = alpha_u8.shape
    w, h = size
    gx0, gy0 = max(0, x - margin), max(0, y - margin)
    gx1, gy1 = min(mw, x + bw + margin), min(mh, y + bh + margin)
    # Output pixels whose centres map inside [gx0, gx1) of the matte.
    sx, sy = w / mw, h / mh
    return (
        int(np.ceil(gx0 * sx)), int(np.ceil(gy0 * sy)),
        int(np.ceil(gx1 * sx)) if gx1 < mw else w, int(np.ceil(gy1 * sy)) if gy1 < mh else h,
    )  # fmt: skip


class CpuCompositor:
    """Renders an effect for a frame and its matte at any output size.

    The full-resolution work is one bilinear upsample of the small blurred background and one of
    the matte, and a blend ``F * a + B * (1 - a)`` inside the person's box only.
    """

    name = "cpu"

    def __init__(self) -> None:
        self._bg_key: tuple[int, tuple[int, int]] | None = None
        self._bg: np.ndarray | None = None
        self._buf: _Buffers | None = None

    def _buffers(self, w: int, h: int) -> _Buffers:
        if self._buf is None or self._buf.size != (w, h):
            self._buf = _Buffers(w, h)
        return self._buf

    def _replacement(self, background: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        key = (id(background), size)
        if self._bg_key != key:
            self._bg, self._bg_key = cover_fit(background, size), key
        assert self._bg is not None
        return self._bg

    def background_small(
        self, matte: Matte, spec: EffectSpec, frame: np.ndarray
    ) -> np.ndarray | None:
        """The blurred background at the plan's reduced size (None when there is no blur)."""
        h, w = frame.shape[:2]
        plan = blur_plan((w, h), spec.strength)
        if not plan.active:
            return None
        gh, gw = matte.guide.shape[:2]
        ww, wh = plan.work_size
        # The guide is the frame already shrunk for the model: start from it when it is big enough.
        src = matte.guide if (ww <= gw and wh <= gh) else frame
        small = downscale(src, plan.work_size)
        alpha_small = cv2.resize(matte.alpha, plan.work_size, interpolation=cv2.INTER_AREA)
        return masked_background_blur(small, alpha_small, plan.sigma, plan.ksize)

    def render(
        self,
        frame: np.ndarray,
        matte: Matte,
        spec: EffectSpec,
        size: tuple[int, int] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The composited image at ``size`` (default: the frame's own size).

        Written into ``out`` when given (same size, uint8 BGR), which saves a fresh allocation
        per frame; otherwise a new array.
        """
        h, w = frame.shape[:2]
        if size is not None and tuple(size) != (w, h):
            frame = downscale(frame, tuple(size))
            h, w = frame.shape[:2]
        if spec.effect == "none":
            return frame.copy()
        buf = self._buffers(w, h)
        a8_small = np.clip(matte.alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
        if spec.effect == "matte":
            a8 = cv2.resize(a8_small, (w, h), interpolation=cv2.INTER_LINEAR)
            return cv2.cvtColor(a8, cv2.COLOR_GRAY2BGR)
        if out is None or out.shape != (h, w, 3):
            out = np.empty((h, w, 3), np.uint8)
        if spec.effect == "replace":
            assert spec.background is not None
            np.copyto(out, self._replacement(spec.background, (w, h)))
        else:
            small = self.background_small(matte, spec, frame)
            if small is None:
                np.copyto(out, frame)
                return out
            cv2.resize(small, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
        # Outside the person's box the matte is 0 and the background is the answer; blend only
        # inside it.
        box = person_box(a8_small, (w, h))
        if box is None:
            return out
        x0, y0, x1, y1 = box
        alpha = cv2.resize(matte.alpha, (w, h), dst=buf.alpha, interpolation=cv2.INTER_LINEAR)
        a, inv = alpha[y0:y1, x0:x1], buf.inv[y0:y1, x0:x1]
        cv2.subtract(1.0, a, dst=inv)
        roi = out[y0:y1, x0:x1]
        cv2.blendLinear(frame[y0:y1, x0:x1], roi, a, inv, dst=roi)
        return out
