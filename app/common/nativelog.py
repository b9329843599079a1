"""Native libraries' own lines (FFmpeg, libpng, libjpeg, LiteRT) routed to our log.

C libraries inside OpenCV and LiteRT write straight to file descriptor 2: `[tcp @ 0x...]
Connection refused`, `libpng error: IDAT: CRC error`, `Corrupt JPEG data`. A user should see
our one line in words instead. ``route_native_stderr`` points descriptor 2 at a pipe whose lines
go to the ``native`` logger at DEBUG (shown with ``-v``), and gives Python's own ``sys.stderr``
a private copy of the real terminal, so our messages and tracebacks still get there.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger("native")

_routed = False


def route_native_stderr() -> bool:
    """Route descriptor 2's writers to the log; True when done (once per process)."""
    global _routed
    if _routed:
        return True
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        read_end, write_end = os.pipe()
    except (OSError, ValueError, AttributeError):  # no real stderr (embedded): leave it
        return False
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding="utf-8", errors="replace")
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_forward, args=(read_end,), name="focuscam-native-log",
                     daemon=True).start()  # fmt: skip
    _routed = True
    return True


def _forward(fd: int) -> None:
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        pending = b""
        while True:
            try:
                chunk = pipe.read(65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                text = line.decode("utf-8", "replace").rstrip()
                if text:
                    logger.debug("%s", text)
