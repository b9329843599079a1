"""Which of the model's blobs are people: the person gate.

The selfie model lights up more than people: a cat's face, a coffee cup filling the frame, a
face on a poster. Dropping everything without a face detection (the old rule) lost real people
whose face the detector missed, which is far worse: a user blurred away cannot fix it, while a
visible cat can be lived with. So a blob becomes a person on either of this evidence:

1. **A face is found in it.** Faces are searched on a crop around the top of each unconfirmed
   blob, where even a distant person's face fills much of the detector's input (the
   short-range detector on the whole 16:9 frame misses faces under ~15% of its width); the
   full-range detector is tried on the crop when the short-range one finds nothing. A blob
   other than the dominant one also has to stand on the bottom edge or be at least
   ``secondary_min_share`` of the dominant one: a second person beside you is a person, a
   framed face on the wall behind you is not.
2. **It is a confident region, clearly head-and-shoulders shaped.** Mean confidence at least
   ``shape_min_conf``, standing on the frame's bottom edge (a person at a webcam is cut by the
   bottom of the picture), the widest row of its top 30% at most ``accept_head_ratio`` of the
   widest row of its lower half, and that top as confident as the whole (a head is; a thin,
   unsure spur over a pet or a chair is not). Measured on the first frames of every truth
   scene: people 0.26 to 0.50; pets, cups and mugs 0.79 to 0.92. No face is needed, so a
   person whose face is hidden or missed is kept (from the stream's first frame at once, later
   once the shape has shown on two frames running); and for ``trial_frames`` after that the
   shape must hold (loosely) on every frame: a person's does, a chance outline of a
   motorbike's tank over a cup passed on one frame and not the next.

Evidence must be re-earned: a person stays one while they overlap last frame's people (turning
away, looking down or a hand before the face never makes someone vanish) and while, at least
once every ``forget_frames``, a face is found in them or they are head-and-shoulders shaped by
the looser ``keep_head_ratio`` (a person seen from behind, or behind a tablet, still is). A
blob that was called a person by mistake is therefore dropped again after that long.

While any candidate is unconfirmed and new (seen for fewer than ``newcomer_frames``), its crop
is searched every frame (a crop search costs about a millisecond), so a person who walks in is
in the matte within a few frames; after that, every ``face_interval`` frames, and a tracked
person without shape evidence is searched as often.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.segmentation.base import FaceBox

FaceFinder = Callable[[np.ndarray], list[FaceBox]]

_K7 = np.ones((7, 7), np.uint8)


@dataclass(frozen=True)
class GateParams:
    track_overlap: float = 0.3  # share of a blob that must overlap last frame's people
    shape_min_conf: float = 0.75
    accept_head_ratio: float = 0.65  # head-and-shoulders enough to call a new blob a person
    keep_head_ratio: float = 0.8  # ... and to keep calling a tracked one a person
    forget_frames: int = 45  # a tracked blob with no evidence for this long is dropped
    memory_frames: int = 15  # a person the model misses is remembered where they were this long
    trial_frames: int = 5  # a blob taken on its shape alone must keep it (loosely) this long
    face_min_score: float = 0.75  # a face must score this (cat faces scored 0.5 to 0.65)
    shoulders_per_face: float = 1.8  # the blob's widest row below the face, in face widths
    secondary_min_share: float = 0.3
    newcomer_frames: int = 10  # search every frame for this long after a candidate appears
    face_interval: int = 10  # then every this many frames


@dataclass(frozen=True)
class BlobShape:
    """What the gate knows about one blob, at the model's resolution."""

    area: float  # share of the frame
    conf: float  # mean person probability inside
    bottom: bool  # touches the frame's bottom edge
    head_ratio: float  # widest row in the top 30% / widest row in the lower half
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    head_x: float  # centre of the top rows, in pixels
    head_conf: float = 1.0  # mean person probability over the top 30% of its rows

    def person_shaped(self, p: GateParams, keep: bool = False) -> bool:
        """Head-and-shoulders on the bottom edge: by the strict ratio to accept a new blob, by
        the looser one (``keep``) to keep a tracked one."""
        ratio = p.keep_head_ratio if keep else p.accept_head_ratio
        return (
            self.outlined(ratio)
            and self.conf >= p.shape_min_conf
            and self.head_conf >= p.shape_min_conf
        )

    def outlined(self, ratio: float) -> bool:
        """The outline alone, whatever the model's confidence: on the bottom edge, the top at
        most ``ratio`` of the lower half wide."""
        return self.bottom and self.head_ratio <= ratio


def blob_shape(mask: np.ndarray, prob: np.ndarray) -> BlobShape:
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    widths = np.count_nonzero(mask[y0:y1, x0:x1], axis=1)
    h = y1 - y0
    top = widths[: max(1, int(0.3 * h))]
    lower = widths[h // 2 :] if h > 1 else widths
    head_rows = mask[y0 : y0 + max(1, int(0.2 * h)), x0:x1]
    hy, hx = np.nonzero(head_rows)
    top_rows = slice(y0, y0 + top.size)
    head_conf = cv2.mean(prob[top_rows], mask=mask[top_rows].view(np.uint8))[0]
    return BlobShape(
        area=float(xs.size / mask.size),
        conf=float(cv2.mean(prob, mask=mask.view(np.uint8))[0]),
        bottom=y1 >= mask.shape[0],
        head_ratio=float(top.max() / max(1, lower.max())),
        box=(x0, y0, x1, y1),
        head_x=float(x0 + hx.mean()) if hx.size else (x0 + x1) / 2,
        head_conf=float(head_conf),
    )


class PersonGate:
    """Keeps the blobs that are people, and follows them from frame to frame."""

    def __init__(
        self,
        find_faces: FaceFinder | None,
        params: GateParams | None = None,
        find_far_faces: FaceFinder | None = None,
    ) -> None:
        self.find_faces = find_faces
        self.find_far_faces = find_far_faces
        self.params = params or GateParams()
        self.searches = 0  # crop searches run (the benchmark and tests read it)
        self.reset()

    def reset(self) -> None:
        self._confirmed: np.ndarray | None = None
        self._age: np.ndarray | None = None  # uint16: frames since each person's last evidence
        self._recent: np.ndarray | None = None  # uint8: frames left to remember a person here
        self._trial: np.ndarray | None = None  # uint8: frames a shape-only call is on trial
        self._shaped: np.ndarray | None = None  # blobs left open last frame despite the shape
        self._pending: np.ndarray | None = None  # where unconfirmed candidates were
        self._pending_age = 0
        self.reasons: dict[int, str] = {}  # label -> why it counts (last frame; for tests)

    def _overlap(self, mask: np.ndarray | None, labels, areas) -> np.ndarray:
        n = areas.size
        if mask is None or mask.shape != labels.shape:
            return np.zeros(n, bool)
        return np.bincount(labels[mask], minlength=n) >= self.params.track_overlap * areas

    def confirmed(
        self,
        labels: np.ndarray,
        areas: np.ndarray,
        candidates: np.ndarray,
        prob: np.ndarray,
        image_bgr: np.ndarray,
    ) -> np.ndarray:
        """Flags (indexed by label) for the candidate blobs that are a person."""
        p = self.params
        ok = self._overlap(self._confirmed, labels, areas) & candidates
        self.reasons = {}
        cand = np.flatnonzero(candidates)
        dominant = int(cand[np.argmax(areas[cand])]) if cand.size else 0
        shapes = {int(k): blob_shape(labels == k, prob) for k in cand}
        age = np.full(areas.size, 0, np.int64)
        trial = np.zeros(areas.size, np.int64)
        held = self._age is not None and self._age.shape == labels.shape
        for k in np.flatnonzero(ok):
            # A tracked person re-earns the call: head-and-shoulders (loosely), or a face
            # searched for as often as for a newcomer that waits; else it ages, and is dropped.
            # One taken on its shape alone must keep a head-and-shoulders outline (loosely;
            # the model may be less sure of it for a while) on every one of its first
            # ``trial_frames``: a person does, a chance outline of a motorbike's tank over a
            # cup does not.
            shape = shapes[int(k)]
            inside = labels == k
            age[k] = 1 + int(self._age[inside].min()) if held else 0
            trial[k] = max(0, int(self._trial[inside].max()) - 1) if held else 0
            if trial[k] > 0 and not shape.outlined(p.keep_head_ratio):
                ok[k] = False
                continue
            if shape.person_shaped(p, keep=True):
                age[k] = 0
            elif age[k] % p.face_interval == 0 and self._face_in(inside, shape, image_bgr):
                age[k] = 0
            if age[k] > p.forget_frames:
                ok[k] = False
            else:
                self.reasons[int(k)] = "tracked"
        open_ = [k for k in shapes if not ok[k] and int(k) not in self.reasons]
        if open_:
            # After the first frame, the shape must show on two frames running (or a face be
            # found): one frame's chance outline is not shown as a person even for that frame.
            # On the first frame nothing is known yet, and whoever is there is shown at once.
            first = self._confirmed is None
            was_shaped = self._overlap(self._shaped, labels, areas)
            shaped_now = np.zeros(areas.size, bool)
            for k in open_:
                if not shapes[k].person_shaped(p):
                    continue
                if first or was_shaped[k] or self._face_in(labels == k, shapes[k], image_bgr):
                    ok[k] = True
                    trial[k] = p.trial_frames
                    self.reasons[k] = "shape"
                else:
                    shaped_now[k] = True
            self._shaped = np.take(shaped_now.view(np.uint8), labels).view(bool)
            still_open = [k for k in open_ if not ok[k]]
            if still_open and self._should_search(labels, areas, candidates & ~ok):
                for k in still_open:
                    shape = shapes[k]
                    secondary_ok = (
                        k == dominant
                        or shape.bottom
                        or (areas[k] >= p.secondary_min_share * areas[dominant])
                    )
                    if secondary_ok and self._face_in(labels == k, shape, image_bgr):
                        ok[k] = True
                        self.reasons[k] = "face"
        else:
            self._shaped = None
        people = ok.copy()
        people[0] = False
        # Dilated so that next frame's blob, a few pixels further on, still overlaps; and
        # remembered for ``memory_frames`` where nobody is now, so that a person the model
        # misses for a few frames is still a person when it sees them again.
        here = cv2.dilate(np.take(people.view(np.uint8), labels), _K7).view(bool)
        ages = np.where(people, age, np.iinfo(np.uint16).max).astype(np.uint16)
        ages = cv2.erode(np.take(ages, labels), _K7)  # erode: the min spreads like dilate
        trials = cv2.dilate(np.take(np.where(people, trial, 0).astype(np.uint8), labels), _K7)
        if self._recent is None or self._recent.shape != here.shape:
            self._recent = np.zeros(here.shape, np.uint8)
            self._age = ages
            self._trial = trials
        cv2.subtract(self._recent, 1, dst=self._recent)
        self._recent[here] = p.memory_frames
        self._age = np.where(here, ages, self._age)
        self._trial = np.where(here, trials, self._trial)
        self._confirmed = self._recent > 0
        waiting = candidates & ~ok
        self._pending = None
        if waiting.any():
            self._pending = np.take(waiting.view(np.uint8), labels).view(bool)
        return ok

    def _should_search(self, labels, areas, waiting: np.ndarray) -> bool:
        """Every frame while a waiting candidate is new, then every ``face_interval`` frames."""
        p = self.params
        if self.find_faces is None:
            return False
        seen_before = self._overlap(self._pending, labels, areas)
        if (waiting & ~seen_before).any():
            self._pending_age = 0  # a newcomer
        else:
            self._pending_age += 1
        age = self._pending_age
        return age < p.newcomer_frames or age % p.face_interval == 0

    def _face_in(self, mask: np.ndarray, shape: BlobShape, image_bgr: np.ndarray) -> bool:
        """A face (of at least ``face_min_score``) centred inside the blob, found on a square
        crop around the top of the blob (the head)."""
        mh, mw = mask.shape
        ih, iw = image_bgr.shape[:2]
        sx, sy = iw / mw, ih / mh
        x0, y0, x1, y1 = shape.box
        # Square in the image's pixels (the model's may be squeezed: the square model over a
        # 16:9 photo), about head and shoulders.
        side = max(8.0, min((x1 - x0) * sx, (y1 - y0) * sy) * 1.1)
        cx, top = shape.head_x * sx, y0 * sy - 0.1 * side
        bx0, by0 = max(0, round(cx - side / 2)), max(0, round(top))
        bx1, by1 = min(iw, round(cx + side / 2)), min(ih, round(top + side))
        if bx1 - bx0 < 8 or by1 - by0 < 8:
            return False
        crop = image_bgr[by0:by1, bx0:bx1]
        grown = cv2.dilate(mask.view(np.uint8), _K7)
        self.searches += 1
        for finder in (self.find_faces, self.find_far_faces):
            if finder is None:
                continue
            for face in finder(crop):
                if face.score < self.params.face_min_score:
                    continue
                fx, fy = face.centre
                x = min(mw - 1, max(0, int((bx0 + fx * (bx1 - bx0)) / sx)))
                y = min(mh - 1, max(0, int((by0 + fy * (by1 - by0)) / sy)))
                # A person's face has shoulders under it: the blob is well wider than the face
                # somewhere below it (a cat's or a doll's face is most of its blob).
                face_w = face.width * (bx1 - bx0) / sx
                below = mask[min(mh - 1, y) :]
                widest = int(np.count_nonzero(below, axis=1).max()) if below.size else 0
                if grown[y, x] and widest >= self.params.shoulders_per_face * face_w:
                    return True
        return False
