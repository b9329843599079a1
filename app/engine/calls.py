"""Starting the live outputs of a call: the virtual camera and the recorder, fed by a
pipeline (used by the window and by `live --no-window`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.engine.photo import default_folder
from app.errors import UsageError
from app.framing import CALL_SIZE
from app.outputs.feed import Feed
from app.outputs.files import free_names
from app.outputs.photo import photo_stem
from app.outputs.video import CRASH_SAFE, VideoOutput
from app.outputs.virtualcam import VirtualCameraOutput
from app.pipeline import Pipeline

RECORDER_QUEUE = 90  # frames: three seconds at 30 fps of slack for a slow disk


def recording_path(folder: Path | None = None, when: datetime | None = None) -> Path:
    """``FocusCam_YYYYMMDD_HHMMSS.mp4`` beside the photos (``_2``... if taken)."""
    stem = photo_stem(when or datetime.now())
    return next(free_names(folder or default_folder(), stem, ".mp4"))


def start_virtual_camera(pipeline: Pipeline, device: str | None, fps: float, on_error=None,
                         backend: str | None = None) -> Feed:  # fmt: skip
    """Open the virtual camera now (so a missing device is an error at once) and feed it."""
    out = VirtualCameraOutput(device or None, backend)
    out.open(CALL_SIZE, fps)
    feed = Feed(out, "virtual-camera", CALL_SIZE, fps, on_error=on_error, opened=True)
    pipeline.add_feed("virtual-camera", feed)
    return feed


def start_recording(pipeline: Pipeline, path: Path, fps: float, overwrite: bool = False,
                    on_error=None) -> Feed:  # fmt: skip
    if path.suffix.lower() not in CRASH_SAFE:
        raise UsageError(f"{path}: record to {', '.join(CRASH_SAFE)}")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} already exists; pass --overwrite to replace it")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    # crash-safe: a live moment cannot be recorded again (video.py)
    feed = Feed(VideoOutput(path, overwrite, crash_safe=True), "recorder", CALL_SIZE, fps,
                RECORDER_QUEUE, on_error=on_error)  # fmt: skip
    pipeline.add_feed("recorder", feed)
    return feed
