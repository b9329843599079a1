"""The README's screenshot of the real window: the live viewfinder on the demo scene.

Runs the app's own MainWindow on a virtual X screen (Xvfb, started here when there is no
display), waits until the picture has settled, and saves what the X server shows.
Run: .venv/bin/python scripts/window_screenshot.py [-o assets/window.jpg]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "assets" / "window.jpg"))
    parser.add_argument("--frames", type=int, default=60, help="frames to show before the shot")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            sys.exit("no display and no xvfb-run: run scripts/setup (as root) first")
        os.environ.pop("QT_QPA_PLATFORM", None)
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, *sys.argv]
        sys.exit(subprocess.run(cmd).returncode)

    from PyQt6.QtWidgets import QApplication

    from app.sources.base import SourceInfo
    from app.sources.demo import DemoSource
    from app.ui.settings import Settings
    from app.ui.window import MainWindow

    app = QApplication(["focuscam"])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp) / "settings.ini")
        settings.set("hud", True)
        settings.set("strength", 0.7)
        demo = SourceInfo("demo scene", "demo")
        win = MainWindow([demo], lambda info: DemoSource((1280, 720)), settings)
        win.resize(960, 540 + win.controls.sizeHint().height())
        win.move(0, 0)
        win.show()
        deadline = time.monotonic() + 60
        while win.pipeline.stats.frames_displayed < args.frames and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        win._update_hud()
        for _ in range(20):  # let the HUD repaint
            app.processEvents()
            time.sleep(0.01)
        shot = app.primaryScreen().grabWindow(0, 0, 0, win.frameGeometry().width(),
                                              win.frameGeometry().height())  # fmt: skip
        win.close()
    if shot.isNull():
        sys.exit("could not grab the window")
    from PyQt6.QtGui import QImage

    from app.outputs.files import write_file
    from app.outputs.images import encode_image

    img = shot.toImage().convertToFormat(QImage.Format.Format_BGR888)
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
    bgr = rows[:, : img.width() * 3].reshape(img.height(), img.width(), 3)
    write_file(Path(args.output), encode_image(bgr, Path(args.output).suffix, 90), overwrite=True)
    print(f"wrote {args.output} ({shot.width()}x{shot.height()})")


if __name__ == "__main__":
    main()
