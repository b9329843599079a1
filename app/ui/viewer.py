"""The last shots, inside the app: a viewer with previous/next, open folder and delete (to the
system's trash, never gone for good)."""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QFile, Qt, QUrl, pyqtSignal
from PyQt6.QtGui import QDesktopServices, QKeySequence, QPixmap, QShortcut
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from app.common.images import read_image, studio_backdrop
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError
from app.frames import Matte
from app.framing import CALL_SIZE
from app.outputs.photo import (
    EXTRA_SUFFIXES,
    Photo,
    ShotInfo,
    describe_look,
    save_photo,
    shot_info,
)
from app.segmentation.focus import Focus
from app.steps.refocus import extras_of, load_matte
from app.ui.viewfinder import to_qimage

REFOCUS_LOOKS = (("lens", "Lens"), ("blur", "Blur"), ("replace", "Studio backdrop"),
                 ("none", "No effect"))  # fmt: skip

logger = logging.getLogger(__name__)

PHOTO_GLOB = ("FocusCam_*.jpg", "FocusCam_*.png")


def shots_in(folder: Path) -> list[Path]:
    """The photos FocusCam saved in ``folder``, oldest first (not their originals or mattes)."""
    found = {p for pattern in PHOTO_GLOB for p in folder.glob(pattern)}
    shots = [p for p in found if not p.stem.endswith(EXTRA_SUFFIXES)]
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


class _Picture(QLabel):
    """The photo, centred; a click says where on the photo (0..1 of its width and height)."""

    clicked = pyqtSignal(float, float)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().mousePressEvent(event)
        pm = self.pixmap()
        if pm is None or pm.isNull() or event.button() != Qt.MouseButton.LeftButton:
            return
        dpr = pm.devicePixelRatio()
        pw, ph = pm.width() / dpr, pm.height() / dpr
        x0, y0 = (self.width() - pw) / 2, (self.height() - ph) / 2
        u, v = (event.position().x() - x0) / pw, (event.position().y() - y0) / ph
        if 0 <= u <= 1 and 0 <= v <= 1:
            self.clicked.emit(u, v)


class PhotoViewer(QWidget):
    """A window of its own (not modal: the camera keeps running behind it)."""

    deleted = pyqtSignal(object)  # the Path moved to the trash

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("FocusCam photos")
        self.folder = folder
        self.shots: list[Path] = []
        self.index = -1
        self.picture = _Picture(alignment=Qt.AlignmentFlag.AlignCenter)
        # Re-focus on someone else after the fact: a click on a person
        self.picture.clicked.connect(self.focus_on)
        self._people: Matte | None = None  # everyone in the current photo (found at a click)
        self._faces: list = []
        self.picture.setMinimumSize(320, 180)
        # The picture's size is the window's, never the pixmap's: picking another look (a
        # pixmap of another size) must not make the picture jump.
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.caption = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        buttons = QHBoxLayout()
        self.prev = self._button("◀ Previous", "Left", self.previous)
        self.next = self._button("Next ▶", "Right", self.forward)
        self.open_folder = self._button("Open folder", "Ctrl+O", self._open_folder)
        self.delete = self._button("Delete", "Delete", self.delete_current)
        for b in (self.prev, self.next, self.open_folder, self.delete):
            buttons.addWidget(b)
        # Re-focus: the photo again from its original and matte, with another look.
        edit = QHBoxLayout()
        self.look = QComboBox()
        for key, label in REFOCUS_LOOKS:
            self.look.addItem(label, key)
        self.look.setAccessibleName("Look")
        self.look.setToolTip("Another look for this photo, from its original and matte")
        self.amount = QSlider(Qt.Orientation.Horizontal)
        self.amount.setRange(0, 100)
        self.amount.setValue(60)
        self.amount.setAccessibleName("Strength")
        self.save_new = self._button("Save as new", "Ctrl+S", self.save_refocused)
        for w in (QLabel("Re-focus:"), self.look, self.amount, self.save_new):
            edit.addWidget(w)
        self.look.currentIndexChanged.connect(lambda _: self._preview())
        self.amount.valueChanged.connect(lambda _: self._preview())
        lay = QVBoxLayout(self)
        lay.addWidget(self.picture, 1)
        lay.addWidget(self.caption)
        lay.addLayout(edit)
        lay.addLayout(buttons)
        self._compositor = CpuCompositor()
        self._source: tuple[np.ndarray, Matte] | None = None  # the current photo's original
        self._info = ShotInfo()  # what the current photo says of itself (its EXIF)
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

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._compositor.close()
        super().closeEvent(event)

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

    def _spec(self) -> EffectSpec:
        key = self.look.currentData()
        if key == "replace":
            return EffectSpec("replace", background=studio_backdrop(CALL_SIZE))
        return EffectSpec(key, self.amount.value() / 100)

    def focus_on(self, u: float, v: float) -> None:
        """Re-focus on the person at (u, v) (0..1 of the photo): the others become background;
        a click on nobody puts everyone in focus. The photo's people are found again from its
        original (the saved matte holds only who was in focus when it was taken)."""
        if self._source is None:
            return
        original = self._source[0]
        if self._people is None:
            from app.segmentation.engine import SegmentationEngine
            from app.steps.step import FACE_SCORE

            with SegmentationEngine(video=False) as engine:
                self._people = engine.process(original)[0]
                self._faces = engine.find_faces(self._people.guide, FACE_SCORE)
        focus = Focus()
        focus.choose((u, v))
        matte = focus.apply(self._people, 0, self._faces, video=False)
        self._source = (original, self._people if focus.error else matte)
        said = "In focus: the person you clicked (Save as new keeps it)"
        self.caption.setText("Everyone in focus" if focus.error else said)
        self._preview()

    def _load_source(self) -> tuple[np.ndarray, Matte] | None:
        path = self.current
        extras = extras_of(path) if path is not None else None
        if extras is None:
            return None
        original = read_image(extras[0])
        return original, load_matte(extras[1], original)

    def refocused(self, size: tuple[int, int] | None = None) -> np.ndarray | None:
        """The current photo re-rendered with the chosen look (None: nothing to re-focus)."""
        if self._source is None:
            return None
        original, matte = self._source
        return self._compositor.render(original, matte, self._spec(), size).copy()

    def _preview(self) -> None:
        h, w = self._source[0].shape[:2] if self._source else (0, 0)
        if not w:
            return
        s = min(1.0, 960 / w)
        picture = self.refocused((max(2, round(w * s)), max(2, round(h * s))))
        self.picture.setPixmap(
            QPixmap.fromImage(to_qimage(picture).copy()).scaled(
                self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )  # fmt: skip

    def save_refocused(self) -> Path | None:
        """The re-focused photo at full size, saved as a new file beside it."""
        path, picture = self.current, self.refocused()
        if path is None or picture is None:
            return None
        # The original's capture time and camera, so that photo libraries sort it beside the
        # original; what changed in its description.
        info = self._info
        spec = self._spec()
        photo = Photo(
            picture, info.when or datetime.now(), info.camera,
            description=describe_look(spec.effect, spec.strength, f"re-focused from {path.name}"),
        )  # fmt: skip
        try:
            saved = save_photo(photo, folder=path.parent)[0]
        except FocusCamError as exc:
            self.caption.setText(f"Not saved: {exc}")
            return None
        self.shots = shots_in(self.folder)
        self.index = self.shots.index(saved) if saved in self.shots else self.index
        self._refresh()
        self.caption.setText(f"Saved {saved.name}")
        return saved

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
        self._source = self._load_source()
        self._people = None
        ok = self._source is not None
        self._info = shot_info(path)
        if ok and self._info.effect in [key for key, _ in REFOCUS_LOOKS]:
            # re-focus starts from the look the photo was taken with
            for w in (self.look, self.amount):
                w.blockSignals(True)
            self.look.setCurrentIndex(self.look.findData(self._info.effect))
            if self._info.strength is not None:
                self.amount.setValue(round(self._info.strength * 100))
            for w in (self.look, self.amount):
                w.blockSignals(False)
        tip = (
            "Another look, from the photo's original and matte" if ok
            else "Re-focus needs the original and matte saved with the photo (⋯ menu)"
        )  # fmt: skip
        for w in (self.look, self.amount, self.save_new):
            w.setEnabled(ok)
            w.setToolTip(tip)
        pix = QPixmap(str(path))
        self.picture.setPixmap(
            pix.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                       Qt.TransformationMode.SmoothTransformation)  # fmt: skip
        )
        self.caption.setText(f"{path.name}   ({self.index + 1} of {len(self.shots)})")
