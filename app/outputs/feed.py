"""A live output on its own thread: the pipeline hands it frames and never waits.

The virtual camera wants only the newest frame (a latest-only slot: an unread frame is
replaced, and counted as dropped); the recorder wants every frame it can get, so it sits
behind a bounded queue (when the disk or the encoder cannot keep up the newest frames are
dropped and counted, never the preview's). Either way ``offer`` returns at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.common.slot import LatestSlot
from app.errors import FocusCamError
from app.outputs.base import Output

logger = logging.getLogger(__name__)


class Feed:
    """Runs ``output`` on a thread named ``name``; ``queue_size`` 0 means latest-only."""

    def __init__(
        self,
        output: Output,
        name: str,
        size: tuple[int, int],
        fps: float,
        queue_size: int = 0,
        on_error: Callable[[str], None] | None = None,
        opened: bool = False,
    ) -> None:
        """``opened``: the caller opened ``output`` already (to report a failure at once)."""
        self.output, self.name, self.size, self.fps = output, name, size, fps
        self._opened = opened
        self.on_error = on_error
        self.sent = 0
        self.dropped = 0
        self.last: np.ndarray | None = None  # the last frame offered
        self.error = ""
        self.paths: list[Path] = []
        self._slot: LatestSlot | None = LatestSlot() if queue_size == 0 else None
        self._queue: queue.Queue | None = queue.Queue(queue_size) if queue_size else None
        self._stop = threading.Event()
        self._failed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"focuscam-{name}", daemon=True)
        self._thread.start()

    def offer(self, image: np.ndarray, t_ns: int) -> None:
        """Hand over a frame (the feed keeps it; do not write into it afterwards)."""
        if self._failed.is_set() or self._stop.is_set():
            return
        self.last = image
        if self._slot is not None:
            if self._slot.put((image, t_ns)):
                self.dropped += 1
        else:
            assert self._queue is not None
            try:
                self._queue.put_nowait((image, t_ns))
            except queue.Full:
                self.dropped += 1

    def _next(self):
        if self._slot is not None:
            return self._slot.take(timeout=0.05)
        assert self._queue is not None
        try:
            return self._queue.get(timeout=0.05)
        except queue.Empty:
            return None

    def _run(self) -> None:
        opened = self._opened
        try:
            if not opened:
                self.output.open(self.size, self.fps)
                opened = True
            while True:
                item = self._next()
                if item is None:
                    if self._stop.is_set() and self._drained():
                        break
                    continue
                image, t_ns = item
                self.output.write(image, t_ns)
                self.sent += 1
            self.paths = self.output.commit()
        except Exception as exc:
            self.error = str(exc) if isinstance(exc, FocusCamError) else f"{self.name}: {exc}"
            if not isinstance(exc, FocusCamError):
                logger.exception("%s failed", self.name)
            self._failed.set()
            if opened:
                self.output.abort()
            if self.on_error is not None:
                self.on_error(self.error)

    def _drained(self) -> bool:
        return self._slot is not None or (self._queue is not None and self._queue.empty())

    def close(self, timeout: float = 10.0) -> list[Path]:
        """Finish: what is queued is written, then the output is committed. Returns what was
        written; a FocusCamError when it failed (its partial file is already removed)."""
        self._stop.set()
        if self._slot is not None:
            self._slot.close()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise FocusCamError(f"{self.name} did not finish within {timeout:g} s")
        if self.error:
            raise FocusCamError(self.error)
        return self.paths

    @property
    def failed(self) -> bool:
        return self._failed.is_set()
