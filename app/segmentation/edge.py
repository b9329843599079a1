"""The edge's own colour: where the matte is soft, a pixel mixes the person and the background
behind it, so its alpha is where its colour falls between the two colours seen nearby. Used by
the refiner (refine.py) on every frame and photo; only sharpens, never moves the outline."""

from __future__ import annotations

import math

import cv2
import numpy as np

_K3 = np.ones((3, 3), np.uint8)


# The person's and the background's colours near each pixel are averaged over a Gaussian of this
# many guide pixels (about 8 pixels of a 720p frame), on a copy half the guide's size.
EDGE_SIGMA = 3.0
EDGE_DOWN = 2
# How different (0..255, Euclidean over B, G, R) the two colours must be before the pixel's own
# colour decides its alpha: below LO the matte stands, above HI the colour does.
EDGE_CONTRAST_LO, EDGE_CONTRAST_HI = 12.0, 40.0
# Each colour must be averaged over at least this share of its window to be trusted fully.
EDGE_MIN_SUPPORT = 0.1


def _weighted_sums(img_1: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """blur of (img * w, w) as one 4-channel image, from ``img_1`` (BGR and a channel of ones):
    divided, the colour of what ``weight`` marks near every pixel (divided only where it is
    read, in ``exact_edge``)."""
    stack = cv2.multiply(img_1, cv2.merge((weight, weight, weight, weight)))
    k = 2 * math.ceil(2.0 * sigma) + 1  # +-2 sigma: half of OpenCV's own choice of taps
    return cv2.GaussianBlur(stack, (k, k), sigma)


def edge_colours(alpha: np.ndarray, guide_bgr: np.ndarray) -> tuple[np.ndarray, ...]:
    """At ``EDGE_DOWN`` times less than the guide's size: the guide itself (float BGR, its
    sensor noise averaged out) and the weighted sums (``_weighted_sums``) of the person's
    own colour and of the background's near every pixel: the guide over the matte shrunk by
    a pixel, and over the background grown by one, so that no outline pixel gets into either."""
    h, w = alpha.shape
    size = (max(1, w // EDGE_DOWN), max(1, h // EDGE_DOWN))
    small = cv2.resize(guide_bgr, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    small_1 = cv2.cvtColor(small, cv2.COLOR_BGR2BGRA)  # the fourth channel is 1.0
    a = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    sigma = EDGE_SIGMA / EDGE_DOWN
    person = _weighted_sums(small_1, cv2.erode(a, _K3), sigma)
    behind = _weighted_sums(small_1, cv2.subtract(1.0, cv2.dilate(a, _K3)), sigma)
    return small, person, behind


def edge_alpha(
    a: np.ndarray, img: np.ndarray, fs: np.ndarray, bs: np.ndarray, known: np.ndarray | None = None
) -> np.ndarray:
    """Alpha for soft pixels (``a``, 0..1 exclusive) from their colour ``img``, given the
    person's (``fs``) and the background's (``bs``) colours nearby (float, (n, 3)).

    A pixel mixes the two, I = a F + (1 - a) B, so its alpha is where I falls on the line from
    B to F. Where the two colours are far apart that is known well; where they are alike (a
    grey shirt on a grey wall), or either was seen too little (``known``, the share of its
    window it was averaged over), the matte stands. ``img`` should be free of sensor noise (the
    projection would pass it on)."""
    d = fs - bs
    dd = np.einsum("ij,ij->i", d, d)
    t = np.einsum("ij,ij->i", img - bs, d)
    t /= dd + 1.0
    np.clip(t, 0.0, 1.0, out=t)
    lo, hi = EDGE_CONTRAST_LO, EDGE_CONTRAST_HI
    c = np.clip((np.sqrt(dd) - lo) * (1.0 / (hi - lo)), 0.0, 1.0)
    if known is not None:  # the share of the window each colour was averaged over
        c *= np.clip(known * (1.0 / EDGE_MIN_SUPPORT), 0.0, 1.0)
    by_colour = a + c * (t - a)
    # Evidence may only sharpen the edge, never move it: the outer half of the soft band can
    # only fade (a halo of wall goes), the inner half only firm up, so the matte's outline
    # (its 0.5 contour) is the model's and the guided filter's, and noise cannot speckle it.
    return np.where(a < 0.5, np.minimum(a, by_colour), np.maximum(a, by_colour)).astype(
        np.float32
    )


def exact_edge(alpha: np.ndarray, guide_bgr: np.ndarray) -> np.ndarray:
    """``alpha`` (at the guide's size) with its soft pixels made exact from their colour in
    ``guide_bgr`` (``edge_alpha``); the body (1) and the clear background (0) are left alone.
    Only the soft pixels, a few percent of the matte, are worked on: the colours are read
    for them alone, bilinearly, from ``edge_colours``' small images."""
    flat = alpha.ravel()
    soft = np.flatnonzero((flat > 0.0) & (flat < 1.0))
    if soft.size == 0:
        return alpha
    h, w = alpha.shape
    ys, xs = np.divmod(soft, w)
    # Guide pixel centre x + 0.5 is small pixel (x + 0.5) / EDGE_DOWN - 0.5, as cv2.resize maps.
    # The points are laid out as rows of 256 for cv2.remap (which takes fewer than 32767 rows).
    n = soft.size
    rows = -(-n // 256)
    k = 1.0 / EDGE_DOWN
    map_x = np.zeros(rows * 256, np.float32)
    map_y = np.zeros(rows * 256, np.float32)
    map_x[:n] = (xs + 0.5) * k - 0.5
    map_y[:n] = (ys + 0.5) * k - 0.5
    map_x, map_y = map_x.reshape(rows, 256), map_y.reshape(rows, 256)
    img, person, behind = (
        cv2.remap(c, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(
            rows * 256, -1
        )[:n]
        for c in edge_colours(alpha, guide_bgr)
    )
    fs = person[:, :3] / (person[:, 3:] + 1e-3)
    bs = behind[:, :3] / (behind[:, 3:] + 1e-3)
    # Where either colour was averaged over too little of the person or the background (a
    # thin arm, the frame's corner), it is not known well enough to overrule the matte.
    known = np.minimum(person[:, 3], behind[:, 3])
    out = alpha.copy()
    out.ravel()[soft] = edge_alpha(flat[soft], img, fs, bs, known)
    return out
