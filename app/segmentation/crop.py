"""Where the model looks: a crop around the people, so that they get more of its input.

The selfie models see 256x256 or 256x144 pixels. A person filling half a 720p frame's height
is then about 70 model pixels tall, and background that touches them (a cup behind the head,
a chair) is judged at that coarse scale. Run on a crop around the people instead, at the
model's own aspect, the same person gets two to three times as many model pixels, and the
model sees the scene as it was trained to see a selfie.

``ViewPlanner`` follows the people from the last matte (with a margin, held still until they
move out of it, so that the model's input does not jitter). The whole frame is looked at as
well, every ``full_every`` frames, on a cut and whenever nothing is tracked, so that a newcomer
anywhere is found: on those frames the model runs twice, and the crop's answer is used inside
the crop, the whole frame's outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.common.resize import downscale

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in frame pixels
VETO_BELOW = 0.25  # the whole frame overrules the crop where its probability is below this
MAX_SQUEEZE = np.log(1.2)  # how far a crop's shape may be from the model's (log of the ratio)


def aspect_gap(a: float, b: float) -> float:
    """How far apart two shapes (w / h) are: the log of their ratio, either way round."""
    return abs(float(np.log(a / b)))


@dataclass(frozen=True)
class CropParams:
    margin: float = 0.15  # around the people's box, as a share of its larger side
    hold_margin: float = 0.04  # the held crop is kept while the box plus this fits inside it ...
    hold_slack: float = 1.6  # ... and the held crop is at most this many times the area needed
    max_share: float = 0.6  # a crop over this share of the frame's area gains little: whole frame
    full_every: int = 3  # the whole frame is looked at this often, besides every crop
    min_prob: float = 0.5  # model probability that counts as "somebody"
    growth: float = 1.15  # the people's box growing this much in a frame: look at everything


def people_box(prob: np.ndarray, frame_size: tuple[int, int], threshold: float) -> Box | None:
    """The box (frame pixels) of everything above ``threshold`` in ``prob`` (any grid size)."""
    x, y, bw, bh = cv2.boundingRect((prob > threshold).view(np.uint8))
    if bw == 0:
        return None
    gh, gw = prob.shape
    sx, sy = frame_size[0] / gw, frame_size[1] / gh
    return (x * sx, y * sy, (x + bw) * sx, (y + bh) * sy)


def crop_for(box: Box, frame_size: tuple[int, int], aspect: float, margin: float) -> Box | None:
    """A crop of ``aspect`` (w / h) around ``box`` grown by ``margin``, inside the frame, or None
    when no such crop fits."""
    w, h = frame_size
    x0, y0, x1, y1 = box
    m = margin * max(x1 - x0, y1 - y0)
    # The margin stops at the frame's edges (a person at a webcam is cut by the bottom one).
    x0, y0, x1, y1 = max(0.0, x0 - m), max(0.0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    cw, ch = x1 - x0, y1 - y0
    if cw / ch < aspect:
        cw = ch * aspect
    else:
        ch = cw / aspect
    # Cut by the frame, the crop may be a little off the model's shape (it is then squeezed a
    # little, as the peers squeeze whole 4:3 frames into the 16:9 model); not more than that.
    cw, ch = min(cw, w), min(ch, h)
    if aspect_gap(cw / ch, aspect) > MAX_SQUEEZE:
        return None
    cx = min(max((x0 + x1) / 2, cw / 2), w - cw / 2)
    cy = min(max((y0 + y1) / 2, ch / 2), h - ch / 2)
    return (cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2)


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[2] <= outer[2] + 0.5
        and inner[3] <= outer[3] + 0.5
    )


def _area(b: Box) -> float:
    return (b[2] - b[0]) * (b[3] - b[1])


def cut_out(
    image: np.ndarray, crop: Box, frame_size: tuple[int, int], size: tuple[int, int]
) -> np.ndarray:
    """``crop`` (frame pixels) of ``image`` (the frame, or the frame already scaled down) at the
    model's input ``size``, as the whole frame is shrunk for it (``downscale``)."""
    s = image.shape[1] / frame_size[0]
    x0, y0, x1, y1 = (round(v * s) for v in crop)
    return downscale(image[y0:y1, x0:x1], size)


def paste(
    prob: np.ndarray, crop_prob: np.ndarray, crop: Box, frame_size: tuple[int, int]
) -> np.ndarray:
    """``prob`` (a grid over the whole frame) with the crop's region replaced by ``crop_prob``
    (the model's answer for the crop), resampled onto the grid. In place; returns ``prob``."""
    gh, gw = prob.shape
    ch, cw = crop_prob.shape
    x0, y0, x1, y1 = (round(v) for v in crop)
    sx, sy = gw / frame_size[0], gh / frame_size[1]
    # Grid pixel centre g maps to crop pixel (g + 0.5) / s - x0) * cw / (x1 - x0) - 0.5.
    kx, ky = cw / ((x1 - x0) * sx), ch / ((y1 - y0) * sy)
    m = np.float32([[kx, 0, 0.5 * kx - x0 * sx * kx - 0.5], [0, ky, 0.5 * ky - y0 * sy * ky - 0.5]])
    gx0, gy0 = max(0, int(np.floor(x0 * sx))), max(0, int(np.floor(y0 * sy)))
    gx1, gy1 = min(gw, int(np.ceil(x1 * sx))), min(gh, int(np.ceil(y1 * sy)))
    region = cv2.warpAffine(
        np.ascontiguousarray(crop_prob, np.float32),
        m @ np.float32([[1, 0, gx0], [0, 1, gy0], [0, 0, 1]]),
        (gx1 - gx0, gy1 - gy0),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    prob[gy0:gy1, gx0:gx1] = region
    return prob


# A disagreement at least this thick (grid pixels) is a region, not an outline.
_K_REGION = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


def _holes(person: np.ndarray) -> np.ndarray:
    """Where ``person`` (bool) is False but enclosed: background that does not reach the edge."""
    n, labels = cv2.connectedComponents((~person).view(np.uint8), connectivity=4)
    edge = np.zeros(n, bool)
    for side in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        edge[side] = True
    edge[0] = True  # label 0 is the person itself
    return ~np.take(edge, labels)


def _unmatched(regions: np.ndarray, other: np.ndarray, share: float = 0.3) -> np.ndarray:
    """The connected parts of ``regions`` (bool) that ``other`` covers less than ``share`` of."""
    n, labels = cv2.connectedComponents(regions.view(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(regions.shape, bool)
    area = np.bincount(labels.ravel(), minlength=n)
    covered = np.bincount(labels[other], minlength=n)
    lone = covered < share * area
    lone[0] = False
    return np.take(lone, labels)


def big_blobs(prob: np.ndarray, min_share: float, threshold: float = 0.5) -> np.ndarray:
    """A uint8 0/1 map of the regions above ``threshold`` covering at least ``min_share`` of
    ``prob``: what the whole frame showed that might be somebody (specks left out)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        (prob > threshold).view(np.uint8), connectivity=8
    )
    big = stats[:, cv2.CC_STAT_AREA] >= min_share * prob.size
    big[0] = False
    return np.take(big.astype(np.uint8), labels)


class ViewPlanner:
    """Decides, frame by frame, where the model looks (see the module's docstring)."""

    def __init__(self, aspects: tuple[float, ...], params: CropParams | None = None) -> None:
        """``aspects``: the shapes (w / h) of the models' inputs; a crop takes one of them."""
        self.aspects = aspects
        self.params = params or CropParams()
        self.reset()

    def reset(self) -> None:
        self._crop: Box | None = None
        self._since_full = 0
        self._size: tuple[int, int] | None = None
        self._seen: np.ndarray | None = None  # big blobs of the last whole-frame look
        self._box: Box | None = None  # the people's box last frame
        # Where the crop's answer gave way to the whole frame's at the last look (merge).
        self._fix: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def plan(self, frame_size: tuple[int, int]) -> tuple[Box | None, bool]:
        """(the crop to run the model on or None, whether to look at the whole frame too)."""
        if frame_size != self._size:
            self.reset()
            self._size = frame_size
        crop = self._crop
        full = crop is None or self._since_full + 1 >= self.params.full_every
        self._since_full = 0 if full else self._since_full + 1
        return crop, full

    def merge(self, full: np.ndarray | None, cropped: np.ndarray) -> np.ndarray:
        """The crop's answer (``cropped``: pasted over ``full`` or over nothing), except where
        the two disagree over a whole region rather than along an outline; then the whole
        frame's answer stands where the crop alone sees somebody (a handlebar or a chair back,
        seen close, that joins the head), and where the crop leaves a hole inside a person
        that the whole frame fills (a face the closer look missed). What the whole frame alone
        sees outside the crop's person (a cup behind the head) stays out. Thin differences
        along an outline are the crop's finer edges and stay. Remembered between whole-frame
        looks."""
        if full is not None:
            said = cropped > 0.5
            # Only where the whole frame is sure: its coarse look is often unsure over a face.
            alone = (said & (full < VETO_BELOW)).view(np.uint8)
            veto = cv2.morphologyEx(alone, cv2.MORPH_OPEN, _K_REGION).view(bool)
            # Where the whole frame sees somebody and the crop is unsure (a helmet held at the
            # chest) or leaves a hole inside the person (a face it missed), the whole frame's
            # answer is taken; where the crop is sure it is background (a cup behind the head,
            # which the whole frame joined to the person), the crop's stays.
            unsure = ((full > 0.5) & (cropped >= VETO_BELOW) & (cropped < full)).view(np.uint8)
            fill = cv2.morphologyEx(unsure, cv2.MORPH_OPEN, _K_REGION).view(bool)
            fill |= _holes(said) & (full > 0.5)
            # A whole region the crop drops (somebody half in view at the side, seen too close
            # to make out) is not the crop's to delete: the person gate judges it as it is.
            fill |= _unmatched(full > 0.5, said)
            self._fix = (veto, fill, full) if (veto.any() or fill.any()) else None
        if self._fix is not None and self._fix[2].shape == cropped.shape:
            veto, fill, said = self._fix
            cropped[veto] = np.minimum(cropped[veto], said[veto])
            cropped[fill] = np.maximum(cropped[fill], said[fill])
        return cropped

    def first_crop(self, seen: np.ndarray, frame_size: tuple[int, int]) -> Box | None:
        """A crop around what a whole-frame look showed, when nothing was tracked: the model
        then looks again, closer, on the same frame (and a photo gets its crop at once)."""
        box = people_box(seen, frame_size, 0.5)
        return None if box is None else self._fresh(box, frame_size)

    def update(
        self, people: np.ndarray | None, frame_size: tuple[int, int], seen: np.ndarray | None
    ) -> None:
        """Follow the people in ``people`` (the matte, any grid; None after a cut: look at the
        whole frame next) and whatever the last whole-frame look showed (``seen``, when this
        frame had one), so that a newcomer the person gate has not yet judged stays in view."""
        p = self.params
        if seen is not None:
            self._seen = seen
        if people is None:
            self._crop, self._seen = None, None
            return
        box = _union(
            people_box(people, frame_size, p.min_prob),
            None if self._seen is None else people_box(self._seen, frame_size, 0.5),
        )
        if box is None:
            self._crop = None
            return
        held = self._crop
        grew = self._box is not None and _area(box) > p.growth * _area(self._box)
        self._box = box
        if held is not None and (grew or _reaches_border(box, held, frame_size)):
            # Somebody goes on beyond the crop, or grows fast (walking in, standing up): what
            # is beyond it is unknown, so the next frame looks at the whole frame and crops
            # from there.
            self._crop = None
            return
        if held is not None:
            aspect = (held[2] - held[0]) / (held[3] - held[1])
            need = crop_for(box, frame_size, aspect, p.hold_margin)
            if (
                need is not None
                and _inside(need, held)
                and _area(held) <= p.hold_slack * _area(need)
            ):
                return
        self._crop = self._fresh(box, frame_size)

    def _fresh(self, box: Box, frame_size: tuple[int, int]) -> Box | None:
        """The crop around ``box`` at the model aspect nearest the box's own, if it is worth it."""
        p = self.params
        w, h = frame_size
        if box[0] <= 1 or box[2] >= w - 1:
            # Somebody cut by the frame's side is coming or going: their hidden part cannot be
            # judged from a crop of the part in view, and the whole frame sees it grow.
            return None
        own = (box[2] - box[0]) / max(1e-6, box[3] - box[1])
        for aspect in sorted(self.aspects, key=lambda a: aspect_gap(a, own)):
            crop = crop_for(box, frame_size, aspect, p.margin)
            if crop is not None and _area(crop) <= p.max_share * w * h:
                return crop
        return None


def _reaches_border(box: Box, crop: Box, frame_size: tuple[int, int], share: float = 0.04) -> bool:
    """Whether ``box`` comes within ``share`` of the crop's size of an edge of ``crop`` that is
    not an edge of the frame (the matte fades a few pixels before the crop's edge cuts it)."""
    w, h = frame_size
    px, py = share * (crop[2] - crop[0]), share * (crop[3] - crop[1])
    return (
        (crop[0] > 1 and box[0] <= crop[0] + px)
        or (crop[1] > 1 and box[1] <= crop[1] + py)
        or (crop[2] < w - 1 and box[2] >= crop[2] - px)
        or (crop[3] < h - 1 and box[3] >= crop[3] - py)
    )


def _union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
