"""The GL compositor against the CPU reference, with Mesa: offscreen through EGL, and the real
GL viewfinder window on Xvfb. These fail, never skip, when no GL context can be made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.lab.samples import scene
from app.lab.synthetic import Scene
from app.segmentation.engine import SegmentationEngine
from tests.conftest import write_video

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parent.parent
MEAN_MAX, P99_MAX = 1.5, 8.0  # out of 255


@pytest.fixture(scope="module")
def real_frames():
    """Frames of a real portrait swaying over a real photo, with the engine's real mattes."""
    s = Scene((1280, 720), "coffee.png", "sway", noise=2.0)
    frames = [s.frame(i).image for i in range(6)]
    with SegmentationEngine() as engine:
        mattes = [engine.process(f, i * 33_000_000)[0] for i, f in enumerate(frames)]
    return frames[2:], mattes[2:]


@pytest.fixture(scope="module")
def gl():
    from app.compositing.egl import OffscreenGlCompositor

    comp = OffscreenGlCompositor()  # GlError here fails every GL test: no skip
    yield comp
    comp.close()


SPECS = {
    "blur": lambda: EffectSpec("blur", 0.7),
    "blur-light": lambda: EffectSpec("blur", 0.15),
    "lens": lambda: EffectSpec("lens", 0.7),
    "lens-light": lambda: EffectSpec("lens", 0.15),
    "replace": lambda: EffectSpec("replace", background=scene("rocket.jpg")),
    "none": lambda: EffectSpec("none"),
    "matte": lambda: EffectSpec("matte"),
    "key": lambda: EffectSpec("key"),
    "key-blue": lambda: EffectSpec("key", key_color=(255, 71, 0)),
    "cutout": lambda: EffectSpec("cutout"),  # BGRA: the alpha channel compared too
}


@pytest.mark.parametrize("effect", list(SPECS))
@pytest.mark.parametrize("size", [None, (960, 540), (480, 270)])
def test_gl_matches_the_cpu_reference(gl, real_frames, effect, size):
    spec = SPECS[effect]()
    cpu = CpuCompositor()
    for frame, matte in zip(*real_frames, strict=True):
        a = cpu.render(frame, matte, spec, size)
        b = gl.render(frame, matte, spec, size)
        assert a.shape == b.shape
        d = np.abs(a.astype(int) - b.astype(int))
        assert d.mean() <= MEAN_MAX and np.percentile(d, 99) <= P99_MAX, (
            effect, size, d.mean(), np.percentile(d, 99),
        )  # fmt: skip


@pytest.mark.parametrize("looks", [dict(light=0.8), dict(low_light="on"), dict(touch_up=0.8),
                                   dict(light=0.5, low_light="on", touch_up=0.5)])
def test_the_looks_render_alike_on_the_gl_and_the_cpu_compositor(gl, looks):
    """Studio light, low light and touch-up are steps on the frame (looks.py) that both
    compositors start from: the pictures agree as for the effects alone."""
    from app.steps.step import FrameStep

    s = Scene((1280, 720), "coffee.png", "sway", noise=2.0)
    frames = [(s.frame(i).image * 0.4).astype(np.uint8) for i in range(5)]
    spec = EffectSpec("blur", 0.6, **looks)
    pictures = {}
    cpu = CpuCompositor()
    for name, comp in (("cpu", cpu), ("gl", gl)):
        with SegmentationEngine(video=True) as engine:
            step = FrameStep(engine, comp)
            pictures[name] = [step.run(f, spec, i * 33_000_000)[0] for i, f in enumerate(frames)]
    cpu.close()
    plain = FrameStep(SegmentationEngine(video=True), CpuCompositor())
    before = plain.run(frames[-1], EffectSpec("blur", 0.6), 0)[0]
    plain.close()
    a, b = pictures["cpu"][-1], pictures["gl"][-1]
    d = np.abs(a.astype(int) - b.astype(int))
    assert d.mean() <= MEAN_MAX and np.percentile(d, 99) <= P99_MAX, (looks, d.mean())
    changed = np.abs(a.astype(int) - before.astype(int)).max(axis=2) > 2
    assert changed.mean() > 0.002, changed.mean()  # the look did something (touch-up: the face)


def test_gl_lens_matches_the_cpu_reference_on_bright_lights(gl):
    """The lens look's hard case: small clipped lights, expanded into discs, around a person,
    at the frame's own size and scaled down for a window."""
    s = Scene((1280, 720), "rocket.jpg", "still", noise=1.0, lights=12, person_height=0.8)
    frame = s.frame(0).image
    with SegmentationEngine(video=False) as engine:
        matte = engine.process(frame)[0]
    cpu = CpuCompositor()
    for size in (None, (960, 540)):
        for strength in (0.4, 1.0):
            spec = EffectSpec("lens", strength)
            a = cpu.render(frame, matte, spec, size)
            b = gl.render(frame, matte, spec, size)
            d = np.abs(a.astype(int) - b.astype(int))
            assert d.mean() <= MEAN_MAX and np.percentile(d, 99) <= P99_MAX, (
                size, strength, d.mean(), np.percentile(d, 99),
            )  # fmt: skip
            if strength > 0.5:
                continue  # discs wider than the patches below: they would fill them
            # Not an agreement on nothing: the lights are bright discs in the GL picture too
            # (on the dark sky; a light over the lit rocket shows less).
            grey = b.mean(axis=2)
            k = grey.shape[1] / frame.shape[1]
            rise = []
            for x, y in s.light_spots:
                x, y, r = round(x * k), round(y * k), round(40 * k)
                patch = grey[max(0, y - r) : y + r, max(0, x - r) : x + r]
                rise.append(patch.max() - np.median(patch))
            assert np.median(rise) >= 40, (size, strength, rise)


def test_gl_blur_is_really_a_blur_and_keeps_the_person(gl, real_frames):
    """Parity could hold for two wrong pictures: check what the picture is, too."""
    frame, matte = real_frames[0][0], real_frames[1][0]
    out = gl.render(frame, matte, EffectSpec("blur", 1.0))
    alpha = matte.full((frame.shape[1], frame.shape[0]))
    person, background = alpha > 0.99, alpha < 0.01
    d = np.abs(out.astype(int) - frame).mean(axis=2)
    assert d[person].mean() < 1.0
    assert d[background].mean() > 5.0


def test_process_renders_with_the_gl_compositor_like_the_cpu_one(tmp_path):
    from app.cli import main
    from app.lab.samples import portrait_path

    outs = {}
    for comp in ("cpu", "gl"):
        outs[comp] = tmp_path / f"{comp}.png"
        assert main(["process", str(portrait_path()), "-o", str(outs[comp]),
                     "--compositor", comp]) == 0  # fmt: skip
    import cv2

    a, b = (cv2.imread(str(outs[c])).astype(int) for c in ("cpu", "gl"))
    assert np.abs(a - b).mean() <= MEAN_MAX


def test_bench_reports_the_gl_path(tmp_path):
    from app.commands.bench import run_bench

    result = run_bench([(640, 360)], 3, compositor="gl")
    row = result["sizes"]["640x360"]
    for key in ("gl", "cpu_compositor"):
        assert row[key]["wall_ms_p50"] > 0 and row[key]["cpu_ms_per_frame"] > 0
    assert row["gl"]["renderer"]


@pytest.fixture(scope="module")
def xvfb():
    """A private X server for the window tests; started here, stopped after."""
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    display = proc.stdout.readline().decode().strip()
    assert display, "Xvfb did not start (run scripts/setup as root to install it)"
    yield f":{display}"
    proc.terminate()
    proc.wait(5)
    proc.stdout.close()


@pytest.mark.parametrize("effect", ["blur", "lens", "replace", "none"])
def test_gl_viewfinder_on_xvfb_matches_the_cpu_picture_without_reading_pixels_back(
    xvfb, tmp_path, effect
):
    s = Scene((1280, 720), "coffee.png", "sway", noise=2.0)
    clip = write_video(tmp_path / "clip.avi", [s.frame(i).image for i in range(30)],
                       fps=30.0, fourcc="MJPG")  # fmt: skip
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "gl_window_check.py"), str(clip),
         str(tmp_path / "settings.ini"), effect],
        capture_output=True, text=True, env=env, timeout=180, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["compositor"].startswith("gl (")
    assert report["frames_displayed"] >= 20
    assert report["readbacks_during_preview"] == 0
    assert report["frame_texture_creations"] == 1  # re-created only when the size changes
    assert report["mirrored"] is True  # a front camera
    assert report["mean_diff"] <= MEAN_MAX and report["p99_diff"] <= P99_MAX, report
    assert report["gl_released"]


AUTO_CHECK = """
import json, sys
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv)
from app.ui.gl_viewfinder import gpu_devices, make_viewfinder
viewfinder, what = make_viewfinder(sys.argv[1])
maps = open("/proc/self/maps").read()
print(json.dumps({"gpu": gpu_devices(), "what": what,
                  "software_gl_loaded": "swrast" in maps or "libLLVM" in maps}))
"""


def test_auto_composites_on_the_cpu_without_loading_software_gl_where_there_is_no_gpu(xvfb):
    """`--compositor auto` on a machine without a GPU device takes the CPU viewfinder and never
    loads the GL emulator (Mesa's llvmpipe, ~50 MB); with a GPU it probes and uses it."""
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb")

    def run(choice):
        proc = subprocess.run([sys.executable, "-c", AUTO_CHECK, choice], capture_output=True,
                              text=True, env=env, timeout=60, cwd=ROOT)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    auto = run("auto")
    if auto["gpu"]:
        assert auto["what"].startswith("gl (") or auto["what"] == "cpu (GL is software)"
    else:
        assert auto["what"] == "cpu (no GPU)"
        assert not auto["software_gl_loaded"]
        forced = run("gl")  # the control: asking for GL here does load the emulator
        assert forced["what"].startswith("gl (") and forced["software_gl_loaded"]
