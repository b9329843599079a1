"""The live outputs of a call: the virtual camera and the recorder, each a Feed (its own
thread) that the caller hands to the pipeline (``pipeline.add_feed(CAMERA, feed)``), used by
the window and by `live --no-window`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.common.files import free_names
from app.errors import UsageError
from app.framing import CALL_SIZE
from app.outputs.feed import Feed
from app.outputs.photo import default_folder, photo_stem
from app.outputs.video import CRASH_SAFE, VideoOutput
from app.outputs.virtualcam import VirtualCameraOutput

# The pipeline's names for them (Pipeline.add_feed, feed, remove_feed).
CAMERA, RECORDER = "virtual-camera", "recorder"
RECORDER_QUEUE = 90  # frames: three seconds at 30 fps of slack for a slow disk


def recording_path(folder: Path | None = None, when: datetime | None = None) -> Path:
    """``FocusCam_YYYYMMDD_HHMMSS.mp4`` beside the photos (``_2``... if taken)."""
    stem = photo_stem(when or datetime.now())
    return next(free_names(folder or default_folder(), stem, ".mp4"))


def open_virtual_camera(device: str | None, fps: float, on_error=None,
                        backend: str | None = None) -> Feed:  # fmt: skip
    """The virtual camera, opened now (so a missing device is an error at once)."""
    out = VirtualCameraOutput(device or None, backend)
    out.open(CALL_SIZE, fps)
    return Feed(out, CAMERA, CALL_SIZE, fps, on_error=on_error, opened=True)


def open_recorder(path: Path, fps: float, overwrite: bool = False, on_error=None) -> Feed:
    """A crash-safe recording of the call picture to ``path`` (video.py)."""
    if path.suffix.lower() not in CRASH_SAFE:
        raise UsageError(f"{path}: record to {', '.join(CRASH_SAFE)}")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} already exists; pass --overwrite to replace it")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    # crash-safe: a live moment cannot be recorded again
    return Feed(VideoOutput(path, overwrite, crash_safe=True), RECORDER, CALL_SIZE, fps,
                RECORDER_QUEUE, on_error=on_error)  # fmt: skip
