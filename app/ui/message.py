"""The message band over the picture: the text, a button that copies the command it gives, and
one that dismisses it. It lies along the top or the bottom edge of the picture, whichever is
clear of the faces in it (``place``); the viewfinder moves it as the picture or the faces move.
"""

from __future__ import annotations

from PyQt6.QtCore import QRect, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)  # fmt: skip

BAND_STYLE = """
QFrame#band { background: rgba(0, 0, 0, 200); border-radius: 6px; }
QLabel { color: white; background: transparent; }
QPushButton, QToolButton { color: white; background: rgba(255, 255, 255, 40);
                           border: 1px solid rgba(255, 255, 255, 90); border-radius: 4px;
                           padding: 2px 8px; }
"""
EDGE = 12  # pixels between the band and the picture's edge
MAX_WIDTH = 760  # a long line reads better wrapped than across a wide screen


def command_in(message: str) -> str:
    """The shell command a message gives to type (after "with: "), or "" when it gives none."""
    if "with: " not in message:
        return ""
    return message.split("with: ", 1)[1].strip()


class MessageBand(QFrame):
    copy_clicked = pyqtSignal()
    close_clicked = pyqtSignal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("band")
        self.setStyleSheet(BAND_STYLE)
        self.setAccessibleName("Message")
        lay = QGridLayout(self)
        lay.setContentsMargins(14, 8, 8, 8)
        lay.setSpacing(6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy = QPushButton("Copy command")
        self.copy.setToolTip("Copy the command to the clipboard (Ctrl+C)")
        self.copy.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.copy.clicked.connect(self.copy_clicked)
        self.dismiss = QToolButton()
        self.dismiss.setText("✕")
        self.dismiss.setToolTip("Dismiss (Esc)")
        self.dismiss.setAccessibleName("Dismiss the message")
        self.dismiss.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.dismiss.clicked.connect(self.close_clicked)
        self.buttons = QWidget()
        row = QHBoxLayout(self.buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.copy)
        row.addWidget(self.dismiss)
        lay.addWidget(self.label, 0, 0)
        self._narrow = None
        self._arrange(narrow=False)
        self.hide()

    def _arrange(self, narrow: bool) -> None:
        """The buttons beside the text, or (narrow) under it, so the text keeps the width."""
        if narrow == self._narrow:
            return
        lay = self.layout()
        lay.removeWidget(self.buttons)
        if narrow:
            lay.addWidget(self.buttons, 1, 0, Qt.AlignmentFlag.AlignRight)
        else:
            lay.addWidget(self.buttons, 0, 1, Qt.AlignmentFlag.AlignVCenter)
        lay.setColumnStretch(0, 1)
        self._narrow = narrow

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self.copy.setText("Copy command")
        self.copy.setVisible(bool(command_in(text)))

    def place(
        self, picture: QRectF, faces: list[QRectF], avoid: QRect | None = None,
        corner: QRectF | None = None,
    ) -> None:  # fmt: skip
        """Along the bottom or the top of ``picture`` (widget coordinates), whichever covers
        less of ``faces``; the bottom when both are clear. ``avoid``: the HUD, which the top
        band goes under; ``corner``: the call preview's self-view (bottom right), which the
        bottom band stays left of."""
        pic = picture.toAlignedRect().intersected(self.parentWidget().rect())
        if corner is not None and not corner.isEmpty():
            pic.setRight(min(pic.right(), int(corner.left()) - 1))
        points = 11 if pic.width() >= 800 else 10 if pic.width() >= 600 else 8
        edge = EDGE if pic.width() >= 600 else EDGE // 2
        font = QFont(self.font())
        font.setPointSize(points)
        self.label.setFont(font)
        # As wide as the text on one line needs, up to the picture's width (then wrapped). In
        # a narrow picture a text that wraps gets the buttons under it, to keep its width.
        fm = self.label.fontMetrics()
        line = max(fm.horizontalAdvance(t) for t in self.label.text().split("\n"))
        m = self.layout().contentsMargins()
        buttons = self.buttons.sizeHint().width() + self.layout().spacing()
        room = pic.width() - 2 * edge
        natural = line + m.left() + m.right() + buttons + 2
        self._arrange(narrow=pic.width() < 600 and natural > room)
        if self._narrow:
            natural -= buttons
        width = max(120, min(natural, room, MAX_WIDTH))
        height = self.layout().totalHeightForWidth(width)
        x = pic.left() + (pic.width() - width) // 2
        top_y = pic.top() + edge
        if avoid is not None and avoid.intersects(QRect(x, top_y, width, height)):
            top_y = avoid.bottom() + 1 + edge // 2
        bottom = QRect(x, pic.bottom() + 1 - edge - height, width, height)
        top = QRect(x, top_y, width, height)

        def covered(r: QRect) -> float:
            rf = QRectF(r)
            return sum(_area(rf.intersected(f)) for f in faces)

        self.setGeometry(bottom if covered(bottom) <= covered(top) else top)


def _area(r: QRectF) -> float:
    return max(0.0, r.width()) * max(0.0, r.height())
