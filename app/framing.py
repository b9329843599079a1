"""Picture geometry: fitting a frame to the view, the call picture (16:9, 720p) with its
mirrored self-view, and auto-framing (a crop that follows you). Qt-free."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from app.frames import Matte

CALL_SIZE = (1280, 720)  # what a call app receives: 16:9, 720p
SELF_VIEW_SHARE = 0.25  # the self-view's width, of the picture's (as call apps size it)


def fit_inside(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit ``box``, keeping its aspect ratio, never enlarged."""
    w, h = size
    bw, bh = box
    s = min(bw / w, bh / h, 1.0)
    return max(2, round(w * s)), max(2, round(h * s))


def crop_16_9(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The centred 16:9 window (x, y, w, h) of a frame of ``size``, as a call app crops it."""
    w, h = size
    if w * 9 >= h * 16:
        cw = h * 16 // 9
        return (w - cw) // 2, 0, cw, h
    ch = w * 9 // 16
    return 0, (h - ch) // 2, w, ch


def call_views(
    call: np.ndarray, view_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """What the call preview shows: the call picture fitted to the view, and your mirrored
    self-view for the corner."""
    size = fit_inside(CALL_SIZE, view_size)
    if (call.shape[1], call.shape[0]) == size:
        view = call  # rendered at the view's size already (the preview alone needs no more)
    else:
        view = cv2.resize(call, size, interpolation=cv2.INTER_AREA)
    sw = max(64, round(size[0] * SELF_VIEW_SHARE))
    self_view = cv2.flip(cv2.resize(call, (sw, sw * 9 // 16), interpolation=cv2.INTER_AREA), 1)
    return view, self_view


# -- auto-framing: a virtual camera operator ---------------------------------------------------

@dataclass(frozen=True)
class FramingParams:
    max_zoom: float = 2.0  # at most this much closer than the full frame
    headroom: float = 0.12  # space above the top of the head, share of the crop's height
    side_margin: float = 1.6  # the crop is at least this many times the people's width
    dead_zone_x: float = 0.06  # the goal moves only when the people move this far (crop width)
    dead_zone_zoom: float = 0.12  # ... or need this much more or less zoom (relative)
    omega: float = 4.0  # spring stiffness (rad/s): settles in about a second, never overshoots
    settle_s: float = 0.6  # people slower than ``still_speed`` this long have stopped moving
    still_speed: float = 0.03  # crop widths per second
    velocity_smoothing: float = 0.15  # how much of each frame's motion enters the estimate


@dataclass
class _Spring:
    """Critically damped spring towards a goal: smooth, no overshoot, no jitter."""

    value: float
    velocity: float = 0.0

    def step(self, goal: float, goal_velocity: float, omega: float, dt: float) -> float:
        """Advance ``dt`` towards ``goal``, which itself moves at ``goal_velocity``: the error
        (x - g) follows e'' = -w^2 e - 2 w e' exactly, so a steady walk is followed without
        lag and a stop without overshoot."""
        e0, v0 = self.value - goal, self.velocity - goal_velocity
        k = math.exp(-omega * dt)
        e1 = (e0 + (v0 + omega * e0) * dt) * k
        v1 = (v0 - omega * (v0 + omega * e0) * dt) * k
        self.value = goal + goal_velocity * dt + e1
        self.velocity = goal_velocity + v1
        return self.value


def people_box(alpha: np.ndarray, threshold: float = 0.5) -> tuple[float, float, float] | None:
    """(centre x, top y, width) of everyone in the matte, in 0..1 of the frame; None: nobody.
    The centre is that of the heads and shoulders (the top half of each person's height)."""
    mask = alpha > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0 or mask.mean() < 0.002:
        return None
    h, w = mask.shape
    top = rows[0]
    upper = mask[top : top + max(1, (h - top) // 2)]
    cols = np.flatnonzero(upper.any(axis=0))
    x0, x1 = cols[0], cols[-1] + 1
    return (x0 + x1) / 2 / w, top / h, (x1 - x0) / w


class AutoFramer:
    """Where a 16:9 crop of the frame should be, frame after frame, to keep people centred.

    The goal follows the people's heads and shoulders with a dead zone (small moves do not move
    the picture); the crop then eases to the goal on critically damped springs. Nobody in the
    picture: back to the whole frame.
    """

    def __init__(self, params: FramingParams | None = None) -> None:
        self.params = params or FramingParams()
        self.reset()

    def reset(self) -> None:
        self._goal: list[float] | None = None  # cx, top, crop height (0..1 of the frame)
        self._goal_velocity = [0.0, 0.0, 0.0]
        self._tracking = False  # the people are moving: the goal follows them frame by frame
        self._still_for = 0.0
        self._springs: list[_Spring] | None = None
        self._t_ns: int | None = None

    def _target(self, box, frame_size) -> tuple[float, float, float]:
        """(centre x, crop top, crop height) in 0..1 of the frame, before smoothing.

        The crop shows everyone from the top of the head (with some headroom) down to the
        frame's bottom edge, where a person at a webcam is cut anyway, and is at least
        ``side_margin`` times as wide as the people: the closer the people, the less zoom."""
        p = self.params
        w, h = frame_size
        _, _, _, fch = crop_16_9(frame_size)
        full_h = fch / h
        if box is None:
            return 0.5, (1.0 - full_h) / 2, full_h
        cx, top, width = box
        crop_h = (1.0 - top) / (1.0 - p.headroom)
        crop_h = max(crop_h, width * p.side_margin * (w / h) * 9 / 16)
        crop_h = min(max(crop_h, full_h / p.max_zoom), full_h)
        return cx, top - p.headroom * crop_h, crop_h

    def update(
        self, alpha: np.ndarray, frame_size: tuple[int, int], t_ns: int
    ) -> tuple[int, int, int, int]:
        """The crop (x, y, w, h) in pixels for this frame's matte."""
        p = self.params
        target = self._target(people_box(alpha), frame_size)
        dt = 0.0 if self._t_ns is None else min(max((t_ns - self._t_ns) / 1e9, 0.0), 0.5)
        self._t_ns = t_ns
        if self._goal is None or self._springs is None:
            self._goal = list(target)
            self._springs = [_Spring(v) for v in target]
        goal = self._goal
        crop_w = goal[2] * 16 / 9 * frame_size[1] / frame_size[0]  # in frame widths
        if not self._tracking:
            # The dead zone: small moves (breathing, a nod, the matte's own noise) do not move
            # the picture; leaving it starts following.
            if abs(target[0] - goal[0]) > p.dead_zone_x * crop_w or (
                abs(target[2] - goal[2]) > p.dead_zone_zoom * goal[2]
            ):
                self._tracking, self._still_for = True, 0.0
        if self._tracking and dt > 0:
            k = p.velocity_smoothing
            for i in range(3):
                v = (target[i] - goal[i]) / dt
                self._goal_velocity[i] += k * (v - self._goal_velocity[i])
                goal[i] = target[i]
            speed = abs(self._goal_velocity[0]) / max(crop_w, 1e-6)
            self._still_for = self._still_for + dt if speed < p.still_speed else 0.0
            if self._still_for >= p.settle_s:
                self._tracking = False  # stopped: hold the goal, let the springs settle
                self._goal_velocity = [0.0, 0.0, 0.0]
        values = [
            spring.step(g, v, p.omega, dt)
            for spring, g, v in zip(self._springs, goal, self._goal_velocity, strict=True)
        ]
        return self._rect(*values, frame_size)

    @staticmethod
    def _rect(cx: float, top: float, ch: float, frame_size) -> tuple[int, int, int, int]:
        w, h = frame_size
        _, _, fcw, fch = crop_16_9(frame_size)
        ch_px = min(fch, max(2, round(ch * h)))
        cw_px = min(fcw, round(ch_px * 16 / 9))
        ch_px = min(ch_px, round(cw_px * 9 / 16))
        x = round(cx * w - cw_px / 2)
        y = round(top * h)
        x = min(max(0, x), w - cw_px)
        y = min(max(0, y), h - ch_px)
        return x, y, cw_px, ch_px


def crop_matte(
    matte: Matte, frame_size: tuple[int, int], rect: tuple[int, int, int, int]
) -> Matte:
    """The part of ``matte`` under ``rect`` (x, y, w, h in frame pixels)."""
    gh, gw = matte.alpha.shape
    sx, sy = gw / frame_size[0], gh / frame_size[1]
    x, y, w, h = rect
    x0, y0 = int(x * sx), int(y * sy)
    x1, y1 = max(x0 + 2, math.ceil((x + w) * sx)), max(y0 + 2, math.ceil((y + h) * sy))
    return Matte(
        np.ascontiguousarray(matte.alpha[y0:y1, x0:x1]),
        np.ascontiguousarray(matte.guide[y0:y1, x0:x1]),
        matte.model,
    )


def call_frame(
    compositor, image: np.ndarray, matte: Matte, spec, rect: tuple[int, int, int, int],
    size: tuple[int, int] = CALL_SIZE,
) -> np.ndarray:  # fmt: skip
    """The effect rendered for the part of the frame under ``rect``, at ``size``: the call
    picture (auto-framed or the centred 16:9 window), or an auto-framed video frame."""
    x, y, w, h = rect
    frame_size = (image.shape[1], image.shape[0])
    if (x, y, w, h) == (0, 0, *frame_size):
        return compositor.render(image, matte, spec, size)
    return compositor.render(image[y : y + h, x : x + w], crop_matte(matte, frame_size, rect),
                             spec, size)  # fmt: skip
