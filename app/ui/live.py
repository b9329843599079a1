"""`focuscam live` and `focuscam cameras`: the Qt entry points."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from app.common.signals import Stopped, on_stop_signals
from app.delivery import VIEW_SIZE
from app.errors import FocusCamError
from app.frames import parse_size
from app.outputs import recovery
from app.sources.base import BACK, SourceInfo
from app.sources.registry import open_source, probe_cameras

logger = logging.getLogger(__name__)

HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"}


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can be shown here, or None. Checked before Qt starts, so that a server or
    a container gets one clear line instead of Qt aborting the process."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if qpa in HEADLESS_PLATFORMS:
        return None
    if not platform.startswith("linux"):
        return None  # Windows and macOS always have their own display
    if qpa in ("", "xcb") and env.get("DISPLAY"):
        return None
    if qpa in ("", "wayland", "wayland-egl") and env.get("WAYLAND_DISPLAY"):
        return None
    me = this_command()
    demo = "" if probe_cameras() else " --source demo"
    return (
        "no display to show the viewfinder on ($DISPLAY and $WAYLAND_DISPLAY are not set); "
        f"without one use `{me} still{demo} -o photo.jpg` or `{me} process IN -o OUT`"
    )


def this_command() -> str:
    """How to run FocusCam again as it was run now, as typed in a shell: `focuscam` when that
    is on the PATH, else the script's own path (scripts/run starts .venv/bin/focuscam), or
    ``python -m app``."""
    import shlex
    import shutil

    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if argv0.endswith("__main__.py") or not argv0:
        return f"{shlex.quote(sys.executable)} -m app"
    found = shutil.which("focuscam")
    if found and os.path.realpath(found) == os.path.realpath(argv0):
        return "focuscam"
    return shlex.quote(os.path.abspath(argv0))


def _app():
    from PyQt6.QtCore import QLoggingCategory
    from PyQt6.QtWidgets import QApplication

    if not logger.isEnabledFor(logging.INFO):
        # QtMultimedia lists every optional library it did not find: noise for a user.
        QLoggingCategory.setFilterRules("qt.multimedia*=false")
    app = QApplication.instance()
    if app is None:
        app = QApplication(["focuscam"])
        app.setApplicationName("FocusCam")
        app.setOrganizationName("FocusCam")
        from app.ui.theme import apply_dark_theme

        apply_dark_theme(app)
    return app


def print_cameras() -> int:
    problem = display_problem()
    if problem:
        # QtMultimedia needs an application object, not a screen.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app()
    from app.ui.cameras import list_cameras

    cams = list_cameras()
    if not cams:
        print("no cameras found; `focuscam live` will show the demo scene")
        return 0
    for c in cams:
        print(f"{c.spec:14s} {c.facing:5s} {c.name}")
    return 0


def run_live(
    source: str | None = None,
    size: tuple[int, int] | None = None,
    window: tuple[int, int] = VIEW_SIZE,
    seconds: float = 0.0,
    stats_json: Path | None = None,
    compositor: str = "auto",
    runtime: str | None = None,
    virtual_camera: str | None = None,
    record: Path | str | None = None,
    auto_frame: bool = False,
    effect: str | None = None,
    strength: float | None = None,
    background: str | None = None,
    segment_every: str | None = None,
    light: float | None = None,
    low_light: str | None = None,
    touch_up: float | None = None,
    key_color: tuple[int, int, int] | None = None,
) -> int:
    problem = display_problem()
    if problem:
        raise FocusCamError(problem)
    app = _app()
    from PyQt6.QtCore import QTimer

    from app.ui.cameras import list_cameras
    from app.ui.settings import Settings
    from app.ui.window import MainWindow

    settings = Settings()
    if runtime is not None:
        settings.set("runtime", runtime)
    if segment_every is not None:
        settings.set("segment_every", segment_every)
    if auto_frame:
        settings.set("auto_frame", True)
    if effect is not None:
        settings.set("effect", effect)
    if strength is not None:
        settings.set("strength", strength)
    for key, value in (("light", light), ("low_light", low_light), ("touch_up", touch_up)):
        if value is not None:
            settings.set(key, value)
    if key_color is not None:
        settings.set("key_color", "{2:02X}{1:02X}{0:02X}".format(*key_color))
    if background is not None:
        from app.common.images import BACKGROUND_PRESETS, background_image
        from app.common.moving import MovingBackground

        checked = background_image(background)  # a clear error now, not a gradient later
        if isinstance(checked, MovingBackground):
            checked.close()
        settings.set("background", f"preset:{background}" if background in BACKGROUND_PRESETS
                     else str(Path(background).resolve()))  # fmt: skip
    cameras = list_cameras()
    banner = ""
    if source:
        chosen = open_source(source, size, cameras).info  # a usage error before any window
        others = [c for c in cameras if c.spec != chosen.spec]
        cycle, start = [chosen, *others], 0
    elif cameras:
        saved = settings.get("camera")
        specs = [c.spec for c in cameras]
        cycle, start = cameras, specs.index(saved) if saved in specs else 0
    else:
        cycle, start = [SourceInfo("demo scene", "demo", BACK)], 0
        banner = "No camera found: showing the demo scene. Plug a camera in and press C."
    if recovery.said:  # what this start recovered from a crash (also said on stderr)
        banner = " ".join([*(line[0].upper() + line[1:] + "." for line in recovery.said), banner])

    def make_source(info: SourceInfo):
        chosen = settings.get("capture_size")
        return open_source(info.spec, size or (parse_size(chosen) if chosen else None), cycle)

    win = MainWindow(
        cycle, make_source, settings, start, list_cameras=list_cameras, banner=banner,
        compositor=compositor,
    )  # fmt: skip
    win.fit_picture(window)
    win.show()
    if virtual_camera is not None:
        try:
            win.call_outputs.start_camera(virtual_camera or None, strict=True)
        except FocusCamError:
            win.close()
            raise
    if record is not None:
        win.call_outputs.start_recording(Path(record) if record else None)
    if seconds > 0:
        QTimer.singleShot(round(seconds * 1000), win.close)

    def report(kind, exc, tb) -> None:
        # PyQt aborts the process on an exception in a slot unless a hook is set: log it, tell
        # the user, keep the camera running.
        logger.error("unexpected error", exc_info=(kind, exc, tb))
        win.show_message(f"Something went wrong: {exc}", 6000)

    signals: list[int] = []

    def stopped(signum: int) -> None:  # Ctrl+C, SIGTERM (logout), SIGHUP: close as the user does
        signals.append(signum)
        QTimer.singleShot(0, win.close)

    # Python sees a signal only when it runs: this timer lets it run at least 5 times a second.
    wake = QTimer(interval=200, timeout=lambda: None)
    wake.start()
    previous_hook, sys.excepthook = sys.excepthook, report
    try:
        with on_stop_signals(stopped):
            app.exec()
    finally:
        sys.excepthook = previous_hook
        wake.stop()
    win.close()
    if stats_json is not None and win.final_stats is not None:
        from app.outputs.jsonfile import write_json

        write_json(stats_json, win.final_stats)
    if win.last_error and win.final_stats and win.final_stats["frames_displayed"] == 0:
        raise FocusCamError(win.last_error)
    if signals:
        raise KeyboardInterrupt if signals[0] == signal.SIGINT else Stopped(signals[0])
    return 0
