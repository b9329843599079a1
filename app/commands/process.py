"""`focuscam process`: the portrait effect on image and video files, headless."""

from __future__ import annotations

import functools
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.common.images import (
    IMAGE_EXTS,
    alpha_u8,
    encode_image,
    read_image,
    temp_path_for,
    write_bytes_atomic,
    write_temp_beside,
)  # fmt: skip
from app.common.resize import downscale, fit_long_side
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError, UsageError
from app.frames import Matte
from app.segmentation.engine import GUIDE_LONG_SIDE, SegmentationEngine
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.base import usable_fps

logger = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".gif")
# Output containers we can write, with the codec OpenCV's bundled FFmpeg has for each.
VIDEO_WRITERS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "XVID"}


@dataclass
class ProcessResult:
    frames: int
    output: Path
    masks: list[Path]


def _kind(path: Path, role: str, writing: bool = False) -> str:
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext in (VIDEO_WRITERS if writing else VIDEO_EXTS):
        return "video"
    known = IMAGE_EXTS + tuple(VIDEO_WRITERS if writing else VIDEO_EXTS)
    raise UsageError(
        f"{role} {path}: unknown extension {ext or '(none)'!r}; use one of {' '.join(known)}"
    )


def _is_folder_target(mask_out: str) -> bool:
    return mask_out.endswith(("/", os.sep)) or Path(mask_out).is_dir()


def _check_writable(folder: Path, what: str) -> None:
    if not folder.exists():
        raise FocusCamError(f"cannot write {what}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise FocusCamError(f"cannot write {what}: folder {folder} is not writable")


class _MaskSink:
    """Where per-frame mattes go: a folder of PNGs, one PNG, or a grey video. All or nothing."""

    def __init__(self, target: str | None, input_kind: str, stem: str, fps: float, size):
        self.folder: Path | None = None
        self.file: Path | None = None
        self.tmp: Path | None = None
        self.writer: cv2.VideoWriter | None = None
        self.written: list[Path] = []
        self.created_folder = False
        self.stem, self.fps, self.size = stem, fps, size
        if target is None:
            return
        if _is_folder_target(target):
            self.folder = Path(target)
            if not self.folder.exists():
                self.folder.mkdir(parents=True)
                self.created_folder = True
            _check_writable(self.folder, "masks")
        else:
            self.file = Path(target)
            kind = _kind(self.file, "--mask-out", writing=True)
            if input_kind == "video" and kind != "video":
                raise UsageError("--mask-out for a video must be a folder or a video file")
            if input_kind == "image" and self.file.suffix.lower() != ".png":
                raise UsageError("--mask-out for an image must be a .png file or a folder")
            _check_writable(self.file.parent.resolve(), "masks")

    @property
    def active(self) -> bool:
        return self.folder is not None or self.file is not None

    def add(self, index: int, alpha: np.ndarray) -> None:
        a8 = alpha_u8(alpha)
        if self.folder is not None:
            # Zero-padded so that sorted names are frame order.
            path = self.folder / f"{self.stem}_{index:06d}.png"
            write_bytes_atomic(path, encode_image(a8, ".png"))
            self.written.append(path)
        elif self.file is not None and self.file.suffix.lower() == ".png":
            self.tmp = write_temp_beside(self.file, encode_image(a8, ".png"))
        elif self.file is not None:
            if self.writer is None:
                self.tmp = temp_path_for(self.file)
                self.writer = _open_writer(self.tmp, self.fps, self.size)
            self.writer.write(cv2.cvtColor(a8, cv2.COLOR_GRAY2BGR))

    def commit(self) -> list[Path]:
        if self.writer is not None:
            self.writer.release()
        if self.file is not None and self.tmp is not None:
            os.replace(self.tmp, self.file)
            return [self.file]
        return self.written

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.release()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
        for p in self.written:
            p.unlink(missing_ok=True)
        if self.created_folder and self.folder is not None and not any(self.folder.iterdir()):
            self.folder.rmdir()


def _open_writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    fourcc = cv2.VideoWriter_fourcc(*VIDEO_WRITERS[path.suffix.lower()])
    writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    if not writer.isOpened():
        raise FocusCamError(f"cannot write video {path} (no encoder for {path.suffix})")
    return writer


def process_file(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    spec: EffectSpec,
    model_path: Path | None = None,
    mask_out: str | None = None,
    overwrite: bool = False,
    progress: bool = True,
    compositor: str = "cpu",
    matte_path: str | os.PathLike | None = None,
    runtime: str = DEFAULT_RUNTIME,
) -> ProcessResult:
    src, dst = Path(input_path), Path(output_path)
    if compositor not in ("gl", "cpu", "auto"):
        raise UsageError(f"unknown compositor {compositor!r}; choose gl, cpu or auto")
    in_kind = _kind(src, "input")
    out_kind = _kind(dst, "output", writing=True)
    if in_kind != out_kind:
        raise UsageError(
            f"input is {'an' if in_kind == 'image' else 'a'} {in_kind}, "
            f"so the output must be one too (got {dst.suffix})"
        )
    if not src.exists():
        raise FocusCamError(f"{src}: no such file")
    if dst.exists() and not overwrite:
        raise UsageError(f"{dst} already exists; pass --overwrite to replace it")
    if dst.resolve() == src.resolve():
        raise UsageError("the output would overwrite the input; choose another name")
    _check_writable(dst.parent.resolve(), str(dst))
    matte = None
    if matte_path is not None:
        if in_kind != "image":
            raise UsageError("--matte re-renders a photo; it takes an image input, not a video")
        matte = Path(matte_path)
        if not matte.is_file():
            raise UsageError(f"--matte {matte}: no such file")
    with _compositor(compositor) as comp:
        if in_kind == "image":
            return _process_image(src, dst, spec, model_path, mask_out, comp, matte, runtime)
        return _process_video(src, dst, spec, model_path, mask_out, progress, comp, runtime)


def _compositor(choice: str):
    """Files are the CPU reference's job ("auto" means it); "gl" renders the same frames with
    the viewfinder's shaders in an offscreen context, so that both can be compared."""
    if choice != "gl":
        return CpuCompositor()
    from app.compositing.egl import OffscreenGlCompositor

    return OffscreenGlCompositor()


def load_matte(path: Path, image: np.ndarray) -> Matte:
    """A saved matte (8-bit PNG, the photo's size) as a Matte for re-rendering that photo."""
    a8 = read_image(path)[..., 0]
    h, w = image.shape[:2]
    if a8.shape != (h, w):
        raise FocusCamError(
            f"{path}: the matte is {a8.shape[1]}x{a8.shape[0]}, the photo {w}x{h}; "
            "use the matte saved with this photo"
        )
    guide = downscale(image, fit_long_side((w, h), GUIDE_LONG_SIDE))
    return Matte(alpha=a8.astype(np.float32) * (1.0 / 255.0), guide=guide, model="saved")


def _process_image(
    src, dst, spec, model_path, mask_out, comp, matte_path=None, runtime=DEFAULT_RUNTIME
) -> ProcessResult:
    image = read_image(src)
    h, w = image.shape[:2]
    sink = _MaskSink(mask_out, "image", src.stem, 0, (w, h))
    try:
        if matte_path is not None:
            matte = load_matte(matte_path, image)
        else:
            with SegmentationEngine(model_path, video=False, runtime=runtime) as engine:
                matte, _ = engine.process(image)
        out = comp.render(image, matte, spec)
        if sink.active:
            sink.add(0, matte.full((w, h)))
        write_bytes_atomic(dst, encode_image(out, dst.suffix))
        masks = sink.commit()
    except BaseException:
        sink.abort()
        raise
    return ProcessResult(1, dst, masks)


def _process_video(
    src, dst, spec, model_path, mask_out, progress, comp, runtime=DEFAULT_RUNTIME
) -> ProcessResult:
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise FocusCamError(f"{src}: not a readable video (corrupt or unsupported format)")
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        raise FocusCamError(f"{src}: the video has no frames")
    fps = usable_fps(cap.get(cv2.CAP_PROP_FPS))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    h, w = first.shape[:2]
    print("note: audio is not carried over to the output", file=sys.stderr)
    sink = _MaskSink(mask_out, "video", src.stem, fps, (w, h))
    tmp = temp_path_for(dst)
    writer = None
    try:
        from tqdm import tqdm

        writer = _open_writer(tmp, fps, (w, h))
        out = np.empty_like(first)
        bar = tqdm(total=total, unit="frame", disable=not progress, file=sys.stderr)
        with SegmentationEngine(model_path, video=True, runtime=runtime) as engine, bar:
            frame, i = first, 0
            # The CPU compositor starts on each frame's background while the model runs.
            early = None
            if isinstance(comp, CpuCompositor):
                early = functools.partial(comp.prepare, spec=spec, size=(w, h))
            while frame is not None:
                t_ns = int(i * 1e9 / fps)
                matte, _ = engine.process(frame, t_ns, early)
                writer.write(comp.render(frame, matte, spec, out=out))
                if sink.active:
                    sink.add(i, matte.full((w, h)))
                bar.update(1)
                i += 1
                ok, frame = cap.read()
                if not ok:
                    frame = None
        writer.release()
        writer = None
        os.replace(tmp, dst)
        masks = sink.commit()
    except BaseException:
        if writer is not None:
            writer.release()
        tmp.unlink(missing_ok=True)
        sink.abort()
        raise
    finally:
        cap.release()
    return ProcessResult(i, dst, masks)
