"""Camera names and facing from QtMultimedia, mapped to what cv2 opens."""

from __future__ import annotations

import logging
import re
import sys

from app.sources.base import BACK, FRONT, SourceInfo
from app.sources.registry import probe_cameras

logger = logging.getLogger(__name__)


def list_cameras() -> list[SourceInfo]:
    """Every camera the system knows, front ones first. Needs a Q(Gui)Application.

    QtMultimedia knows names and, on laptops and phones, facing; a camera of unknown facing
    counts as front. On Linux its id is the V4L2 device path, which cv2 opens directly; elsewhere
    the capture APIs list devices in the same order as Qt, so the position is the cv2 index.
    """
    try:
        from PyQt6.QtMultimedia import QCameraDevice, QMediaDevices
    except ImportError as exc:
        logger.info("QtMultimedia unavailable (%s); listing cameras without it", exc)
        return probe_cameras()
    found = []
    for i, dev in enumerate(QMediaDevices.videoInputs()):
        ident = bytes(dev.id()).decode(errors="replace")
        if sys.platform.startswith("linux") and re.fullmatch(r"/dev/video\d+", ident):
            spec = ident
        else:
            spec = f"camera:{i}"
        facing = BACK if dev.position() == QCameraDevice.Position.BackFace else FRONT
        sizes = sorted({(f.resolution().width(), f.resolution().height())
                        for f in dev.videoFormats()})  # fmt: skip
        found.append(SourceInfo(dev.description() or f"camera {i}", spec, facing, tuple(sizes)))
    if not found:
        found = probe_cameras()
    return sorted(found, key=lambda c: c.facing != FRONT)
