"""The dark look camera apps have: Qt's Fusion style with a dark palette."""

from __future__ import annotations

from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication

_COLOURS = {
    QPalette.ColorRole.Window: (28, 28, 30),
    QPalette.ColorRole.WindowText: (235, 235, 240),
    QPalette.ColorRole.Base: (18, 18, 20),
    QPalette.ColorRole.AlternateBase: (38, 38, 42),
    QPalette.ColorRole.ToolTipBase: (45, 45, 50),
    QPalette.ColorRole.ToolTipText: (235, 235, 240),
    QPalette.ColorRole.Text: (235, 235, 240),
    QPalette.ColorRole.Button: (44, 44, 48),
    QPalette.ColorRole.ButtonText: (235, 235, 240),
    QPalette.ColorRole.Highlight: (255, 196, 0),
    QPalette.ColorRole.HighlightedText: (20, 20, 20),
}


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, rgb in _COLOURS.items():
        palette.setColor(role, QColor(*rgb))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):  # fmt: skip
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 125))
    app.setPalette(palette)
