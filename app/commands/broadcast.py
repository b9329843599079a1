"""`focuscam live --no-window`: the call picture to a virtual camera and/or a recording, with
no viewfinder and no display needed. Runs for ``-t`` seconds or until Ctrl+C."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

from app.common.signals import Stopped, on_stop_signals
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError, UsageError
from app.frames import now_ns
from app.outputs.jsonfile import write_json
from app.outputs.live import CAMERA, RECORDER, open_recorder, open_virtual_camera
from app.outputs.readers import ReaderWatch
from app.pipeline import OutputRequest, Pipeline
from app.segmentation.cadence import LIVE_SEGMENT_EVERY
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.capture import LOST
from app.sources.registry import open_source, probe_cameras

logger = logging.getLogger(__name__)

STILL_EVERY_S = 1.0  # while nobody watches, the virtual camera's still frame is sent again


class Idler:
    """Nothing spent while no application reads the virtual camera: the pipeline pauses (the
    source stays open, nothing is segmented or composited) and the device gets its last frame
    again once a second, so an application that looks sees a picture; it resumes the moment
    one opens the device (readers.py). Never while ``busy()`` (a recording goes on)."""

    def __init__(self, pipeline: Pipeline, path: str | Path, still, busy=lambda: False) -> None:
        self.pipeline, self.still, self.busy = pipeline, still, busy
        self.paused_s = 0.0
        self.pauses = 0
        self._since: float | None = None
        self._sent = 0.0
        self.watch = ReaderWatch(path, self._changed)

    def start(self) -> Idler:
        self.watch.start()
        return self

    def _changed(self, read: bool) -> None:
        if read or self.busy():
            if self._since is not None:
                self.paused_s += time.monotonic() - self._since
                self._since = None
            self.pipeline.resume()
        elif self._since is None:
            self._since = self._sent = time.monotonic()
            self.pauses += 1
            self.pipeline.pause()

    def tick(self) -> None:
        """Called now and then (the command's loop): the still frame, while paused."""
        if self._since is None or self.still is None:
            return
        now = time.monotonic()
        if now - self._sent >= STILL_EVERY_S and self.still.last is not None:
            self._sent = now
            self.still.offer(self.still.last, now_ns())

    def close(self) -> dict:
        self.watch.close()
        self._changed(True)
        return {"watched": self.watch.supported, "pauses": self.pauses,
                "paused_s": round(self.paused_s, 3)}  # fmt: skip

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
    segment_every: str = LIVE_SEGMENT_EVERY,
) -> int:
    if virtual_camera is None and record is None:
        raise UsageError("--no-window needs --virtual-camera or --record (else nothing is shown)")
    cameras = probe_cameras()
    spec_text = source or (cameras[0].spec if cameras else "demo")
    src = open_source(spec_text, size, cameras)
    errors: list[str] = []
    signals: list[int] = []
    stop = threading.Event()

    lost: list[str] = []  # why the source stopped, when it did (said if nothing was recorded)

    def failed(message: str) -> None:
        errors.append(message)
        stop.set()

    def source_state(state) -> None:
        if state.state == LOST and state.message:
            lost.append(state.message)

    pipeline = Pipeline(on_error=failed, on_state=source_state, runtime=runtime,
                        segment_every=segment_every)  # fmt: skip
    pipeline.request = OutputRequest(spec=spec, shown=False, auto_frame=auto_frame)
    fps = src.fps or 30.0
    feeds = []
    idler: Idler | None = None
    idle: dict | None = None
    try:
        if virtual_camera is not None:
            feeds.append(open_virtual_camera(virtual_camera, fps, failed))
            pipeline.add_feed(CAMERA, feeds[-1])
            print(f"sending to the virtual camera {feeds[-1].output.device_name}", flush=True)
        if record is not None:
            feeds.append(open_recorder(record, fps, overwrite, failed))
            pipeline.add_feed(RECORDER, feeds[-1])
        pipeline.start(src)
        if virtual_camera is not None:
            camera = pipeline.feed(CAMERA)
            idler = Idler(pipeline, camera.output.device_name, camera,
                          busy=lambda: record is not None).start()  # fmt: skip

        def stopped(signum: int) -> None:
            signals.append(signum)
            stop.set()

        with on_stop_signals(stopped):  # Ctrl+C, SIGTERM, SIGHUP: finish cleanly
            deadline = time.monotonic() + seconds if seconds > 0 else float("inf")
            while not stop.wait(0.1) and time.monotonic() < deadline:
                if idler is not None:
                    idler.tick()
    finally:
        if idler is not None:
            idle = idler.close()
        written = []
        for name in (RECORDER, CAMERA):
            feed = pipeline.remove_feed(name)
            if feed is not None:
                try:
                    written += feed.close()
                except FocusCamError as exc:
                    errors.append(str(exc))
        pipeline.close()
    summary = pipeline.stats_summary()
    captured = summary["frames_captured"]
    summary["outputs"] = {f.name: _counts(f) for f in feeds}
    if idle is not None:
        summary["idle"] = idle  # paused while no application read the virtual camera
    if stats_json is not None:
        write_json(stats_json, summary)
    for path in written:
        print(f"wrote {path}")
    if errors:
        if "no video was written" in errors[0]:
            # the cause, as `still` gives it, not only the consequence
            cause = lost[-1] if lost else "stopped sending frames" if captured else "sent no frame"
            raise FocusCamError(f"{src.info.name}: {cause}; {errors[0]}")
        raise FocusCamError(errors[0])
    if signals and signals[0] != signal.SIGINT:
        raise Stopped(signals[0])  # finished cleanly; the exit status still says why
    return 0


def _counts(feed) -> dict:
    """What a live output took: frames sent, dropped on the way (a slow disk or reader), and for
    a recording at its constant rate, frames repeated to fill a pause or dropped from a slot
    already filled."""
    counts = {"sent": feed.sent, "dropped": feed.dropped}
    if hasattr(feed.output, "repeated"):
        counts["repeated"] = feed.output.repeated
        counts["dropped_for_rate"] = feed.output.dropped
    return counts
