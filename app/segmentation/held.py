"""What you hold stays with you, in photos: the matte grown into held objects it missed.

The selfie model is trained on people, so a tablet held before the chest, a helmet, a mug or
the arm and body behind them are often cut away or bitten into, and the gate cannot bring back
what the model never called person. A photo has time for one more step: OpenCV's GrabCut,
seeded by the matte (the body's core is sure person, the rest of the matte likely person), and
allowed to grow only where hands and arms reach:

- **Below the face** (from half a face height under the chin): a cup rim behind the head, the
  wall beside the ears, the bit of a chair or motorbike at the shoulders are never in reach.
- **Within ``reach`` face widths of the matte**, and only what ends there: a piece that runs
  on to the edge of that reach or to the frame's sides (a table, a wall, a chair back that
  goes on past the person) is background that happens to touch the person, not something
  held. The frame's bottom edge does not count: a thing held low may be cut by it.
- **Touching the person** along part of its outline, and as like the person's colours as
  GrabCut's two colour models say.

Faces come from the full-range detector on the guide image; a person without a found face
gets nothing added. The step runs at ``work_long_side`` (a few tens of milliseconds) and only
adds: where the model's matte is person, it stays person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.common.resize import downscale, fit_long_side
from app.segmentation.base import FaceBox

_K3 = np.ones((3, 3), np.uint8)
_K5 = np.ones((5, 5), np.uint8)


@dataclass(frozen=True)
class HeldParams:
    reach: float = 2.0  # how far from the matte a held object may reach, in face widths
    below_chin: float = 0.5  # the reach starts this many face heights under the chin
    work_long_side: int = 384  # GrabCut's working size (long side, pixels)
    iterations: int = 3
    min_touch: float = 0.05  # share of a piece's outline that must touch the person
    max_open: float = 0.25  # its outline on the reach's edge, at most this share of the above
    min_share: float = 0.003  # pieces smaller than this share of the people are noise


def keep_held(
    image_bgr: np.ndarray,
    alpha: np.ndarray,
    faces: Sequence[FaceBox],
    params: HeldParams | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(``alpha`` with what the people hold added, the added pieces as float32 0..1 at
    ``alpha``'s size, or None when nothing was added). ``image_bgr`` is the frame at any size
    of the same shape; ``faces`` in 0..1 of the frame."""
    p = params or HeldParams()
    big_h, big_w = alpha.shape
    size = fit_long_side((big_w, big_h), p.work_long_side)
    a = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    person = (a > 0.5).view(np.uint8)
    zone = _reach(person, faces, p)
    if zone is None:
        return alpha, None
    reach = zone | person
    # The reach's outer edge (erosion leaves the frame's border alone), and the frame's sides:
    # a piece that runs on to either is a table, a wall or a chair that goes on past the
    # person. Only the bottom edge may cut a held thing (it is held low, in front of the body).
    edge = reach & (1 - cv2.erode(reach, _K3))
    edge[:, 0], edge[:, -1] = reach[:, 0], reach[:, -1]
    edge = cv2.dilate(edge, _K3)
    ys, xs = np.nonzero(reach)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    image = downscale(image_bgr, size)[y0:y1, x0:x1]
    a, zone, person = a[y0:y1, x0:x1], zone[y0:y1, x0:x1], person[y0:y1, x0:x1]
    edge = edge[y0:y1, x0:x1]
    labels = np.full(a.shape, cv2.GC_BGD, np.uint8)
    labels[zone > 0] = cv2.GC_PR_BGD
    labels[person > 0] = cv2.GC_PR_FGD
    labels[cv2.erode((a > 0.9).view(np.uint8), _K5) > 0] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # the same photo gives the same matte
    cv2.grabCut(np.ascontiguousarray(image), labels, None, bgd, fgd, p.iterations,
                cv2.GC_INIT_WITH_MASK)  # fmt: skip
    grown = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).view(np.uint8)
    added = _held_pieces(grown & zone & (1 - person), person, edge, p)
    if added is None:
        return alpha, None
    full = np.zeros((size[1], size[0]), np.float32)
    full[y0:y1, x0:x1] = added
    up = cv2.resize(full, (big_w, big_h), interpolation=cv2.INTER_LINEAR)
    return np.maximum(alpha, up), up


def _reach(person: np.ndarray, faces: Sequence[FaceBox], p: HeldParams) -> np.ndarray | None:
    """Where a held object may be (uint8 0/1), or None: below each face that is in the matte,
    within ``reach`` face widths of the matte, outside it."""
    if not person.any():
        return None
    h, w = person.shape
    dist = cv2.distanceTransform(1 - person, cv2.DIST_L2, 3)
    zone = np.zeros((h, w), bool)
    for f in faces:
        cx, cy = int((f.x0 + f.x1) / 2 * w), int((f.y0 + f.y1) / 2 * h)
        if not (0 <= cx < w and 0 <= cy < h) or not person[cy, cx]:
            continue  # a face on a poster, or in nobody's matte
        near = (dist > 0) & (dist <= p.reach * (f.x1 - f.x0) * w)
        top = int(max(0.0, f.y1 + p.below_chin * (f.y1 - f.y0)) * h)
        near[:top] = False
        zone |= near
    return zone.view(np.uint8) if zone.any() else None


def _held_pieces(
    candidates: np.ndarray, person: np.ndarray, edge: np.ndarray, p: HeldParams
) -> np.ndarray | None:
    """The candidate pieces that touch the person and do not run on to the reach's ``edge``
    (float32 0/1)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(candidates)
    if n <= 1:
        return None
    touching = cv2.dilate(person, _K3)
    least = max(8.0, p.min_share * int(person.sum()))
    keep = np.zeros(candidates.shape, np.float32)
    for k in range(1, n):
        if stats[k, cv2.CC_STAT_AREA] < least:
            continue
        x, y, bw, bh = stats[k, :4]
        piece = (labels[y : y + bh, x : x + bw] == k).view(np.uint8)
        rim = piece & (1 - cv2.erode(piece, _K3, borderValue=0))
        touch = int((rim & touching[y : y + bh, x : x + bw]).sum())
        open_ = int((rim & edge[y : y + bh, x : x + bw]).sum())
        if touch >= p.min_touch * int(rim.sum()) and open_ <= p.max_open * touch:
            keep[y : y + bh, x : x + bw][piece > 0] = 1.0
    return keep if keep.any() else None
