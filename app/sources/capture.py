"""The capture thread: reads one source, stamps every frame, keeps only the newest in a slot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.frames import Frame, now_ns
from app.sources.base import FrameSource, SourceError
from app.sources.slot import LatestSlot

logger = logging.getLogger(__name__)

OPENING, RUNNING, LOST, FAILED, STOPPED = "opening", "running", "lost", "failed", "stopped"


@dataclass(frozen=True)
class SourceState:
    """What a capture thread is doing, for the overlay: ``message`` is for people."""

    tag: str  # identifies the capture thread (and so the source generation)
    state: str
    message: str = ""
    retry_in_s: float = 0.0  # LOST: when the next attempt to open it comes


StateCallback = Callable[[SourceState], None]


class CaptureThread:
    """Owns one source for as long as it runs: opens it, reads it, closes it.

    A camera that fails (unplugged, busy) is closed and reopened with back-off until it comes
    back or the thread is stopped; a file or demo source that fails is reported and ends.
    """

    def __init__(
        self,
        source: FrameSource,
        slot: LatestSlot[Frame],
        tag: str,
        on_state: StateCallback | None = None,
        backoff: tuple[float, float] = (0.5, 5.0),
    ) -> None:
        self.source = source
        self.slot = slot
        self.tag = tag
        self.on_state = on_state
        self.backoff = backoff
        self.captured = 0
        self.state = SourceState(tag, OPENING)
        self._stop = threading.Event()
        # Joined by its owner with a timeout; daemon as well, because a driver or a network
        # stream can block inside read() for longer than anyone should wait to quit.
        self._thread = threading.Thread(
            target=self._run, name=f"focuscam-capture-{tag}", daemon=True
        )

    def start(self) -> CaptureThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end (returns at once; ``join`` waits)."""
        self._stop.set()

    def join(self, timeout: float = 1.0) -> bool:
        """Wait for the thread to end; True when it has (the source is closed by then)."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _set(self, state: str, message: str = "", retry_in_s: float = 0.0) -> None:
        self.state = SourceState(self.tag, state, message, retry_in_s)
        if self.on_state is not None:
            try:
                self.on_state(self.state)
            except Exception:  # a UI callback must never kill capture
                logger.exception("source state callback failed")

    def _run(self) -> None:
        delay = self.backoff[0]
        seq = 0
        name = self.source.info.name
        try:
            while not self._stop.is_set():
                self._set(OPENING, f"Opening {name}…")
                try:
                    self.source.open()
                    self._set(RUNNING)
                    while not self._stop.is_set():
                        image = self.source.read()
                        seq += 1
                        self.captured += 1
                        self.slot.put(Frame(image, seq, now_ns(), self.tag))
                        delay = self.backoff[0]
                except SourceError as exc:  # could not open, or stopped sending
                    # For the log (the overlay or the command tells the user): said once, the
                    # retries that follow are the same story.
                    level = logging.INFO if delay == self.backoff[0] else logging.DEBUG
                    logger.log(level, "%s: %s", name, exc)
                    self.source.close()
                    if not self.source.live:
                        self._set(FAILED, str(exc))
                        return
                    self._set(LOST, str(exc), delay)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.backoff[1])
        except Exception as exc:  # never die silently: the overlay says what happened
            logger.exception("capture from %s failed", name)
            self._set(FAILED, f"{name} failed: {exc}")
        finally:
            self.source.close()
            if self.state.state != FAILED:
                self._set(STOPPED)
