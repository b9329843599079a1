"""Every keyboard shortcut of the window, in one table: bound as actions, listed by the ``?``
sheet (and in the README's table)."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence


def shortcut_table(win) -> tuple[tuple[str, str, Callable[[], object]], ...]:
    """(keys, what it does, the slot) for the main window ``win``."""
    act = win.controller
    return (
        ("Space", "shutter: photo, start/stop recording, go live (by mode)", act.press_shutter),
        ("P", "Photo mode", lambda: act.set_mode("photo")),
        ("Shift+R", "Video mode (the shutter records)", lambda: act.set_mode("video")),
        ("L", "look at the last shots", lambda: act.open_viewer()),
        ("C", "next camera", act.next_camera),
        ("M", "mirror the preview", lambda: win.mirror.toggle()),
        ("B", "next effect: blur, replace, lens, green screen, off", act.next_effect),
        ("[", "less blur", lambda: win.strength.setValue(win.strength.value() - 10)),
        ("]", "more blur", lambda: win.strength.setValue(win.strength.value() + 10)),
        ("G", "background: presets or a picture of yours", lambda: win.controls.pick_bg.showMenu()),
        ("K", "camera menu: pick a camera and resolution", lambda: win.camera_label.showMenu()),
        ("Ctrl+,", "more: photo folder, what is saved, runtime", win.controls.more.showMenu),
        ("V", "Call mode: what others see (press again for Photo)", act.toggle_call_mode),
        ("T", "countdown: off, 3 s, 10 s", lambda: win.controls.countdown.click()),
        ("A", "auto-framing", act.toggle_auto_frame),
        ("S", "studio light on or off", lambda: act.toggle_look("light")),
        ("N", "low light: auto, on, off", act.next_low_light),
        ("U", "touch-up on or off", lambda: act.toggle_look("touch_up")),
        ("W", "virtual camera for calls", lambda: win.call_outputs.toggle_camera()),
        ("R", "record the call picture", lambda: win.call_outputs.toggle_recording()),
        ("H", "HUD: frame rate, latency, timings", lambda: win.hud.toggle()),
        ("F", "full screen", act.toggle_full_screen),
        ("Esc", "leave full screen; dismiss a message; everyone in focus", act.leave_full_screen),
        ("Tab", "focus on the next person (click one: that person)", act.next_in_focus),
        ("?", "this list", act.toggle_shortcuts),
        ("Ctrl+C", "copy the command a message gives", act.copy_command),
        ("Ctrl+Q", "quit", win.close),
    )


def bind(win, table) -> None:
    """Each entry of ``table`` as an action on ``win`` (active while the window is)."""
    for keys, what, slot in table:
        act = QAction(what, win)
        act.setShortcut(QKeySequence(keys))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(slot)
        win.addAction(act)
