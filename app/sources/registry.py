"""Turning a ``--source`` text into a FrameSource, and finding cameras without Qt."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from app.errors import UsageError
from app.sources.base import FRONT, FrameSource, SourceInfo
from app.sources.camera import CameraSource, is_stream
from app.sources.files import DemoSource, FileSource

# What a camera is asked for when the user does not say: HD at 30 fps, which nearly every
# webcam offers over MJPG (many start at 640x480 unless asked).
DEFAULT_CAMERA_SIZE = (1280, 720)
DEFAULT_CAMERA_FPS = 30.0
SOURCE_HELP = (
    "camera:N, a device path, a stream URL (phone as webcam), a video or image file, or demo"
)


def open_source(
    spec: str,
    size: tuple[int, int] | None = None,
    cameras: list[SourceInfo] | None = None,
) -> FrameSource:
    """The source named by ``spec`` (not opened yet). ``cameras`` supplies names and facing."""
    spec = spec.strip()
    known = {c.spec: c for c in cameras or []}
    if spec == "demo":
        return DemoSource(size or (1280, 720))
    m = re.fullmatch(r"camera:(\d+)", spec)
    cam_size = size or DEFAULT_CAMERA_SIZE
    if m:
        return CameraSource(int(m.group(1)), known.get(spec), cam_size, DEFAULT_CAMERA_FPS)
    if is_stream(spec):
        return CameraSource(spec, known.get(spec) or SourceInfo(_url_name(spec), spec, FRONT), size)
    if spec.startswith("/dev/video"):
        return CameraSource(spec, known.get(spec), cam_size, DEFAULT_CAMERA_FPS)
    path = Path(spec).expanduser()
    if path.is_file():
        return FileSource(path)
    raise UsageError(f"no such source {spec!r}; use {SOURCE_HELP}")


def _url_name(url: str) -> str:
    host = re.sub(r"^[a-z]+://", "", url).split("/")[0].split("@")[-1]
    return f"stream from {host}"


def probe_cameras() -> list[SourceInfo]:
    """Cameras the system lists, without Qt (Linux: V4L2 capture nodes). Facing is unknown, so
    every camera counts as front; the Qt layer adds names and facing where it knows them."""
    if not sys.platform.startswith("linux"):
        return []
    found = []
    for node in sorted(Path("/sys/class/video4linux").glob("video*"), key=_node_number):
        # A camera usually has two nodes; the metadata one has index 1.
        index = _read(node / "index")
        if index not in ("", "0"):
            continue
        name = _read(node / "name") or node.name
        found.append(SourceInfo(name, f"/dev/{node.name}", FRONT))
    return found


def _node_number(path: Path) -> int:
    digits = re.sub(r"\D", "", path.name)
    return int(digits) if digits else 0


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
