"""The core runs headless: no PyQt6 import outside app/ui."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "app.cli", "app.commands.process", "app.commands.bench", "app.frames",
    "app.common.images", "app.lab.synthetic", "app.segmentation.engine",
    "app.segmentation.refine", "app.compositing.cpu", "app.pipeline", "app.steps.photo",
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


def test_every_package_under_app_is_in_the_wheel():
    """pyproject lists packages (assets/ ships as app.assets); a new one must not be forgotten."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(root).parts)
        for p in (root / "app").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found | {"app.assets"} == listed


def test_the_app_and_its_demo_run_without_the_lab_and_mediapipe_packages(tmp_path):
    """`pip install .` brings no scikit-image, SciPy, matplotlib or mediapipe: the app (demo
    scene included) must not need them."""
    still, photo = str(tmp_path / "s.jpg"), str(tmp_path / "p.jpg")
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('skimage', 'scipy', 'matplotlib', 'mediapipe'):\n"
        "            raise ImportError(f'{name} is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from app.cli import main\n"
        f"assert main(['still', '--source', 'demo', '-t', '0.2', '-o', {still!r}]) == 0\n"
        f"assert main(['process', {still!r}, '-o', {photo!r}]) == 0\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "p.jpg").is_file()
