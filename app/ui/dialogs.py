"""The file dialogs the window opens, starting where a person would look."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QFileDialog, QWidget

from app.common.moving import MOVING_SUFFIXES

IMAGE_FILTER = (
    "Pictures and videos (*.jpg *.jpeg *.png *.webp *.bmp "
    + " ".join(f"*{s}" for s in MOVING_SUFFIXES) + ")"
)


def pick_background(parent: QWidget) -> str:
    """A picture, a video or an animated GIF for the Replace effect, browsing from the user's
    Pictures folder."""
    from platformdirs import user_pictures_dir

    path, _ = QFileDialog.getOpenFileName(
        parent, "Background image", user_pictures_dir(), IMAGE_FILTER
    )
    return path


def pick_folder(parent: QWidget, start: Path) -> str:
    return QFileDialog.getExistingDirectory(parent, "Photo folder", str(start))
