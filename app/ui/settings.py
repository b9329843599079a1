"""Settings that persist between runs (QSettings), with types and defaults in one place."""

from __future__ import annotations

import os
from pathlib import Path

from PyQt6.QtCore import QSettings

from app.compositing.spec import DEFAULT_EFFECT, DEFAULT_STRENGTH, KEY_COLOR
from app.segmentation.cadence import LIVE_SEGMENT_EVERY
from app.segmentation.runtimes import DEFAULT_RUNTIME

DEFAULTS: dict[str, object] = {
    "camera": "",
    "capture_size": "",  # "WxH" asked of cameras ("" : 1280x720, their usual HD)
    "effect": DEFAULT_EFFECT,
    "strength": DEFAULT_STRENGTH,
    "background": "",
    "mirror": True,  # mirror the preview of front cameras
    "mirror_photos": False,
    "mode": "photo",  # photo | video | call (call: the call preview)
    "countdown": 0,  # seconds before a photo: 0, 3 or 10
    "hud": False,
    "photo_folder": "",
    "save_original": True,  # with the matte: what re-focus after capture needs
    "save_matte": True,
    "runtime": DEFAULT_RUNTIME,  # where the models run (app/segmentation/runtimes.py)
    "segment_every": LIVE_SEGMENT_EVERY,  # "auto": the model when the picture changed; "1": always
    "auto_frame": False,  # the call picture follows you
    "light": 0.0,  # studio light 0..1 (S)
    "low_light": "auto",  # auto | on | off (N)
    "touch_up": 0.0,  # skin smoothing 0..1 (U)
    "key_color": KEY_COLOR,  # the Green screen effect's colour, RRGGBB
}


class Settings:
    """Typed access to QSettings. ``path`` (or $FOCUSCAM_SETTINGS) selects an INI file, which is
    how tests and scripted runs keep away from the user's own settings."""

    def __init__(self, path: Path | str | None = None) -> None:
        path = path or os.environ.get("FOCUSCAM_SETTINGS")
        if path:
            self._q = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self._q = QSettings("FocusCam", "FocusCam")

    def get(self, key: str):
        default = DEFAULTS[key]
        value = self._q.value(key, default)
        if isinstance(default, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true")
        if isinstance(default, int):
            try:
                return int(value)
            except (TypeError, ValueError):
                return default
        if isinstance(default, float):
            try:
                return float(value)
            except (TypeError, ValueError):
                return default
        return str(value) if value is not None else default

    def set(self, key: str, value: object) -> None:
        if key not in DEFAULTS:
            raise KeyError(key)
        self._q.setValue(key, value)

    def sync(self) -> None:
        self._q.sync()

    @property
    def file(self) -> str:
        return self._q.fileName()
