"""Run by tests/test_gl.py in its own process, on Xvfb through Qt's xcb platform: opens the real
window with the GL viewfinder on a video file, checks it against the CPU reference, and prints
one JSON line of findings. (A separate process because the rest of the suite runs Qt offscreen,
and a process has one Qt platform.)"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import OpenGL.GL
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QApplication

readbacks = []
_read_pixels = OpenGL.GL.glReadPixels


def counting_read_pixels(*args, **kwargs):
    readbacks.append(args)
    return _read_pixels(*args, **kwargs)


OpenGL.GL.glReadPixels = counting_read_pixels  # the live preview must never call it


def to_bgr(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_BGR888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    return np.frombuffer(ptr, np.uint8).reshape(h, bpl)[:, : w * 3].reshape(h, w, 3).copy()


def main() -> None:
    clip, settings_path, effect = sys.argv[1], sys.argv[2], sys.argv[3]
    from app.compositing.cpu import CpuCompositor
    from app.sources.base import FRONT, SourceInfo
    from app.sources.files import FileSource
    from app.ui.settings import Settings
    from app.ui.window import MainWindow

    app = QApplication(["focuscam-test"])
    settings = Settings(settings_path)
    settings.set("effect", effect)
    info = SourceInfo("test clip", "clip", FRONT)

    def make(_info):
        src = FileSource(Path(clip), facing=FRONT)
        src.info = info
        return src

    win = MainWindow([info], make, settings, compositor="gl")
    win.resize(640, 360 + win.controls.sizeHint().height())
    win.show()
    vf = win.viewfinder
    deadline = time.monotonic() + 60
    while win.pipeline.stats.frames_displayed < 30 and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    # Hold the pipeline still so that the picture and the result we compare with agree.
    for t in list(win.pipeline._retired) + [win.pipeline.capture]:
        t.stop()
    for _ in range(50):
        app.processEvents()
        time.sleep(0.01)
    shown = vf.result
    vf.update()
    app.processEvents()
    picture = to_bgr(vf.grabFramebuffer())
    rect = vf.picture_rect()
    dpr = vf.devicePixelRatioF()
    x, y = round(rect.left() * dpr), round(rect.top() * dpr)
    w, h = round(rect.width() * dpr), round(rect.height() * dpr)
    gl_img = picture[y : y + h, x : x + w]
    spec = shown.request.spec
    cpu_img = CpuCompositor().render(shown.frame.image, shown.matte, spec, (w, h))
    if shown.request.mirror:
        cpu_img = np.ascontiguousarray(cpu_img[:, ::-1])
    diff = np.abs(gl_img.astype(int) - cpu_img.astype(int))
    report = {
        "compositor": win.compositor_description,
        "frames_displayed": win.pipeline.stats.frames_displayed,
        "readbacks_during_preview": len(readbacks),
        "frame_texture_creations": vf.gl.uploads if vf.gl else -1,
        "size": [w, h],
        "mean_diff": float(diff.mean()),
        "p99_diff": float(np.percentile(diff, 99)),
        "mirrored": shown.request.mirror,
    }
    win.close()
    report["gl_released"] = vf.gl is None
    print(json.dumps(report))


if __name__ == "__main__":
    main()
