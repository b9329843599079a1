"""The CPU reference compositor (OpenCV/NumPy). The GL shaders must match it pixel for pixel."""

from __future__ import annotations

from concurrent.futures import Future

import cv2
import numpy as np

from app.common.images import alpha_u8
from app.common.moving import MovingBackground, background_picture
from app.common.resize import downscale
from app.common.worker import WorkerThread
from app.compositing.lens import lens_background
from app.compositing.spec import FILL_EPS, BlurPlan, EffectSpec, background_weight, blur_plan
from app.frames import Matte


def plain_blur(small: np.ndarray, sigma: float, ksize: int) -> tuple[np.ndarray, np.ndarray]:
    """The reduced image as float and its plain blur: the background's parts that need no matte."""
    img = small.astype(np.float32)
    return img, cv2.GaussianBlur(img, (ksize, ksize), sigma, borderType=cv2.BORDER_REFLECT)


def masked_background_blur(
    parts: tuple[np.ndarray, np.ndarray], alpha_small: np.ndarray, sigma: float, ksize: int
) -> np.ndarray:
    """Blur the background only: blur(I * (1 - a)) / blur(1 - a), at the reduced size.

    ``parts`` is ``plain_blur(I, sigma, ksize)``. Normalising by the blurred weight means the
    person never bleeds into the background as a halo; where no background is near, the plain
    blur fills in (it only shows under the person).
    """
    img, blurred = parts
    wgt = background_weight(alpha_small)
    k = (ksize, ksize)
    num = cv2.GaussianBlur(img * wgt[..., None], k, sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(wgt, k, sigma, borderType=cv2.BORDER_REFLECT)
    cv2.scaleAdd(blurred, FILL_EPS, num, dst=num)  # num += FILL_EPS * plain
    den += FILL_EPS
    num /= den[..., None]
    return cv2.convertScaleAbs(num)  # rounded and saturated to 0..255


class _Buffers:
    """Full-size scratch images, kept between frames: fresh 6 MB arrays every frame cost as much
    in page faults as the arithmetic done in them."""

    def __init__(self, w: int, h: int) -> None:
        self.size = (w, h)
        self.alpha = np.empty((h, w), np.float32)
        self.inv = np.empty((h, w), np.float32)


# The blend is planned on cells of this many matte rows and columns: small enough to follow the
# outline of a head and shoulders, large enough that there are only a few dozen rectangles.
CELL_ROWS, CELL_COLS = 24, 8
_SKIP, _BLEND, _COPY = 0, 1, 2


# One morphology pass does both the one-pixel rim and the pooling over a cell: the kernel spans
# the cell plus the rim, anchored so that output (y, x) covers cell rows y..y+CELL_ROWS.
_K_CELL = np.ones((CELL_ROWS + 2, CELL_COLS + 2), np.uint8)


def blend_plan(alpha: np.ndarray, size: tuple[int, int]) -> list[tuple[int, int, int, int, int]]:
    """Where the full-resolution blend has work to do: (op, x0, y0, x1, y1) rectangles.

    ``alpha`` is the low-resolution matte, ``size`` the output size. Output pixels whose bilinear
    matte samples are all 0 keep the background (no rectangle), those whose samples are all 1
    are a plain copy of the frame (``_COPY``), the rest are blended (``_BLEND``). Decided per cell
    of matte pixels, each judged with a one-pixel rim: every matte pixel that a bilinear read
    inside the cell can touch.
    """
    mh, mw = alpha.shape
    w, h = size
    some = cv2.dilate((alpha > 0).view(np.uint8), _K_CELL, anchor=(1, 1))
    some = some[::CELL_ROWS, ::CELL_COLS]
    full = cv2.erode(
        (alpha >= 1.0).view(np.uint8), _K_CELL, anchor=(1, 1), borderType=cv2.BORDER_REPLICATE
    )[::CELL_ROWS, ::CELL_COLS]
    cls = np.where(full > 0, _COPY, np.where(some > 0, _BLEND, _SKIP)).astype(np.int8)
    nb, nc = cls.shape
    # Runs of equal class along each band: where each starts and (the next start) ends.
    change = np.ones((nb, nc), bool)
    change[:, 1:] = cls[:, 1:] != cls[:, :-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], nb * nc)
    band, c0 = np.divmod(starts, nc)
    c1 = np.where(ends // nc == band, ends % nc, nc)
    op = cls.ravel()[starts]
    # Output pixel x belongs to matte pixel c when c <= (x + 0.5) * mw / w < c + 1.
    xs = np.ceil(np.minimum(np.arange(nc + 1) * CELL_COLS, mw) * (w / mw) - 0.5).astype(int)
    ys = np.ceil(np.minimum(np.arange(nb + 1) * CELL_ROWS, mh) * (h / mh) - 0.5).astype(int)
    xs, ys = np.clip(xs, 0, w), np.clip(ys, 0, h)
    rects = np.stack([op, xs[c0], ys[band], xs[c1], ys[band + 1]], axis=1)
    keep = (op != _SKIP) & (rects[:, 3] > rects[:, 1]) & (rects[:, 4] > rects[:, 2])
    return [tuple(r) for r in rects[keep].tolist()]


class CpuCompositor:
    """Renders an effect for a frame and its matte at any output size.

    The full-resolution work is one bilinear upsample of the small blurred background and one of
    the matte, and a blend ``F * a + B * (1 - a)`` only where the matte is neither 0 nor 1.
    """

    name = "cpu"

    def __init__(self, alone_below: int = 0) -> None:
        """``alone_below``: outputs with fewer pixels are rendered on the caller's thread alone.
        The helper thread halves a render's time but costs CPU to hand work over; a live
        window, paced by its camera, wants the CPU (the pipeline passes
        ``OWN_POOL_MIN_PIXELS``), a file or a benchmark the time.
        """
        self.alone_below = alone_below
        self._bg_key: tuple[int, tuple[int, int]] | None = None
        self._bg: np.ndarray | None = None
        self._buf: _Buffers | None = None
        # What ``prepare`` made: (the guide it used, its plan, plain_blur's result).
        self._early: tuple[np.ndarray, BlurPlan, tuple[np.ndarray, np.ndarray]] | None = None
        self._helper = WorkerThread("focuscam-helper")

    def close(self) -> None:
        """Stop the helper thread (it starts again if the compositor is used again)."""
        self._helper.close()

    def __enter__(self) -> CpuCompositor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, alone: bool, fn, *args) -> Future:
        """``fn(*args)`` on the helper thread, or right here when rendering ``alone``."""
        if not alone:
            return self._helper.submit(fn, *args)
        done: Future = Future()
        done.set_result(fn(*args))
        return done

    def _buffers(self, w: int, h: int) -> _Buffers:
        if self._buf is None or self._buf.size != (w, h):
            self._buf = _Buffers(w, h)
        return self._buf

    def _replacement(self, spec: EffectSpec, size: tuple[int, int]) -> np.ndarray:
        """What goes behind the person for replace (a picture, or a moving background's
        current frame) and key (the key colour), at ``size``; a still one kept between frames."""
        if spec.effect == "key":
            key = ("key", spec.key_color, size)
            if self._bg_key != key:
                self._bg = np.empty((size[1], size[0], 3), np.uint8)
                self._bg[:] = spec.key_color
                self._bg_key = key
        elif isinstance(spec.background, MovingBackground):
            return spec.background.frame(size)
        else:
            key = (id(spec.background), size)
            if self._bg_key != key:
                self._bg, self._bg_key = background_picture(spec.background, size), key
        assert self._bg is not None
        return self._bg

    def prepare(self, guide: np.ndarray, spec: EffectSpec, size: tuple[int, int]) -> None:
        """Start the next ``render`` at ``size`` early, before its matte exists: the reduced
        background and its plain blur, from the guide. ``SegmentationEngine.process`` runs this
        while the model runs (``alongside``), where it costs nothing. ``render`` uses it when the
        matte's guide, the strength and the size match, and works it out itself otherwise."""
        self._early = None
        if spec.effect != "blur":
            return
        plan = blur_plan(tuple(size), spec.strength)
        if not plan.active or not plan.from_guide(guide):
            return
        small = downscale(guide, plan.work_size)
        self._early = (guide, plan, plain_blur(small, plan.sigma, plan.ksize))

    def background_small(
        self, matte: Matte, spec: EffectSpec, frame: np.ndarray
    ) -> np.ndarray | None:
        """The blurred background at the plan's reduced size (None when there is no blur)."""
        h, w = frame.shape[:2]
        plan = blur_plan((w, h), spec.strength)
        if not plan.active:
            return None
        alpha_small = downscale(matte.alpha, plan.work_size)
        if spec.effect == "lens":
            self._early = None
            return lens_background(frame, alpha_small, plan.work_size, plan.sigma)
        early, self._early = self._early, None
        if early is not None and early[0] is matte.guide and early[1] == plan:
            parts = early[2]
        else:
            src = matte.guide if plan.from_guide(matte.guide) else frame
            parts = plain_blur(downscale(src, plan.work_size), plan.sigma, plan.ksize)
        return masked_background_blur(parts, alpha_small, plan.sigma, plan.ksize)

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
        if out is None or out.shape != (h, w, 3):
            out = np.empty((h, w, 3), np.uint8)
        if spec.effect == "none":
            np.copyto(out, frame)
            return out
        buf = self._buffers(w, h)
        if spec.effect in ("matte", "cutout"):
            a8 = cv2.resize(alpha_u8(matte.alpha), (w, h), interpolation=cv2.INTER_LINEAR)
            if spec.effect == "cutout":  # the frame, and the matte as its alpha (BGRA)
                return cv2.merge([*cv2.split(frame), a8])
            return cv2.cvtColor(a8, cv2.COLOR_GRAY2BGR, dst=out)
        # Two threads (unless ``alone``), each given long stretches of work that releases the
        # GIL (short numpy steps on both at once would mostly wait for each other): the helper
        # scales the matte up (first, so that it is done before this thread scales the
        # background up: both would want OpenCV's worker threads) while this one plans the
        # blend and makes the background; then each blends about half of the band.
        alone = w * h < self.alone_below
        scaling = self._submit(
            alone, cv2.resize, matte.alpha, buf.size, buf.alpha, 0, 0, cv2.INTER_LINEAR
        )
        try:
            rects = blend_plan(matte.alpha, (w, h))
            if spec.effect in ("replace", "key"):
                np.copyto(out, self._replacement(spec, (w, h)))
            else:
                small = self.background_small(matte, spec, frame)
                if small is None:
                    np.copyto(out, frame)
                    return out
                cv2.resize(small, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
        finally:
            scaling.result()  # never leave a helper job running past this call
        half = len(rects) if alone else _halfway(rects)
        other = self._submit(alone, _blend, rects[half:], frame, out, buf)
        try:
            _blend(rects[:half], frame, out, buf)
        finally:
            other.result()
        return out


# A blended pixel costs about this many copied ones.
_BLEND_COST = 4


def _halfway(rects: list[tuple[int, int, int, int, int]]) -> int:
    """Where to cut ``rects`` into two runs of about equal work."""
    if not rects:
        return 0
    cost = np.cumsum(
        [
            (x1 - x0) * (y1 - y0) * (_BLEND_COST if op == _BLEND else 1)
            for op, x0, y0, x1, y1 in rects
        ]
    )
    return int(np.searchsorted(cost, cost[-1] / 2))


def _blend(
    rects: list[tuple[int, int, int, int, int]], frame: np.ndarray, out: np.ndarray, buf: _Buffers
) -> None:
    """``out = frame * a + out * (1 - a)`` over blend rectangles; a plain copy over copy ones."""
    alpha, inv = buf.alpha, buf.inv
    for op, x0, y0, x1, y1 in rects:
        roi = out[y0:y1, x0:x1]
        if op == _COPY:
            np.copyto(roi, frame[y0:y1, x0:x1])
            continue
        a, b = alpha[y0:y1, x0:x1], inv[y0:y1, x0:x1]
        cv2.subtract(1.0, a, dst=b)
        cv2.blendLinear(frame[y0:y1, x0:x1], roi, a, b, dst=roi)
