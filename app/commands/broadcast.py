"""`focuscam live --no-window`: the call picture to a virtual camera and/or a recording, with
no viewfinder and no display needed. Runs for ``-t`` seconds or until Ctrl+C."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

from app.compositing.spec import EffectSpec
from app.engine.photo import default_folder
from app.errors import FocusCamError, UsageError
from app.framing import CALL_SIZE
from app.outputs.feed import Feed
from app.outputs.jsonfile import write_json
from app.outputs.video import VideoOutput
from app.outputs.virtualcam import VirtualCameraOutput
from app.pipeline import OutputRequest, Pipeline
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.registry import open_source, probe_cameras

logger = logging.getLogger(__name__)

RECORDER_QUEUE = 90  # frames: three seconds at 30 fps of slack for a slow disk


def recording_path(folder: Path | None = None, when: datetime | None = None) -> Path:
    """``FocusCam_YYYYMMDD_HHMMSS.mp4`` beside the photos (``_2``... if taken)."""
    folder = folder or default_folder()
    stem = (when or datetime.now()).strftime("FocusCam_%Y%m%d_%H%M%S")
    for n in range(1, 1000):
        path = folder / (f"{stem}.mp4" if n == 1 else f"{stem}_{n}.mp4")
        if not path.exists():
            return path
    raise FocusCamError(f"no free file name for {stem}.mp4 in {folder}")


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
    if path.suffix.lower() not in (".mp4", ".mov", ".mkv", ".webm"):
        raise UsageError(f"{path}: record to .mp4, .mov, .mkv or .webm")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} already exists; pass --overwrite to replace it")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    feed = Feed(VideoOutput(path, overwrite), "recorder", CALL_SIZE, fps, RECORDER_QUEUE,
                on_error=on_error)  # fmt: skip
    pipeline.add_feed("recorder", feed)
    return feed


def run_headless(
    source: str | None,
    size: tuple[int, int] | None,
    seconds: float,
    spec: EffectSpec,
    virtual_camera: str | None,
    record: Path | None,
    auto_frame: bool,
    stats_json: Path | None,
    runtime: str = DEFAULT_RUNTIME,
    overwrite: bool = False,
) -> int:
    if virtual_camera is None and record is None:
        raise UsageError("--no-window needs --virtual-camera or --record (else nothing is shown)")
    cameras = probe_cameras()
    spec_text = source or (cameras[0].spec if cameras else "demo")
    src = open_source(spec_text, size, cameras)
    errors: list[str] = []
    stop = threading.Event()

    def failed(message: str) -> None:
        errors.append(message)
        stop.set()

    pipeline = Pipeline(on_error=failed, runtime=runtime)
    pipeline.request = OutputRequest(spec=spec, composite=False, auto_frame=auto_frame)
    fps = src.fps or 30.0
    feeds = []
    try:
        if virtual_camera is not None:
            feeds.append(start_virtual_camera(pipeline, virtual_camera, fps, failed))
            print(f"sending to the virtual camera {feeds[-1].output.device_name}", flush=True)
        if record is not None:
            feeds.append(start_recording(pipeline, record, fps, overwrite, failed))
        pipeline.start(src)
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
        try:
            deadline = time.monotonic() + seconds if seconds > 0 else float("inf")
            while not stop.wait(0.1) and time.monotonic() < deadline:
                pass
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        written = []
        for name in ("recorder", "virtual-camera"):
            feed = pipeline.remove_feed(name)
            if feed is not None:
                try:
                    written += feed.close()
                except FocusCamError as exc:
                    errors.append(str(exc))
        pipeline.close()
    summary = pipeline.stats_summary()
    summary["outputs"] = {f.name: {"sent": f.sent, "dropped": f.dropped} for f in feeds}
    if stats_json is not None:
        write_json(stats_json, summary)
    for path in written:
        print(f"wrote {path}")
    if errors:
        raise FocusCamError(errors[0])
    return 0
