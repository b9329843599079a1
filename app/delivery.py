"""Where a segmented frame goes, once the worker has its matte: the viewer's picture (or the
call preview, made from the call picture) and the live outputs (virtual camera, recorder), each
fed the call picture. The pipeline (pipeline.py) runs the threads; this decides what each frame
is turned into and hands it on. Qt-free; below the pipeline, above the frame step."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from app import framing
from app.compositing.spec import EffectSpec
from app.frames import Frame, Matte

VIEW_SIZE = (960, 540)  # the viewfinder's picture until the window says otherwise (--window)


@dataclass(frozen=True)
class OutputRequest:
    """What the viewer wants rendered; replaced as a whole when a control changes."""

    view_size: tuple[int, int] = VIEW_SIZE  # the box the picture is fitted into, device pixels
    spec: EffectSpec = field(default_factory=EffectSpec)
    mirror: bool = False
    call_preview: bool = False
    shown: bool = True  # False: the window is minimised or hidden, or there is none
    viewer_composites: bool = False  # the viewer composites frame and matte itself (GL)
    auto_frame: bool = False  # the call picture (and what leaves: camera, recording) follows you
    # Who is in focus, as last asked: (request number, (x, y) in 0..1 of the frame | "next" |
    # None for everyone); the worker acts on each new number once (segmentation/focus.py)
    focus: tuple[int, object] = (0, None)


def worker_composites(request: OutputRequest) -> bool:
    """Who composites the viewer's picture, answered once: the worker, when the picture is
    shown, is not the call preview (made from the call picture, which the worker renders on
    the CPU: it also leaves the window) and the viewer does not composite it itself (the GL
    viewfinder, which then draws from the frame and the matte)."""
    return request.shown and not request.call_preview and not request.viewer_composites


class Delivery:
    """The live outputs fed the call picture (by name: ``outputs.live.CAMERA``, ``RECORDER``)
    and the turning of each frame into what the viewer shows. Feeds may be added and removed
    from any thread; ``deliver`` runs on the worker's."""

    def __init__(self) -> None:
        self._feeds: dict[str, object] = {}
        self._lock = threading.Lock()
        self._framer = framing.AutoFramer()

    def add_feed(self, name: str, feed) -> None:
        """Send every call picture to ``feed`` (an app.outputs.feed.Feed) from now on."""
        with self._lock:
            self._feeds[name] = feed

    def remove_feed(self, name: str):
        """Stop sending to the feed ``name``; returns it (the caller closes it), or None."""
        with self._lock:
            return self._feeds.pop(name, None)

    def feed(self, name: str):
        with self._lock:
            return self._feeds.get(name)

    def feeds(self) -> list:
        with self._lock:
            return list(self._feeds.values())

    def names(self) -> list[str]:
        with self._lock:
            return list(self._feeds)

    def reset(self) -> None:
        """A new camera: auto-framing starts again."""
        self._framer.reset()

    def deliver(
        self, compositor, frame: Frame, picture: np.ndarray | None, matte: Matte,
        request: OutputRequest, timings: dict[str, float],
    ) -> tuple[np.ndarray | None, np.ndarray | None]:  # fmt: skip
        """The call picture to every feed (when any, or for the call preview), and (view,
        self-view) for the viewer: the call preview, or ``picture`` mirrored when asked."""
        feeds = self.feeds()
        call = None
        if (request.call_preview and request.shown) or feeds:
            t0 = time.perf_counter()
            # A call app gets CALL_SIZE; the preview alone needs no more than it shows.
            size = (framing.CALL_SIZE if feeds
                    else framing.fit_inside(framing.CALL_SIZE, request.view_size))  # fmt: skip
            call = self._call_picture(compositor, frame, matte, request, size)
            timings["call"] = (time.perf_counter() - t0) * 1e3
            for feed in feeds:
                feed.offer(call, frame.t_capture_ns)
        if request.call_preview:
            return framing.call_views(call, request.view_size) if call is not None else (None, None)
        if picture is None:
            return None, None
        return (cv2.flip(picture, 1) if request.mirror else picture), None

    def _call_picture(self, compositor, frame: Frame, matte: Matte, request, size) -> np.ndarray:
        """The call picture (16:9 at ``size``, not mirrored): auto-framed, or the centred
        16:9 window a call app would crop."""
        if request.auto_frame:
            rect = self._framer.update(matte.alpha, frame.size, frame.t_capture_ns)
        else:
            rect = framing.crop_16_9(frame.size)
        return framing.call_frame(compositor, frame.image, matte, request.spec, rect, size)
