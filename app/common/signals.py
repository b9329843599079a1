"""The signals a system sends to end a program (SIGTERM: logout, shutdown, ``systemctl stop``;
SIGHUP: the terminal closed) end FocusCam as Ctrl+C does: recordings finished, the virtual
camera closed, a ``process`` run's temporary file removed, and the exit status the signal's
(128 + its number)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

STOP_SIGNALS = tuple(
    s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
    if s is not None
)


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM or SIGHUP, so that every ``except
    KeyboardInterrupt`` and ``finally`` that cleans up after Ctrl+C does so for them too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def raise_on_stop_signals() -> None:
    """From now on SIGTERM and SIGHUP raise ``Stopped`` (SIGINT keeps its KeyboardInterrupt).
    Only the main thread can set handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, _frame) -> None:
        raise Stopped(signum)

    for s in STOP_SIGNALS:
        if s != signal.SIGINT:
            signal.signal(s, handler)


@contextlib.contextmanager
def on_stop_signals(callback: Callable[[int], None]) -> Iterator[None]:
    """While inside: SIGINT, SIGTERM and SIGHUP call ``callback(signum)`` instead (a loop that
    ends itself cleanly when asked); the previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, lambda signum, _f: callback(signum)) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
