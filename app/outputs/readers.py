"""Who reads a file: whether any other process has it open (the virtual camera's device node,
which call apps open to watch it; in tests, any file).

On Linux the kernel says when the file is opened or closed (inotify: IN_OPEN, IN_CLOSE_*) and
/proc/PID/fd says who holds it, so nothing is polled: the watcher sleeps in ``select`` until
an open or a close, then looks once. Where inotify is not there (other systems) ``supported``
is False and the caller runs as if someone watched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE = 0x20, 0x08, 0x10
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
RECHECK_S = 30.0  # looked at again this often anyway (an event missed is not a user lost)


def holders(path: Path, exclude: int | None = None) -> list[int]:
    """The processes (other than ``exclude``) that have ``path`` open, from /proc; those this
    user cannot look into are not counted."""
    target = os.path.realpath(path)
    found = []
    with os.scandir("/proc") as processes:
        for entry in processes:
            if not entry.name.isdigit() or int(entry.name) == exclude:
                continue
            try:
                with os.scandir(f"/proc/{entry.name}/fd") as fds:
                    for fd in fds:
                        try:
                            if os.readlink(fd.path) == target:
                                found.append(int(entry.name))
                                break
                        except OSError:
                            continue
            except OSError:
                continue
    return found


def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    return libc if hasattr(libc, "inotify_init1") else None


class ReaderWatch:
    """Calls ``on_change(True/False)`` whenever whether another process has ``path`` open
    changes (and once at start). ``close`` stops it."""

    def __init__(self, path: str | Path, on_change: Callable[[bool], None]) -> None:
        self.path = Path(path)
        self.on_change = on_change
        self.read = True  # someone has it open (True until known otherwise)
        self.looks = 0  # times /proc was looked into (tests)
        self.last_open_ns: int | None = None  # when the last open was seen (monotonic ns)
        self._libc = _libc() if os.path.isdir("/proc") else None
        self._fd = -1
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self.supported = False
        if self._libc is not None:
            fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd >= 0:
                mask = IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE
                if self._libc.inotify_add_watch(fd, os.fsencode(str(self.path)), mask) >= 0:
                    self._fd, self.supported = fd, True
                else:
                    os.close(fd)
        if not self.supported:
            logger.info("cannot tell who reads %s here: running as if watched", self.path)

    def start(self) -> ReaderWatch:
        if self.supported:
            self._look()
            self._thread = threading.Thread(target=self._run, name="focuscam-readers",
                                            daemon=True)  # fmt: skip
            self._thread.start()
        return self

    def _look(self) -> None:
        self.looks += 1
        read = bool(holders(self.path, exclude=os.getpid()))
        if read != self.read or self.looks == 1:
            self.read = read
            logger.info("%s: %s", self.path, "read by an application" if read else "unread")
            self.on_change(read)

    def _run(self) -> None:
        while True:
            ready, _, _ = select.select([self._fd, self._stop_r], [], [], RECHECK_S)
            if self._stop_r in ready:
                return
            opened = False
            if self._fd in ready:
                try:
                    data = os.read(self._fd, 4096)
                except BlockingIOError:
                    data = b""
                # events: wd, mask, cookie, name length, name; only the masks matter
                at = 0
                while at + 16 <= len(data):
                    _, mask, _, size = struct.unpack_from("iIII", data, at)
                    opened |= bool(mask & IN_OPEN)
                    at += 16 + size
                if opened:
                    self.last_open_ns = time.monotonic_ns()
            try:
                self._look()
                # The open event comes before the opener's descriptor is in /proc: look again
                # a moment later if nobody showed yet.
                for pause in (0.005, 0.02, 0.06) if opened and not self.read else ():
                    if select.select([self._stop_r], [], [], pause)[0]:
                        return
                    self._look()
                    if self.read:
                        break
            except Exception:  # never kill the watch: the caller runs as if watched
                logger.exception("looking for readers of %s failed", self.path)

    def close(self) -> None:
        if self._thread is not None:
            os.write(self._stop_w, b"x")
            self._thread.join(2)
            self._thread = None
        for fd in (self._fd, self._stop_r, self._stop_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fd = self._stop_r = self._stop_w = -1
