"""The live pipeline: capture thread -> [latest slot] -> segmentation worker -> [latest slot].

The UI (or a test, or ``focuscam still``) owns a Pipeline, tells it what to render through an
OutputRequest, takes Results from ``results`` and reports each one it shows with
``stats.displayed()``. No frame is ever queued: both hand-offs keep only the newest.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.frames import Frame, Matte, now_ns
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.base import FrameSource
from app.sources.capture import CaptureThread, SourceState
from app.sources.slot import LatestSlot

logger = logging.getLogger(__name__)

CALL_SIZE = (1280, 720)  # what a call app receives: 16:9, 720p
SELF_VIEW_WIDTH = 240


@dataclass(frozen=True)
class OutputRequest:
    """What the viewer wants rendered; replaced as a whole when a control changes."""

    view_size: tuple[int, int] = (960, 540)  # the box the picture is fitted into, device pixels
    spec: EffectSpec = field(default_factory=EffectSpec)
    mirror: bool = False
    call_preview: bool = False
    composite: bool = True  # False when the viewer composites itself (the GL viewfinder)


@dataclass
class Result:
    """One processed frame: the matte belongs to exactly this frame (no ghosting)."""

    frame: Frame
    matte: Matte
    request: OutputRequest
    view: np.ndarray | None  # BGR at the fitted view size (mirrored when asked), or None
    self_view: np.ndarray | None  # call preview: your mirrored self-view
    timings: dict[str, float]


def fit_inside(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit ``box``, keeping its aspect ratio, never enlarged."""
    w, h = size
    bw, bh = box
    s = min(bw / w, bh / h, 1.0)
    return max(2, round(w * s)), max(2, round(h * s))


def crop_16_9(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The centred 16:9 window (x, y, w, h) of a frame of ``size``, as a call app crops it."""
    w, h = size
    if w * 9 >= h * 16:
        cw = h * 16 // 9
        return (w - cw) // 2, 0, cw, h
    ch = w * 9 // 16
    return 0, (h - ch) // 2, w, ch


class PipelineStats:
    """Counters and timings shared by the pipeline's threads and its viewer."""

    WINDOW = 120  # samples behind the HUD's rolling numbers

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.frames_displayed = 0
        self.latency_ms: list[float] = []
        self.stages_ms: dict[str, list[float]] = {}
        self._recent_latency: deque[float] = deque(maxlen=self.WINDOW)
        self._recent_stages: dict[str, deque[float]] = {}
        self._display_times: deque[int] = deque(maxlen=self.WINDOW)
        self._last_seq: tuple[str, int] | None = None
        self._t0_wall = time.perf_counter()
        self._t0_cpu = time.process_time()

    def restart_clock(self) -> None:
        self._t0_wall = time.perf_counter()
        self._t0_cpu = time.process_time()

    def stage(self, name: str, ms: float) -> None:
        """One stage's time for one frame (the worker's, or the GL viewfinder's composite)."""
        with self._lock:
            self.stages_ms.setdefault(name, []).append(ms)
            self._recent_stages.setdefault(name, deque(maxlen=self.WINDOW)).append(ms)

    def displayed(self, frame: Frame, t_ns: int | None = None) -> bool:
        """The viewer painted ``frame``; counted once per frame however often it is repainted.
        Returns True the first time."""
        t_ns = now_ns() if t_ns is None else t_ns
        key = (frame.source, frame.seq)
        with self._lock:
            if key == self._last_seq:
                return False
            self._last_seq = key
            self.frames_displayed += 1
            lat = (t_ns - frame.t_capture_ns) / 1e6
            self.latency_ms.append(lat)
            self._recent_latency.append(lat)
            self._display_times.append(t_ns)
            return True

    def hud(self) -> dict:
        """Rolling numbers for the HUD."""
        with self._lock:
            times = list(self._display_times)
            lat = np.array(self._recent_latency) if self._recent_latency else np.zeros(1)
            stages = {k: float(np.median(v)) for k, v in self._recent_stages.items() if v}
        fps = (len(times) - 1) / ((times[-1] - times[0]) / 1e9) if len(times) > 1 else 0.0
        return {
            "fps": fps,
            "latency_p50": float(np.percentile(lat, 50)),
            "latency_p95": float(np.percentile(lat, 95)),
            "stages": stages,
        }

    def cpu_percent(self) -> float:
        wall = time.perf_counter() - self._t0_wall
        return 100.0 * (time.process_time() - self._t0_cpu) / wall if wall > 0 else 0.0

    def wall_s(self) -> float:
        return time.perf_counter() - self._t0_wall


class Pipeline:
    """Owns the capture thread(s) and the segmentation worker; ``close()`` joins them all."""

    def __init__(
        self,
        engine_factory: Callable[[str], object] | None = None,
        on_result: Callable[[], None] | None = None,
        on_state: Callable[[SourceState], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        backoff: tuple[float, float] = (0.5, 5.0),
        runtime: str = DEFAULT_RUNTIME,
    ) -> None:
        self.engine_factory = engine_factory or _default_engine
        # The segmentation runtime; the worker loads the new one between frames when it changes.
        self.runtime = runtime
        self.engine_runtime = ""  # the runtime the worker's engine has loaded
        self.on_result = on_result
        self.on_state = on_state
        self.on_error = on_error
        self.backoff = backoff
        self.request = OutputRequest()
        self.frames: LatestSlot[Frame] = LatestSlot()
        self.results: LatestSlot[Result] = LatestSlot()
        self.stats = PipelineStats()
        self.compositor = CpuCompositor()
        self.capture: CaptureThread | None = None
        self._retired: list[CaptureThread] = []
        self._captured_retired = 0
        self._tags = itertools.count(1)
        self._latest_frame: Frame | None = None
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="focuscam-segmentation")
        self._started = False
        self._switch_lock = threading.Lock()
        self._ready = threading.Event()
        self._pending: FrameSource | None = None
        self._pending_tag: str | None = None
        self.engine_model = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, source: FrameSource) -> Pipeline:
        """Load the models (on the worker), then start capturing from ``source``.

        The camera opens only once segmentation is ready, so no frame is captured just to be
        dropped while the model loads.
        """
        self.switch_to(source)
        self._worker.start()
        self._started = True
        return self

    def switch_to(self, source: FrameSource) -> str:
        """Start capturing from ``source``; the old source is stopped without waiting for it.

        Returns the new capture's tag: frames carry it as ``Frame.source``, so the viewer can
        tell when the first frame of the new source arrives. Never blocks: the source opens on
        its own capture thread.
        """
        with self._switch_lock:
            tag = f"{next(self._tags)}:{source.info.spec}"
            if not self._ready.is_set():
                if self._pending is not None:
                    self._pending.close()
                self._pending = source
                self._pending_tag = tag
                return tag
            old = self.capture
            self.capture = CaptureThread(source, self.frames, tag, self.on_state, self.backoff)
            self.capture.start()
            if old is not None:
                old.stop()  # joined in close(); a camera may take a frame period to let go
                self._retired.append(old)
            self._reap()
            return tag

    def _reap(self) -> None:
        for t in [t for t in self._retired if not t.alive]:
            t.join(0)
            self._captured_retired += t.captured
            self._retired.remove(t)

    def close(self, timeout: float = 1.0) -> bool:
        """Stop every thread and release every source; True when all ended within ``timeout``."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        with self._switch_lock:
            threads = [t for t in [self.capture, *self._retired] if t is not None]
            if self._pending is not None:
                self._pending.close()
                self._pending = None
        for t in threads:
            t.stop()
        self.frames.close()
        self.results.close()
        ok = True
        for t in threads:
            ok &= t.join(max(0.0, deadline - time.monotonic()))
        if self._started:
            self._worker.join(max(0.0, deadline - time.monotonic()))
            ok &= not self._worker.is_alive()
        if not ok:
            logger.warning("some pipeline threads did not stop within %.1f s", timeout)
        return ok

    # -- what the viewer and the shutter read ------------------------------------------------
    @property
    def current_tag(self) -> str:
        if self._pending_tag is not None and not self._ready.is_set():
            return self._pending_tag
        return self.capture.tag if self.capture else ""

    def latest_frame(self) -> Frame | None:
        """The newest full-resolution frame of the current source (for the shutter)."""
        frame = self.frames.peek()
        if frame is not None and frame.source == self.current_tag:
            return frame
        last = self._latest_frame
        return last if last is not None and last.source == self.current_tag else None

    @property
    def frames_captured(self) -> int:
        self._reap()
        live = sum(t.captured for t in [self.capture, *self._retired] if t is not None)
        return self._captured_retired + live

    @property
    def frames_dropped(self) -> int:
        return self.frames.dropped + self.results.dropped

    def stats_summary(self) -> dict:
        """The ``--stats-json`` document."""
        s = self.stats
        lat = np.array(s.latency_ms) if s.latency_ms else np.zeros(1)
        wall = s.wall_s()
        return {
            "frames_captured": self.frames_captured,
            "frames_displayed": s.frames_displayed,
            "frames_dropped": self.frames_dropped,
            "fps_displayed": round(s.frames_displayed / wall, 2) if wall > 0 else 0.0,
            "latency_ms": {f"p{q}": round(float(np.percentile(lat, q)), 2) for q in (50, 95, 99)},
            "stages_ms_p50": {
                k: round(float(np.median(v)), 3) for k, v in s.stages_ms.items() if v
            },
            "cpu_percent": round(s.cpu_percent(), 1),
        }

    # -- the worker --------------------------------------------------------------------------
    def _work(self) -> None:
        runtime = self.runtime
        try:
            engine = self.engine_factory(runtime)
        except Exception as exc:  # a missing model: say so, keep the window alive
            logger.error("segmentation unavailable: %s", exc)
            if self.on_error:
                self.on_error(str(exc))
            return
        self.engine_runtime = runtime
        with self._switch_lock:
            self._ready.set()
            pending, self._pending = self._pending, None
            if pending is not None and not self._stop.is_set():
                tag = self._pending_tag  # set with every pending source by switch_to
                self.capture = CaptureThread(pending, self.frames, tag, self.on_state, self.backoff)
                self.capture.start()
        self.stats.restart_clock()
        last_tag = None
        try:
            while not self._stop.is_set():
                frame = self.frames.take(timeout=0.1)
                if frame is None:
                    continue
                if frame.source != self.current_tag:
                    continue  # a late frame from a source we already switched away from
                if self.runtime != runtime:
                    engine = self._switch_runtime(engine, runtime)
                    runtime = self.runtime
                    last_tag = None
                self._latest_frame = frame
                if frame.source != last_tag:
                    engine.reset()  # a new camera: no shared history
                    last_tag = frame.source
                request = self.request
                early = None
                if request.composite:
                    # The compositor starts on the frame's background while the model runs.
                    size, spec = _render_size(frame.size, request), request.spec
                    early = functools.partial(self.compositor.prepare, spec=spec, size=size)
                matte, timings = engine.process(frame.image, frame.t_capture_ns, early)
                self.engine_model = matte.model
                t0 = time.perf_counter()
                view, self_view = self.render(frame, matte, request)
                if request.composite:
                    timings["composite"] = (time.perf_counter() - t0) * 1e3
                for stage, ms in timings.items():
                    self.stats.stage(stage, ms)
                self.results.put(Result(frame, matte, request, view, self_view, timings))
                if self.on_result is not None:
                    self.on_result()
        except Exception as exc:
            logger.exception("segmentation worker failed")
            if self.on_error:
                self.on_error(f"segmentation failed: {exc}")
        finally:
            engine.close()
            self.compositor.close()

    def _switch_runtime(self, engine, old: str):
        """The engine on ``self.runtime``; the old one if the new one cannot be loaded."""
        try:
            new = self.engine_factory(self.runtime)
        except Exception as exc:
            logger.error("runtime %s unavailable: %s", self.runtime, exc)
            if self.on_error:
                self.on_error(f"cannot use the {self.runtime} runtime: {exc}")
            self.runtime = old
            return engine
        engine.close()
        self.engine_runtime = self.runtime
        return new

    def render(
        self, frame: Frame, matte: Matte, request: OutputRequest
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The picture for the viewer at its size, and in call preview the self-view."""
        if not request.composite:
            return None, None
        comp = self.compositor
        size = _render_size(frame.size, request)
        if request.call_preview:
            x, y, cw, ch = crop_16_9(frame.size)
            s = CALL_SIZE[0] / cw
            full = comp.render(frame.image, matte, request.spec, size)
            ox, oy = round(x * s), round(y * s)
            call = full[oy : oy + CALL_SIZE[1], ox : ox + CALL_SIZE[0]]
            view = cv2.resize(
                call, fit_inside(CALL_SIZE, request.view_size), interpolation=cv2.INTER_AREA
            )
            sw = SELF_VIEW_WIDTH
            self_view = cv2.flip(
                cv2.resize(call, (sw, sw * 9 // 16), interpolation=cv2.INTER_AREA), 1
            )
            return view, self_view
        view = comp.render(frame.image, matte, request.spec, size)
        if request.mirror:
            view = cv2.flip(view, 1)
        return view, None


def _render_size(frame_size: tuple[int, int], request: OutputRequest) -> tuple[int, int]:
    """The size the compositor renders a frame at: the fitted view, or in call preview the
    scale that makes the 16:9 window exactly the call size (it is cropped from that)."""
    if request.call_preview:
        _, _, cw, _ = crop_16_9(frame_size)
        s = CALL_SIZE[0] / cw
        return round(frame_size[0] * s), round(frame_size[1] * s)
    return fit_inside(frame_size, request.view_size)


def _default_engine(runtime: str = DEFAULT_RUNTIME):
    from app.segmentation.engine import SegmentationEngine

    return SegmentationEngine(video=True, runtime=runtime)
