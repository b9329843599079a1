"""A second pair of hands: one worker thread for work that runs alongside its owner's.

The frame loop runs on one thread, and on a two-core machine the other core would sit idle
while the model runs and through most of compositing. The model and OpenCV release the GIL, so
work handed to a worker thread really runs alongside: the model itself while the frame's share of
refinement is done (the engine's worker), and half of the compositing (the compositor's).

Each worker thread belongs to one owner, which closes it (the thread is stopped and joined); the
thread starts on first use, and one that is dropped without ``close`` still lets its
thread end. The owner always collects a job's result before it returns, so no job outlives
the call that made it.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import cv2

T = TypeVar("T")


def _serve(jobs: queue.SimpleQueue) -> None:
    while True:
        job = jobs.get()
        if job is None:
            return
        future, fn, args = job
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)


class WorkerThread:
    """A worker thread named ``name``, started on the first ``submit``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue | None = None
        self._thread: threading.Thread | None = None
        self._stop: weakref.finalize | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on the worker thread."""
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                jobs: queue.SimpleQueue = queue.SimpleQueue()
                thread = threading.Thread(target=_serve, args=(jobs,), name=self.name, daemon=True)
                thread.start()
                self._jobs, self._thread = jobs, thread
                # Dropped without close(): the thread still ends, once this object is collected.
                self._stop = weakref.finalize(self, jobs.put, None)
            assert self._jobs is not None
            self._jobs.put((future, fn, args))
        return future

    def close(self, timeout: float = 1.0) -> bool:
        """Stop the thread after the jobs already given; True when it ended within ``timeout``."""
        with self._lock:
            thread, stop = self._thread, self._stop
            self._thread = self._jobs = self._stop = None
        if thread is None:
            return True
        assert stop is not None
        stop()
        thread.join(timeout)
        return not thread.is_alive()


# Up to this many pixels a frame's work is many short OpenCV calls, already spread over the
# cores by the worker threads above; OpenCV's own pool splits each call again and its threads
# wait for a core the model or the other worker holds: without the pool a frame costs less
# CPU and takes a little longer. Larger frames have long single resizes and blurs, where the
# pool pays. (Measured: README, Speed.)
OWN_POOL_MIN_PIXELS = 3_000_000


def fit_opencv_pool(size: tuple[int, int] | None) -> None:
    """Size OpenCV's thread pool for frames of ``size`` (w, h): one thread (no pool) up to
    ``OWN_POOL_MIN_PIXELS``, the default above or for None. Process-wide; cheap to repeat."""
    want = 1 if size is not None and size[0] * size[1] < OWN_POOL_MIN_PIXELS else -1
    if want == 1 and cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
    elif want == -1 and cv2.getNumThreads() == 1:
        cv2.setNumThreads(-1)
