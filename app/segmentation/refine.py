"""Turn the model's raw, low-resolution, flickering mask into a matte worth compositing.

All of it runs at low resolution (model and guide sizes), in this order:
1. Spurious regions: person blobs that are small are dropped, and the person gate (gate.py)
   keeps only people: clearly head-and-shoulders shaped regions, regions with a face over
   shoulders, and people who keep earning that evidence (an unsure region is the gate's to
   judge). This is what keeps a pet, a coffee cup or a face on a poster from being "the
   subject" without ever dropping the subject.
2. Temporal smoothing: a per-pixel running average whose weight rises with evidence of motion
   (image change, or a large mask change unless the model just looked at another crop), so a
   still subject stops shimmering while a moving one is followed at once. The guide image is
   denoised with the same weights. A scene cut or a camera switch resets the history.
3. Edge-aware upsampling: a guided filter against the (denoised) frame at the guide resolution
   snaps the matte's edges to the image's own edges.
4. Colour at the edge: where the matte is soft, a pixel mixes the person and the background
   behind, so its alpha is where its colour falls between the two (``exact_edge``). A halo of
   wall around hair is found to be wall, and Replace and Blur show no fringe of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from app.frames import Matte
from app.segmentation.edge import exact_edge
from app.segmentation.gate import FaceFinder, GateParams, PersonGate


@dataclass(frozen=True)
class RefineParams:
    temporal: bool = True
    k_still: float = 0.2  # weight of the new mask where nothing moves
    motion_lo: float = 0.02  # luma change (0..1) below which a pixel counts as still
    motion_hi: float = 0.08  # luma change above which the new values are taken as they are
    jump_lo: float = 0.20  # a mask change this large starts to count as real, not flicker ...
    jump_hi: float = 0.50  # ... and from here on is taken as is
    scene_cut: float = 0.20  # mean luma change that resets the history
    cleanup: bool = True
    min_region: float = 0.01  # blobs smaller than this share of the frame are dropped ...
    min_region_rel: float = 0.10  # ... as are blobs smaller than this share of the largest
    min_mean_conf: float = 0.70  # and blobs whose mean confidence is below this
    face_gate: bool = True  # only people pass (app/segmentation/gate.py)
    gate: GateParams = field(default_factory=GateParams)
    guided: bool = True
    guided_radius: int = 2  # box radius at the model's resolution
    guided_eps: float = 1e-3
    snap: float = 0.02  # alpha below this becomes 0, above 1 - snap becomes 1 (linear between)
    edge_colour: bool = True  # make the soft edge exact from the pixel's colour (exact_edge)


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) * (1.0 / (hi - lo)), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


_K3 = np.ones((3, 3), np.uint8)
_K7 = np.ones((7, 7), np.uint8)
_K_ATTACH = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
# How far (model pixels) the matte may reach beyond a kept blob's 0.5 outline.
_K_SUPPORT = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))


def _paint(flags: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A uint8 0/1 image of the labelled blobs whose flag is set."""
    return np.take(flags.astype(np.uint8), labels)


def blobs(prob: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """(count incl. background, labels, areas) of the person blobs (probability above 0.5)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        (prob > 0.5).view(np.uint8), connectivity=8, ltype=cv2.CV_16U
    )
    return n, labels, stats[:, cv2.CC_STAT_AREA].astype(np.float64)


def spurious(
    prob: np.ndarray, labels: np.ndarray, areas: np.ndarray, p: RefineParams
) -> np.ndarray:
    """Flags (by label; never the background) for blobs too small or unsure to be the subject.

    Mean confidence is only worked out for the blobs big enough to keep (one or two, as a rule).
    With a person gate the size test is absolute only (a small person beside a large cat is
    still a person, and the gate judges the cat), and an unsure blob is the gate's to judge
    too: a person the model is unsure of (far back, in clothes the colour of the wall) is
    still a person when the gate has evidence, and the raw model's answer stands.
    """
    drop = np.zeros(areas.size, bool)
    if areas.size > 1:
        fg = areas[1:]
        drop[1:] = fg < p.min_region * prob.size
        if p.face_gate:
            return drop
        drop[1:] |= fg < p.min_region_rel * fg.max()
        for k in np.flatnonzero(~drop[1:]) + 1:
            inside = (labels == k).view(np.uint8)
            drop[k] = cv2.mean(prob, mask=inside)[0] < p.min_mean_conf
    return drop


def keep_blobs(prob: np.ndarray, labels: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """``prob`` with the blobs flagged in ``drop`` (by label) zeroed, rim included but not where
    it touches a kept blob, and with everything zeroed that is further from a kept blob than
    ``_K_SUPPORT`` reaches: low-confidence haze far from every kept blob is not the person."""
    kept = ~drop
    kept[0] = False
    kept_img = _paint(kept, labels)
    allowed = cv2.dilate(kept_img, _K_SUPPORT)
    if drop[1:].any():
        gone = cv2.dilate(_paint(drop, labels), _K3)
        cv2.subtract(gone, cv2.dilate(kept_img, _K3), dst=gone)
        cv2.subtract(allowed, gone, dst=allowed)
    return prob * allowed


@dataclass(frozen=True)
class GuideWork:
    """The frame's part of refinement (``MatteRefiner.prepare``)."""

    guide: np.ndarray  # the BGR guide image
    luma: np.ndarray  # its luma, 0..1, temporally denoised
    small: np.ndarray  # the same at the model's resolution
    motion: np.ndarray | None  # 0..1 per model pixel; None: no usable history (start, cut)
    stats: tuple[np.ndarray, np.ndarray] | None  # guide_stats(small, ...), when guided


class MatteRefiner:
    """Stateful (temporal) refinement for one stream; ``reset()`` on a camera switch."""

    def __init__(
        self,
        params: RefineParams | None = None,
        find_faces: FaceFinder | None = None,
        find_far_faces: FaceFinder | None = None,
    ):
        self.params = params or RefineParams()
        self.gate = (
            PersonGate(find_faces, self.params.gate, find_far_faces)
            if (find_faces and self.params.face_gate)
            else None
        )
        self.reset()

    def reset(self) -> None:
        self._prev_alpha: np.ndarray | None = None
        self._prev_luma: np.ndarray | None = None
        self._prev_small: np.ndarray | None = None
        if self.gate is not None:
            self.gate.reset()

    def prepare(self, guide_bgr: np.ndarray, mask_size: tuple[int, int]) -> GuideWork:
        """Everything the refiner needs from the frame alone, for a mask of ``mask_size`` (w, h).

        It does not need the model's output, so the engine runs it while the model does: the
        luma at both sizes, denoised with the motion-adaptive weights; the motion; the guided
        filter's image statistics. Nothing is remembered until ``finish``.
        """
        p = self.params
        luma = cv2.cvtColor(guide_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
        luma *= 1.0 / 255.0  # in place: one pass and no temporary, per frame
        small = cv2.resize(luma, mask_size, interpolation=cv2.INTER_AREA)
        motion = None
        prev_l, prev_s = self._prev_luma, self._prev_small
        if (
            p.temporal
            and prev_l is not None
            and prev_s is not None
            and prev_l.shape == luma.shape
            and prev_s.shape == small.shape
        ):
            # Motion is judged at the model's resolution: averaging down removes most sensor
            # noise, so noise does not read as motion, and it is four times cheaper.
            change = cv2.absdiff(small, prev_s)
            if cv2.mean(change)[0] <= p.scene_cut:  # else a cut: start afresh
                # Spread the change a little: an edge that moved affects the mask beside it.
                motion = _smoothstep(cv2.dilate(change, _K3), p.motion_lo, p.motion_hi)
                k_still = p.k_still
                k_motion = k_still + (1.0 - k_still) * motion
                k_luma = cv2.resize(
                    k_motion, (luma.shape[1], luma.shape[0]), interpolation=cv2.INTER_LINEAR
                )
                # luma = prev_l + k_luma * (luma - prev_l), in place (luma is this frame's own)
                np.subtract(luma, prev_l, out=luma)
                np.multiply(luma, k_luma, out=luma)
                np.add(luma, prev_l, out=luma)
                small = prev_s + k_motion * (small - prev_s)
        stats = guide_stats(small, p.guided_radius, p.guided_eps) if p.guided else None
        return GuideWork(guide_bgr, luma, small, motion, stats)

    def _temporal(self, prob: np.ndarray, work: GuideWork, new_view: bool) -> np.ndarray:
        """Motion-adaptive running average of the mask; remembers this frame for the next.
        On a ``new_view`` (the model looked at a different crop) a large mask change is not
        taken as real by itself: only the image's own motion speeds the average up."""
        p = self.params
        prev_a = self._prev_alpha
        alpha = prob
        if work.motion is not None and prev_a is not None and prev_a.shape == prob.shape:
            k_still = p.k_still
            if new_view:
                k = k_still + (1.0 - k_still) * work.motion
            else:
                jump = _smoothstep(cv2.absdiff(prob, prev_a), p.jump_lo, p.jump_hi)
                k = k_still + (1.0 - k_still) * np.maximum(work.motion, jump)
            alpha = prev_a + k * (prob - prev_a)
        self._prev_alpha, self._prev_luma, self._prev_small = alpha, work.luma, work.small
        return alpha

    def __call__(self, prob: np.ndarray, guide_bgr: np.ndarray, model: str = "") -> Matte:
        return self.finish(prob, self.prepare(guide_bgr, (prob.shape[1], prob.shape[0])), model)

    def finish(
        self, prob: np.ndarray, work: GuideWork, model: str = "", new_view: bool = False
    ) -> Matte:
        """The matte for the model's ``prob`` and this frame's ``prepare`` result."""
        p = self.params
        guide_bgr = work.guide
        prob = prob.astype(np.float32, copy=False)
        if p.cleanup or self.gate is not None:
            n, labels, areas = blobs(prob)
            drop = spurious(prob, labels, areas, p) if p.cleanup else np.zeros(n, bool)
            if self.gate is not None:
                candidates = ~drop
                candidates[0] = False
                people = self.gate.confirmed(labels, areas, candidates, prob, guide_bgr)
                people[0] = False
                if people.any():
                    # Pieces of a person the model split off (a hand, a held helmet, a
                    # shoulder at the frame's edge) are kept with the person: any blob
                    # within a few pixels of one, however small.
                    near = cv2.dilate(_paint(people, labels), _K_ATTACH).view(bool)
                    people |= np.bincount(labels[near], minlength=n) > 0
                    people[0] = False
                drop = ~people
            drop[0] = False
            prob = keep_blobs(prob, labels, drop)
        if p.temporal:
            prob = self._temporal(prob, work, new_view)
        # Exact 0 and 1 over the clear background and the body (``snap``: a difference of at
        # most 5/255 that nobody can see) let the compositor copy instead of blend there.
        if p.guided:
            alpha = guided_filter(
                work.small, prob, work.luma, p.guided_radius, p.guided_eps, work.stats, p.snap
            )
        else:
            gh, gw = guide_bgr.shape[:2]
            alpha = cv2.resize(prob, (gw, gh), interpolation=cv2.INTER_LINEAR)
            if p.snap > 0:
                cv2.subtract(alpha, p.snap, dst=alpha)
                cv2.multiply(alpha, 1.0 / (1.0 - 2.0 * p.snap), dst=alpha)
                np.clip(alpha, 0.0, 1.0, out=alpha)
        if p.edge_colour:
            alpha = exact_edge(alpha, guide_bgr)
        return Matte(alpha=alpha, guide=guide_bgr, model=model)


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    k = 2 * radius + 1
    return cv2.blur(x, (k, k), borderType=cv2.BORDER_REFLECT)


def guide_stats(luma_small: np.ndarray, radius: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's local mean of the guide image and its local variance plus ``eps``:
    they do not depend on the mask, so they can be worked out before the mask exists."""
    mean_i = _box(luma_small, radius)
    var_i = _box(luma_small * luma_small, radius) - mean_i * mean_i
    var_i += eps
    return mean_i, var_i


def guided_filter(
    luma_small: np.ndarray,
    prob: np.ndarray,
    luma: np.ndarray,
    radius: int,
    eps: float,
    stats: tuple[np.ndarray, np.ndarray] | None = None,
    snap: float = 0.0,
) -> np.ndarray:
    """Fast guided filter (He & Sun, 2015), clipped to 0..1.

    The linear coefficients A, B are fitted at the model's resolution (``luma_small`` against
    ``prob``), then evaluated as ``A * luma + B`` on the larger ``luma``: the matte's edges
    land where the image's edges are, at a quarter of the cost of filtering at the larger size.
    ``stats`` is ``guide_stats(luma_small, radius, eps)`` when already computed. With ``snap``,
    values below it become 0 and above ``1 - snap`` become 1, linear in between (folded into
    A and B, so it costs nothing at the larger size).
    """
    mean_i, var_eps = stats if stats is not None else guide_stats(luma_small, radius, eps)
    mean_p = _box(prob, radius)
    cov_ip = _box(luma_small * prob, radius) - mean_i * mean_p
    a = cov_ip / var_eps
    b = mean_p - a * mean_i
    a, b = _box(a, radius), _box(b, radius)
    if snap > 0:
        gain = 1.0 / (1.0 - 2.0 * snap)
        a *= gain
        b -= snap
        b *= gain
    h, w = luma.shape
    a_up = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
    q = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    cv2.accumulateProduct(a_up, luma, q)  # q += a_up * luma
    return np.clip(q, 0.0, 1.0, out=q)
