"""Full-quality stills: re-segment the full-resolution frame, render, save with EXIF, atomically.

A still is a job with a future (picamera2's habit): the shutter returns at once, the preview
keeps running, and the caller waits or gets told when the photo is on disk.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from app import __version__
from app.common.images import alpha_u8, encode_image, write_temp_beside
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError
from app.frames import Frame, Matte
from app.segmentation.runtimes import DEFAULT_RUNTIME

logger = logging.getLogger(__name__)

JPEG_QUALITY = 95
# Stills take the more accurate square model and a finer guide: there is time for it.
STILL_MODEL = "square"
STILL_GUIDE_LONG_SIDE = 1024


@dataclass(frozen=True)
class StillOptions:
    folder: Path
    spec: EffectSpec = field(default_factory=EffectSpec)
    mirror: bool = False  # saved photos are not mirrored unless the user asks
    save_original: bool = False
    save_matte: bool = False
    camera: str = ""


THUMBNAIL_HEIGHT = 72


@dataclass(frozen=True)
class StillResult:
    path: Path
    extras: tuple[Path, ...] = ()
    size: tuple[int, int] = (0, 0)
    thumbnail: np.ndarray | None = None  # BGR, THUMBNAIL_HEIGHT tall: made here, not in the UI


def default_folder() -> Path:
    """The user's Pictures/FocusCam folder."""
    from platformdirs import user_pictures_dir

    return Path(user_pictures_dir()) / "FocusCam"


def photo_stem(when: datetime) -> str:
    return when.strftime("FocusCam_%Y%m%d_%H%M%S")


def exif_bytes(when: datetime, camera: str, size: tuple[int, int]) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    stamp = when.strftime("%Y:%m:%d %H:%M:%S")
    exif[0x0131] = f"FocusCam {__version__}"  # Software
    exif[0x0132] = stamp  # DateTime
    if camera:
        exif[0x0110] = camera  # Model: the camera the picture came from
    sub = exif.get_ifd(0x8769)  # the Exif sub-IFD
    sub[0x9003] = stamp  # DateTimeOriginal
    sub[0x9004] = stamp  # DateTimeDigitized
    sub[0xA002], sub[0xA003] = size  # PixelXDimension, PixelYDimension
    return exif.tobytes()


def encode_jpeg(image_bgr: np.ndarray, exif: bytes | None = None) -> bytes:
    """JPEG at quality 95 without chroma subsampling: a photo, not a preview."""
    from PIL import Image

    buf = io.BytesIO()
    rgb = Image.fromarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
    rgb.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0, exif=exif or b"")
    return buf.getvalue()


def write_new(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` all or nothing, and never over an existing file.

    Written under a temporary name, then hard-linked into place (which fails if the name is
    taken, with no window for a race), then the temporary name removed. Where the file system
    has no hard links, an existence check and a rename do the same, less strictly.
    """
    tmp = write_temp_beside(target, data)
    try:
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise
        except OSError:
            if target.exists():
                raise FileExistsError(target) from None
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def save_new(folder: Path, stem: str, ext: str, data: bytes) -> Path:
    """Save as ``stem + ext`` in ``folder``, or ``stem_2 + ext``, ``stem_3``... if taken."""
    for n in range(1, 10_000):
        target = folder / (f"{stem}{ext}" if n == 1 else f"{stem}_{n}{ext}")
        try:
            write_new(target, data)
            return target
        except FileExistsError:
            continue
    raise FocusCamError(f"no free file name for {stem}{ext} in {folder}")


def describe_os_error(exc: OSError, folder: Path) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return f"the disk holding {folder} is full; the photo was not saved"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to {folder} (no permission); choose another photo folder"
    return f"could not save the photo in {folder}: {exc.strerror or exc}"


class StillMaker:
    """Full-quality stills, on whatever thread calls it: its own engine (square model, fine
    guide, no temporal history), the CPU compositor at full resolution, JPEG with EXIF."""

    def __init__(self, engine_factory=None, runtime: str = DEFAULT_RUNTIME) -> None:
        self._engine_factory = engine_factory or _still_engine
        self._engine = None
        self._engine_runtime = ""
        self.runtime = runtime  # the next photo loads this runtime if it is not the loaded one
        self._compositor = CpuCompositor()

    def load(self) -> None:
        runtime = self.runtime
        if self._engine is not None and self._engine_runtime != runtime:
            self._engine.close()
            self._engine = None
        if self._engine is None:
            self._engine = self._engine_factory(runtime)
            self._engine_runtime = runtime

    def render(self, frame: Frame, spec: EffectSpec) -> tuple[np.ndarray, Matte]:
        """The full-resolution portrait and its matte."""
        self.load()
        self._engine.reset()
        matte, _ = self._engine.process(frame.image)
        return self._compositor.render(frame.image, matte, spec), matte

    def photo(
        self, frame: Frame, spec: EffectSpec, mirror: bool, camera: str, when: datetime
    ) -> tuple[bytes, np.ndarray, Matte]:
        """(JPEG bytes with EXIF, the picture as saved, its matte)."""
        image, matte = self.render(frame, spec)
        if mirror:
            image = cv2.flip(image, 1)
        h, w = image.shape[:2]
        return encode_jpeg(image, exif_bytes(when, camera, (w, h))), image, matte

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self._compositor.close()


class StillRenderer:
    """Takes stills on its own thread, one at a time; ``take`` returns a Future."""

    def __init__(
        self, engine_factory=None, warm: bool = True, runtime: str = DEFAULT_RUNTIME
    ) -> None:
        self._maker = StillMaker(engine_factory, runtime)
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="focuscam-still")
        self._thread.start()
        if warm:
            # Load the models now, not when the shutter is pressed: loading holds Python's
            # lock for a while, which the first photo would otherwise feel as a preview stall.
            self._jobs.put("warm")

    def set_runtime(self, runtime: str) -> None:
        """Photos from now on use ``runtime`` (loaded on the still thread, by the next photo)."""
        self._maker.runtime = runtime

    def take(self, frame: Frame, options: StillOptions, when: datetime | None = None) -> Future:
        fut: Future = Future()
        self._jobs.put((frame, options, when or datetime.now(), fut))
        return fut

    def _save(self, frame: Frame, options: StillOptions, when: datetime) -> StillResult:
        data, image, matte = self._maker.photo(
            frame, options.spec, options.mirror, options.camera, when
        )
        h, w = image.shape[:2]
        folder = options.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = save_new(folder, photo_stem(when), ".jpg", data)
            extras = []
            if options.save_original:
                original = cv2.flip(frame.image, 1) if options.mirror else frame.image
                data = encode_jpeg(original, exif_bytes(when, options.camera, (w, h)))
                extras.append(save_new(folder, f"{path.stem}_original", ".jpg", data))
            if options.save_matte:
                a8 = alpha_u8(matte.full((w, h)))
                if options.mirror:
                    a8 = cv2.flip(a8, 1)
                extras.append(
                    save_new(folder, f"{path.stem}_matte", ".png", encode_image(a8, ".png"))
                )
        except OSError as exc:
            raise FocusCamError(describe_os_error(exc, folder)) from None
        logger.info("saved %s (%dx%d)", path, w, h)
        tw = max(1, round(w * THUMBNAIL_HEIGHT / h))
        thumb = cv2.resize(image, (tw, THUMBNAIL_HEIGHT), interpolation=cv2.INTER_AREA)
        return StillResult(path, tuple(extras), (w, h), thumb)

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
                        logger.warning("still models not loaded: %s", exc)
                    continue
                frame, options, when, fut = job
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    fut.set_result(self._save(frame, options, when))
                except Exception as exc:
                    if not isinstance(exc, FocusCamError):
                        logger.exception("still failed")
                    fut.set_exception(exc)
        finally:
            self._maker.close()

    def close(self, timeout: float = 5.0) -> bool:
        """Finish every photo already asked for (never lose one), then stop the thread."""
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()


def _still_engine(runtime: str = DEFAULT_RUNTIME):
    from app.segmentation.engine import SegmentationEngine
    from app.segmentation.refine import RefineParams

    return SegmentationEngine(
        video=False,
        runtime=runtime,
        refine=RefineParams(temporal=False),
        force_model=STILL_MODEL,
        guide_long_side=STILL_GUIDE_LONG_SIDE,
    )
