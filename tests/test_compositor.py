from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.common.resize import downscale
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec, blur_plan
from app.errors import UsageError
from app.frames import Matte


def _matte(frame, alpha_value=None, alpha=None):
    guide = downscale(frame, (frame.shape[1] // 4, frame.shape[0] // 4))
    if alpha is None:
        alpha = np.full(guide.shape[:2], alpha_value, np.float32)
    return Matte(alpha=alpha, guide=guide)


def test_alpha_one_leaves_the_frame_unchanged(scene_frames):
    frame = scene_frames[0]
    out = CpuCompositor().render(frame, _matte(frame, 1.0), EffectSpec("blur", 1.0))
    assert np.array_equal(out, frame)


def test_alpha_zero_gives_the_blurred_frame(scene_frames):
    frame = scene_frames[0]
    out = CpuCompositor().render(frame, _matte(frame, 0.0), EffectSpec("blur", 0.8))
    ref = cv2.GaussianBlur(frame, (0, 0), 0.8 * 0.035 * 360)
    # It is the blurred frame: close to a full-resolution Gaussian, far from the sharp frame.
    assert np.abs(out.astype(int) - ref).mean() < 4
    assert np.abs(out.astype(int) - frame).mean() > 8


def test_bright_subject_leaves_no_halo_in_the_blurred_background():
    h, w = 360, 640
    frame = np.full((h, w, 3), 20, np.uint8)
    frame[60:, 240:400] = 250  # a bright "person", standing on the bottom edge
    alpha = np.zeros((h // 4, w // 4), np.float32)
    alpha[15:, 60:100] = 1.0
    out = CpuCompositor().render(frame, _matte(frame, alpha=alpha), EffectSpec("blur", 1.0))
    # Just beside the subject the background stays as dark as it really is.
    beside = np.concatenate([out[100:, 205:236], out[100:, 404:435]], axis=1)
    assert beside.max() <= 30, beside.max()
    # ... while a plain blur (what the mask-aware blur avoids) would glow there.
    plain = cv2.GaussianBlur(frame, (0, 0), 0.035 * 360)
    assert plain[100:, 205:236].max() > 100


def test_replace_puts_the_person_on_the_new_background(scene_frames):
    frame = scene_frames[0]
    h, w = frame.shape[:2]
    alpha = np.zeros((h // 4, w // 4), np.float32)
    alpha[:, : w // 8] = 1.0
    bg = np.zeros((100, 100, 3), np.uint8)
    bg[:] = (255, 0, 0)
    out = CpuCompositor().render(
        frame, _matte(frame, alpha=alpha), EffectSpec("replace", background=bg)
    )
    assert np.array_equal(out[:, : w // 2 - 8], frame[:, : w // 2 - 8])
    assert (out[:, w // 2 + 8 :] == (255, 0, 0)).all()


def test_matte_view_shows_the_matte(scene_frames):
    frame = scene_frames[0]
    out = CpuCompositor().render(frame, _matte(frame, 0.5), EffectSpec("matte"))
    assert out.shape == frame.shape and np.all(np.abs(out.astype(int) - 128) <= 1)


def test_output_size_is_honoured(scene_frames):
    frame = scene_frames[0]
    out = CpuCompositor().render(frame, _matte(frame, 0.5), EffectSpec("blur"), size=(320, 180))
    assert out.shape == (180, 320, 3)


def test_blur_looks_the_same_at_480p_and_4k():
    small, big = blur_plan((854, 480), 0.7), blur_plan((3840, 2160), 0.7)
    # The same blur relative to the frame: sigma / work width matches.
    assert small.sigma / small.work_size[0] == pytest.approx(big.sigma / big.work_size[0], rel=0.05)


def test_blur_cost_has_a_ceiling_that_does_not_depend_on_strength():
    from app.compositing.spec import MIN_DOWNSCALE, WORK_SIGMA

    w, h = 1920, 1080
    ceiling = (w / MIN_DOWNSCALE) * (h / MIN_DOWNSCALE) * (2 * np.ceil(3 * WORK_SIGMA) + 1)
    strengths = np.linspace(0.05, 1.0, 20)
    cost = [blur_plan((w, h), s).work_size[0] * blur_plan((w, h), s).work_size[1]
            * blur_plan((w, h), s).ksize for s in strengths]  # fmt: skip
    assert max(cost) <= ceiling * 1.01
    # Past the point where the copy starts shrinking, a stronger blur is cheaper, not dearer.
    assert cost[-1] < cost[len(cost) // 2] < max(cost)


@pytest.mark.parametrize(
    "kwargs", [{"effect": "sparkle"}, {"strength": 1.5}, {"strength": -0.1}, {"effect": "replace"}]
)
def test_bad_effect_values_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        EffectSpec(**kwargs)


@pytest.mark.parametrize("size", [(1280, 720), (1000, 563), (333, 187)])
def test_blending_only_where_needed_matches_a_full_frame_blend(scene_frames, size):
    """The compositor copies where the matte is 1 and skips where it is 0; the picture must be
    the same as blending every pixel, at any output size."""
    frame = cv2.resize(scene_frames[0], size, interpolation=cv2.INTER_AREA)
    mh, mw = 72, 128
    yy, xx = np.mgrid[0:mh, 0:mw].astype(np.float32)
    # A solid body with a soft rim, a second soft blob, and exact zeros elsewhere.
    body = np.clip((22 - np.hypot(xx - 50, (yy - 60) * 0.6)) / 4, 0, 1)
    blob = np.clip((6 - np.hypot(xx - 105, yy - 15)) / 6, 0, 1)
    alpha = np.maximum(body, blob).astype(np.float32)
    assert (alpha == 0).any() and (alpha == 1).any() and ((alpha > 0) & (alpha < 1)).any()
    guide = downscale(frame, (mw * 2, mh * 2))
    matte = Matte(alpha=alpha, guide=guide)
    spec = EffectSpec("blur", 0.7)
    comp = CpuCompositor()
    out = comp.render(frame, matte, spec)
    w, h = size
    bg = cv2.resize(comp.background_small(matte, spec, frame), (w, h))
    a = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    ref = np.clip(frame * a + bg * (1 - a) + 0.5, 0, 255).astype(np.uint8)
    assert np.abs(out.astype(int) - ref).max() <= 1


def test_a_background_started_while_the_model_runs_gives_the_same_picture(scene_frames):
    """`prepare` (run alongside the model) must change nothing but when the work is done, and
    must not be used for another frame, size or strength."""
    f0, f1 = scene_frames[0], scene_frames[1]
    m0, m1 = _matte(f0, alpha_value=0.4), _matte(f1, alpha_value=0.4)
    spec = EffectSpec("blur", 0.7)
    size = (f0.shape[1], f0.shape[0])
    plain = CpuCompositor().render(f0, m0, spec)
    comp = CpuCompositor()
    comp.prepare(m0.guide, spec, size)
    assert np.array_equal(comp.render(f0, m0, spec), plain)
    # Prepared for frame 0, asked for frame 1: frame 1's own background.
    comp.prepare(m0.guide, spec, size)
    assert np.array_equal(comp.render(f1, m1, spec), CpuCompositor().render(f1, m1, spec))
    # Prepared for another strength or size: not used.
    comp.prepare(m0.guide, EffectSpec("blur", 0.2), size)
    assert np.array_equal(comp.render(f0, m0, spec), plain)
    half = (size[0] // 2, size[1] // 2)
    comp.prepare(m0.guide, spec, half)
    assert np.array_equal(comp.render(f0, m0, spec), plain)
    assert np.array_equal(
        comp.render(f0, m0, spec, half), CpuCompositor().render(f0, m0, spec, half)
    )


@pytest.mark.parametrize(
    "src, dst, exact",
    [
        ((1280, 720), (960, 540), True),  # the 720p camera in the default window: 4 -> 3
        ((1920, 1080), (960, 540), True),  # a halving
        ((3841, 2161), (960, 540), True),  # two halvings, odd last row and column
        ((2560, 1440), (960, 540), True),  # a halving, then 4 -> 3
        ((1280, 720), (1000, 563), False),  # 32 -> 25 across, 720 -> 563 down
        ((1280, 960), (700, 525), False),
        ((1281, 721), (960, 540), True),  # no short repeat: the whole width and height
    ],
)
def test_downscale_regions_give_those_parts_of_the_whole_downscale(src, dst, exact):
    from app.common.resize import downscale_regions

    rng = np.random.default_rng(7)
    image = cv2.GaussianBlur(rng.integers(0, 256, (src[1], src[0], 3), np.uint8), (5, 5), 1.0)
    whole = downscale(image, dst)
    w, h = dst
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x0, y0, int(rng.integers(x0 + 1, w + 1)), int(rng.integers(y0 + 1, h + 1)))
        out = np.full_like(whole, 77)
        ((X0, Y0, X1, Y1),) = downscale_regions(image, dst, [box], out)
        assert X0 <= box[0] and Y0 <= box[1] and X1 >= box[2] and Y1 >= box[3]
        part, ref = out[Y0:Y1, X0:X1].astype(int), whole[Y0:Y1, X0:X1]
        assert np.abs(part - ref).max() <= (0 if exact else 1)
        outside = np.ones((h, w), bool)
        outside[Y0:Y1, X0:X1] = False
        assert (out[outside] == 77).all()  # nothing written outside the box


def _person_alpha(mw, mh, x):
    """A soft head-and-shoulders matte at column ``x`` (matte pixels), standing on the bottom."""
    a = np.zeros((mh, mw), np.float32)
    cv2.ellipse(a, (x, mh // 3), (mw // 12, mh // 6), 0, 0, 360, 1.0, -1)
    cv2.rectangle(a, (x - mw // 6, mh // 2), (x + mw // 6, mh), 1.0, -1)
    return cv2.GaussianBlur(a, (9, 9), 2.5)


@pytest.mark.parametrize("effect", ["blur", "replace"])
def test_a_view_scaled_only_around_the_person_is_the_whole_picture(effect):
    """Shown smaller than the frame, blur and replace scale only the part of the frame around
    the person; the picture is the one made from the whole frame scaled down, frame after
    frame as the person moves (nothing of an earlier frame shows through)."""
    from app.lab.synthetic import Scene

    scene = Scene((1280, 720), "coffee.png", "moving", noise=2.0)
    bg = np.zeros((90, 160, 3), np.uint8)
    bg[:] = (40, 200, 90)
    spec = EffectSpec(effect, 0.7, background=bg if effect == "replace" else None)
    view = (960, 540)
    comp, fresh = CpuCompositor(), CpuCompositor()
    for i, x in enumerate([120, 300, 420, 200]):
        frame = scene.frame(i * 7).image
        guide = downscale(frame, (512, 288))
        matte = Matte(alpha=_person_alpha(512, 288, x), guide=guide)
        out = comp.render(frame, matte, spec, view)
        ref = fresh.render(downscale(frame, view), matte, spec)  # already at the view size
        assert np.array_equal(out, ref), (i, np.abs(out.astype(int) - ref).max())
