"""The photo job: re-segment the full-resolution frame, render at full quality, save.

A photo is a job with a future (picamera2's habit): the shutter returns at once, the preview
keeps running, and the caller waits or gets told when the photo is on disk.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError
from app.frames import Frame, Matte
from app.outputs.photo import Photo, describe_look, save_photo
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.steps.step import FrameStep

logger = logging.getLogger(__name__)

# Photos take the more accurate square model and a finer guide: there is time for it.
PHOTO_MODEL = "square"
PHOTO_GUIDE_LONG_SIDE = 1024
THUMBNAIL_HEIGHT = 72


@dataclass(frozen=True)
class PhotoOptions:
    folder: Path
    spec: EffectSpec = field(default_factory=EffectSpec)
    mirror: bool = False  # saved photos are not mirrored unless the user asks
    save_original: bool = False
    save_matte: bool = False
    camera: str = ""


@dataclass(frozen=True)
class PhotoResult:
    path: Path
    extras: tuple[Path, ...] = ()
    size: tuple[int, int] = (0, 0)
    thumbnail: np.ndarray | None = None  # BGR, THUMBNAIL_HEIGHT tall: made here, not in the UI


_NEAR = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
_CLOSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
_CORE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))


def merge_live(fine: Matte, live: Matte, held: np.ndarray | None = None) -> Matte:
    """The photo's fine matte, kept to the people the live engine tracks, and never less than
    the live matte: max(live, fine restricted to near the live people). ``held``: what the
    photo's held-object step added to the fine matte (it reaches further than "near"), kept
    where it touches the live people."""
    gh, gw = fine.alpha.shape
    up = cv2.resize(live.alpha, (gw, gh), interpolation=cv2.INTER_LINEAR)
    near = cv2.dilate((up > 0.05).view(np.uint8), _NEAR)
    if held is not None:
        near |= _touching(held > 0.5, near)
    near = near.astype(np.float32)
    alpha = np.maximum(up, fine.alpha * near)
    # Inside the silhouette a photo has no half-transparent person: the body's inner part (the
    # silhouette with its small holes closed, a few pixels in from the edge) is all person,
    # while the edge keeps its soft, hair-fine matte.
    body = cv2.morphologyEx((alpha > 0.5).view(np.uint8), cv2.MORPH_CLOSE, _CLOSE)
    core = cv2.erode(body, _CORE).astype(np.float32)
    return Matte(alpha=np.maximum(alpha, core), guide=fine.guide, model=fine.model)


def _touching(pieces: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The connected ``pieces`` (bool) that overlap ``mask`` (uint8), as uint8 0/1."""
    n, labels = cv2.connectedComponents(pieces.view(np.uint8))
    hit = np.bincount(labels[(mask > 0) & pieces], minlength=n) > 0
    hit[0] = False
    return np.take(hit.view(np.uint8), labels)


class PhotoMaker:
    """Full-quality photos, on whatever thread calls it: its own engine (square model, fine
    guide, no temporal history) and the CPU compositor at full resolution."""

    def __init__(self, engine_factory=None, runtime: str = DEFAULT_RUNTIME) -> None:
        self._engine_factory = engine_factory or photo_engine
        self._step: FrameStep | None = None
        self._step_runtime = ""
        self.runtime = runtime  # the next photo loads this runtime if it is not the loaded one

    def load(self) -> None:
        runtime = self.runtime
        if self._step is not None and self._step_runtime != runtime:
            self._step.close()
            self._step = None
        if self._step is None:
            self._step = FrameStep(self._engine_factory(runtime), CpuCompositor())
            self._step_runtime = runtime

    def portrait(
        self, frame: Frame, spec: EffectSpec, live: Matte | None = None
    ) -> tuple[np.ndarray, Matte]:
        """The full-resolution portrait and its matte.

        ``live`` is the live engine's matte for this very frame (what the preview showed:
        its temporal state, the people it is tracking). The photo keeps everything the
        preview kept as the person, and takes the finer photo matte's edges where the two
        agree there is a person: a photo is never worse than what was on screen."""
        self.load()
        assert self._step is not None
        self._step.reset()
        if live is None:
            picture, matte, _ = self._step.run(frame.image, spec)
            assert picture is not None
            return picture, matte
        _, fine, _ = self._step.run(frame.image, spec, composite=False)
        matte = merge_live(fine, live, self._step.engine.last_held)
        image = self._step.last_image if self._step.last_image is not None else frame.image
        return self._step.compositor.render(image, matte, spec), matte

    def photo(
        self, frame: Frame, spec: EffectSpec, mirror: bool, camera: str, when: datetime,
        with_original: bool = False, with_matte: bool = False, live: Matte | None = None,
    ) -> Photo:  # fmt: skip
        image, matte = self.portrait(frame, spec, live)
        h, w = image.shape[:2]
        original = frame.image if with_original else None
        alpha = matte.full((w, h)) if with_matte else None
        if mirror:
            image = cv2.flip(image, 1)
            original = cv2.flip(original, 1) if original is not None else None
            alpha = cv2.flip(alpha, 1) if alpha is not None else None
        look = describe_look(spec.effect, spec.strength)
        return Photo(image, when, camera, original, alpha, look)

    def close(self) -> None:
        if self._step is not None:
            self._step.close()
            self._step = None


class PhotoJobs:
    """Takes photos on its own thread, one at a time; ``take`` returns a Future."""

    def __init__(
        self, engine_factory=None, warm: bool = True, runtime: str = DEFAULT_RUNTIME
    ) -> None:
        self._maker = PhotoMaker(engine_factory, runtime)
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="focuscam-photo")
        self._thread.start()
        if warm:
            # Load the models now, not when the shutter is pressed: loading holds Python's
            # lock for a while, which the first photo would otherwise feel as a preview stall.
            self._jobs.put("warm")

    def set_runtime(self, runtime: str) -> None:
        """Photos from now on use ``runtime`` (loaded on the photo thread, by the next photo)."""
        self._maker.runtime = runtime

    def take(
        self, frame: Frame, options: PhotoOptions, when: datetime | None = None,
        live: Matte | None = None,
    ) -> Future:  # fmt: skip
        """``live``: the preview's matte for ``frame``, when there is one."""
        fut: Future = Future()
        self._jobs.put((frame, options, when or datetime.now(), fut, live))
        return fut

    def _save(
        self, frame: Frame, options: PhotoOptions, when: datetime, live: Matte | None = None
    ) -> PhotoResult:
        photo = self._maker.photo(
            frame, options.spec, options.mirror, options.camera, when,
            options.save_original, options.save_matte, live,
        )  # fmt: skip
        paths = save_photo(photo, folder=options.folder)
        h, w = photo.image.shape[:2]
        logger.info("saved %s (%dx%d)", paths[0], w, h)
        tw = max(1, round(w * THUMBNAIL_HEIGHT / h))
        thumb = cv2.resize(photo.image, (tw, THUMBNAIL_HEIGHT), interpolation=cv2.INTER_AREA)
        return PhotoResult(paths[0], tuple(paths[1:]), (w, h), thumb)

    def _run(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                if job == "warm":
                    try:
                        self._maker.load()
                    except Exception as exc:  # reported again, in words, on the first photo
                        logger.warning("photo models not loaded: %s", exc)
                    continue
                frame, options, when, fut, live = job
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    fut.set_result(self._save(frame, options, when, live))
                except Exception as exc:
                    if not isinstance(exc, FocusCamError):
                        logger.exception("photo failed")
                    fut.set_exception(exc)
        finally:
            self._maker.close()

    def close(self, timeout: float = 5.0) -> bool:
        """Finish every photo already asked for (never lose one), then stop the thread."""
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()


def photo_engine(runtime: str = DEFAULT_RUNTIME, **kw):
    """The photos' engine: the square model, a fine guide, no history, the held-object step.
    ``kw``: any other SegmentationEngine argument (the tests turn steps off)."""
    from app.segmentation.engine import SegmentationEngine
    from app.segmentation.refine import RefineParams

    return SegmentationEngine(
        video=False,
        runtime=runtime,
        refine=RefineParams(temporal=False),
        force_model=PHOTO_MODEL,
        guide_long_side=PHOTO_GUIDE_LONG_SIDE,
        **kw,
    )
