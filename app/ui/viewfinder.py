"""The CPU viewfinder: paints the picture the worker composited at exactly the widget's size.

The HUD, messages and flash are shared with the GL viewfinder (OverlayMixin).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PyQt6.QtCore import QRect, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from app.frames import now_ns
from app.pipeline import Result
from app.ui.message import MessageBand

# What a viewfinder takes from the worker (its ``consumes``).
PICTURE, FRAME_AND_MATTE = "picture", "frame and matte"


def to_qimage(bgr: np.ndarray) -> QImage:
    """A QImage that shares ``bgr``'s memory (keep the array alive while it is painted)."""
    h, w = bgr.shape[:2]
    return QImage(bgr.data, w, h, bgr.strides[0], QImage.Format.Format_BGR888)


def _fill_around(p: QPainter, widget: QRect, picture: QRectF) -> None:
    """Paint ``widget`` black where ``picture`` does not cover every pixel fully."""
    black = QColor(0, 0, 0)
    x0, y0 = math.ceil(picture.left()), math.ceil(picture.top())
    x1, y1 = math.floor(picture.right()), math.floor(picture.bottom())
    w, h = widget.width(), widget.height()
    if x1 <= x0 or y1 <= y0:
        p.fillRect(widget, black)
        return
    for x, y, rw, rh in ((0, 0, w, y0), (0, y1, w, h - y1), (0, y0, x0, y1 - y0),
                         (x1, y0, w - x1, y1 - y0)):  # fmt: skip
        if rw > 0 and rh > 0:
            p.fillRect(QRect(x, y, rw, rh), black)



def wrap_to_width(lines: list[str], fm, width: int) -> list[str]:
    """``lines`` broken at spaces wherever one is wider than ``width`` pixels (``fm``: the font's
    metrics), so that a narrow window shows all of a line instead of cutting it."""
    out = []
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and fm.horizontalAdvance(candidate) > width:
                out.append(current)
                current = word
            else:
                current = candidate
        out.append(current)
    return out

class OverlayMixin:
    """HUD, overlay message and shutter flash, painted with QPainter over any viewfinder."""

    def _init_viewfinder(self) -> None:
        """What every viewfinder starts with (the Qt base class is initialised first)."""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.result: Result | None = None
        self.soft = False  # the last frame, softened, while a new camera opens
        self.band = MessageBand(self)  # the message, clear of the faces (message.py)
        self._message = ""
        self.hud_lines: list[str] = []
        self._sheet_rows: list[tuple[str, str]] = []  # the ? sheet: (keys, what they do)
        self.sheet_columns = (0, 0)  # where the last paint put its two columns (x)
        # Where the last paint put each overlay (tests check that each fits the widget).
        self.overlay_rects: dict[str, QRect] = {}
        self.count = 0  # a countdown's number, drawn large (0: none)
        self._flash = 0.0
        self._flash_timer = QTimer(self, interval=16)
        self._flash_timer.timeout.connect(self._fade)

    @property
    def message(self) -> str:
        """The message shown in the band ("" for none)."""
        return self._message

    @message.setter
    def message(self, text: str) -> None:
        if text != self._message:
            self._message = text
            self.band.set_text(text)
        self.place_band()

    @property
    def sheet_rows(self) -> list[tuple[str, str]]:
        """The ? sheet's rows (keys, what they do); empty while it is not up."""
        return self._sheet_rows

    @sheet_rows.setter
    def sheet_rows(self, rows: list[tuple[str, str]]) -> None:
        self._sheet_rows = rows
        self.place_band()

    def face_rects(self) -> list[QRectF]:
        """The faces the worker last found, in widget coordinates, with a margin for the
        hair and the chin (none before the first picture)."""
        result, pic = self.result, self.picture_rect()
        if result is None or pic.isEmpty():
            return []
        rects = []
        for f in result.faces:
            x0, x1 = (1 - f.x1, 1 - f.x0) if result.request.mirror else (f.x0, f.x1)
            w, h = (x1 - x0) * pic.width(), (f.y1 - f.y0) * pic.height()
            rects.append(QRectF(pic.left() + x0 * pic.width() - 0.15 * w,
                                pic.top() + f.y0 * pic.height() - 0.25 * h,
                                1.3 * w, 1.4 * h))  # fmt: skip
        return rects

    def place_band(self) -> None:
        """Show the message band where it covers no face, or hide it (no message, or the ?
        sheet is up: the sheet is then all there is to read)."""
        if not self._message or self._sheet_rows:
            self.band.hide()
            self.update()
            return
        pic = self.picture_rect()
        if pic.isEmpty():
            pic = QRectF(self.rect())
        self.band.place(pic, self.face_rects(), self.overlay_rects.get("hud"),
                        self.self_view_rect())  # fmt: skip
        self.band.show()
        self.band.raise_()
        self.update()

    def show_count(self, n: int) -> None:
        self.count = n
        self.update()

    def flash(self) -> None:
        self._flash = 1.0
        self._flash_timer.start()
        self.update()

    def _fade(self) -> None:
        self._flash = max(0.0, self._flash - 0.12)
        if self._flash == 0.0:
            self._flash_timer.stop()
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(event.position())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.resized.emit()
        if self._message:
            self.place_band()

    def picture_size(self) -> tuple[int, int] | None:
        """The pixel size of what is shown (None when nothing is)."""
        raise NotImplementedError

    def picture_rect(self) -> QRectF:
        """Where the picture goes: centred, as large as fits, aspect kept. The CPU worker renders
        at exactly this size, so normally no scaling happens; a small camera is scaled up."""
        size = self.picture_size()
        if size is None:
            return QRectF()
        iw, ih = size
        s = min(self.width() / iw, self.height() / ih)
        w, h = iw * s, ih * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def device_size(self) -> tuple[int, int]:
        dpr = self.devicePixelRatioF()
        return max(2, round(self.width() * dpr)), max(2, round(self.height() * dpr))

    def _label(self, p: QPainter, rect: QRect, text: str) -> None:
        p.setFont(QFont(self.font().family(), 10))
        fm = p.fontMetrics()
        r = fm.boundingRect(rect, Qt.AlignmentFlag.AlignLeft, text).adjusted(-6, -3, 6, 3)
        p.fillRect(r, QColor(0, 0, 0, 150))
        p.setPen(QColor(255, 255, 255))
        p.drawText(rect, Qt.AlignmentFlag.AlignLeft, text)

    def self_view_rect(self) -> QRectF:
        """Where the call preview's self-view goes (bottom right), empty when there is none."""
        result = self.result
        if result is None or result.self_view is None:
            return QRectF()
        target, dpr = self.picture_rect(), self.devicePixelRatioF()
        sh, sw = (n / dpr for n in result.self_view.shape[:2])
        return QRectF(target.right() - sw - 12, target.bottom() - sh - 12, sw, sh)

    def _paint_call(self, p: QPainter, target: QRectF, self_view: QImage) -> None:
        """Call preview: your mirrored self-view in the corner, and what the big picture is."""
        box = self.self_view_rect()
        p.drawImage(box, self_view)
        p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawRect(box)
        # Top right, clear of the self-view and the messages (bottom); under the HUD (top
        # left, where the last paint put it) in a window too narrow for both side by side.
        p.setFont(QFont(self.font().family(), 10))
        text = "Call preview: what others see (720p, not mirrored)"
        w = p.fontMetrics().horizontalAdvance(text)
        w = min(w, int(target.width()) - 24)
        text = p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, w)
        where = QRect(int(target.right()) - 12 - w, int(target.top()) + 12, w + 2, 24)
        hud = self.overlay_rects.get("hud")
        if hud is not None and hud.adjusted(0, 0, 6, 6).intersects(where):
            where.moveTop(hud.bottom() + 12)
        self._label(p, where, text)

    def _paint_overlay(self, p: QPainter) -> None:
        self.overlay_rects = {}
        if self.hud_lines:
            p.setFont(QFont("monospace", 9))
            fm = p.fontMetrics()
            lh = fm.height()
            lines = wrap_to_width(self.hud_lines, fm, self.width() - 32)
            w = max(fm.horizontalAdvance(line) for line in lines) + 16
            box = QRect(8, 8, w, lh * len(lines) + 10)
            p.fillRect(box, QColor(0, 0, 0, 160))
            p.setPen(QColor(120, 255, 160))
            for i, line in enumerate(lines):
                p.drawText(16, 8 + 5 + fm.ascent() + i * lh, line)
            self.overlay_rects["hud"] = box
        if self.sheet_rows:
            self._paint_sheet(p)
        if self.band.isVisible():
            self.overlay_rects["message"] = self.band.geometry()

    def _paint_sheet(self, p: QPainter) -> None:
        """The shortcuts in two columns (keys right-aligned, what they do left-aligned), in the
        largest font (13 down to 6 points) that fits the whole sheet in the widget; a
        description still too wide is shortened with an ellipsis."""
        rows, room = self.sheet_rows, self.rect().adjusted(12, 12, -12, -12)
        for size in range(13, 5, -1):
            p.setFont(QFont(self.font().family(), size))
            fm = p.fontMetrics()
            keys_w = max(fm.horizontalAdvance(k) for k, _ in rows)
            what_w = max(fm.horizontalAdvance(w) for _, w in rows)
            height = fm.height() * len(rows) + 20
            if height <= room.height() and keys_w + what_w + 56 <= room.width():
                break
        gap, lh = 16, fm.height()
        what_w = min(what_w, room.width() - keys_w - gap - 40)
        box = QRect(0, 0, keys_w + gap + what_w + 40, min(height, room.height()))
        box.moveCenter(room.center())
        p.fillRect(box, QColor(0, 0, 0, 200))
        p.setPen(QColor(255, 255, 255))
        x_keys, x_what = box.left() + 20, box.left() + 20 + keys_w + gap
        for i, (keys, what) in enumerate(rows):
            y = box.top() + 10 + i * lh
            if y + lh > box.bottom():
                break
            p.drawText(QRect(x_keys, y, keys_w, lh), Qt.AlignmentFlag.AlignRight, keys)
            text = fm.elidedText(what, Qt.TextElideMode.ElideRight, what_w)
            p.drawText(QRect(x_what, y, what_w, lh), Qt.AlignmentFlag.AlignLeft, text)
        self.overlay_rects["sheet"] = box
        self.sheet_columns = (x_keys, x_what)
        if self.count:
            font = QFont(self.font().family())
            font.setPixelSize(max(48, self.height() // 3))
            font.setBold(True)
            p.setFont(font)
            p.setPen(QColor(255, 255, 255, 230))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, str(self.count))
        if self._flash > 0:
            p.fillRect(self.rect(), QColor(255, 255, 255, int(220 * self._flash)))


class Viewfinder(OverlayMixin, QWidget):
    """Shows the newest Result, the HUD, an overlay message and the shutter flash.

    ``painted`` is emitted after each paint with the Result shown, stamped when the paint
    finished: that stamp minus the capture stamp is the latency the HUD and stats report.
    """

    resized = pyqtSignal()
    painted = pyqtSignal(object, object)  # (Result, paint-finished ns: too big for a C int)
    clicked = pyqtSignal(object)  # QPointF: where the picture was clicked (widget pixels)
    # What this viewfinder takes: the composited picture (the worker renders it at its size).
    consumes = PICTURE

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_viewfinder()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self._bgra: np.ndarray | None = None  # the picture as painted (``_screen_image``)
        self._self_view: tuple[QImage, np.ndarray] | None = None

    # -- input -------------------------------------------------------------------------------
    def _screen_image(self, bgr: np.ndarray) -> QImage:
        """``bgr`` as a 32-bit image (B, G, R, 255 in memory: Qt's RGB32), the format of the
        window's backing store, so that painting it is a plain copy. Qt would otherwise convert
        the 24-bit picture while painting, on its pooled threads, at a cost many times this
        conversion's (the buffer is kept between frames)."""
        h, w = bgr.shape[:2]
        buf = self._bgra
        if buf is None or buf.shape[:2] != (h, w):
            buf = np.empty((h, w, 4), np.uint8)
        cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA, dst=buf)
        self._bgra = buf
        return QImage(buf.data, w, h, buf.strides[0], QImage.Format.Format_RGB32)

    def show_result(self, result: Result) -> None:
        self.result = result
        self._array = result.view
        self._image = None
        if result.view is not None:
            self._image = self._screen_image(result.view)
        sv = result.self_view
        self._self_view = (to_qimage(sv), sv) if sv is not None else None
        self.soft = False
        if self._message:
            self.place_band()  # the faces may have moved
        self.update()

    def soften(self) -> None:
        """Keep the last picture on screen, blurred, until the next source's first frame."""
        if self._array is not None and not self.soft:
            h, w = self._array.shape[:2]
            small = cv2.resize(
                self._array, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA
            )
            soft = cv2.resize(cv2.GaussianBlur(small, (0, 0), 2), (w, h))
            self._array = (soft * 0.6).astype(np.uint8)
            self._image = to_qimage(self._array)
            self._self_view = None
            self.soft = True
        self.update()

    def picture_size(self) -> tuple[int, int] | None:
        return None if self._image is None else (self._image.width(), self._image.height())

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        if self._image is None:
            p.fillRect(self.rect(), QColor(0, 0, 0))
        else:
            target = self.picture_rect()
            _fill_around(p, self.rect(), target)  # not under the picture: one write per pixel
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, self._image)
            if self._self_view is not None:
                self._paint_call(p, target, self._self_view[0])
        self._paint_overlay(p)
        p.end()
        if self.result is not None and not self.soft:
            self.painted.emit(self.result, now_ns())
