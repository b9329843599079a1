"""The control bar under the viewfinder. Widgets only: it says what the user did through
signals and never acts itself, so the window stays the one place with behaviour."""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QFont, QFontMetrics
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QToolButton,
    QWidget,
    QWidgetAction,
)  # fmt: skip

from app.common.images import BACKGROUND_PRESETS
from app.compositing.spec import EFFECT_LABELS, STRENGTH_EFFECTS
from app.segmentation.runtimes import RUNTIMES
from app.ui.shutter import COUNTDOWNS, ModeSwitch, ShutterButton

EFFECTS = tuple(EFFECT_LABELS.items())  # (key, label) in the order the B key cycles
LOOK_ON = 0.6  # studio light and touch-up as S and U turn them on
LOW_LIGHT_TEXT = {"auto": "on when the picture is dark and noisy", "on": "on", "off": "off"}
PHOTO_OPTIONS = (
    ("save_original", "Also save the unblurred original"),
    ("save_matte", "Also save the matte (PNG)"),
    ("mirror_photos", "Mirror saved photos"),
)


def _nofocus(w):
    w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space stays the shutter, whatever was clicked
    return w


MENU_ARROW = " ▾"
MENU_STYLE = "QToolButton::menu-indicator { image: none; width: 0px; }"
LOOK_ON_STYLE = " QToolButton { color: #ffc400; }"


def _menu_button(text: str, tip: str, name: str) -> tuple[QToolButton, QMenu]:
    """A button that opens its (empty) menu at a click, and the menu. One arrow, ours, after
    the text (``MENU_ARROW``; none on ⋯): the style's own indicator, drawn over the text by
    some styles, is off."""
    button = _nofocus(QToolButton())
    button.setStyleSheet(MENU_STYLE)
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(name)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    button.setMenu(menu)
    return button, menu


class ControlBar(QWidget):
    shutter_clicked = pyqtSignal()
    switch_clicked = pyqtSignal()
    background_clicked = pyqtSignal()
    folder_clicked = pyqtSignal()
    thumbnail_clicked = pyqtSignal()
    virtual_camera_clicked = pyqtSignal()
    record_clicked = pyqtSignal()
    changed = pyqtSignal(str, object)  # (setting key, new value)
    camera_chosen = pyqtSignal(int)  # index in the window's camera list
    size_chosen = pyqtSignal(str)  # "WxH", or "" for the camera's default

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shutter = ShutterButton()
        self.shutter.clicked.connect(self.shutter_clicked)
        self.modes = ModeSwitch()
        self.modes.mode_changed.connect(lambda m: self.changed.emit("mode", m))
        self.countdown = _nofocus(QToolButton())
        self.countdown.setAccessibleName("Countdown")
        self.countdown.clicked.connect(self._next_countdown)
        self._countdown_s = 0
        # Next camera: the camera menu's first entry (and C), greyed with one camera
        self.switch = QAction("Next camera (C)", self)
        self.switch.setToolTip("Next camera (C)")
        self.switch.triggered.connect(lambda _=False: self.switch_clicked.emit())
        self.camera_label, self.camera_menu = _menu_button(
            "", "Pick a camera and its resolution by name (K)", "Camera"
        )
        self.effect = _nofocus(QComboBox())
        for key, label in EFFECTS:
            self.effect.addItem(label, key)
        self.effect.setToolTip("Background effect (B)")
        self.effect.setAccessibleName("Effect")
        self.effect.currentIndexChanged.connect(
            lambda _: self.changed.emit("effect", self.effect.currentData())
        )
        self.strength = _nofocus(QSlider(Qt.Orientation.Horizontal))
        self.strength.setRange(0, 100)
        self.strength.setFixedWidth(60)
        self.strength.setToolTip("Blur strength ([ and ])")
        self.strength.setAccessibleName("Blur strength")
        self.strength.valueChanged.connect(lambda v: self.changed.emit("strength", v / 100))
        # the slider's value beside it (the effect's name before it says what it is)
        self.strength_label = QLabel()
        self.strength_label.setAccessibleName("Blur strength")
        self.strength_label.setFixedWidth(self.strength_label.fontMetrics().horizontalAdvance(
            "100%") + 4)  # fmt: skip
        self.strength.valueChanged.connect(self._show_strength)
        self._show_strength(self.strength.value())
        self.pick_bg, bg_menu = _menu_button(
            "Backdrop" + MENU_ARROW,
            "Picture for the Replace effect: a preset, or one of yours (G)",
            "Background",
        )  # fmt: skip
        self.presets = {}
        for name, label in BACKGROUND_PRESETS.items():
            act = bg_menu.addAction(label)
            act.triggered.connect(lambda _=False, n=name: self._preset(n))
            self.presets[name] = act
        bg_menu.addSeparator()
        bg_menu.addAction("Choose image…", self.background_clicked.emit)
        # Mirror lives in the camera menu, the HUD in ⋯ (their keys: M and H): the bar keeps
        # one row at the default width.
        self.mirror = self._toggle("Mirror the preview (M)", "mirror")
        # Looks that combine with every effect: studio light, touch-up, low light.
        self.look, look_menu = _menu_button(
            "Look" + MENU_ARROW, "Studio light (S), touch-up (U), low light (N)", "Look"
        )
        look_menu.setToolTipsVisible(True)
        self.light = self._menu_slider(look_menu, "Studio light (S)", "light")
        self.touch_up = self._menu_slider(look_menu, "Touch-up (U)", "touch_up")
        look_menu.addSeparator()
        look_menu.addSection("Low light (N)")
        group = QActionGroup(look_menu)
        self.low_light = {}
        for mode in ("auto", "on", "off"):
            act = look_menu.addAction(f"{mode.capitalize()}: {LOW_LIGHT_TEXT[mode]}"
                                      if mode == "auto" else mode.capitalize())  # fmt: skip
            act.setCheckable(True)
            act.setActionGroup(group)
            act.triggered.connect(lambda _=False, m=mode: self.changed.emit("low_light", m))
            self.low_light[mode] = act
        self.hud = self._toggle("Show the HUD: frame rate, latency, timings (H)", "hud")
        self.thumb = _nofocus(QToolButton())
        self.thumb.setIconSize(QSize(48, 27))
        self.thumb.setToolTip("Look at the last shots (L)")
        self.thumb.setAccessibleName("Last shots")
        self.thumb.clicked.connect(self.thumbnail_clicked)
        # Its place is kept while there is no photo yet: the layout (and so the viewfinder)
        # never moves when the first photo's thumbnail appears.
        policy = self.thumb.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.thumb.setSizePolicy(policy)
        self.thumb.hide()
        self.more, menu = _menu_button(
            "⋯", "Photo folder, what is saved with each photo, calls, runtime (Ctrl+,)", "More"
        )
        menu.setToolTipsVisible(True)
        menu.addAction("Photo folder…", self.folder_clicked.emit)
        self.options = {}
        for key, label in PHOTO_OPTIONS:
            act = menu.addAction(label)
            act.setCheckable(True)
            act.toggled.connect(lambda v, k=key: self.changed.emit(k, v))
            self.options[key] = act
        menu.addSeparator()
        self.auto_frame = menu.addAction("Auto-frame the call picture (A)")
        self.auto_frame.setCheckable(True)
        self.auto_frame.toggled.connect(lambda v: self.changed.emit("auto_frame", v))
        self.virtual_camera = menu.addAction("Virtual camera for calls (W)")
        self.virtual_camera.setCheckable(True)
        self.virtual_camera.triggered.connect(lambda _=False: self.virtual_camera_clicked.emit())
        self.record = menu.addAction("Record the call picture (R)")
        self.record.setCheckable(True)
        self.record.triggered.connect(lambda _=False: self.record_clicked.emit())
        menu.addSeparator()
        menu.addAction(self.hud)
        runtime_menu = menu.addMenu("Runtime")
        runtime_menu.setToolTipsVisible(True)
        group = QActionGroup(runtime_menu)
        self.runtimes = {}
        for name, runtime in RUNTIMES.items():
            act = runtime_menu.addAction(runtime.privacy)
            act.setCheckable(True)
            act.setActionGroup(group)
            act.triggered.connect(lambda _=False, n=name: self.changed.emit("runtime", n))
            self.runtimes[name] = act
        self.segment_auto = menu.addAction("Run the model only when the picture changes")
        self.segment_auto.setCheckable(True)
        self.segment_auto.setToolTip(
            "Less CPU when you sit still: the model runs when you move, at least every 4th frame"
        )
        self.segment_auto.toggled.connect(
            lambda on: self.changed.emit("segment_every", "auto" if on else "1")
        )

        # The recording's running time beside the shutter, as camera apps show it.
        self.rec_time = QLabel()
        self.rec_time.setAccessibleName("Recording time")
        self.rec_time.setStyleSheet("color: #ff5a4f; font-weight: bold;")
        bold = QFont(self.rec_time.font())
        bold.setBold(True)
        self.rec_time.setMinimumWidth(QFontMetrics(bold).horizontalAdvance("● 0:00:00"))
        # The timer, or while recording the running time, in one place as wide as the widest
        # of their texts: nothing moves when either changes.
        self.beside = QStackedWidget(self)
        self.beside.addWidget(self.countdown)
        self.beside.addWidget(self.rec_time)
        widest = max(_button_width(self.countdown, _timer_text(s)) for s in COUNTDOWNS)
        self.beside.setFixedWidth(max(widest, self.rec_time.minimumWidth()))
        strength = self._labelled(self.strength, self.strength_label)
        # Camera apps' order: the last shot and the camera at the far left, the mode next to
        # the shutter, the shutter in the middle, the timer beside it, the look at the right.
        self._far_left = (self.thumb, self.camera_label, self.look)
        self._near_left = (self.modes,)
        self._near_right = (self.beside,)
        self._far_right = (self.effect, strength, self.pick_bg, self.more)
        for w in (self.shutter, *self._far_left, *self._near_left, *self._near_right,
                  *self._far_right):  # fmt: skip
            w.setParent(self)
        self.rows = 1  # how many rows the last layout took (tests read it)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    # -- layout: one row with the shutter in the middle, or (narrow) the shutter's row and
    # the rest wrapped under it ---------------------------------------------------------------
    def _shown(self, widgets) -> list[QWidget]:
        return [w for w in widgets
                if not w.isHidden() or w.sizePolicy().retainSizeWhenHidden()]  # fmt: skip

    def _width(self, widgets) -> int:
        shown = self._shown(widgets)
        return sum(_hint(w).width() for w in shown) + SPACING * max(0, len(shown) - 1)

    def one_row_width(self) -> int:
        """The narrowest width that keeps every control on one row, the shutter centred."""
        left = self._width(self._far_left) + SPACING + self._width(self._near_left)
        right = self._width(self._near_right) + SPACING + self._width(self._far_right)
        return 2 * (max(left, right) + MARGIN + GAP) + self.shutter.sizeHint().width()

    def height_for(self, width: int) -> int:
        """The bar's height at ``width``."""
        return self._arrange(width, move=False)

    def _arrange(self, width: int, move: bool) -> int:
        sw, sh = self.shutter.sizeHint().width(), self.shutter.sizeHint().height()
        x_shutter = (width - sw) // 2
        if width >= self.one_row_width():
            every = [*self._far_left, *self._near_left, *self._near_right, *self._far_right]
            height = max(sh, *(w.sizeHint().height() for w in every)) + 2 * MARGIN_V
            if move:
                self.rows = 1
                mid = height // 2
                _put(self.shutter, x_shutter, mid)
                _row(self._shown(self._far_left), MARGIN, mid)
                _row(self._shown(self._near_left), x_shutter - GAP, mid, leftwards=True)
                _row(self._shown(self._near_right), x_shutter + sw + GAP, mid)
                _row(self._shown(self._far_right), width - MARGIN, mid, leftwards=True)
            return height
        # Narrow: the last shot, the shutter (centred) and the timer on the first row; the
        # rest wrapped under it, each row centred.
        first = max(sh, self.thumb.sizeHint().height())
        rest = self._shown([*self._near_left, self.camera_label, self.look,
                            *self._far_right])  # fmt: skip
        rows, row, used = [], [], 0
        for w in rest:
            need = _hint(w).width() + (SPACING if row else 0)
            if row and used + need > width - 2 * MARGIN:
                rows.append(row)
                row, used = [], 0
                need = _hint(w).width()
            row.append(w)
            used += need
        rows.append(row)
        if move:
            self.rows = 1 + len(rows)
            mid = MARGIN_V + first // 2
            _put(self.shutter, x_shutter, mid)
            _row(self._shown([self.thumb]), MARGIN, mid)
            _row(self._shown(self._near_right), width - MARGIN, mid, leftwards=True)
        y = MARGIN_V + first + SPACING
        for row in rows:
            row_h = max(_hint(w).height() for w in row)
            if move:
                _row(row, (width - self._width(row)) // 2, y + row_h // 2)
            y += row_h + SPACING
        return y - SPACING + MARGIN_V

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        width = self.width() if self.isVisible() else self.one_row_width()
        return QSize(self.one_row_width(), self.height_for(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self.thumb.sizeHint().width() + self.shutter.sizeHint().width()
                     + self._width(self._near_right) + 2 * MARGIN + 2 * SPACING,
                     self.height_for(480))  # fmt: skip

    def relayout(self) -> None:
        """Place every control for the bar's width; its height follows (its rows)."""
        if self.width() <= 1:
            return
        height = self._arrange(self.width(), move=True)
        if height != self.minimumHeight() or height != self.maximumHeight():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.relayout()

    def _menu_slider(self, menu: QMenu, text: str, key: str) -> QSlider:
        """A labelled 0..100 % slider inside ``menu`` for the setting ``key`` (0..1)."""
        box = QWidget()
        lay = QHBoxLayout(box)
        lay.setContentsMargins(12, 4, 12, 4)
        name, value = QLabel(text), QLabel("0%")
        value.setFixedWidth(value.fontMetrics().horizontalAdvance("100%") + 4)
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, 100)
        slider.setFixedWidth(120)
        slider.setAccessibleName(text)
        slider.valueChanged.connect(lambda v: value.setText(f"{v}%"))
        slider.valueChanged.connect(lambda v: self.changed.emit(key, v / 100))
        for w in (name, slider, value):
            lay.addWidget(w)
        act = QWidgetAction(menu)
        act.setDefaultWidget(box)
        menu.addAction(act)
        return slider

    def _toggle(self, text: str, key: str) -> QAction:
        """A checkable menu entry for the setting ``key`` (its tooltip says why when greyed)."""
        act = QAction(text, self)
        act.setCheckable(True)
        act.toggled.connect(lambda v: self.changed.emit(key, v))
        return act

    def set_cameras(
        self, names: list[str], current: int, sizes: list[str], size: str, is_camera: bool
    ) -> None:
        """The camera menu: every camera by name, then the sizes the current one offers."""
        menu = self.camera_menu
        menu.clear()
        menu.addAction(self.switch)
        menu.addSeparator()
        for i, name in enumerate(names):
            act = menu.addAction(name)
            act.setCheckable(True)
            act.setChecked(i == current)
            act.triggered.connect(lambda _=False, k=i: self.camera_chosen.emit(k))
        menu.setToolTipsVisible(True)
        menu.addSeparator()
        menu.addAction(self.mirror)
        res = menu.addMenu("Resolution")
        res.setEnabled(is_camera)
        res.setToolTip("" if is_camera else "Files and the demo scene keep their own size")
        for text in ["", *sizes]:
            act = res.addAction(text or "Camera's default (1280x720 if it has it)")
            act.setCheckable(True)
            act.setChecked(text == size)
            act.triggered.connect(lambda _=False, t=text: self.size_chosen.emit(t))

    def _preset(self, name: str) -> None:
        self.changed.emit("background", f"preset:{name}")

    def _next_countdown(self) -> None:
        i = COUNTDOWNS.index(self._countdown_s) if self._countdown_s in COUNTDOWNS else 0
        self.changed.emit("countdown", COUNTDOWNS[(i + 1) % len(COUNTDOWNS)])

    def show_settings(
        self, get, camera_text: str, can_switch: bool, camera_on: bool = False,
        recording: bool = False, front: bool = True,
    ) -> None:  # fmt: skip
        """Show the values ``get(key)`` returns, without echoing them back as changes."""
        widgets = (self.effect, self.strength, self.mirror, self.hud,
                   *self.options.values(), self.auto_frame, self.virtual_camera,
                   self.record, self.segment_auto, self.light, self.touch_up,
                   *self.low_light.values())  # fmt: skip
        for w in widgets:
            w.blockSignals(True)
        self.effect.setCurrentIndex(max(0, self.effect.findData(get("effect"))))
        self.strength.setValue(round(get("strength") * 100))
        self.mirror.setChecked(get("mirror"))
        mode = get("mode")
        self.modes.show_mode(mode)
        self.shutter.set_state(mode, recording if mode == "video" else camera_on)
        self._countdown_s = int(get("countdown"))
        self.countdown.setText(_timer_text(self._countdown_s))
        self.countdown.setEnabled(mode == "photo")
        self.countdown.setToolTip(
            "Countdown before a photo: off, 3 s, 10 s" if mode == "photo"
            else "The countdown is for photos (Photo mode)"
        )  # fmt: skip
        self.hud.setChecked(get("hud"))
        self.light.setValue(round(get("light") * 100))
        self.touch_up.setValue(round(get("touch_up") * 100))
        for mode, act in self.low_light.items():
            act.setChecked(get("low_light") == mode)
        # The button keeps its width (the bar does not move); its colour says a look is on.
        on = [f"{name} {round(v * 100)}%" for name, v in
              (("studio light", get("light")), ("touch-up", get("touch_up"))) if v > 0]
        lit = bool(on) or get("low_light") == "on"
        on += [f"low light {get('low_light')}"]
        self.look.setStyleSheet(MENU_STYLE + (LOOK_ON_STYLE if lit else ""))
        self.look.setToolTip("Studio light (S), touch-up (U), low light (N): " + ", ".join(on))
        for key, act in self.options.items():
            act.setChecked(get(key))
        for name, act in self.runtimes.items():
            act.setChecked(get("runtime") == name)
        self.auto_frame.setChecked(get("auto_frame"))
        self.segment_auto.setChecked(get("segment_every") == "auto")
        self.virtual_camera.setChecked(camera_on)
        self.record.setChecked(recording)
        for w in widgets:
            w.blockSignals(False)
        # Controls that do nothing now are disabled, and say why.
        blur = get("effect") in STRENGTH_EFFECTS
        self.strength.setEnabled(blur)
        self.strength_label.setEnabled(blur)
        self._show_strength(self.strength.value())
        self.strength.setToolTip(
            "Blur strength ([ and ])" if blur
            else "Blur strength (for the Blur and Lens effects; press B for them)"
        )
        self.mirror.setEnabled(front)
        self.mirror.setToolTip(
            "Mirror the preview of front cameras (M)" if front
            else "Only front cameras are mirrored: this source faces away (files, back cameras)"
        )  # fmt: skip
        fm = self.camera_label.fontMetrics()
        self.camera_label.setText(
            fm.elidedText(camera_text, Qt.TextElideMode.ElideMiddle, CAMERA_NAME_PX) + MENU_ARROW
        )
        facing = "front" if front else "back"
        self.camera_label.setToolTip(
            f"{camera_text} ({facing}-facing): pick a camera, its resolution, mirroring (K)"
        )
        self.switch.setEnabled(can_switch)
        self.switch.setToolTip(
            "Next camera (C)" if can_switch
            else "There is no other camera: plug one in and it appears here"
        )  # fmt: skip
        self.relayout()

    def show_recording(self, seconds: float | None) -> None:
        """The recording timer: "● 1:05" in red while recording, in the timer's place."""
        if seconds is None:
            self.beside.setCurrentWidget(self.countdown)
            return
        m, s = divmod(int(seconds), 60)
        h, m = divmod(m, 60)
        self.rec_time.setText(f"● {h}:{m:02d}:{s:02d}" if h else f"● {m}:{s:02d}")
        self.beside.setCurrentWidget(self.rec_time)

    def _show_strength(self, value: int) -> None:
        self.strength_label.setText(f"{value}%")

    def _labelled(self, widget: QWidget, label: QWidget) -> QWidget:
        """``widget`` and its ``label`` as one item of the bar: they wrap together."""
        box = QWidget(self)
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        lay.addWidget(widget)
        lay.addWidget(label)
        return box



MARGIN, MARGIN_V = 4, 6  # the bar's margins, left and right / top and bottom
SPACING = 5  # between controls
GAP = 8  # between the shutter and its neighbours
CAMERA_NAME_PX = 110  # a longer camera name is shortened in the middle (full in the tooltip)


def _timer_text(seconds: int) -> str:
    return f"Timer {seconds}s" if seconds else "Timer off"


def _button_width(button: QToolButton, text: str) -> int:
    old = button.text()
    button.setText(text)
    width = button.sizeHint().width()
    button.setText(old)
    return width


def _hint(w: QWidget) -> QSize:
    """The size a control is given: its size hint within its own minimum and maximum."""
    return w.sizeHint().expandedTo(w.minimumSize()).boundedTo(w.maximumSize())


def _put(w: QWidget, x: int, mid: int) -> None:
    hint = _hint(w)
    w.setGeometry(x, mid - hint.height() // 2, hint.width(), hint.height())


def _row(widgets: list[QWidget], x: int, mid: int, leftwards: bool = False) -> None:
    """``widgets`` side by side from ``x`` (to the right, or ending there: ``leftwards``),
    centred on the line ``mid``."""
    for w in reversed(widgets) if leftwards else widgets:
        width = _hint(w).width()
        if leftwards:
            x -= width
        _put(w, x, mid)
        x = x - SPACING if leftwards else x + width + SPACING
