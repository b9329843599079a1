"""Who is in focus: everyone (the default), or one person, chosen by a point (a click, Tab,
``--focus-on X,Y``) and followed from frame to frame; the others become background.

People are the matte's connected regions (alpha > 0.5) big enough to be a person; two people
who touch are one region, split between the faces found in it (at the column half way between
them), or, with one face or none, where the outline dips between their heads. Each person is
followed by overlap with where its motion puts it; when regions and people regroup (one has
passed the other) by how alike they look (their colours, learned while alone) and where they
were going; one hidden behind another is remembered and known again by its look. A change of
subject is a focus pull: each person's weight moves to its new value over ``PULL_S``, never a
jump. A subject who leaves and comes back within ``MEMORY_S`` is the subject again; anyone new
is background until chosen; a subject gone longer brings everyone back. The matte out is the
matte times each pixel's person's weight (a pixel between people goes with the nearest one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from app.frames import Matte

PULL_S = 0.3  # a focus pull takes this long
MEMORY_S = 4.0  # a subject away this long (or less) is the subject again on their return
MIN_AREA = 0.004  # a region smaller than this share of the frame is not a person
MATCH_OVERLAP = 0.3  # a region is the same person as last frame's if it covers this much of it


@dataclass
class Person:
    pid: int
    mask: np.ndarray  # bool, at the matte's size
    weight: float  # 0: background, 1: in focus
    seen_ns: int
    centre: tuple[float, float] = (0.0, 0.0)  # 0..1 of the frame
    velocity: tuple[float, float] = (0.0, 0.0)  # matte pixels a frame (smoothed)
    look: np.ndarray | None = None  # colour histogram (clothes, hair, skin), while alone
    area: int = 0  # its size in matte pixels when its look was last learned

    def predicted(self) -> np.ndarray:
        """Where this person's mask should be this frame: last frame's, moved as they move."""
        dx, dy = self.velocity
        if abs(dx) < 0.5 and abs(dy) < 0.5:
            return self.mask
        h, w = self.mask.shape
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        return cv2.warpAffine(self.mask.view(np.uint8), m, (w, h),
                              flags=cv2.INTER_NEAREST).view(bool)  # fmt: skip


@dataclass
class _Request:
    point: tuple[float, float] | None
    next: bool  # Tab: the next person (``point`` unused)


def split_people(alpha: np.ndarray, faces: list) -> list[np.ndarray]:
    """The people in ``alpha`` (bool masks), left to right: regions big enough to be a person,
    one holding two or more faces split between them (each column to the nearest face)."""
    h, w = alpha.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats((alpha > 0.5).view(np.uint8), 8)
    people = []
    for k in range(1, n):
        if stats[k, cv2.CC_STAT_AREA] < MIN_AREA * h * w:
            continue
        region = labels == k
        inside = [f for f in faces
                  if region[min(h - 1, int((f.y0 + f.y1) / 2 * h)),
                            min(w - 1, int((f.x0 + f.x1) / 2 * w))]]  # fmt: skip
        if len(inside) < 2:
            people.append(region)
            continue
        centres = sorted((f.x0 + f.x1) / 2 * w for f in inside)
        cuts = [(a + b) / 2 for a, b in zip(centres, centres[1:], strict=False)]
        cols = np.arange(w, dtype=np.float32)
        for j in range(len(centres)):
            lo = cuts[j - 1] if j > 0 else -1.0
            hi = cuts[j] if j < len(cuts) else w + 1.0
            people.append(region & ((cols >= lo) & (cols < hi))[None, :])
    people.sort(key=lambda m: float(np.nonzero(m)[1].mean()))
    return people


class Focus:
    """The subject, followed over a stream of mattes (one per frame; ``reset`` between
    streams)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.people: list[Person] = []
        self.subject: int | None = None  # the subject's pid; None: everyone
        self._next_pid = 1
        self._lost_ns: int | None = None  # when the subject was last seen, while away
        self._pending: _Request | None = None
        self._at_once = False
        self._last_ns: int | None = None
        self.error = ""  # why the last point chose nobody

    @property
    def wanted(self) -> bool:
        """Whether the next frame needs this step (a subject, a request, a pull under way)."""
        return self.subject is not None or self._pending is not None or bool(self.people)

    def choose(self, point: tuple[float, float] | None, at_once: bool = False) -> None:
        """The person at ``point`` (0..1 of the frame) is the subject from the next frame;
        None, or a point on nobody: everyone. ``at_once``: no pull (a file's first frame)."""
        self._pending = _Request(point, False)
        self._at_once = at_once

    def next_person(self) -> None:
        """The person to the right of the subject (the first one after everyone)."""
        self._pending = _Request(None, True)

    def person_at(self, point: tuple[float, float], people: list[np.ndarray]) -> int | None:
        """The index in ``people`` of the one at ``point`` (or within 3% of the frame's width
        of it); None when nobody is there."""
        if not people:
            return None
        h, w = people[0].shape
        x, y = min(w - 1, max(0, int(point[0] * w))), min(h - 1, max(0, int(point[1] * h)))
        for i, m in enumerate(people):
            if m[y, x]:
                return i
        near = max(2, round(0.03 * w))
        y0, y1, x0, x1 = max(0, y - near), y + near + 1, max(0, x - near), x + near + 1
        best = [(int(m[y0:y1, x0:x1].sum()), i) for i, m in enumerate(people)]
        count, i = max(best)
        return i if count > 0 else None

    def apply(
        self, matte: Matte, t_ns: int, faces: list | None = None, video: bool = True
    ) -> Matte:
        """``matte`` with everyone but the subject (fading as the pull goes) taken out.
        ``video``: frames follow one another (a pull takes ``PULL_S``); a photo: at once."""
        faces = faces or []
        if self.subject is None and self._pending is None and not self.people:
            self._last_ns = None
            return matte  # everyone, and nothing followed: nothing to do
        at_once, self._at_once = self._at_once, False
        if not video or at_once:
            dt = PULL_S
        elif self._last_ns is None:
            dt = 1 / 30  # the first frame of a pull: a frame's worth
        else:
            dt = max(0.0, (t_ns - self._last_ns) / 1e9)
        self._last_ns = t_ns
        masks = split_people(matte.alpha, faces)
        self._follow(masks, t_ns, matte.guide)
        self._take_request(masks, t_ns)
        if self.subject is not None and all(p.pid != self.subject for p in self.people):
            if self._lost_ns is not None and t_ns - self._lost_ns > MEMORY_S * 1e9:
                self.subject, self._lost_ns = None, None  # gone for good: everyone again
        step = dt / PULL_S
        for p in self.people:
            want = 1.0 if self.subject is None or p.pid == self.subject else 0.0
            p.weight += max(-step, min(step, want - p.weight))
        if self.subject is None and all(p.weight >= 1 for p in self.people):
            self.people = [] if not self._pending else self.people
            return matte
        return Matte(self._weighted(matte.alpha), matte.guide, matte.model)

    def _follow(self, masks: list[np.ndarray], t_ns: int, guide: np.ndarray) -> None:
        """Match this frame's people to the last frame's (each where its motion puts it).
        Regions and people that overlap form groups: one region over two or more people (one
        passing in front of the other) keeps them all, each going on at its own pace (its
        "ghost"); two or more regions over a group go to its people by nearest position. A
        region over nobody is a newcomer: in focus when everyone is, background while a
        subject is chosen, unless the subject is away: then it is the subject, back."""
        h, w = masks[0].shape if masks else (1, 1)
        people = [p for p in self.people if p.mask.shape == (h, w)]
        predicted = [p.predicted() for p in people]
        hsv = cv2.cvtColor(guide, cv2.COLOR_BGR2HSV) if guide.shape[:2] == (h, w) else None
        looks = [_look(hsv, m) for m in masks]
        under = [[j for j, pm in enumerate(predicted)
                  if (pm & m).sum() >= 0.2 * max(1, int(pm.sum()))]
                 for m in masks]  # fmt: skip
        current: list[Person] = []
        used_masks: set[int] = set()
        used_people: set[int] = set()
        # one region over several people side by side (touching, faces not found): cut
        # between their heads, where the outline dips lowest
        for i in range(len(masks)):
            if len(under[i]) > 1:
                cut = _cut_at_dips(masks[i], sorted(_ahead(people[j], w, h)[0]
                                                    for j in under[i]))  # fmt: skip
                if len(cut) > 1:
                    masks[i:i + 1] = cut[:1]
                    masks += cut[1:]
                    looks[i:i + 1] = [_look(hsv, cut[0])]
                    looks += [_look(hsv, c) for c in cut[1:]]
                    under[i:i + 1] = [under[i]]
                    under += [under[i]] * (len(cut) - 1)
        for i in range(len(masks)):
            if i in used_masks or not under[i]:
                continue
            # the group: every region and person connected to this region by overlap
            group_m, group_p, todo = {i}, set(under[i]), list(under[i])
            while todo:
                j = todo.pop()
                for k in range(len(masks)):
                    if j in under[k] and k not in group_m:
                        group_m.add(k)
                        for jj in under[k]:
                            if jj not in group_p:
                                group_p.add(jj)
                                todo.append(jj)
            used_masks |= group_m
            used_people |= group_p
            if len(group_m) == 1 and len(group_p) > 1:  # one region, several people: merged
                m = masks[i]
                for j in sorted(group_p):
                    p = people[j]
                    ghost = (p.centre[0] + p.velocity[0] / w, p.centre[1] + p.velocity[1] / h)
                    current.append(Person(p.pid, m, p.weight, t_ns, ghost, p.velocity, p.look,
                                          p.area))  # fmt: skip
                continue
            # as many people as regions, by how alike they look (clothes, hair: what tells
            # two people apart after one passed the other) and where each was going
            pairs = sorted(
                (_unlike(looks[k], people[j].look)
                 + _distance(_centre(masks[k]), _ahead(people[j], w, h)), k, j)
                for k in group_m for j in group_p
            )  # fmt: skip
            done_m, done_p = set(), set()
            for _, k, j in pairs:
                if k in done_m or j in done_p:
                    continue
                done_m.add(k)
                done_p.add(j)
                # its look is learned only while it is alone and its usual size (not grown by
                # someone it stands in front of or behind)
                area, usual = int(masks[k].sum()), people[j].area
                alone = len(group_m) == 1 and len(group_p) == 1 and (
                    usual == 0 or 0.7 * usual <= area <= 1.3 * usual)  # fmt: skip
                current.append(_moved(people[j], masks[k], t_ns, looks[k] if alone else None))
            for k in group_m - done_m:
                current.append(self._newcomer(masks[k], t_ns, looks[k]))
        # people not seen this frame (behind someone, or gone) are remembered a while, where
        # they were, to be known again by their look when they come out
        hidden = [Person(p.pid, np.zeros((h, w), bool), p.weight, p.seen_ns, p.centre,
                         (0.0, 0.0), p.look, p.area)
                  for j, p in enumerate(people)
                  if j not in used_people and t_ns - p.seen_ns < MEMORY_S * 1e9]  # fmt: skip
        for i, m in enumerate(masks):
            if i not in used_masks:
                back = self._known(hidden, m, looks[i])
                if back is not None:
                    hidden.remove(back)
                    current.append(_moved(back, m, t_ns, looks[i]))
                else:
                    current.append(self._newcomer(m, t_ns, looks[i]))
        current += hidden
        seen = any(p.pid == self.subject and p.mask.any() for p in current)
        if self.subject is not None and not seen and self._lost_ns is None:
            self._lost_ns = t_ns  # the subject left (or is hidden)
        elif seen:
            self._lost_ns = None
        self.people = current

    @staticmethod
    def _known(hidden: list[Person], m: np.ndarray, look) -> Person | None:
        """The remembered person ``m`` looks like (and is near), if any."""
        best, best_cost = None, 0.6
        for p in hidden:
            cost = _unlike(look, p.look) + 0.5 * _distance(_centre(m), p.centre)
            if cost < best_cost:
                best, best_cost = p, cost
        return best

    def _newcomer(self, m: np.ndarray, t_ns: int, look=None) -> Person:
        if self.subject is not None and self._lost_ns is not None and not any(
            p.pid == self.subject for p in self.people if not p.mask.any()
        ):  # the subject away and not remembered: the first newcomer is taken for them
            self._lost_ns = None
            return Person(self.subject, m, 0.0, t_ns, _centre(m), look=look)
        pid = self._next_pid
        self._next_pid += 1
        return Person(pid, m, 1.0 if self.subject is None else 0.0, t_ns, _centre(m),
                      look=look)  # fmt: skip

    def _take_request(self, masks: list[np.ndarray], t_ns: int) -> None:
        request, self._pending = self._pending, None
        if request is None:
            return
        self.error = ""
        if request.next:  # Tab: the next person, left to right, after everyone
            ids = [p.pid for p in sorted(self.people, key=lambda p: p.centre[0])]
            if not ids:
                return
            if self.subject in ids:
                i = ids.index(self.subject) + 1
                self.subject = ids[i] if i < len(ids) else None
            else:
                self.subject = ids[0]
        elif request.point is None:
            self.subject = None
        else:
            i = self.person_at(request.point, [p.mask for p in self.people])
            if i is None:
                self.error = "nobody there"
                self.subject = None
            else:
                self.subject = self.people[i].pid
        self._lost_ns = None

    def _weighted(self, alpha: np.ndarray) -> np.ndarray:
        """``alpha`` times the weight of the person each pixel belongs to (the nearest)."""
        if not self.people:
            return alpha
        h, w = alpha.shape
        index = np.zeros((h, w), np.uint8)  # 0: nobody's; k: self.people[k - 1]
        order = sorted(range(len(self.people[:254])), key=lambda k: self.people[k].weight)
        for k in order:  # where people share pixels (merged), the highest weight wins
            index[self.people[k].mask] = k + 1
        if (index == 0).all():
            return alpha
        # every pixel to its nearest person (soft edges, hair, a hand held out)
        _, nearest = cv2.distanceTransformWithLabels(
            (index == 0).view(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
        )
        seeds = index[index > 0]  # the person of each seed pixel, in the labels' order
        owner = np.concatenate([[0], seeds])[nearest]
        weights = np.array([0.0, *(p.weight for p in self.people[:254])], np.float32)
        return alpha * weights[owner]


def _centre(m: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(m)
    return float(xs.mean()) / m.shape[1], float(ys.mean()) / m.shape[0]


def _ahead(p: Person, w: int, h: int) -> tuple[float, float]:
    """Where ``p`` should be this frame (0..1): its centre moved as it was moving."""
    return p.centre[0] + p.velocity[0] / w, p.centre[1] + p.velocity[1] / h


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _moved(p: Person, m: np.ndarray, t_ns: int, look=None) -> Person:
    """``p`` found again as ``m``: its velocity follows the move (smoothed); its look is
    learned while it is alone (``look``), kept while it is not."""
    h, w = m.shape
    c = _centre(m)
    moved = ((c[0] - p.centre[0]) * w, (c[1] - p.centre[1]) * h)
    velocity = (0.5 * p.velocity[0] + 0.5 * moved[0], 0.5 * p.velocity[1] + 0.5 * moved[1])
    area = p.area
    if look is not None:
        area = int(m.sum())
        if p.look is not None:
            look = cv2.addWeighted(p.look, 0.8, look, 0.2, 0)
    return Person(p.pid, m, p.weight, t_ns, c, velocity, look if look is not None else p.look,
                  area)  # fmt: skip


def _look(hsv: np.ndarray | None, m: np.ndarray) -> np.ndarray | None:
    """A person's colours: a hue-saturation histogram over their mask (normalised)."""
    if hsv is None or not m.any():
        return None
    hist = cv2.calcHist([hsv], [0, 1], m.view(np.uint8), [18, 8], [0, 180, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0, cv2.NORM_L1)


def _unlike(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """0 for the same colours, 1 for none in common (Bhattacharyya); 0.5 when unknown."""
    if a is None or b is None:
        return 0.5
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


DIP = 0.12  # a dip in the outline this deep (of the region's height) is between two heads


def _cut_at_dips(region: np.ndarray, xs: list[float]) -> list[np.ndarray]:
    """``region`` cut into one piece per person whose centre is at ``xs`` (0..1, sorted),
    each cut at the column between two neighbours where the outline's top is lowest, if it
    dips there by ``DIP`` of the region's height below both heads; [region] when it does not
    (one person in front of the other)."""
    h, w = region.shape
    cols = region.any(axis=0)
    top = np.where(cols, region.argmax(axis=0), h).astype(np.float32)
    ys = np.nonzero(cols)[0]
    if ys.size == 0:
        return [region]
    height = h - float(top[cols].min())
    cuts = []
    for a, b in zip(xs, xs[1:], strict=False):
        x0, x1 = int(a * w), int(b * w)
        if x1 - x0 < 4:
            return [region]
        span = top[x0:x1]
        c = x0 + int(np.argmax(span))
        heads = min(float(top[x0:c].min()) if c > x0 else h, float(top[c:x1].min()))
        if top[c] - heads < DIP * height:
            return [region]
        cuts.append(c)
    pieces, start = [], 0
    for c in [*cuts, w]:
        piece = region.copy()
        piece[:, :start] = False
        piece[:, c:] = False
        pieces.append(piece)
        start = c
    return [p for p in pieces if p.any()] if all(p.any() for p in pieces) else [region]


def parse_point(text: str) -> tuple[float, float]:
    """"X,Y" in 0..1 of the frame (``--focus-on``); a UsageError in one line otherwise."""
    from app.errors import UsageError

    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--focus-on takes X,Y as fractions of the frame, got {text!r}") from None
    if not (0 <= x <= 1 and 0 <= y <= 1) or math.isnan(x) or math.isnan(y):
        raise UsageError(f"--focus-on {text}: X and Y are fractions of the frame, 0..1")
    return x, y
