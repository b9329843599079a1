"""The main window: viewfinder, controls, shortcuts, shutter; owns the pipeline and photos."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QEvent, QTimer, pyqtSignal
from PyQt6.QtWidgets import QMainWindow, QVBoxLayout, QWidget

from app.common.images import background_image
from app.common.moving import MovingBackground
from app.compositing.spec import (
    DEFAULT_EFFECT,
    EFFECT_LABELS,
    KEY_COLOR,
    LOW_LIGHT_MODES,
    EffectSpec,
    parse_color,
)
from app.errors import FocusCamError
from app.framing import CALL_SIZE, crop_16_9
from app.pipeline import OutputRequest, Pipeline, Result
from app.segmentation.cadence import LIVE_SEGMENT_EVERY, SEGMENT_EVERY
from app.segmentation.runtimes import DEFAULT_RUNTIME, RUNTIMES
from app.sources.base import FRONT, FrameSource, SourceInfo
from app.sources.capture import FAILED, LOST, OPENING, RUNNING, STOPPED, SourceState
from app.stats import hud_lines
from app.steps.photo import PhotoJobs
from app.ui.actions import WindowActions
from app.ui.call_outputs import CallOutputs
from app.ui.controls import ControlBar
from app.ui.gl_viewfinder import make_viewfinder
from app.ui.settings import Settings
from app.ui.shortcuts import bind, shortcut_table
from app.ui.shutter import Countdown
from app.ui.viewfinder import FRAME_AND_MATTE, PICTURE

logger = logging.getLogger(__name__)



HELD_MESSAGE_MS = 24 * 3600 * 1000  # a message shown until dismissed (show_message(ms=0))

class MainWindow(QMainWindow):
    """One window, one pipeline. Threads report through these signals (queued to the UI)."""

    result_ready = pyqtSignal()
    state_changed = pyqtSignal(object)
    pipeline_failed = pyqtSignal(str)
    photo_done = pyqtSignal(object)

    def __init__(
        self,
        cameras: list[SourceInfo],
        make_source: Callable[[SourceInfo], FrameSource],
        settings: Settings,
        start: int = 0,
        engine_factory: Callable[[], object] | None = None,
        photo_engine_factory: Callable[[], object] | None = None,
        list_cameras: Callable[[], list[SourceInfo]] | None = None,
        banner: str = "",
        backoff: tuple[float, float] = (0.5, 5.0),
        compositor: str = "auto",
    ) -> None:
        super().__init__()
        self.setWindowTitle("FocusCam")
        self.setWindowIcon(app_icon())
        self.cameras = list(cameras)
        self.make_source = make_source
        self.settings = settings
        self.list_cameras = list_cameras
        self.index = start
        self.photos: list[Path] = []
        self.last_error = ""
        self._background: tuple[str, np.ndarray | None] = ("", None)
        self._focus: tuple[int, object] = (0, None)  # who is in focus, as last asked
        self._closed = False
        self.final_stats: dict | None = None
        self.controller = WindowActions(self)  # what a person does (actions.py)

        self.viewfinder, self.compositor_description = make_viewfinder(compositor)
        self.viewfinder.painted.connect(self._painted)
        self.viewfinder.clicked.connect(self._view_clicked)
        self.viewfinder.band.copy_clicked.connect(self.controller.copy_command)
        self.viewfinder.band.close_clicked.connect(self._band_closed)
        self._build_controls()
        self._build_actions()

        runtime = self._runtime()
        self.pipeline = Pipeline(
            engine_factory,
            on_result=self.result_ready.emit,
            on_state=self.state_changed.emit,
            on_error=self.pipeline_failed.emit,
            backoff=backoff,
            runtime=runtime,
            segment_every=self._segment_every(),
        )
        self.photo_jobs = PhotoJobs(photo_engine_factory, runtime=runtime)
        self.call_outputs = CallOutputs(
            self.pipeline, lambda: self.controller.photo_folder,
            lambda text, ms: self.show_message(text, ms),
        )  # fmt: skip
        self.call_outputs.changed.connect(self._sync_controls)
        self.result_ready.connect(self._take_result)
        self.state_changed.connect(self._source_state)
        self.pipeline_failed.connect(self._pipeline_failed)
        self.photo_done.connect(self.controller.photo_finished)
        self.countdown = Countdown(self, self.viewfinder.show_count, self.controller.take_photo)
        self._hud_timer = QTimer(self, interval=500, timeout=self._update_hud)
        self._hud_timer.start()
        # A camera plugged in while the window is open: the switch and the menu offer it.
        self._camera_timer = QTimer(self, interval=3000, timeout=self.controller.refresh_cameras)
        self._camera_timer.start()
        self._message_timer = QTimer(self, singleShot=True, timeout=self._clear_message)
        self._sync_controls()
        self.controller.fill_camera_menu()
        self.controller.show_newest_photo()
        self.viewfinder.resized.connect(self._view_resized)
        self._push_request()  # before the first frame, so that it is rendered as asked
        self.pipeline.start(self.make_source(self.camera))
        if banner:
            self.show_message(banner, 6000)

    # -- layout ------------------------------------------------------------------------------
    def fit_picture(self, size: tuple[int, int]) -> None:
        """Resize so that the picture is ``size`` (w, h) with the controls under it: at 16:9
        the picture fills the window (how ``focuscam live`` opens it)."""
        self.resize(size[0], size[1] + self.controls.height_for(size[0]))

    def _build_controls(self) -> None:
        bar = self.controls = ControlBar()
        bar.shutter_clicked.connect(self.controller.press_shutter)
        bar.switch_clicked.connect(self.controller.next_camera)
        bar.background_clicked.connect(self.controller.choose_background)
        bar.folder_clicked.connect(self.controller.choose_folder)
        bar.thumbnail_clicked.connect(lambda: self.controller.open_viewer())
        bar.camera_chosen.connect(self.controller.choose_camera)
        bar.size_chosen.connect(self.controller.choose_size)
        bar.virtual_camera_clicked.connect(lambda: self.call_outputs.toggle_camera())
        bar.record_clicked.connect(lambda: self.call_outputs.toggle_recording())
        bar.changed.connect(self._set)
        # The widgets a user (and a test) reaches for.
        self.effect, self.strength, self.mirror = bar.effect, bar.strength, bar.mirror
        self.hud, self.thumb, self.camera_label = bar.hud, bar.thumb, bar.camera_label
        root = QWidget()
        lay = QVBoxLayout(root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.viewfinder, 1)
        lay.addWidget(bar)
        self.setCentralWidget(root)

    def _build_actions(self) -> None:
        self.shortcuts = shortcut_table(self)
        bind(self, self.shortcuts)

    # -- state ---------------------------------------------------------------------------------
    @property
    def camera(self) -> SourceInfo:
        return self.cameras[self.index]

    def _sync_controls(self) -> None:
        cam = self.camera
        can_switch = len(self.cameras) > 1  # greyed otherwise (a camera plugged in appears)
        outputs = getattr(self, "call_outputs", None)
        self.controls.show_settings(
            self.settings.get, cam.name, can_switch,
            camera_on=bool(outputs and outputs.camera_on),
            recording=bool(outputs and outputs.recording), front=cam.facing == FRONT,
        )  # fmt: skip

    def _set(self, key: str, value: object) -> None:
        self.settings.set(key, value)
        if key == "background":
            self.settings.set("effect", "replace")  # a background is chosen to be seen
        if key == "segment_every":
            self.pipeline.segment_every = self._segment_every()
        if key == "runtime":
            runtime = self._runtime()
            self.pipeline.runtime = runtime
            self.photo_jobs.set_runtime(runtime)
            self.show_message(f"Models now run on {RUNTIMES[runtime].privacy}.", 4000)
        self._sync_controls()
        self._push_request()

    def _segment_every(self) -> str:
        value = str(self.settings.get("segment_every"))
        return value if value in SEGMENT_EVERY else LIVE_SEGMENT_EVERY

    def _runtime(self) -> str:
        name = self.settings.get("runtime")
        return name if name in RUNTIMES else DEFAULT_RUNTIME

    def _spec(self) -> EffectSpec:
        s = self.settings
        effect = s.get("effect")
        effect = effect if effect in EFFECT_LABELS else DEFAULT_EFFECT
        try:
            key_color = parse_color(s.get("key_color"))
        except FocusCamError:
            key_color = parse_color(KEY_COLOR)
        low_light = s.get("low_light")
        return EffectSpec(
            effect, s.get("strength"),
            self._background_image() if effect == "replace" else None,
            key_color=key_color, light=min(1.0, max(0.0, s.get("light"))),
            low_light=low_light if low_light in LOW_LIGHT_MODES else "auto",
            touch_up=min(1.0, max(0.0, s.get("touch_up"))),
        )  # fmt: skip

    def _background_image(self) -> np.ndarray:
        path = self.settings.get("background")
        if self._background[0] != path or self._background[1] is None:
            choice = path[len("preset:"):] if path.startswith("preset:") else path
            try:
                backdrop = background_image(choice, CALL_SIZE)
            except FocusCamError as exc:
                self.show_message(f"Background image: {exc}", 5000)
                backdrop = background_image(None, CALL_SIZE)
            old = self._background[1]
            self._background = (self.settings.get("background"), backdrop)
            if isinstance(old, MovingBackground):
                old.close()  # its decoder thread
        return self._background[1]

    @property
    def call_mode(self) -> bool:
        return self.settings.get("mode") == "call"

    @property
    def preview_mirrored(self) -> bool:
        return self.settings.get("mirror") and self.camera.facing == FRONT

    def _push_request(self) -> None:
        self.pipeline.request = OutputRequest(
            view_size=self.viewfinder.device_size(),
            spec=self._spec(),
            mirror=self.preview_mirrored,
            call_preview=self.call_mode,
            # Nothing to paint while the window is minimised or hidden: the worker still
            # segments (and renders the call picture when the camera or the recorder needs it).
            # Who composites what: delivery.worker_composites.
            shown=self.isVisible() and not self.isMinimized(),
            viewer_composites=self.viewfinder.consumes != PICTURE,
            auto_frame=self.settings.get("auto_frame"),
            focus=self._focus,
        )

    def choose_focus(self, what) -> None:
        """Who is in focus: a point (0..1 of the frame), "next" (Tab) or None (everyone)."""
        self._focus = (self._focus[0] + 1, what)
        self.pipeline.request = replace(self.pipeline.request, focus=self._focus)

    def _view_clicked(self, pos) -> None:
        """A click on the picture: the person there is in focus; on the background, everyone."""
        point = self.frame_point(pos.x(), pos.y())
        if point is None:
            return
        self.choose_focus(point)
        self.show_message("Focus on the person you clicked: the others are background. Click "
                          "the background, or press Esc, for everyone; Tab: the next person.",
                          3000)  # fmt: skip

    def frame_point(self, x: float, y: float) -> tuple[float, float] | None:
        """Where in the frame (0..1) the picture's point (x, y) (widget pixels) is; None off
        the picture or on the call preview's self-view."""
        vf, result = self.viewfinder, self.viewfinder.result
        rect = vf.picture_rect()
        if result is None or rect.isEmpty() or not rect.contains(x, y):
            return None
        if vf.self_view_rect().contains(x, y):
            return None
        u, v = (x - rect.left()) / rect.width(), (y - rect.top()) / rect.height()
        request = result.request
        if request.call_preview:  # the call picture: the centred 16:9 crop of the frame
            fw, fh = result.frame.size
            cx, cy, cw, ch = crop_16_9((fw, fh))
            return (cx + u * cw) / fw, (cy + v * ch) / fh
        if request.mirror:
            u = 1 - u
        return u, v

    def _view_resized(self) -> None:
        # The worker composites at exactly the size shown: a 1080p camera in a 960x540 window
        # is composited at 960x540.
        request = self.pipeline.request
        self.pipeline.request = replace(request, view_size=self.viewfinder.device_size())

    # -- frames ----------------------------------------------------------------------------------
    def _take_result(self) -> None:
        result = self.pipeline.results.take(0)
        if result is None or result.frame.source != self.pipeline.current_tag:
            return
        if self.viewfinder.soft and not self._message_timer.isActive():
            self.viewfinder.message = ""
        self.viewfinder.show_result(result)

    def _painted(self, result: Result, t_ns: int) -> None:
        stats = self.pipeline.stats
        if stats.displayed(result.frame, t_ns) and self.viewfinder.consumes == FRAME_AND_MATTE:
            paint_ms = self.viewfinder.paint_ms
            if paint_ms is not None and result.view is None:
                stats.stage("composite", paint_ms)

    def _source_state(self, state: SourceState) -> None:
        if state.tag != self.pipeline.current_tag or self._closed:
            return
        name = self.camera.name
        if state.state == OPENING:
            if self.viewfinder.result is not None:
                self.viewfinder.soften()
            if not self._message_timer.isActive():  # a banner or a notice stays up
                self.viewfinder.message = f"Opening {name}…"
        elif state.state == LOST:
            self.viewfinder.soften()
            self.viewfinder.message = (
                f"{name} is not available: {state.message}. Trying again in {state.retry_in_s:g} s…"
            )
            if len(self.cameras) > 1:
                self.viewfinder.message += "\nPress C for another camera."
        elif state.state == FAILED:
            self.viewfinder.message = f"{name} failed: {state.message}"
        elif state.state == RUNNING and not self._message_timer.isActive():
            self.viewfinder.message = ""
        elif state.state == STOPPED:
            return
        self.viewfinder.update()

    def _pipeline_failed(self, message: str) -> None:
        self.last_error = message
        self.viewfinder.message = message
        self.viewfinder.update()

    def show_message(self, text: str, ms: int = 4000) -> None:
        """``text`` in the band over the picture for ``ms``; 0: until dismissed (its ✕ or Esc),
        for what must not be missed or holds something to do. A command in it has a button
        that copies it (and Ctrl+C)."""
        self.viewfinder.message = text
        self._message_timer.start(ms if ms > 0 else HELD_MESSAGE_MS)

    def dismiss_message(self) -> None:
        if self.viewfinder.sheet_rows:  # the ? sheet goes first
            self.viewfinder.sheet_rows = []
            self.viewfinder.update()
        elif self._message_timer.isActive():
            self._message_timer.stop()
            self._clear_message()

    def _band_closed(self) -> None:
        """The band's ✕: this message goes, whatever put it up."""
        self._message_timer.stop()
        self._clear_message()

    def _clear_message(self) -> None:
        self.viewfinder.message = ""
        self.viewfinder.update()

    def _update_hud(self) -> None:
        self.controls.show_recording(self.call_outputs.recording_seconds())
        if not self.settings.get("hud") or self.viewfinder.result is None:
            # Off, or nothing to measure yet (no "0.0 fps ... 0x0" before the first frame).
            if self.viewfinder.hud_lines:
                self.viewfinder.hud_lines = []
                self.viewfinder.update()
            return
        r = self.viewfinder.result
        size = f"{r.frame.size[0]}x{r.frame.size[1]}" if r else "–"
        if r is not None and r.view is not None:
            view = "x".join(map(str, r.view.shape[1::-1]))
        else:
            rect = self.viewfinder.picture_rect()
            dpr = self.viewfinder.devicePixelRatioF()
            view = f"{round(rect.width() * dpr)}x{round(rect.height() * dpr)}"
        p = self.pipeline
        lines = hud_lines(
            p.stats.hud(), p.frames_dropped, p.frames_captured, p.engine_model,
            p.engine_runtime, f"{size} → {view}", self.compositor_description,
        )  # fmt: skip
        outputs = self.call_outputs.hud_line()
        lines = [*lines, outputs] if outputs else lines
        looks = p.looks_line()
        self.viewfinder.hud_lines = [*lines, looks] if looks else lines
        self.viewfinder.update()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange and hasattr(self, "pipeline"):
            self._push_request()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        if hasattr(self, "pipeline"):
            self._push_request()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if hasattr(self, "pipeline"):
            self._push_request()

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self._closed:
            self._closed = True
            self._hud_timer.stop()
            self._camera_timer.stop()
            self.call_outputs.stop_all()  # a recording is finished and kept
            self.pipeline.close(timeout=1.0)
            self.final_stats = self.pipeline.stats_summary()
            self.photo_jobs.close()
            if isinstance(self._background[1], MovingBackground):
                self._background[1].close()
            release_gl = getattr(self.viewfinder, "release_gl", None)
            if release_gl is not None:
                release_gl()
            self.settings.sync()
        super().closeEvent(event)


def app_icon():
    """FocusCam's icon (ui/icons/focuscam.svg, shipped; the desktop launcher uses it too)."""
    from importlib.resources import files

    from PyQt6.QtGui import QIcon

    return QIcon(str(files("app") / "ui" / "icons" / "focuscam.svg"))
