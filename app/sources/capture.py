"""The capture thread: reads one source, stamps every frame, keeps only the newest in a slot.

Drivers and network streams can block inside ``open`` or ``read`` for half a minute, or for
ever (a camera that keeps the connection and sends nothing). So the blocking calls run on a
reader thread of their own, and the capture thread supervises it without ever blocking:

- an open that takes longer than ``open_timeout`` gives up ("no answer");
- a live source that sends no frame for max(1 s, 10 frame intervals) is a hang;

either way the reader is abandoned (it closes its source whenever the driver lets it go), a
fresh source is made, and it is opened again with the usual back-off. Stopping, switching
cameras and closing the window never wait for a driver: the capture thread ends at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.common.slot import LatestSlot
from app.frames import Frame, now_ns
from app.sources.base import FrameSource, SourceError

logger = logging.getLogger(__name__)

OPENING, RUNNING, LOST, FAILED, STOPPED = "opening", "running", "lost", "failed", "stopped"

OPEN_TIMEOUT_S = 5.0
HANG_MIN_S = 1.0  # a live source silent this long (or 10 frame intervals) has hung
HANG_FRAMES = 10
POLL_S = 0.02
STALE_FRAMES = 4  # a camera's buffers: frames read at once after a pause are old


@dataclass(frozen=True)
class SourceState:
    """What a capture thread is doing, for the overlay: ``message`` is for people."""

    tag: str  # identifies the capture thread (and so the source generation)
    state: str
    message: str = ""
    retry_in_s: float = 0.0  # LOST: when the next attempt to open it comes


StateCallback = Callable[[SourceState], None]


class _Reader:
    """One open-and-read session of one source, on its own daemon thread."""

    def __init__(
        self, source: FrameSource, deliver: Callable, name: str,
        running: threading.Event | None = None,
    ) -> None:  # fmt: skip
        """``running``: cleared, the source stays open and is not read (paused)."""
        self.source = source
        self.deliver = deliver
        self.running = running
        self.opened = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.last_frame = time.monotonic()
        self.frames = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _paused(self) -> None:
        """Wait, reading nothing, until resumed (or stopped); then skip what a camera kept
        from before: frames that come at once are its buffers, not now."""
        while not self.running.wait(0.1):
            if self._stop.is_set():
                return
        if self.source.live:
            period = 1.0 / self.source.fps if self.source.fps > 0 else 1 / 30
            for _ in range(STALE_FRAMES):
                t0 = time.monotonic()
                self.source.read()
                if time.monotonic() - t0 > 0.4 * period:
                    break  # that one was waited for: the next is fresh
        self.last_frame = time.monotonic()

    def _run(self) -> None:
        try:
            self.source.open()
            logger.info("source opened: %s (%s), %.3g fps", self.source.info.name,
                        self.source.info.spec, self.source.fps)  # fmt: skip
            self.last_frame = time.monotonic()
            self.opened.set()
            while not self._stop.is_set():
                if self.running is not None and not self.running.is_set():
                    self._paused()
                    continue
                image = self.source.read()
                if self._stop.is_set():
                    break  # abandoned while the driver held us: nobody wants this frame
                self.last_frame = time.monotonic()
                self.frames += 1
                self.deliver(image)
        except BaseException as exc:  # handed to the capture thread, which says what happened
            self.error = exc
        finally:
            try:
                self.source.close()
            except Exception:
                logger.debug("closing %s failed", self.source.info.name, exc_info=True)
            self.done.set()


class CaptureThread:
    """Owns one source for as long as it runs: opens it, reads it, closes it.

    A camera that fails (unplugged, busy, hung) is closed and reopened with back-off until it
    comes back or the thread is stopped; a file or demo source that fails is reported and ends.
    """

    def __init__(
        self,
        source: FrameSource,
        slot: LatestSlot[Frame],
        tag: str,
        on_state: StateCallback | None = None,
        backoff: tuple[float, float] = (0.5, 5.0),
        open_timeout: float = OPEN_TIMEOUT_S,
    ) -> None:
        self.source = source
        self.slot = slot
        self.tag = tag
        self.on_state = on_state
        self.backoff = backoff
        self.open_timeout = open_timeout
        self.captured = 0
        self.state = SourceState(tag, OPENING)
        self._seq = 0
        self._stop = threading.Event()
        self.running = threading.Event()  # cleared: paused (the source stays open, unread)
        self.running.set()
        self._resumed = 0.0
        self._reader: _Reader | None = None
        self.abandoned = 0  # readers left blocked in a driver (they end by themselves)
        # Joined by its owner with a timeout; daemon as well, never to hold up quitting.
        self._thread = threading.Thread(
            target=self._run, name=f"focuscam-capture-{tag}", daemon=True
        )

    def start(self) -> CaptureThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end (returns at once; ``join`` waits)."""
        self._stop.set()

    def pause(self) -> None:
        """Stop reading (the source stays open: resuming takes a frame, not a reopen)."""
        self.running.clear()

    def resume(self) -> None:
        self._resumed = time.monotonic()  # the hang clock starts again from here
        self.running.set()

    def join(self, timeout: float = 1.0) -> bool:
        """Wait for the thread to end; True when it has. A reader stuck in a driver is left to
        end by itself (it closes its source when the driver returns)."""
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

    def _deliver(self, image) -> None:
        self._seq += 1
        self.captured += 1
        self.slot.put(Frame(image, self._seq, now_ns(), self.tag))

    def _hang_limit(self, source: FrameSource) -> float:
        fps = source.fps
        return max(HANG_MIN_S, HANG_FRAMES / fps) if fps > 0 else HANG_MIN_S

    def _session(self, source: FrameSource) -> str | None:
        """Open and read ``source`` until it fails, hangs or we stop; the reason it ended (None
        when stopped)."""
        name = source.info.name
        reader = self._reader = _Reader(source, self._deliver, f"focuscam-reader-{self.tag}",
                                        self.running)  # fmt: skip
        start = time.monotonic()
        running = False
        while not self._stop.wait(POLL_S if self.running.is_set() else 0.2):
            if reader.done.is_set():
                break
            now = time.monotonic()
            if not running:
                if reader.opened.is_set():
                    running = True
                    self._set(RUNNING)
                elif now - start > self.open_timeout:
                    self._abandon(reader)
                    return f"no answer from {name} within {self.open_timeout:g} s"
            elif (source.live and self.running.is_set()
                  and now - max(reader.last_frame, self._resumed) > self._hang_limit(source)):
                self._abandon(reader)
                return f"{name} stopped sending frames"
        if self._stop.is_set():
            self._abandon(reader)
            return None
        exc = reader.error
        if isinstance(exc, SourceError):
            return str(exc)
        if exc is None:
            return f"{name} ended"
        logger.error("capture from %s failed", name, exc_info=exc)
        raise _Fatal(f"{name} failed: {exc}")

    def _abandon(self, reader: _Reader) -> None:
        """Let a reader go: it ends (and closes its source) as soon as its driver returns."""
        if self._reader is reader:
            self._reader = None
        reader.stop()
        reader.thread.join(0.2)  # usually a frame period; never longer than a glance
        if reader.thread.is_alive():
            logger.debug("%s: a blocked reader finishes by itself", reader.source.info.name)
            self.abandoned += 1

    def _run(self) -> None:
        delay = self.backoff[0]
        source = self.source
        name = source.info.name
        try:
            while not self._stop.is_set():
                self._set(OPENING, f"Opening {name}…")
                captured = self.captured
                reason = self._session(source)
                if reason is None:
                    return
                if self.captured > captured:
                    delay = self.backoff[0]  # it worked for a while: start the back-off afresh
                # For the log (the overlay or the command tells the user): said once, the
                # retries that follow are the same story.
                level = logging.INFO if delay == self.backoff[0] else logging.DEBUG
                logger.log(level, "%s: %s", name, reason)
                if not source.live:
                    self._set(FAILED, reason)
                    return
                self._set(LOST, reason, delay)
                hung = self._reader is None  # abandoned: its source may still be in a driver
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                if hung:
                    source = source.fresh()
        except _Fatal as exc:
            self._set(FAILED, str(exc))
        except Exception as exc:  # never die silently: the overlay says what happened
            logger.exception("capture from %s failed", name)
            self._set(FAILED, f"{name} failed: {exc}")
        finally:
            if self._reader is not None and not self._reader.done.is_set():
                self._abandon(self._reader)
            if self.state.state != FAILED:
                self._set(STOPPED)


class _Fatal(Exception):
    """An unexpected error inside a source: reported, and the capture ends."""
