"""Turn the model's raw, low-resolution, flickering mask into a matte worth compositing.

All of it runs at low resolution (model and guide sizes), in this order:
1. Spurious regions: person blobs that are small or unsure are dropped, and, with a face detector,
   a blob only counts as a person once a face has been seen inside it; after that it stays a
   person for as long as it can be followed from frame to frame. This is what keeps a pet, a
   coffee cup or a face on a poster from being "the subject".
2. Temporal smoothing: a per-pixel running average whose weight rises with evidence of motion
   (image change, or a large mask change), so a still subject stops shimmering while a moving one
   is followed at once. The guide image is denoised with the same weights. A scene cut or a camera
   switch resets the history.
3. Edge-aware upsampling: a guided filter against the (denoised) frame at the guide resolution
   snaps the matte's edges to the image's own edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.frames import Matte

# Face centres (x, y in 0..1) found in a BGR image.
FaceFinder = Callable[[np.ndarray], list[tuple[float, float]]]


@dataclass(frozen=True)
class RefineParams:
    temporal: bool = True
    k_still: float = 0.2  # weight of the new mask where nothing moves
    motion_lo: float = 0.02  # luma change (0..1) below which a pixel counts as still
    motion_hi: float = 0.08  # luma change above which the new values are taken as they are
    jump_lo: float = 0.35  # a mask change this large starts to count as real, not flicker ...
    jump_hi: float = 0.70  # ... and from here on is taken as is
    scene_cut: float = 0.20  # mean luma change that resets the history
    cleanup: bool = True
    min_region: float = 0.01  # blobs smaller than this share of the frame are dropped ...
    min_region_rel: float = 0.10  # ... as are blobs smaller than this share of the largest
    min_mean_conf: float = 0.70  # and blobs whose mean confidence is below this
    face_gate: bool = True  # a blob needs a face seen in it to count as a person
    face_interval: int = 30  # frames between face searches while some blob is unconfirmed
    track_overlap: float = 0.3  # share of a blob that must overlap last frame's person to follow it
    guided: bool = True
    guided_radius: int = 4  # box radius at guide resolution
    guided_eps: float = 1e-3


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) * (1.0 / (hi - lo)), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


_K3 = np.ones((3, 3), np.uint8)


def _zero_blobs(prob: np.ndarray, labels: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """Zero the labelled blobs flagged in ``drop`` (indexed by label), rim included."""
    if not drop.any():
        return prob
    drop_mask = cv2.dilate(drop.astype(np.uint8)[labels], _K3)
    keep_mask = cv2.dilate((~drop & (np.arange(drop.size) > 0)).astype(np.uint8)[labels], _K3)
    out = prob.copy()
    out[(drop_mask > 0) & (keep_mask == 0)] = 0.0
    return out


def blobs(prob: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(count incl. background, labels, areas, mean confidence) of the person blobs."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((prob > 0.5).astype(np.uint8))
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    sums = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=n)
    return n, labels, areas, sums / np.maximum(areas, 1)


def remove_spurious(prob: np.ndarray, p: RefineParams) -> np.ndarray:
    """Zero the person blobs that are too small or too unsure to be the subject."""
    n, labels, areas, mean_conf = blobs(prob)
    if n <= 1:
        return prob
    drop = np.zeros(n, bool)
    fg = areas[1:]
    drop[1:] = (
        (fg < p.min_region * prob.size)
        | (fg < p.min_region_rel * fg.max())
        | (mean_conf[1:] < p.min_mean_conf)
    )
    return _zero_blobs(prob, labels, drop)


class PersonGate:
    """Keeps only the blobs where a face has been seen, and follows them from frame to frame."""

    def __init__(self, find_faces: FaceFinder, params: RefineParams) -> None:
        self.find_faces = find_faces
        self.params = params
        self.reset()
        self.searches = 0  # face searches run (the benchmark and tests read it)

    def reset(self) -> None:
        self._confirmed: np.ndarray | None = None
        self._since_search = 10**9  # search on the first frame after a reset

    def __call__(self, prob: np.ndarray, image_bgr: np.ndarray) -> np.ndarray:
        p = self.params
        n, labels, areas, _ = blobs(prob)
        self._since_search += 1
        if n <= 1:
            self._confirmed = None
            return prob
        ok = np.zeros(n, bool)
        if self._confirmed is not None and self._confirmed.shape == prob.shape:
            overlap = np.bincount(labels.ravel(), weights=self._confirmed.ravel(), minlength=n)
            ok = overlap >= p.track_overlap * areas
        ok[0] = False
        if not ok[1:].all() and self._since_search >= p.face_interval:
            self._since_search = 0
            self.searches += 1
            h, w = prob.shape
            for fx, fy in self.find_faces(image_bgr):
                x, y = min(w - 1, max(0, int(fx * w))), min(h - 1, max(0, int(fy * h)))
                if labels[y, x] > 0:
                    ok[labels[y, x]] = True
        drop = ~ok
        drop[0] = False
        out = _zero_blobs(prob, labels, drop)
        # Dilated so that next frame's blob, a few pixels further on, still overlaps.
        keep = ok[labels].astype(np.uint8)
        self._confirmed = cv2.dilate(keep, np.ones((7, 7), np.uint8)).astype(np.float64)
        return out


class MatteRefiner:
    """Stateful (temporal) refinement for one stream; ``reset()`` on a camera switch."""

    def __init__(self, params: RefineParams | None = None, find_faces: FaceFinder | None = None):
        self.params = params or RefineParams()
        self.gate = PersonGate(find_faces, self.params) if (find_faces and self.params.face_gate) else None
        self.reset()

    def reset(self) -> None:
        self._prev_alpha: np.ndarray | None = None
        self._prev_luma: np.ndarray | None = None
        if self.gate is not None:
            self.gate.reset()

    def _temporal(self, prob: np.ndarray, luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Motion-adaptive running average of the mask (model res) and the luma (guide res)."""
        p = self.params
        prev_a, prev_l = self._prev_alpha, self._prev_luma
        if (
            prev_a is None
            or prev_l is None
            or prev_a.shape != prob.shape
            or prev_l.shape != luma.shape
            or float(cv2.absdiff(luma, prev_l).mean()) > p.scene_cut
        ):
            self._prev_alpha, self._prev_luma = prob, luma
            return prob, luma
        # Compare lightly blurred images so sensor noise does not read as motion, and spread the
        # change a little: an edge that moved affects the mask beside it.
        change = cv2.absdiff(cv2.blur(luma, (3, 3)), cv2.blur(prev_l, (3, 3)))
        motion = _smoothstep(cv2.dilate(change, np.ones((5, 5), np.uint8)), p.motion_lo, p.motion_hi)
        k_luma = p.k_still + (1.0 - p.k_still) * motion
        luma_out = prev_l + k_luma * (luma - prev_l)
        mh, mw = prob.shape
        motion_small = cv2.resize(motion, (mw, mh), interpolation=cv2.INTER_AREA)
        jump = _smoothstep(np.abs(prob - prev_a), p.jump_lo, p.jump_hi)
        k = p.k_still + (1.0 - p.k_still) * np.maximum(motion_small, jump)
        alpha = prev_a + k * (prob - prev_a)
        self._prev_alpha, self._prev_luma = alpha, luma_out
        return alpha, luma_out

    def __call__(self, prob: np.ndarray, guide_bgr: np.ndarray, model: str = "") -> Matte:
        p = self.params
        prob = prob.astype(np.float32, copy=False)
        if p.cleanup:
            prob = remove_spurious(prob, p)
        if self.gate is not None:
            prob = self.gate(prob, guide_bgr)
        gh, gw = guide_bgr.shape[:2]
        luma = cv2.cvtColor(guide_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32) * (1.0 / 255.0)
        if p.temporal:
            prob, luma = self._temporal(prob, luma)
        up = cv2.resize(prob, (gw, gh), interpolation=cv2.INTER_LINEAR)
        if p.guided:
            up = guided_filter(luma, up, p.guided_radius, p.guided_eps)
        return Matte(alpha=up, guide=guide_bgr, model=model)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Grey-guide guided filter (He et al.), clipped to 0..1; ``guide`` in 0..1 float32."""
    ksize = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, ksize, borderType=cv2.BORDER_REFLECT)

    mean_i = box(guide)
    mean_p = box(src)
    cov_ip = box(guide * src) - mean_i * mean_p
    var_i = box(guide * guide) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    q = box(a) * guide + box(b)
    return np.clip(q, 0.0, 1.0, out=q)
