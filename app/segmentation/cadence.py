"""Pay only for what changes: whether this frame needs a model call, or last frame's answer will do.

A person sitting in a call hardly moves, yet the model used to run on every frame. Here each
frame is compared, at the model's own resolution (a 256-pixel thumbnail that sensor noise
averages out of), with the frame the model last saw. The model runs when:

- more than ``near_share`` of the pixels on and around the people changed by ``level`` grey
  levels or more (they moved: the matte would lag them);
- more than ``frame_share`` of the whole picture did (somebody walking in, a cut, the camera
  moving: wherever it happens);
- or ``every`` frames have passed since the last call, whatever happened (slow drift, light).

A frame in between shows the last matte on its own picture, unrefined (nothing moved near the
people); after a change the model also sees the next frame (``settle``: motion comes in runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_NEAR = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))

# --segment-every: auto (this module) or 1 (every frame). Live (the window, `live`) defaults
# to auto: a call is left open for an hour. Files (`process`, `bench`) default to 1: no
# clock to keep up with, and on one quality scene ("sits in a call, 4:3") auto's crop lands
# 2 px off every-frame's and the model's answer there is 0.013 IoU worse.
SEGMENT_EVERY = ("auto", "1")
LIVE_SEGMENT_EVERY, FILES_SEGMENT_EVERY = "auto", "1"


@dataclass(frozen=True)
class CadenceParams:
    every: int = 4  # the model runs at least every this many frames
    level: int = 10  # grey levels a thumbnail pixel must change by to count as changed
    near_share: float = 0.01  # of the pixels on and around the people
    frame_share: float = 0.004  # of the whole frame
    settle: int = 1  # after a change, the model runs on this many more frames whatever happens


DEFAULT_CADENCE = CadenceParams()


def cadence_for(segment_every: str) -> CadenceParams | None:
    """The cadence ``--segment-every`` (or the window's menu) asks for: None is every frame."""
    if segment_every not in SEGMENT_EVERY:
        raise ValueError(f"segment every {segment_every!r}: choose one of {SEGMENT_EVERY}")
    return DEFAULT_CADENCE if segment_every == "auto" else None


class Cadence:
    """Decides, frame by frame, whether the model must run (``due``)."""

    def __init__(self, params: CadenceParams | None = None) -> None:
        self.params = params or CadenceParams()
        self.calls = 0  # model calls decided so far
        self.frames = 0
        self.reset()

    def reset(self) -> None:
        self._seen: np.ndarray | None = None  # the thumbnail's luma at the last model call
        self._since = 0
        self._moving = 0  # frames left on which a recent change keeps the model running

    def due(self, small_bgr: np.ndarray, people: np.ndarray | None, force: bool = False) -> bool:
        """Whether the model must see this thumbnail (the frame at the model's size).
        ``people``: where the matte was (bool, the same size), or None. ``force``: it runs
        anyway (the caller has its own reason); remembered as what the model saw."""
        p = self.params
        luma = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY)
        self.frames += 1
        seen = self._seen
        run = force or seen is None or seen.shape != luma.shape or self._since + 1 >= p.every
        if not run:
            changed = cv2.absdiff(luma, seen) >= p.level
            moved = changed.mean() > p.frame_share
            if not moved and people is not None and people.shape == changed.shape:
                near = cv2.dilate(people.view(np.uint8), _NEAR).view(bool)
                moved = bool(near.any()) and changed[near].mean() > p.near_share
            if moved:
                # Motion comes in runs: the model follows the whole run, not every other frame
                # of it, so the matte, and where the model looks next (crop.py), do not lag.
                self._moving = p.settle
            elif self._moving > 0:
                self._moving -= 1
                moved = True
            run = moved
        if run:
            self._seen, self._since = luma, 0
            self.calls += 1
        else:
            self._since += 1
        return run
