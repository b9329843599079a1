"""`focuscam still`: open a source, let it settle, take one full-quality photo, exit."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from app.common.slot import LatestSlot
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError, UsageError
from app.frames import Frame, now_ns
from app.outputs.photo import PHOTO_EXTS, default_folder, save_photo
from app.segmentation.engine import SegmentationEngine
from app.segmentation.focus import Focus
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.capture import FAILED, LOST, CaptureThread
from app.sources.registry import open_source, probe_cameras
from app.steps.photo import PhotoMaker
from app.steps.step import FACE_SCORE

logger = logging.getLogger(__name__)

FIRST_FRAME_TIMEOUT_S = 10.0
MAX_FRAME_AGE_S = 1.0  # a photo is of now: an older frame means the camera stopped


def _check_output(output: Path, overwrite: bool) -> None:
    if output.suffix.lower() not in PHOTO_EXTS:
        raise UsageError(f"{output}: a photo is saved as JPEG or PNG; use a .jpg or .png name")
    if output.is_dir():
        raise UsageError(f"{output} is a folder; give a file name ending in .jpg or .png")
    if output.exists() and not overwrite:
        raise UsageError(f"{output} exists; pass --overwrite to replace it")
    if not output.parent.exists():
        raise FocusCamError(f"{output.parent}: no such folder")


def grab_frame(
    source_spec: str | None,
    seconds: float,
    size: tuple[int, int] | None,
    watch: Callable[[Frame], object] | None = None,
) -> tuple[Frame, str]:
    """The newest frame after ``seconds`` of settling, and the source's name. ``watch`` sees
    frames while the camera settles (the live engine, building its picture of the scene)."""
    cameras = probe_cameras()
    if source_spec is None:
        if not cameras:
            raise FocusCamError("no camera found; give --source (a file, a URL, or demo)")
        source_spec = cameras[0].spec
    source = open_source(source_spec, size, cameras)
    slot: LatestSlot[Frame] = LatestSlot()
    capture = CaptureThread(source, slot, "still").start()
    try:
        start = time.monotonic()
        deadline = start + seconds + FIRST_FRAME_TIMEOUT_S
        while slot.peek() is None:
            state = capture.state
            # A camera that cannot be opened now is an answer for a one-shot command: no retries.
            if state.state in (FAILED, LOST) or time.monotonic() > deadline:
                reason = state.message or "no frame arrived"
                raise FocusCamError(f"no picture from {source.info.name}: {reason}")
            time.sleep(0.01)
        # Cameras need a moment for exposure and white balance before the shot.
        latest = slot.peek()
        while time.monotonic() < start + seconds:
            taken = slot.take(timeout=0.05)
            if taken is not None:
                latest = taken
                if watch is not None:
                    watch(taken)
        frame = slot.peek() or latest
        assert frame is not None
        age = (now_ns() - frame.t_capture_ns) / 1e9
        if age > MAX_FRAME_AGE_S or capture.state.state == LOST:
            # A camera that stopped sending must not give an old picture as if it were now.
            raise FocusCamError(
                f"no picture from {source.info.name}: it stopped sending frames "
                f"(the last one is {age:.1f} s old)"
            )
        return frame, source.info.name
    finally:
        capture.stop()
        capture.join(2.0)


def take_still(
    source_spec: str | None,
    output: Path | None,
    seconds: float,
    spec: EffectSpec,
    size: tuple[int, int] | None = None,
    mirror: bool = False,
    overwrite: bool = False,
    runtime: str = DEFAULT_RUNTIME,
    focus_on: tuple[float, float] | None = None,
) -> Path:
    if output is not None:
        _check_output(output, overwrite)
    if spec.effect == "cutout" and (output is None or output.suffix.lower() != ".png"):
        raise UsageError(f"{output or 'the photo'}: a cutout keeps its transparency in PNG "
                         "only; give -o NAME.png")  # fmt: skip
    # The live engine watches while the camera settles, as the viewfinder's would: the photo
    # then keeps everything it knows (who the person is, a steady matte), refined at full size.
    with SegmentationEngine(video=True, runtime=runtime) as engine:

        seen: dict = {}  # the last frame watched and its matte

        def watch(f: Frame) -> None:
            seen["frame"], seen["matte"] = f, engine.process(f.image, f.t_capture_ns)[0]

        frame, camera = grab_frame(source_spec, seconds, size, watch)
        if seen.get("frame") is frame:  # no newer frame came: its matte is already made
            live = seen["matte"]
        else:
            live, _ = engine.process(frame.image, frame.t_capture_ns)
        if focus_on is not None:  # only the person there: the photo keeps only them
            focus = Focus()
            focus.choose(focus_on)
            live = focus.apply(live, 0, engine.find_faces(live.guide, FACE_SCORE), video=False)
            if focus.error:
                x, y = focus_on
                raise UsageError(f"--focus-on {x:g},{y:g}: {focus.error}; give a point on a "
                                 "person")  # fmt: skip
    when = datetime.now()
    maker = PhotoMaker(runtime=runtime)  # one photo and out: no thread of its own needed
    try:
        photo = maker.photo(frame, spec, mirror, camera, when, live=live)
    finally:
        maker.close()
    if output is None:
        return save_photo(photo, folder=default_folder())[0]
    return save_photo(photo, path=output, overwrite=overwrite)[0]
