"""The README's screenshots of the real window, in each mode at 960 and 480 px wide, with the
photo viewer and the shortcut sheet.

Runs the app's own MainWindow on the demo scene on a virtual X screen (Xvfb, started here when
there is no display), waits until the picture has settled, and saves what the X server shows:
assets/window.jpg (Photo mode), assets/window-video.jpg (Video mode, recording),
assets/window-call.jpg (Call mode, HUD on, the virtual camera asked for: on a machine without
one, the message saying how to make one), assets/viewer.jpg (the in-app viewer after a photo),
assets/window-sheet.jpg (the ? sheet), and the three modes 480 px wide:
assets/window-480.jpg (with the photo's "Saved" message), window-480-video.jpg,
window-480-call.jpg.
Run: .venv/bin/python scripts/window_screenshot.py [--folder assets]
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
    parser.add_argument("--folder", default=str(ROOT / "assets"))
    parser.add_argument("--frames", type=int, default=60, help="frames to show before a shot")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            sys.exit("no display and no xvfb-run: run scripts/setup (as root) first")
        os.environ.pop("QT_QPA_PLATFORM", None)
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, *sys.argv]
        sys.exit(subprocess.run(cmd).returncode)

    from PyQt6.QtGui import QImage
    from PyQt6.QtWidgets import QApplication

    from app.common.files import write_file
    from app.outputs.images import encode_image
    from app.sources.base import BACK, SourceInfo
    from app.sources.demo import DemoSource
    from app.ui.settings import Settings
    from app.ui.theme import apply_dark_theme
    from app.ui.window import MainWindow

    folder = Path(args.folder)
    if not folder.is_dir():
        sys.exit(f"window_screenshot: {folder} is not a folder")
    app = QApplication(["focuscam"])
    apply_dark_theme(app)

    def settle(n: int = 20) -> None:
        for _ in range(n):
            app.processEvents()
            time.sleep(0.01)

    def save(widget, name: str) -> None:
        settle()
        g = widget.frameGeometry()
        shot = app.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height())
        img = shot.toImage().convertToFormat(QImage.Format.Format_BGR888)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        rows = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
        bgr = rows[:, : img.width() * 3].reshape(img.height(), img.width(), 3)
        write_file(folder / name, encode_image(bgr, ".jpg", 88), overwrite=True)
        print(f"wrote {folder / name} ({img.width()}x{img.height()})")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp) / "settings.ini")
        settings.set("strength", 0.7)
        settings.set("photo_folder", str(Path(tmp) / "photos"))
        demo = SourceInfo("demo scene", "demo", BACK)  # as `live` lists it: not mirrored
        win = MainWindow([demo], lambda info: DemoSource((1280, 720)), settings)
        win.fit_picture((960, 540))
        win.move(0, 0)
        win.show()
        try:
            deadline = time.monotonic() + 60
            while win.pipeline.stats.frames_displayed < args.frames and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.005)
            save(win, "window.jpg")

            def frames(n: int) -> None:
                shown = win.pipeline.stats.frames_displayed
                while win.pipeline.stats.frames_displayed < shown + n:
                    app.processEvents()
                    time.sleep(0.005)

            def video_and_call(suffix: str) -> None:
                win.controller.set_mode("video")
                win.controller.press_shutter()  # recording
                frames(70)
                win._update_hud()  # the REC time
                save(win, f"window{suffix}-video.jpg")
                win.controller.press_shutter()
                win.controller.set_mode("call")
                win.hud.setChecked(not suffix)  # the HUD in the wide window only
                win.call_outputs.toggle_camera()
                frames(30)
                win._update_hud()
                save(win, f"window{suffix}-call.jpg")
                if win.call_outputs.camera_on:
                    win.call_outputs.toggle_camera()
                win.dismiss_message()
                win.controller.set_mode("photo")
                win.hud.setChecked(False)

            video_and_call("")
            win.controller.take_photo().result(timeout=60)
            settle(40)
            viewer = win.controller.open_viewer()
            viewer.move(0, 0)
            save(viewer, "viewer.jpg")
            viewer.close()
            win.controller.toggle_shortcuts()  # the ? sheet
            save(win, "window-sheet.jpg")
            win.controller.toggle_shortcuts()
            win.fit_picture((480, 270))  # a narrow window
            settle(20)
            win.controller.take_photo().result(timeout=60)
            settle(40)
            save(win, "window-480.jpg")
            video_and_call("-480")
        finally:
            # Always: a shot that fails must not leave the window and its threads running.
            win.close()


if __name__ == "__main__":
    main()
