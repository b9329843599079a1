"""The core runs headless: no PyQt6 import outside app/ui."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "app.cli", "app.commands.process", "app.commands.bench", "app.frames",
    "app.common.images", "app.lab.synthetic", "app.segmentation.engine",
    "app.segmentation.refine", "app.compositing.cpu", "app.pipeline", "app.engine.photo",
    "app.commands.still", "app.sources.registry", "app.sources.capture",
]  # fmt: skip


def test_core_modules_import_without_pyqt6():
    code = (
        "import sys, importlib\n"
        f"for m in {CORE!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.startswith('PyQt6')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_python_dash_m_app_is_the_focuscam_command():
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("focuscam ")
