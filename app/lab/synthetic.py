"""Synthetic scenes with exact ground truth: real people cut out of portraits, over real photos.

Each cut-out is made once per process: the square selfie model seeds OpenCV's GrabCut on the
portrait, and GrabCut snaps the outline to the photo's own edges. Because every scene is
composited from those alphas, the true person mask of every frame (and of every person in it)
is known exactly. Scenes can hold several people at any size and place, a person who walks in
late, a face hidden behind a mug for a while, a poster of a face on the wall behind, and dim,
noisy light. The demo source, the benchmark and the quality tests all draw from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from app.common.images import cover_fit
from app.lab import samples

PEOPLE = ("hopper", "collins")  # Grace Hopper; astronaut Eileen Collins


@dataclass(frozen=True)
class Cutout:
    image: np.ndarray  # BGR uint8, cropped to the person
    alpha: np.ndarray  # float32 0..1, same size
    face: tuple[float, float, float, float]  # x0, y0, x1, y1 of the face, 0..1 of the cut-out


def _portrait(who: str) -> np.ndarray:
    if who == "hopper":
        return samples.portrait()
    if who == "collins":
        return samples.second_portrait()
    raise ValueError(f"unknown person {who!r}; choose one of {', '.join(PEOPLE)}")


@lru_cache(maxsize=4)
def person_cutout(who: str = "hopper") -> Cutout:
    from app.segmentation import models, runtimes

    img = _portrait(who)
    h, w = img.shape[:2]
    rt = runtimes.get(runtimes.DEFAULT_RUNTIME)
    seg = rt.segmenter(models.locate("square"), video=False)
    faces = rt.face_detector(models.locate("face_full"))
    try:
        small = cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA)
        prob = cv2.resize(seg.segment(small), (w, h), interpolation=cv2.INTER_LINEAR)
        found = faces.detect(img)
    finally:
        seg.close()
        faces.close()
    kernel = np.ones((25, 25), np.uint8)
    labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    labels[prob > 0.5] = cv2.GC_PR_FGD
    labels[cv2.erode((prob > 0.95).astype(np.uint8), kernel) > 0] = cv2.GC_FGD
    labels[cv2.dilate((prob > 0.05).astype(np.uint8), kernel) == 0] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)
    cv2.grabCut(img, labels, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
    fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    # Keep the largest region and fill its holes: one person, no islands.
    n, lab, stats, _ = cv2.connectedComponentsWithStats(fg)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    fg = (lab == largest).astype(np.uint8)
    contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    fg = cv2.drawContours(np.zeros_like(fg), contours, -1, 1, thickness=cv2.FILLED)
    # Crop to the person, so that "height" means the person's height in the frame.
    ys, xs = np.nonzero(fg)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), h
    # A one-pixel anti-aliased edge, as a real lens gives.
    alpha = cv2.GaussianBlur(fg.astype(np.float32), (3, 3), 0.7)[y0:y1, x0:x1]
    cw, ch = x1 - x0, y1 - y0
    if found:
        f = found[0]
        face = ((f.x0 * w - x0) / cw, (f.y0 * h - y0) / ch, (f.x1 * w - x0) / cw,
                (f.y1 * h - y0) / ch)  # fmt: skip
    else:  # pragma: no cover - both portraits show a clear face
        face = (0.35, 0.1, 0.65, 0.4)
    return Cutout(np.ascontiguousarray(img[y0:y1, x0:x1]), np.ascontiguousarray(alpha), face)


@lru_cache(maxsize=4)
def thing_cutout(name: str = "chelsea.png") -> Cutout:
    """A thing (a pet, a mug) cut out of a photo that holds little else: GrabCut from a box
    inside the photo's border, the largest region kept."""
    img = samples.scene(name)
    h, w = img.shape[:2]
    labels = np.zeros((h, w), np.uint8)
    cv2.setRNGSeed(0)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    rect = (round(0.04 * w), round(0.04 * h), round(0.92 * w), round(0.94 * h))
    cv2.grabCut(img, labels, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(fg)
    fg = (lab == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    ys, xs = np.nonzero(fg)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    alpha = cv2.GaussianBlur(fg.astype(np.float32), (3, 3), 0.7)[y0:y1, x0:x1]
    return Cutout(np.ascontiguousarray(img[y0:y1, x0:x1]), np.ascontiguousarray(alpha),
                  (0.0, 0.0, 1.0, 1.0))  # fmt: skip


@dataclass(frozen=True)
class Prop:
    """A thing in the scene that is not a person (never in the truth): a pet, a mug."""

    photo: str = "chelsea.png"  # cut out of this scikit-image photo (thing_cutout)
    height: float = 0.6  # share of the frame's height
    x: float = 0.5  # centre, share of the frame's width
    bottom: float = 1.0  # where its lower edge is, share of the frame's height
    mirror: bool = False  # seen the other way round


@dataclass(frozen=True)
class Actor:
    """One person in a scene."""

    who: str = "hopper"
    height: float = 0.9  # share of the frame's height, standing on its bottom edge
    x: float = 0.5  # where the person's centre is, share of the frame's width
    # "still" | "sit" (in a call: small moves) | "sway" | "moving" (to and fro)
    # | "walk" (x to x + 0.4)
    motion: str = "moving"
    enter_s: float = 0.0  # walks in from the left edge, arriving at ``x`` 0.5 s after this
    face_covered_s: float = 0.0  # a mug hides the face until this time
    holds: str = ""  # "mug" at the chest, "tablet" held up before the lower face (truth: person)


@dataclass(frozen=True)
class SceneFrame:
    image: np.ndarray  # BGR uint8
    truth: np.ndarray  # bool: True where a person is
    people: list[np.ndarray] = field(default_factory=list)  # bool, one per actor, same order
    poster: np.ndarray | None = None  # bool: where the poster is, if any
    held: np.ndarray | None = None  # bool: what the people hold (part of the truth), if any


ENTRY_S = 0.5  # how long walking in takes
WALK_S = 4.0


class Scene:
    """People (or nobody) over a real background; ``frame(i)`` renders frame i with its truth.

    The short form ``Scene(size, background, motion, person_height=...)`` is one person
    (Grace Hopper), centred; ``actors=`` gives any cast.
    """

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        background: str = "motorcycle_left.png",
        motion: str = "moving",  # "still" | "sit" | "moving" | "sway" | "none" (no person)
        noise: float = 3.0,
        seed: int = 0,
        person_height: float = 0.9,
        fps: float = 30.0,
        actors: tuple[Actor, ...] | None = None,
        poster: str | None = None,  # a photo of this person hung on the wall behind
        light: float = 1.0,  # exposure: below 1 is a dim room
        gamma: float = 1.0,  # above 1 darkens the shadows more than the highlights
        lights: int = 0,  # small bright lights (fairy lights, lamps) in the background
        props: tuple[Prop, ...] = (),  # things that are not people, in front of the background
    ) -> None:
        if motion not in ("still", "sit", "moving", "sway", "none"):
            raise ValueError(f"unknown motion {motion!r}")
        self.size, self.motion, self.noise, self.fps = size, motion, noise, fps
        self.seed = seed
        self.light, self.gamma = light, gamma
        self.background = cover_fit(samples.scene(background), size)
        for prop in props:
            self._place(prop)
        self.person_height = person_height
        if actors is None:
            actors = () if motion == "none" else (Actor("hopper", person_height, 0.5, motion),)
        self.actors = tuple(actors)
        self._sprites = [self._sprite(a) for a in self.actors]
        self.poster_mask = None
        if poster is not None:
            self._hang_poster(poster)
        self.light_spots: list[tuple[int, int]] = []
        if lights:
            self._hang_lights(lights, seed)
        self._mug = None

    def _sprite(self, actor: Actor) -> tuple[np.ndarray, np.ndarray, tuple]:
        cut = person_cutout(actor.who)
        w, h = self.size
        s = actor.height * h / cut.image.shape[0]
        pw = max(1, round(cut.image.shape[1] * s))
        ph = max(1, round(cut.image.shape[0] * s))
        person = cv2.resize(cut.image, (pw, ph), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(cut.alpha, (pw, ph), interpolation=cv2.INTER_AREA)
        return person, alpha, cut.face

    def _place(self, prop: Prop) -> None:
        """Draw ``prop`` into the background (it stays still; it is never in the truth)."""
        cut = thing_cutout(prop.photo)
        w, h = self.size
        s = prop.height * h / cut.image.shape[0]
        pw, ph = max(1, round(cut.image.shape[1] * s)), max(1, round(cut.image.shape[0] * s))
        img = cv2.resize(cut.image, (pw, ph), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(cut.alpha, (pw, ph), interpolation=cv2.INTER_AREA)
        if prop.mirror:
            img, alpha = cv2.flip(img, 1), cv2.flip(alpha, 1)
        m = np.float32([[1, 0, prop.x * w - pw / 2], [0, 1, prop.bottom * h - ph]])
        sprite = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR)
        a = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR)
        self.background = cv2.blendLinear(sprite, self.background, a, 1.0 - a)

    def _hang_poster(self, who: str) -> None:
        """A framed photo of a face, a fifth of the frame tall, high on the wall (upper left)."""
        w, h = self.size
        photo = _portrait(who)
        ph = max(8, round(0.28 * h))
        pw = max(8, round(photo.shape[1] * ph / photo.shape[0]))
        small = cv2.resize(photo, (pw, ph), interpolation=cv2.INTER_AREA)
        x0, y0 = round(0.06 * w), round(0.08 * h)
        bg = self.background.copy()
        cv2.rectangle(bg, (x0 - 4, y0 - 4), (x0 + pw + 3, y0 + ph + 3), (235, 235, 235), -1)
        bg[y0 : y0 + ph, x0 : x0 + pw] = small
        self.background = bg
        mask = np.zeros((h, w), bool)
        mask[y0 - 4 : y0 + ph + 4, x0 - 4 : x0 + pw + 4] = True
        self.poster_mask = mask

    def _hang_lights(self, n: int, seed: int) -> None:
        """``n`` small clipped-white lights, a few pixels across, spread over the top half and
        the sides, where the background is behind the people."""
        w, h = self.size
        rng = np.random.default_rng(seed + 7)
        bg = self.background.copy()
        r = max(1, round(min(w, h) / 400))
        while len(self.light_spots) < n:
            x, y = int(rng.uniform(0.04, 0.96) * w), int(rng.uniform(0.05, 0.45) * h)
            if 0.3 * w < x < 0.7 * w:
                continue  # keep clear of the person in the middle
            if any(abs(x - a) < w // 12 and abs(y - b) < h // 12 for a, b in self.light_spots):
                continue
            cv2.circle(bg, (x, y), r, (255, 255, 255), -1, cv2.LINE_AA)
            self.light_spots.append((x, y))
        self.background = bg

    def _centre_x(self, actor: Actor, pw: int, i: int) -> float:
        w = self.size[0]
        t = i / self.fps
        cx = actor.x * w
        if actor.motion == "moving":
            # Walking side to side across half the frame every 4 s: about 10 px a frame at 720p.
            cx += 0.25 * w * math.sin(2 * math.pi * t / 4.0)
        elif actor.motion == "sit":
            # Sitting in a call: a drift of under 1% of the frame's width every few seconds
            # and a small quick nod now and then (about 1 px a frame at 720p at the most).
            cx += 0.004 * w * math.sin(2 * math.pi * t / 5.0)
            nod = math.sin(2 * math.pi * t / 7.0) > 0.6
            cx += 0.002 * w * math.sin(2 * math.pi * t / 1.3) * nod
        elif actor.motion == "sway":
            cx += 0.06 * w * math.sin(2 * math.pi * t / 6.0)
        elif actor.motion == "walk":
            # A steady walk across 40% of the frame in WALK_S seconds, then standing still.
            cx += 0.4 * w * min(1.0, t / WALK_S)
        if actor.enter_s > 0 and t < actor.enter_s + ENTRY_S:
            start = -pw / 2  # just out of the frame, on the left
            k = max(0.0, (t - actor.enter_s) / ENTRY_S)
            cx = start + (cx - start) * k
        return cx

    def _mug_image(self, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """A coffee mug (the one in scikit-image's coffee photo), oval, to hold before a face."""
        if self._mug is None:
            cup = samples.scene("coffee.png")[16:280, 170:410]
            self._mug = cup
        w, h = size
        img = cv2.resize(self._mug, (w, h), interpolation=cv2.INTER_AREA)
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (w // 2, h // 2), (w // 2 - 1, h // 2 - 1), 0, 0, 360, 1.0, -1)
        return img, cv2.GaussianBlur(mask, (3, 3), 0.7)

    def _held(self, what: str, x: float, y: float, pw: int, ph: int, face) -> tuple:
        """(image, alpha) at frame size of what an actor at (x, y), ``pw`` x ``ph``, holds: a
        mug before the chest, or a tablet (dark frame, lit screen) before the lower face."""
        w, h = self.size
        fx0, fy0, fx1, fy1 = face
        face_w = (fx1 - fx0) * pw
        if what == "mug":
            mw, mh = max(4, round(0.9 * face_w)), max(4, round(0.8 * face_w))
            cx, cy = x + (fx0 + fx1) / 2 * pw + 0.2 * face_w, y + fy1 * ph + 1.3 * face_w
            img, alpha = self._mug_image((mw, mh))
        elif what == "tablet":
            mw, mh = max(4, round(1.9 * face_w)), max(4, round(1.4 * face_w))
            cx, cy = x + (fx0 + fx1) / 2 * pw, y + (fy0 + 0.75 * (fy1 - fy0)) * ph + 0.5 * mh
            img = np.full((mh, mw, 3), 40, np.uint8)
            b = max(1, mw // 14)
            screen = cover_fit(samples.scene("rocket.jpg"), (mw - 2 * b, mh - 2 * b))
            img[b : mh - b, b : mw - b] = screen
            alpha = np.ones((mh, mw), np.float32)
        else:
            raise ValueError(f"unknown held object {what!r}")
        m = np.float32([[1, 0, cx - mw / 2], [0, 1, cy - mh / 2]])
        return (
            cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR),
            cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR),
        )

    def frame(self, i: int) -> SceneFrame:
        return self._render(i, self.background)

    def people_over(self, i: int, background: np.ndarray) -> np.ndarray:
        """Frame ``i``'s people (and what they hold) over another ``background``, as a perfect
        matte would composite them: the truth for an edge's colour. No sensor noise."""
        return self._render(i, cover_fit(background, self.size), noise=False).image

    def _render(self, i: int, background: np.ndarray, noise: bool = True) -> SceneFrame:
        w, h = self.size
        img = background
        truth = np.zeros((h, w), bool)
        people = []
        held_mask = None
        t = i / self.fps
        for actor, (person, alpha, face) in zip(self.actors, self._sprites, strict=True):
            ph, pw = alpha.shape
            x, y = self._centre_x(actor, pw, i) - pw / 2, h - ph
            m = np.float32([[1, 0, x], [0, 1, y]])
            sprite = cv2.warpAffine(person, m, (w, h), flags=cv2.INTER_LINEAR)
            a = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR)
            img = cv2.blendLinear(sprite, img, a, 1.0 - a)
            if t < actor.face_covered_s:
                fx0, fy0, fx1, fy1 = face
                mw = max(4, round((fx1 - fx0) * pw * 1.1))
                mh = max(4, round((fy1 - fy0) * ph * 1.1))
                cx, cy = x + (fx0 + fx1) / 2 * pw, y + (fy0 + fy1) / 2 * ph
                mug, mug_a = self._mug_image((mw, mh))
                mm = np.float32([[1, 0, cx - mw / 2], [0, 1, cy - mh / 2]])
                mug = cv2.warpAffine(mug, mm, (w, h), flags=cv2.INTER_LINEAR)
                mug_a = cv2.warpAffine(mug_a, mm, (w, h), flags=cv2.INTER_LINEAR)
                img = cv2.blendLinear(mug, img, mug_a, 1.0 - mug_a)
            if actor.holds:
                held, held_a = self._held(actor.holds, x, y, pw, ph, face)
                img = cv2.blendLinear(held, img, held_a, 1.0 - held_a)
                a = np.maximum(a, held_a)
                mine_held = held_a > 0.5
                held_mask = mine_held if held_mask is None else held_mask | mine_held
            mine = a > 0.5
            people.append(mine)
            truth |= mine
        if self.light != 1.0 or self.gamma != 1.0:
            lut = (255.0 * self.light * (np.arange(256) / 255.0) ** self.gamma).clip(0, 255)
            img = cv2.LUT(img, lut.astype(np.uint8))
        if noise and self.noise > 0:
            img = self._add_noise(img, i)
        return SceneFrame(img, truth, people, self.poster_mask, held_mask)

    def _add_noise(self, img: np.ndarray, i: int) -> np.ndarray:
        """Sensor noise, drawn a band of rows at a time: a whole 4K frame's noise as float64
        would be 200 MB at once. The draws, and so the frames, are the same either way."""
        rng = np.random.default_rng(self.seed * 100003 + i)
        out = np.empty_like(img)
        rows = max(1, 2**20 // (img.shape[1] * 3))  # about 8 MB of float64 per band
        for y in range(0, img.shape[0], rows):
            band = img[y : y + rows]
            n = rng.normal(0.0, self.noise, band.shape).astype(np.int16)
            out[y : y + rows] = cv2.add(band.astype(np.int16), n, dtype=cv2.CV_8U)
        return out

    def frames(self, n: int) -> Iterator[SceneFrame]:
        for i in range(n):
            yield self.frame(i)
