"""Three stages on three threads, joined by bounded queues: read frames, run the engine, write.

`process` on a video is a pipeline: decoding and encoding (FFmpeg, which lets go of Python's
lock) run beside the engine, so the wall time approaches the slowest stage's instead of their
sum. Unlike the live pipeline nothing is ever dropped: a full queue makes its producer wait.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

DEPTH = 4  # frames in flight between two stages: enough to ride out jitter, little memory

_END = object()


class Stage:
    """``feed`` items from an iterator into a bounded queue on a thread of its own."""

    def __init__(self, name: str, produce: Iterator[Any], depth: int = DEPTH) -> None:
        self.queue: queue.Queue = queue.Queue(depth)
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), name=name,
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, produce: Iterator[Any]) -> None:
        try:
            for item in produce:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            self.error = exc
        finally:
            self._put(_END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self.queue.get()
            if item is _END:
                if self.error is not None:
                    raise self.error
                return
            yield item

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        try:
            while True:
                self.queue.get_nowait()  # unblock a producer waiting for room
        except queue.Empty:
            pass
        self._thread.join(timeout)


class Sink:
    """Calls ``consume(item)`` for every item put, on a thread of its own; ``close`` waits for
    it to finish and raises what it raised."""

    def __init__(self, name: str, consume: Callable[[Any], None], depth: int = DEPTH) -> None:
        self.queue: queue.Queue = queue.Queue(depth)
        self.error: BaseException | None = None
        self._consume = consume
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is _END:
                return
            if self.error is None:
                try:
                    self._consume(item)
                except BaseException as exc:
                    self.error = exc  # keep draining, so the producer never blocks

    def put(self, item) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def close(self) -> None:
        self.queue.put(_END)
        self._thread.join()
        if self.error is not None:
            raise self.error
