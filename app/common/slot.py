"""A latest-only mailbox: a newer item replaces an unread one and the drop is counted."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one item. Producers never wait; consumers get only the newest item.

    There is deliberately no queue behind it: latency can never build up behind a slow stage.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False
        self.put_count = 0
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Store ``item``; returns True when it replaced one nobody had read (a drop)."""
        with self._cond:
            dropped = self._item is not None
            if dropped:
                self.dropped += 1
            self._item = item
            self.put_count += 1
            self._cond.notify_all()
            return dropped

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, emptying the slot; waits up to ``timeout`` s (None when nothing came
        or the slot was closed)."""
        with self._cond:
            if self._item is None and not self._closed:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item

    def peek(self) -> T | None:
        """The unread item, left in place."""
        with self._cond:
            return self._item

    def close(self) -> None:
        """Wake every waiter; later ``take`` calls return at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
