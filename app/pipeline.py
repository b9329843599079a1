"""The live pipeline: capture thread -> [latest slot] -> segmentation worker -> [latest slot].
The threads and their lifecycle only: what each frame becomes and who else receives it is
delivery.py's; the frame step is app/steps/step.py.

The UI (or a test, or ``focuscam still``) owns a Pipeline, tells it what to render through an
OutputRequest, takes Results from ``results`` and reports each one it shows with
``stats.displayed()``. No frame is ever queued: both hand-offs keep only the newest.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app import framing
from app.common.slot import LatestSlot
from app.common.worker import OWN_POOL_MIN_PIXELS
from app.compositing.cpu import CpuCompositor
from app.delivery import Delivery, OutputRequest, worker_composites
from app.frames import Frame, Matte
from app.segmentation.cadence import LIVE_SEGMENT_EVERY, cadence_for
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.base import FrameSource
from app.sources.capture import LOST, RUNNING, CaptureThread, SourceState
from app.stats import PipelineStats
from app.steps.step import FrameStep

logger = logging.getLogger(__name__)

# How often the worker looks for faces (for the window: messages keep clear of them). The
# short-range detector takes about a millisecond on the guide, so this costs ~0.2% of a core
# (the full-range one, three times that, only when it finds none).
FACES_EVERY_NS = 500_000_000


def _faces(engine, guide: np.ndarray) -> tuple:
    find = getattr(engine, "find_faces", None)  # an engine a test gives may have none
    return tuple(find(guide, every=False)) if find is not None else ()


@dataclass
class Result:
    """One processed frame: the matte belongs to exactly this frame (no ghosting)."""

    frame: Frame
    matte: Matte
    request: OutputRequest
    view: np.ndarray | None  # BGR at the fitted view size (mirrored when asked), or None
    self_view: np.ndarray | None  # call preview: your mirrored self-view
    timings: dict[str, float]
    # The faces in the frame (FaceBoxes, 0..1 of the frame), found a few times a second:
    # the window keeps its messages clear of them.
    faces: tuple = ()


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
        segment_every: str = LIVE_SEGMENT_EVERY,
    ) -> None:
        self.engine_factory = engine_factory or _default_engine
        # The segmentation runtime; the worker loads the new one between frames when it changes.
        self.runtime = runtime
        self.engine_runtime = ""  # the runtime the worker's engine has loaded
        # "1": the model on every frame; "auto": when the picture changed (cadence.py). The
        # worker applies it between frames.
        self.segment_every = segment_every
        self.on_result = on_result
        self.on_state = on_state
        self._lost: set[str] = set()  # capture tags whose source is lost until it runs again
        self.delivery = Delivery()  # what each frame becomes, and the live outputs fed
        self.on_error = on_error
        self.backoff = backoff
        self.request = OutputRequest()
        self.frames: LatestSlot[Frame] = LatestSlot()
        self.results: LatestSlot[Result] = LatestSlot()
        self.stats = PipelineStats()
        self.capture: CaptureThread | None = None
        self.paused = False
        self.looks_state: tuple[bool, float, float] | None = None  # low light: on, mean, noise
        self.focus_subject = False  # one person in focus (not everyone)
        self.focus_error = ""  # why the last point chose nobody
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
            self.capture = CaptureThread(source, self.frames, tag, self._source_state, self.backoff)
            if self.paused:
                self.capture.pause()
            self.capture.start()
            if old is not None:
                old.stop()  # joined in close(); a camera may take a frame period to let go
                self._retired.append(old)
            self._reap()
            return tag

    def _source_state(self, state: SourceState) -> None:
        """Counts losses and recoveries of the current source, then tells the viewer."""
        if state.tag == self.current_tag:
            lost = state.tag in self._lost
            if state.state == LOST and not lost:
                self._lost.add(state.tag)
                self.stats.source_event("lost")
            elif state.state == RUNNING and lost:
                self._lost.discard(state.tag)
                self.stats.source_event("recovered")
        if self.on_state is not None:
            self.on_state(state)

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
        # outputs nobody stopped: finish them (a recording is kept)
        for name in self.delivery.names():
            feed = self.remove_feed(name)
            try:
                feed.close()
            except Exception as exc:
                logger.error("%s: %s", name, exc)
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

    # -- nothing spent while nobody watches (commands/broadcast.py) ----------------------------
    def pause(self) -> None:
        """Stop reading the source (it stays open), so nothing is segmented or composited."""
        self.paused = True
        if self.capture is not None:
            self.capture.pause()

    def resume(self) -> None:
        self.paused = False
        if self.capture is not None:
            self.capture.resume()

    def looks_line(self) -> str:
        """The HUD's line about the looks: whether low light is on, and why."""
        state = self.looks_state
        if state is None:
            return ""
        on, mean, noise = state
        return (f"low light {'on' if on else 'off'} · mean {mean:.0f}/255 · noise {noise:.1f}"
                if on or self.request.spec.low_light != "off" else "")  # fmt: skip

    def stats_summary(self) -> dict:
        """The ``--stats-json`` document."""
        return self.stats.summary(self.frames_captured, self.frames_dropped)

    # -- the worker --------------------------------------------------------------------------
    def _work(self) -> None:
        runtime = self.runtime
        try:
            compositor = CpuCompositor(alone_below=OWN_POOL_MIN_PIXELS)  # see its docstring
            step = FrameStep(self.engine_factory(runtime), compositor, paced=True)
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
                self.capture = CaptureThread(
                    pending, self.frames, tag, self._source_state, self.backoff
                )
                if self.paused:
                    self.capture.pause()
                self.capture.start()
        self.stats.restart_clock()
        last_tag = every = None
        focus_seq = 0
        faces, faces_at = (), None  # the last faces found, and the frame time they were
        try:
            while not self._stop.is_set():
                frame = self.frames.take(timeout=0.1)
                if frame is None:
                    continue
                if frame.source != self.current_tag:
                    continue  # a late frame from a source we already switched away from
                if self.runtime != runtime:
                    step.engine = self._switch_runtime(step.engine, runtime)
                    runtime = self.runtime
                    last_tag = None
                    every = None  # a new engine: the cadence is set on it again
                if self.segment_every != every:
                    every = self.segment_every
                    step.engine.set_cadence(cadence_for(every))
                self._latest_frame = frame
                if frame.source != last_tag:
                    step.reset()  # a new camera: no shared history
                    self.delivery.reset()
                    last_tag = frame.source
                    faces, faces_at = (), None
                request = self.request
                if request.focus[0] != focus_seq:
                    focus_seq, what = request.focus
                    if what == "next":
                        step.focus.next_person()
                    else:
                        step.focus.choose(what)
                size = framing.fit_inside(frame.size, request.view_size)
                calls = step.engine.model_calls
                picture, matte, timings = step.run(
                    frame.image, request.spec, frame.t_capture_ns, size,
                    composite=worker_composites(request),
                )  # fmt: skip
                self.engine_model = matte.model
                looks = step.looks
                self.looks_state = (looks.low_light_on, looks.mean, looks.noise)
                self.focus_subject = step.focus.subject is not None
                self.focus_error = step.focus.error
                if step.last_image is not None and step.last_image is not frame.image:
                    frame = replace(frame, image=step.last_image)  # the looks' frame
                if step.engine.model_calls != calls:
                    self.stats.model_called()
                view, self_view = self.delivery.deliver(
                    step.compositor, frame, picture, matte, request, timings
                )
                for stage, ms in timings.items():
                    self.stats.stage(stage, ms)
                t = frame.t_capture_ns
                if step.faces_in_use:  # the step looks after them already (looks, focus)
                    faces, faces_at = tuple(step.faces), t
                elif faces_at is None or t - faces_at >= FACES_EVERY_NS:
                    faces, faces_at = _faces(step.engine, matte.guide), t
                self.results.put(
                    Result(frame, matte, request, view, self_view, timings, faces)
                )
                if self.on_result is not None:
                    self.on_result()
        except Exception as exc:
            logger.exception("segmentation worker failed")
            if self.on_error:
                self.on_error(f"segmentation failed: {exc}")
        finally:
            step.close()

    # -- live outputs (virtual camera, recorder): delivery.py ------------------------------
    def add_feed(self, name: str, feed) -> None:
        self.delivery.add_feed(name, feed)

    def remove_feed(self, name: str):
        return self.delivery.remove_feed(name)

    def feed(self, name: str):
        return self.delivery.feed(name)

    def feeds(self) -> list:
        return self.delivery.feeds()

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


def _default_engine(runtime: str = DEFAULT_RUNTIME):
    from app.segmentation.engine import SegmentationEngine

    return SegmentationEngine(video=True, runtime=runtime)
