"""Native libraries' own log lines (LiteRT, MediaPipe, TFLite) kept off the user's terminal."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_QUIET_LOCK = threading.Lock()


@contextlib.contextmanager
def native_quiet():
    """Silence the native (C++) log lines LiteRT and MediaPipe write straight to stderr while a
    model loads, first runs and closes: a page of INFO and W0000 lines on every command is noise
    to a user. FOCUSCAM_NATIVE_LOGS=1 (or `focuscam -v`) keeps them. Python's own messages
    written in that moment would be lost too, so the window is kept to those calls."""
    if os.environ.get("FOCUSCAM_NATIVE_LOGS") == "1":
        yield
        return
    with _QUIET_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no real stderr (embedded, some IDEs): nothing to hide
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
