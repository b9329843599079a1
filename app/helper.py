"""A second pair of hands: one process-wide helper thread for the frame loop's parallel parts.

The frame loop runs on one thread, and on a two-core machine the other core would sit idle
while the model runs and through most of compositing. The model and OpenCV release the GIL, so
work handed to this thread really runs alongside: the frame's share of matte refinement while
the model runs, and half of the compositing. One thread, shared by every engine and compositor
in the process, created on first use and kept for the life of the process, as OpenCV keeps its
own pool. A job never waits on another job, so sharing it cannot deadlock; a caller always
collects its job's result before it returns, so no job outlives the call that made it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

THREAD_NAME = "focuscam-helper"

T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn(*args)`` on the helper thread."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix=THREAD_NAME)
        return _pool.submit(fn, *args)
