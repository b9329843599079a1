"""The last shots, inside the app: a viewer with previous/next, open folder and delete (to the
system's trash, never gone for good)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PyQt6.QtCore import QFile, Qt, QUrl, pyqtSignal
from PyQt6.QtGui import QDesktopServices, QKeySequence, QPixmap, QShortcut
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

logger = logging.getLogger(__name__)

PHOTO_GLOB = ("FocusCam_*.jpg", "FocusCam_*.png")


def shots_in(folder: Path) -> list[Path]:
    """The photos FocusCam saved in ``folder``, oldest first (not their originals or mattes)."""
    found = {p for pattern in PHOTO_GLOB for p in folder.glob(pattern)}
    shots = [p for p in found if not p.stem.endswith(("_original", "_matte"))]
    return sorted(shots, key=lambda p: (p.stat().st_mtime, p.name))


def _ensure_home_trash() -> None:
    """The freedesktop.org home trash, made if a fresh account has none yet (Qt only uses an
    existing one)."""
    if not sys.platform.startswith("linux"):
        return
    home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    for sub in ("files", "info"):
        try:
            (home / "Trash" / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            return


class PhotoViewer(QWidget):
    """A window of its own (not modal: the camera keeps running behind it)."""

    deleted = pyqtSignal(object)  # the Path moved to the trash

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("FocusCam photos")
        self.folder = folder
        self.shots: list[Path] = []
        self.index = -1
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 180)
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        buttons = QHBoxLayout()
        self.prev = self._button("◀ Previous", "Left", self.previous)
        self.next = self._button("Next ▶", "Right", self.forward)
        self.open_folder = self._button("Open folder", "Ctrl+O", self._open_folder)
        self.delete = self._button("Delete", "Delete", self.delete_current)
        for b in (self.prev, self.next, self.open_folder, self.delete):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(self.picture, 1)
        lay.addWidget(self.caption)
        lay.addLayout(buttons)
        QShortcut(QKeySequence("Esc"), self, self.close)
        self.resize(800, 560)

    def _button(self, text: str, key: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setShortcut(QKeySequence(key))
        b.setToolTip(f"{text.strip('◀▶ ')} ({key})")
        b.setAccessibleName(text.strip("◀▶ "))
        b.clicked.connect(slot)
        return b

    def show_photo(self, path: Path | None = None) -> None:
        """Open on ``path`` (default: the newest shot)."""
        self.shots = shots_in(self.folder)
        if path is not None and path in self.shots:
            self.index = self.shots.index(path)
        else:
            self.index = len(self.shots) - 1
        self._refresh()
        self.show()
        self.raise_()

    @property
    def current(self) -> Path | None:
        return self.shots[self.index] if 0 <= self.index < len(self.shots) else None

    def previous(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._refresh()

    def forward(self) -> None:
        if self.index < len(self.shots) - 1:
            self.index += 1
            self._refresh()

    def delete_current(self) -> None:
        path = self.current
        if path is None:
            return
        _ensure_home_trash()
        ok, _ = QFile.moveToTrash(str(path))
        if not ok:
            self.caption.setText(f"Could not move {path.name} to the trash")
            return
        self.deleted.emit(path)
        del self.shots[self.index]
        self.index = min(self.index, len(self.shots) - 1)
        self._refresh()

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def _refresh(self) -> None:
        path = self.current
        self.prev.setEnabled(self.index > 0)
        self.next.setEnabled(0 <= self.index < len(self.shots) - 1)
        self.delete.setEnabled(path is not None)
        if path is None:
            self.picture.setPixmap(QPixmap())
            self.caption.setText("No photos yet: press Space in the viewfinder")
            return
        pix = QPixmap(str(path))
        self.picture.setPixmap(
            pix.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                       Qt.TransformationMode.SmoothTransformation)  # fmt: skip
        )
        self.caption.setText(f"{path.name}   ({self.index + 1} of {len(self.shots)})")
