"""The shutter, the mode switch (Photo · Video · Call) and the countdown.

The shutter is a large round button that says what it will do: take a photo, start or stop a
recording, or put you on the virtual camera, depending on the mode. In Photo mode a countdown
(3 s or 10 s) shows its count over the picture first."""

from __future__ import annotations

from PyQt6.QtCore import QRectF, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import QAbstractButton, QButtonGroup, QHBoxLayout, QToolButton, QWidget

MODES = (("photo", "Photo"), ("video", "Video"), ("call", "Call"))
COUNTDOWNS = (0, 3, 10)
SHUTTER_SAYS = {
    ("photo", False): "Take a photo (Space)",
    ("video", False): "Start recording (Space)",
    ("video", True): "Stop recording (Space)",
    ("call", False): "Go live on the virtual camera (Space)",
    ("call", True): "Stop the virtual camera (Space)",
}


class ShutterButton(QAbstractButton):
    """A round shutter: white for photos, red for video, blue for calls; a square while on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space stays the shutter
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.mode, self.active = "photo", False
        self.set_state("photo", False)

    def set_state(self, mode: str, active: bool) -> None:
        self.mode, self.active = mode, active
        says = SHUTTER_SAYS[(mode, active and mode != "photo")]
        self.setToolTip(says)
        self.setAccessibleName(says.split(" (")[0])
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(56, 56)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        p.setPen(QPen(QColor(240, 240, 240), 3))
        p.drawEllipse(r)
        inner = r.adjusted(6, 6, -6, -6)
        colour = {"photo": QColor(250, 250, 250), "video": QColor(230, 40, 40),
                  "call": QColor(40, 130, 255)}[self.mode]  # fmt: skip
        if self.isDown():
            colour = colour.darker(130)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        if self.active and self.mode != "photo":
            p.drawRoundedRect(inner.adjusted(8, 8, -8, -8), 4, 4)  # a stop square
        else:
            p.drawEllipse(inner)
        p.end()


# The chosen mode stands out as a segmented control's does: the theme's highlight behind dark
# text, the others plain (a difference seen at a glance, not 9 grey levels).
MODE_STYLE = """
QToolButton { padding: 3px 6px; border: 1px solid #55555c; }
QToolButton:checked { background: #ffc400; color: #141414; border-color: #ffc400;
                      font-weight: bold; }
"""


class ModeSwitch(QWidget):
    """Photo · Video · Call: a segmented control; the chosen one is highlighted and says so to
    screen readers."""

    mode_changed = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.setStyleSheet(MODE_STYLE)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QToolButton] = {}
        for key, label in MODES:
            b = QToolButton()
            b.setText(label)
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAccessibleName(f"{label} mode")
            b.setToolTip({"photo": "Photos with the effect", "video": "Record with the effect",
                          "call": "What others see in a call (V)"}[key])  # fmt: skip
            self.group.addButton(b)
            b.clicked.connect(lambda _=False, k=key: self.mode_changed.emit(k))
            lay.addWidget(b)
            self.buttons[key] = b

    def show_mode(self, mode: str) -> None:
        for key, b in self.buttons.items():
            b.blockSignals(True)
            b.setChecked(key == mode)
            b.setAccessibleDescription("selected" if key == mode else "")
            b.blockSignals(False)


class Countdown:
    """Counts down over the viewfinder, then fires; a second press cancels it."""

    def __init__(self, owner: QWidget, show, fire) -> None:
        self._show, self._fire = show, fire
        self._left = 0
        self._timer = QTimer(owner, interval=1000)
        self._timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self, seconds: int) -> None:
        if self.running:
            self.cancel()
            return
        if seconds <= 0:
            self._fire()
            return
        self._left = seconds
        self._show(self._left)
        self._timer.start()

    def cancel(self) -> None:
        self._timer.stop()
        self._show(0)

    def _tick(self) -> None:
        self._left -= 1
        if self._left > 0:
            self._show(self._left)
            return
        self._timer.stop()
        self._show(0)
        self._fire()
