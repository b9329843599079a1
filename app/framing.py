"""Picture geometry: fitting a frame to the view, and the call picture (16:9, 720p) with its
mirrored self-view. Qt-free; auto-framing (a crop that follows you) lands here too."""

from __future__ import annotations

import cv2
import numpy as np

CALL_SIZE = (1280, 720)  # what a call app receives: 16:9, 720p
SELF_VIEW_WIDTH = 240


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


def render_size(
    frame_size: tuple[int, int], view_size: tuple[int, int], call_preview: bool
) -> tuple[int, int]:
    """The size a frame is composited at: the fitted view, or for the call picture the scale
    that makes the 16:9 window exactly the call size (it is cropped from that)."""
    if call_preview:
        _, _, cw, _ = crop_16_9(frame_size)
        s = CALL_SIZE[0] / cw
        return round(frame_size[0] * s), round(frame_size[1] * s)
    return fit_inside(frame_size, view_size)


def call_picture(picture: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """The call picture (CALL_SIZE) out of a frame composited at ``render_size(..., True)``."""
    x, y, cw, _ = crop_16_9(frame_size)
    s = CALL_SIZE[0] / cw
    ox, oy = round(x * s), round(y * s)
    return picture[oy : oy + CALL_SIZE[1], ox : ox + CALL_SIZE[0]]


def call_views(
    call: np.ndarray, view_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """What the call preview shows: the call picture fitted to the view, and your mirrored
    self-view for the corner."""
    view = cv2.resize(call, fit_inside(CALL_SIZE, view_size), interpolation=cv2.INTER_AREA)
    sw = SELF_VIEW_WIDTH
    self_view = cv2.flip(cv2.resize(call, (sw, sw * 9 // 16), interpolation=cv2.INTER_AREA), 1)
    return view, self_view
