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
from app.engine.step import FrameStep
from app.errors import FocusCamError
from app.frames import Frame, Matte
from app.outputs.photo import Photo, PhotoOutput, save_photo
from app.segmentation.runtimes import DEFAULT_RUNTIME

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


def default_folder() -> Path:
    """The user's Pictures/FocusCam folder."""
    from platformdirs import user_pictures_dir

    return Path(user_pictures_dir()) / "FocusCam"


class PhotoMaker:
    """Full-quality photos, on whatever thread calls it: its own engine (square model, fine
    guide, no temporal history) and the CPU compositor at full resolution."""

    def __init__(self, engine_factory=None, runtime: str = DEFAULT_RUNTIME) -> None:
        self._engine_factory = engine_factory or _photo_engine
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

    def portrait(self, frame: Frame, spec: EffectSpec) -> tuple[np.ndarray, Matte]:
        """The full-resolution portrait and its matte."""
        self.load()
        assert self._step is not None
        self._step.reset()
        picture, matte, _ = self._step.run(frame.image, spec)
        assert picture is not None
        return picture, matte

    def photo(
        self, frame: Frame, spec: EffectSpec, mirror: bool, camera: str, when: datetime,
        with_original: bool = False, with_matte: bool = False,
    ) -> Photo:  # fmt: skip
        image, matte = self.portrait(frame, spec)
        h, w = image.shape[:2]
        original = frame.image if with_original else None
        alpha = matte.full((w, h)) if with_matte else None
        if mirror:
            image = cv2.flip(image, 1)
            original = cv2.flip(original, 1) if original is not None else None
            alpha = cv2.flip(alpha, 1) if alpha is not None else None
        return Photo(image, when, camera, original, alpha)

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

    def take(self, frame: Frame, options: PhotoOptions, when: datetime | None = None) -> Future:
        fut: Future = Future()
        self._jobs.put((frame, options, when or datetime.now(), fut))
        return fut

    def _save(self, frame: Frame, options: PhotoOptions, when: datetime) -> PhotoResult:
        photo = self._maker.photo(
            frame, options.spec, options.mirror, options.camera, when,
            options.save_original, options.save_matte,
        )  # fmt: skip
        out = PhotoOutput(folder=options.folder, save_matte=options.save_matte)
        paths = save_photo(out, photo)
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
                frame, options, when, fut = job
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    fut.set_result(self._save(frame, options, when))
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


def _photo_engine(runtime: str = DEFAULT_RUNTIME):
    from app.segmentation.engine import SegmentationEngine
    from app.segmentation.refine import RefineParams

    return SegmentationEngine(
        video=False,
        runtime=runtime,
        refine=RefineParams(temporal=False),
        force_model=PHOTO_MODEL,
        guide_long_side=PHOTO_GUIDE_LONG_SIDE,
    )
