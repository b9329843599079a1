"""Moving backgrounds: a video or an animated GIF behind the person, looped without a jump.

The loop: the last ``C`` frames fade into the first ``C`` (half a second at most), and the loop
then goes on from frame ``C``, so the frame after the last is the one after the faded-in first
frames: no jump, whatever the clip. Frames are scaled to cover the output (``cover_fit``).

Live (``paced``), a thread of its own decodes at the clip's rate and keeps the newest frame at
the size last asked for: ``frame`` never waits on decoding, so the preview never stalls. For
files (``paced=False``) ``frame`` steps one clip frame per call at the clip's rate against the
caller's clock (``t_s``): the same output frame always gets the same background frame.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from app.common.images import cover_fit
from app.errors import FocusCamError

logger = logging.getLogger(__name__)

MOVING_SUFFIXES = (".gif", ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
MAX_FADE_S = 0.5
MAX_PIXELS = 1920 * 1080  # a larger clip is decoded, then shrunk to this once per frame


def is_moving(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MOVING_SUFFIXES


class MovingBackground:
    """A looping clip as a background (see the module's docstring). ``close`` stops its
    thread; a clip that cannot be read is a FocusCamError in one line at once."""

    def __init__(self, path: str | Path, paced: bool = True) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FocusCamError(f"{self.path}: no such file")
        cap = cv2.VideoCapture(str(self.path))
        count = 0
        while cap.isOpened() and cap.grab():  # counted, not decoded: exact, and quick
            count += 1
        self.fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        cap.release()
        if count < 2:
            raise FocusCamError(f"{self.path}: not a video or an animated GIF FocusCam can read")
        if not (1.0 <= self.fps <= 240.0):
            self.fps = 25.0
        self.count = count
        self.fade = min(count // 4, round(MAX_FADE_S * self.fps))
        self.period = count - self.fade  # frames in one loop
        self.paced = paced
        self._cap: cv2.VideoCapture | None = None
        self._index = 0  # the next clip frame the decoder reads
        self._first: list[np.ndarray] = []  # the first ``fade`` frames, for the fade
        self._lock = threading.Lock()
        # the sizes asked for lately (the window's picture and the call picture, say), with
        # when: the thread scales each new frame to each of them
        self._sizes: dict[tuple[int, int], float] = {}
        self._latest: tuple[int, np.ndarray] | None = None  # (loop position, source frame)
        self._shown: dict[tuple[int, int], tuple[int, np.ndarray]] = {}  # size: (position, picture)
        self._position = -1  # unpaced: the loop position last returned
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.decoded = 0  # frames decoded (tests, stats)
        if paced:
            self._latest = self._next()  # the first picture, before anyone asks
        logger.info("moving background %s: %d frames at %.3g fps, %d faded into the loop",
                    self.path, count, self.fps, self.fade)  # fmt: skip

    # -- the loop ---------------------------------------------------------------------------
    def _read(self) -> np.ndarray:
        """The clip's frame ``_index`` (from the start again after its end), at most
        MAX_PIXELS."""
        if self._cap is None:
            self._cap = cv2.VideoCapture(str(self.path))
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise FocusCamError(f"{self.path}: could not be read to its end")
        self._index += 1
        self.decoded += 1
        h, w = frame.shape[:2]
        if w * h > MAX_PIXELS:
            s = (MAX_PIXELS / (w * h)) ** 0.5
            frame = cv2.resize(frame, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        return frame

    def _next(self) -> tuple[int, np.ndarray]:
        """(loop position 0..period-1, its picture) for the next frame of the loop."""
        while True:
            if self._index >= self.count:  # the end: from the start again
                if self._cap is not None:
                    self._cap.release()
                self._cap, self._index = None, 0
            k = self._index
            frame = self._read()
            if k < self.fade:
                if len(self._first) < self.fade:
                    self._first.append(frame)
                continue  # shown only faded into the end, and then from here on
            position = k - self.fade
            if k >= self.count - self.fade:  # the end, fading into the first frames
                j = k - (self.count - self.fade)
                w = (j + 1) / (self.fade + 1)
                frame = cv2.addWeighted(frame, 1 - w, self._first[j], w, 0)
            return position, frame

    # -- what the compositor asks for ---------------------------------------------------------
    def frame(self, size: tuple[int, int], t_s: float | None = None) -> np.ndarray:
        """The background now, covering ``size`` (w, h). Paced: the decoder thread's newest
        (started at the first call); otherwise the loop's frame for time ``t_s`` (the next
        one when None)."""
        size = (int(size[0]), int(size[1]))
        if not self.paced:
            want = (self._position + 1 if t_s is None else int(t_s * self.fps)) % self.period
            while self._latest is None or self._latest[0] != want:
                self._latest = self._next()
            self._position = want
            return self._fitted(self._latest, size)
        with self._lock:
            self._sizes[size] = time.monotonic()
            latest = self._latest
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="focuscam-background",
                                            daemon=True)  # fmt: skip
            self._thread.start()
        assert latest is not None
        return self._fitted(latest, size)

    def _fitted(self, latest: tuple[int, np.ndarray], size: tuple[int, int]) -> np.ndarray:
        shown = self._shown.get(size)
        if shown is not None and shown[0] == latest[0]:
            return shown[1]
        picture = cover_fit(latest[1], size)
        self._shown[size] = (latest[0], picture)
        return picture

    def _run(self) -> None:
        period = 1.0 / self.fps
        due = time.monotonic()
        while not self._stop.is_set():
            try:
                item = self._next()  # this thread alone decodes once it runs
            except FocusCamError as exc:
                logger.error("moving background stopped: %s", exc)
                return
            now = time.monotonic()
            with self._lock:  # sizes not asked for in a second are dropped
                self._sizes = {k: t for k, t in self._sizes.items() if now - t < 1.0}
                sizes = list(self._sizes)
            # scaled here, on this thread: the compositor only copies
            fitted = {size: (item[0], cover_fit(item[1], size)) for size in sizes}
            with self._lock:
                self._latest = item
                self._shown = fitted
            due += period
            delay = due - time.monotonic()
            if delay < -1.0:
                due = time.monotonic()  # far behind (a busy machine): skip, do not rush
            self._stop.wait(max(0.0, delay))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def background_picture(background, size: tuple[int, int]) -> np.ndarray:
    """What a compositor puts behind the person at ``size``: a moving background's current
    frame, or a still picture covering ``size``."""
    if isinstance(background, MovingBackground):
        return background.frame(size)
    return cover_fit(background, size)
