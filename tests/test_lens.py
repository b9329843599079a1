"""The lens look: small bright lights behind a real person become bright, flat bokeh discs,
and the person is left as they are."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.common.resize import downscale
from app.compositing.cpu import CpuCompositor
from app.compositing.lens import lens_background
from app.compositing.spec import EffectSpec, blur_plan
from app.lab.synthetic import Actor, Scene
from app.segmentation.engine import SegmentationEngine


def _light(img: np.ndarray, x: int, y: int, r: int = 40) -> tuple[float, float]:
    """(peak above the surroundings, area above half the peak / area above a tenth of it)."""
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    around = float(np.median(g[max(0, y - 2 * r) : y + 2 * r, max(0, x - 2 * r) : x + 2 * r]))
    patch = g[max(0, y - r) : y + r, max(0, x - r) : x + r] - around
    peak = float(patch.max())
    if peak <= 0:
        return 0.0, 0.0
    return peak, float((patch > 0.5 * peak).sum() / max(1, (patch > 0.1 * peak).sum()))


@pytest.fixture(scope="module")
def shot():
    scene = Scene((1920, 1080), "rocket.jpg", noise=1.0, lights=12,
                  actors=(Actor("hopper", 0.8, 0.5, "still"),))  # fmt: skip
    sf = scene.frame(0)
    with SegmentationEngine(video=False) as engine:
        matte, _ = engine.process(sf.image)
    with CpuCompositor() as comp:
        out = {e: comp.render(sf.image, matte, EffectSpec(e, 0.6)).copy() for e in ("blur", "lens")}
    return scene, sf, out


def test_small_lights_become_bright_flat_discs(shot):
    scene, _, out = shot
    for x, y in scene.light_spots:
        peak, flat = _light(out["lens"], x, y)
        assert peak >= 40 and flat >= 0.5, (x, y, peak, flat)


def test_the_gaussian_blur_turns_the_same_lights_into_smudges(shot):
    """Guards the test above: the plain blur fails it on these very lights."""
    scene, _, out = shot
    smudges = [_light(out["blur"], x, y) for x, y in scene.light_spots]
    assert sum(p < 40 for p, _ in smudges) >= len(smudges) * 0.8


def test_the_person_is_left_as_shot(shot):
    _, sf, out = shot
    inner = cv2.erode(sf.truth.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0

    def changed(img: np.ndarray) -> float:
        return float((np.abs(img.astype(int) - sf.image).max(axis=2)[inner] > 12).mean())

    # No more of the person touched than the plain blur touches (the same matte): no halo.
    assert changed(out["lens"]) <= min(0.03, changed(out["blur"]) + 0.005)


def test_the_lens_look_from_the_command_line(tmp_path, shot):
    from app.cli import main

    _, sf, _ = shot
    src = tmp_path / "in.png"
    cv2.imwrite(str(src), sf.image)
    assert main(["process", str(src), "-o", str(tmp_path / "o.png"), "--effect", "lens"]) == 0
    assert main(["process", str(src), "-o", str(tmp_path / "g.png"), "--effect", "lens",
                 "--compositor", "gl"]) == 0  # fmt: skip
    cpu, gl = (cv2.imread(str(tmp_path / n)).astype(int) for n in ("o.png", "g.png"))
    d = np.abs(cpu - gl)
    assert d.mean() <= 1.5 and np.percentile(d, 99) <= 8  # the shaders' look is the CPU's


def test_a_12_megapixel_photo_keeps_its_lights():
    """Above 4 MP the highlights are expanded after an 8-bit halving (for speed): each light,
    a few pixels wide at this size, keeps at least 80% of the rise above its surroundings
    that expanding every pixel gives."""
    scene = Scene((4000, 3000), "rocket.jpg", noise=1.0, lights=12,
                  actors=(Actor("hopper", 0.8, 0.5, "still"),))  # fmt: skip
    frame = scene.frame(0).image
    with SegmentationEngine(video=False) as engine:
        matte, _ = engine.process(frame)
    plan = blur_plan((4000, 3000), 0.6)
    alpha_small = downscale(matte.alpha, plan.work_size)
    fast = lens_background(frame, alpha_small, plan.work_size, plan.sigma)
    exact = lens_background(frame, alpha_small, plan.work_size, plan.sigma, 10**12)
    k = plan.work_size[0] / 4000
    spots = [(round(x * k), round(y * k)) for x, y in scene.light_spots]
    rises = [(_light(fast, x, y, 6)[0], _light(exact, x, y, 6)[0]) for x, y in spots]
    assert np.median([e for _, e in rises]) >= 60, rises  # the lights are there to keep
    assert all(f >= 0.8 * e for f, e in rises), rises
