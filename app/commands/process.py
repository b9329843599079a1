"""`focuscam process`: the portrait effect on image and video files, headless.

A thin driver: frames come from the sources layer (FileSource, unpaced and not looping), go
through the same frame step as live video, and leave through outputs (app/outputs), which
write under temporary names and publish all at once, or leave nothing behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.commands.stages import Sink, Stage
from app.common.images import IMAGE_EXTS, read_image
from app.compositing.base import COMPOSITOR_CHOICES, make_compositor
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError, UsageError
from app.framing import AutoFramer, call_frame
from app.outputs.base import Output
from app.outputs.images import ImageOutput
from app.outputs.mattes import MatteOutput, is_folder_target
from app.outputs.video import ALPHA_CODECS, TRANSPARENT_HELP, VIDEO_CODECS, VideoOutput
from app.segmentation.cadence import CadenceParams
from app.segmentation.engine import SegmentationEngine
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.base import SourceError
from app.sources.files import FileSource
from app.steps.refocus import load_matte
from app.steps.step import FrameStep

logger = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".gif")

Progress = Callable[[int, int | None], None]  # (frames done, frames in all or None)


@dataclass
class ProcessResult:
    frames: int
    output: Path
    masks: list[Path]
    notes: list[str] = field(default_factory=list)  # for the user, printed by the CLI


def _kind(path: Path, role: str, writing: bool = False) -> str:
    if writing and path.is_dir():
        raise UsageError(f"{role} {path} is a folder; give a file name")
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext in (VIDEO_CODECS if writing else VIDEO_EXTS):
        return "video"
    known = IMAGE_EXTS + tuple(VIDEO_CODECS if writing else VIDEO_EXTS)
    raise UsageError(
        f"{role} {path}: unknown extension {ext or '(none)'!r}; use one of {' '.join(known)}"
    )


def _check_writable(folder: Path, what: str) -> None:
    if not folder.exists():
        raise FocusCamError(f"cannot write {what}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise FocusCamError(f"cannot write {what}: folder {folder} is not writable")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _check_targets(inputs: list[Path], outputs: list[Path], overwrite: bool) -> None:
    """No output is an input of this run, and none replaces a file without ``overwrite``."""
    for out in outputs:  # (a folder never gets here: _kind turns it away first)
        for src in inputs:
            if _same_file(out, src):
                raise UsageError(f"{out} is also an input of this run; choose another name")
        if out.exists() and not overwrite:
            raise UsageError(f"{out} already exists; pass --overwrite to replace it")


def _matte_output(mask_out: str, in_kind: str, stem: str, overwrite: bool) -> MatteOutput:
    if not is_folder_target(mask_out):
        kind = _kind(Path(mask_out), "--mask-out", writing=True)
        if in_kind == "video" and kind != "video":
            raise UsageError("--mask-out for a video must be a folder or a video file")
        if in_kind == "image" and Path(mask_out).suffix.lower() != ".png":
            raise UsageError("--mask-out for an image must be a .png file or a folder")
        _check_writable(Path(mask_out).parent.resolve(), "masks")
    return MatteOutput(mask_out, stem, overwrite)


def process_file(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    spec: EffectSpec,
    model_path: Path | None = None,
    mask_out: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    compositor: str = "cpu",
    matte_path: str | os.PathLike | None = None,
    runtime: str = DEFAULT_RUNTIME,
    extra_inputs: tuple[Path, ...] = (),
    auto_frame: bool = False,
    cadence: CadenceParams | None = None,
    focus_on: tuple[float, float] | None = None,
) -> ProcessResult:
    """``extra_inputs``: other files this run reads (``--background``), never to be written.
    ``cadence``: when a video may skip the model (cadence.py); None: every frame."""
    src, dst = Path(input_path), Path(output_path)
    if compositor not in COMPOSITOR_CHOICES:
        raise UsageError(
            f"unknown compositor {compositor!r}; choose {', '.join(COMPOSITOR_CHOICES)}"
        )
    in_kind = _kind(src, "input")
    out_kind = _kind(dst, "output", writing=True)
    if in_kind != out_kind:
        raise UsageError(
            f"input is {'an' if in_kind == 'image' else 'a'} {in_kind}, "
            f"so the output must be one too (got {dst.suffix})"
        )
    if not src.exists():
        raise FocusCamError(f"{src}: no such file")
    matte = None
    if matte_path is not None:
        if in_kind != "image":
            raise UsageError("--matte re-renders a photo; it takes an image input, not a video")
        matte = Path(matte_path)
        if not matte.is_file():
            raise UsageError(f"--matte {matte}: no such file")
    if spec.effect == "cutout" and dst.suffix.lower() not in (
        (".png",) if in_kind == "image" else tuple(ALPHA_CODECS)
    ):
        raise UsageError(f"{dst}: {dst.suffix or 'no suffix'} has no transparency; "
                         f"{TRANSPARENT_HELP}")  # fmt: skip
    inputs = [src, *extra_inputs, *([matte] if matte else [])]
    targets = [dst]
    if mask_out is not None and not is_folder_target(mask_out):
        targets.append(Path(mask_out))
    _check_targets(inputs, targets, overwrite)
    _check_writable(dst.parent.resolve(), str(dst))
    outputs: list[Output] = [
        ImageOutput(dst, overwrite)
        if in_kind == "image"
        else VideoOutput(dst, overwrite, audio_from=src, alpha=spec.effect == "cutout",
                         exact_colour=spec.effect == "key")  # fmt: skip
    ]
    if mask_out is not None:
        outputs.append(_matte_output(mask_out, in_kind, src.stem, overwrite))
    with _compositor(compositor) as comp:
        if matte is not None:
            return _rerender(src, matte, spec, comp, outputs)
        engine = SegmentationEngine(
            model_path, video=in_kind == "video", runtime=runtime,
            cadence=cadence,
        )  # fmt: skip
        step = FrameStep(engine, comp)
        try:
            if focus_on is not None:
                step.focus.choose(focus_on, at_once=True)  # followed through the video
            return _run(src, in_kind, step, spec, outputs, progress, auto_frame, focus_on)
        finally:
            engine.close()


def _compositor(choice: str):
    """Files are the CPU reference's job ("auto" means it); "gl" renders the same frames with
    the viewfinder's shaders in an offscreen context, so that both can be compared."""
    compositor = make_compositor(choice)
    logger.info("compositing with the %s compositor", compositor.name)
    return compositor


def _commit(outputs: list[Output]) -> list[list[Path]]:
    """Publish every output, all or nothing (the caller aborts the outputs on failure)."""
    written = []
    try:
        for out in outputs:
            written.append(out.commit())
    except BaseException:
        for paths in written:  # all or nothing: remove what an earlier output published
            for p in paths:
                if p.is_file():
                    p.unlink(missing_ok=True)
        raise
    return written


def _rerender(src: Path, matte_path: Path, spec, comp, outputs: list[Output]) -> ProcessResult:
    image = read_image(src)
    h, w = image.shape[:2]
    matte = load_matte(matte_path, image)
    try:
        for out in outputs:
            out.open((w, h), 0.0)
            out.write(comp.render(image, matte, spec), 0, matte.full((w, h)))
        written = _commit(outputs)
    except BaseException:
        for out in outputs:
            out.abort()
        raise
    return ProcessResult(1, written[0][0], written[1] if len(written) > 1 else [])


def _run(
    src, in_kind, step: FrameStep, spec, outputs: list[Output], progress, auto_frame=False,
    focus_on=None,
) -> ProcessResult:
    source = FileSource(src, loop=False, paced=False)
    try:
        source.open()
    except SourceError as exc:
        raise FocusCamError(str(exc)) from None
    logger.info("source opened: %s, %.3g fps", src, source.fps)
    notes = []
    n = 0
    try:
        first = source.read()
        h, w = first.shape[:2]
        fps = source.fps
        total = source.frame_count or None
        for out in outputs:
            out.open((w, h), fps)
        wants_matte = any(out.wants_matte for out in outputs)
        framer = AutoFramer() if auto_frame else None

        def frames():
            """Decoding, on its own thread."""
            frame = first
            index = 0
            while frame is not None:
                yield frame
                index += 1
                try:
                    frame = source.read()
                except SourceError:
                    return  # the end of the file
                if frame.shape[:2] != (h, w):
                    raise FocusCamError(f"{src}: frame {index} changes size; not supported")

        def write(item) -> None:
            """Encoding and writing, on its own thread."""
            picture, t_ns, alpha = item
            for out in outputs:
                out.write(picture, t_ns, alpha)

        reader = Stage("focuscam-decode", frames())
        writer = Sink("focuscam-encode", write)
        try:
            for frame in reader:
                t_ns = int(n * 1e9 / fps) if fps else 0
                picture, matte, _ = step.run(frame, spec, t_ns, composite=framer is None)
                if n == 0 and focus_on is not None and step.focus.error:
                    x, y = focus_on
                    raise UsageError(f"--focus-on {x:g},{y:g}: {step.focus.error} in the first "
                                     "frame; give a point on a person")  # fmt: skip
                if framer is not None:
                    # The crop that follows the people, rendered back at the input's size.
                    rect = framer.update(matte.alpha, (w, h), t_ns)
                    picture = call_frame(step.compositor, step.last_image, matte, spec, rect,
                                         (w, h))  # fmt: skip
                writer.put((picture, t_ns, matte.full((w, h)) if wants_matte else None))
                n += 1
                if progress is not None:
                    progress(n, total)
        finally:
            reader.stop()
            writer.close()
        for out in outputs:
            if isinstance(out, VideoOutput) and out.audio.startswith("not kept"):
                notes.append(f"the sound was {out.audio}")
        if total and n < total - 1:
            notes.append(f"{src.name} ended after {n} of its {total} frames (damaged?)")
        written = _commit(outputs)
    except BaseException:
        for out in outputs:
            out.abort()
        raise
    finally:
        source.close()
    return ProcessResult(n, written[0][0], written[1] if len(written) > 1 else [], notes)
