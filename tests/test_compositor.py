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


def test_a_compositor_rendering_alone_draws_the_same_picture_without_a_helper_thread(
    scene_frames,
):
    """A live window's compositor (``alone_below``) renders on its caller's thread only, to
    spend less CPU: the same picture as with the helper thread, and no thread started."""
    import threading

    frame = scene_frames[2]
    h, w = frame.shape[:2]
    alpha = np.zeros((h // 4, w // 4), np.float32)
    cv2.ellipse(alpha, (w // 8, h // 6), (w // 24, h // 10), 0, 0, 360, 1.0, -1)
    alpha[h // 8 :, w // 12 : w // 6] = 1.0
    matte = _matte(frame, alpha=cv2.GaussianBlur(alpha, (9, 9), 2.5))
    spec = EffectSpec("blur", 0.7)

    def helpers() -> int:
        return sum(t.name == "focuscam-helper" for t in threading.enumerate())

    before = helpers()
    with CpuCompositor(alone_below=w * h + 1) as alone:
        lone = alone.render(frame, matte, spec)
        assert helpers() == before
    with CpuCompositor() as shared:
        both = shared.render(frame, matte, spec)
        assert helpers() == before + 1  # the control: the default starts its helper
    assert np.array_equal(lone, both)
