"""Frame sources by name, in the same style as runtimes (segmentation/runtimes.py): a table
declared here of the modules that come with the app, each offering its ``BACKENDS`` (how it
recognises a ``--source`` text and how it opens one), imported when first asked. A new backend
is one module and one line in ``BUILTIN``. Also: finding cameras without Qt."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.errors import UsageError
from app.sources.base import FRONT, FrameSource, SourceInfo

# What a camera is asked for when the user does not say: HD at 30 fps, which nearly every
# webcam offers over MJPG (many start at 640x480 unless asked).
DEFAULT_CAMERA_SIZE = (1280, 720)
DEFAULT_CAMERA_FPS = 30.0
# What to offer when a camera does not list its sizes.
COMMON_SIZES = ((640, 480), (1280, 720), (1920, 1080))
SOURCE_HELP = (
    "camera:N, a device path, a stream URL (phone as webcam), a video or image file, or demo"
)

# (spec, size asked for or None, what the UI knows of it or None) -> an unopened source
Maker = Callable[[str, "tuple[int, int] | None", "SourceInfo | None"], FrameSource]


@dataclass(frozen=True)
class Backend:
    name: str
    matches: Callable[[str], bool]
    make: Maker


# The modules whose BACKENDS come with the app, in the order a --source text is tried.
BUILTIN = ("app.sources.demo", "app.sources.camera", "app.sources.files")


def backends() -> dict[str, Backend]:
    """Every backend by name, earlier ones asked first."""
    return {
        backend.name: backend
        for module in BUILTIN
        for backend in importlib.import_module(module).BACKENDS
    }


def open_source(
    spec: str,
    size: tuple[int, int] | None = None,
    cameras: list[SourceInfo] | None = None,
) -> FrameSource:
    """The source named by ``spec`` (not opened yet). ``cameras`` supplies names and facing."""
    spec = spec.strip()
    known = {c.spec: c for c in cameras or []}
    for backend in backends().values():
        if backend.matches(spec):
            return backend.make(spec, size, known.get(spec))
    raise UsageError(f"no such source {spec!r}; use {SOURCE_HELP}")


def url_name(url: str) -> str:
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
