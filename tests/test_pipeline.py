"""The live pipeline without a window: real video files in, composited pictures out."""

from __future__ import annotations

import os
import threading
import time

import cv2
import numpy as np
import pytest

from app.compositing.spec import EffectSpec
from app.framing import CALL_SIZE, crop_16_9, fit_inside
from app.lab.synthetic import Scene
from app.pipeline import OutputRequest, Pipeline
from app.sources.files import FileSource
from tests.conftest import write_video
from tests.fakes import UnpluggableCamera


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory):
    """A real portrait walking across a real photo (fast: about 8 px a frame), with its truth."""
    scene = Scene((640, 360), "coffee.png", "moving", noise=2.0)
    frames = [scene.frame(i) for i in range(40)]
    path = tmp_path_factory.mktemp("clips") / "moving.avi"
    write_video(path, [f.image for f in frames], fps=30.0, fourcc="MJPG")
    return path, [f.truth for f in frames]


def collect(pipeline, n, timeout=20.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        r = pipeline.results.take(0.2)
        if r is not None:
            pipeline.stats.displayed(r.frame)
            got.append(r)
    assert len(got) == n, f"only {len(got)} results in {timeout} s"
    return got


def test_the_matte_belongs_to_the_frame_it_is_shown_with(moving_clip):
    """No ghosting: where the walking person has just arrived, the picture is the sharp frame,
    not background blur left over from an older matte."""
    path, truths = moving_clip
    p = Pipeline()
    p.request = OutputRequest(view_size=(640, 360), spec=EffectSpec("blur", 1.0))
    p.start(FileSource(path, loop=False))
    try:
        results = collect(p, 25)
    finally:
        assert p.close()
    checked = 0
    for r in results[5:]:
        i = r.frame.seq - 1
        if i < 4:
            continue
        # Pixels the person entered in the last 4 frames, away from the matte's soft rim.
        arrived = truths[i] & ~truths[i - 4]
        arrived = cv2.erode(arrived.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        if arrived.sum() < 200:
            continue
        diff = np.abs(r.view.astype(int) - r.frame.image.astype(int)).mean(axis=2)
        assert np.median(diff[arrived]) < 6, (i, np.median(diff[arrived]))
        checked += 1
    assert checked >= 5


def test_stats_have_the_documented_keys_and_add_up(moving_clip):
    path, _ = moving_clip
    p = Pipeline().start(FileSource(path))
    try:
        collect(p, 20)
    finally:
        assert p.close()
    s = p.stats_summary()
    assert set(s) == {
        "frames_captured", "frames_displayed", "frames_dropped", "fps_displayed",
        "latency_ms", "stages_ms_p50", "cpu_percent", "source_events", "model_calls",
        "model_calls_per_s",
    }  # fmt: skip
    assert set(s["latency_ms"]) == {"p50", "p95", "p99"}
    assert s["source_events"] == {"lost": 0, "recovered": 0}
    assert set(s["stages_ms_p50"]) == {"segment", "refine", "composite", "model"}
    assert s["frames_displayed"] == 20
    assert s["frames_captured"] >= s["frames_displayed"] + s["frames_dropped"]
    assert 0 < s["latency_ms"]["p50"] <= s["latency_ms"]["p95"] <= s["latency_ms"]["p99"]
    assert s["cpu_percent"] > 0
    # the model on every frame by default: every frame the worker segmented was a call
    assert s["model_calls"] >= s["frames_displayed"] and s["model_calls_per_s"] > 0


def test_switching_sources_delivers_only_the_new_source(moving_clip, tmp_path):
    path, _ = moving_clip
    red = write_video(tmp_path / "red.avi", [np.full((360, 640, 3), (0, 0, 200), np.uint8)] * 5,
                      fourcc="MJPG")  # fmt: skip
    p = Pipeline().start(FileSource(path))
    try:
        collect(p, 3)
        tag = p.switch_to(FileSource(red))
        late = 0
        for r in collect(p, 10):
            if r.frame.source != tag:
                late += 1
                continue
            assert np.abs(r.frame.image.astype(int) - (0, 0, 200)).max() < 12
        assert late <= 2  # at most what was already in flight when we switched
    finally:
        assert p.close()


def test_close_stops_every_thread_and_releases_the_camera_within_a_second(moving_clip):
    path, _ = moving_clip
    cam = UnpluggableCamera(path)
    p = Pipeline().start(cam)
    collect(p, 3)
    t0 = time.monotonic()
    assert p.close(timeout=1.0)
    assert time.monotonic() - t0 < 1.0
    assert not cam.is_open
    assert not [t for t in threading.enumerate() if t.name.startswith("focuscam-")]


def test_call_preview_is_16_9_at_720p_unmirrored_with_a_mirrored_self_view(tmp_path):
    scene = Scene((640, 480), "coffee.png", "sway")
    path = write_video(tmp_path / "4x3.avi", [scene.frame(i).image for i in range(5)],
                       fourcc="MJPG")  # fmt: skip
    p = Pipeline()
    p.request = OutputRequest(view_size=(960, 540), call_preview=True, mirror=True)
    p.start(FileSource(path))
    try:
        r = collect(p, 2)[-1]
    finally:
        assert p.close()
    assert r.view.shape == (540, 960, 3)  # 16:9, cropped from 4:3, shown at the window size
    x, y, w, h = crop_16_9((640, 480))
    assert (w, h) == (640, 360)
    # The call image is not mirrored: it matches the centre crop of the frame, not its flip.
    crop = cv2.resize(r.frame.image[y : y + h, x : x + w], (960, 540))
    straight = np.abs(r.view.astype(int) - crop).mean()
    flipped = np.abs(r.view.astype(int) - cv2.flip(crop, 1)).mean()
    assert straight < flipped / 2
    sv = r.self_view
    small = cv2.resize(r.view, (sv.shape[1], sv.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(sv.astype(int) - cv2.flip(small, 1)).mean() < 3
    assert CALL_SIZE == (1280, 720)


def test_fit_inside_keeps_aspect_and_never_enlarges():
    assert fit_inside((1920, 1080), (960, 540)) == (960, 540)
    assert fit_inside((640, 480), (960, 540)) == (640, 480)
    assert fit_inside((1280, 960), (960, 540)) == (720, 540)


def test_stats_percentiles_stay_close_to_exact_in_bounded_memory():
    from app.stats import Histogram

    rng = np.random.default_rng(1)
    values = np.concatenate([rng.gamma(4.0, 3.0, 50_000), rng.uniform(900, 5000, 500)])
    h = Histogram()
    size = h._counts.nbytes
    for v in values:
        h.add(float(v))
    assert h._counts.nbytes == size  # no growth with samples
    for q in (50, 95, 99, 99.9):
        assert abs(h.percentile(q) - np.percentile(values, q, method="lower")) <= 1.0, q


def test_memory_does_not_grow_frame_after_frame():
    """Thousands of frames through the frame step: resident memory stays flat."""
    from app.compositing.cpu import CpuCompositor
    from app.compositing.spec import EffectSpec
    from app.lab.synthetic import Scene
    from app.segmentation.engine import SegmentationEngine
    from app.steps.step import FrameStep

    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    scene = Scene((320, 180), "coffee.png", "moving", noise=2.0)
    frames = [scene.frame(i).image for i in range(30)]
    spec = EffectSpec("blur", 0.6)
    with FrameStep(SegmentationEngine(video=True), CpuCompositor()) as step:
        for i in range(3000):
            if i == 500:
                settled = rss_mb()
            step.run(frames[i % 30], spec, i * 33_333_333)
        grown = rss_mb() - settled
    assert grown < 8, f"{grown:.1f} MB more after 2500 frames"


def test_live_steps_drop_opencvs_pool_below_4k_and_draw_the_same_picture():
    """A paced (live) step runs OpenCV without its own thread pool up to ~1080p (the pool's
    threads only wait for busy cores there) and with it at 4K, and gives it back when closed;
    a batch step leaves it alone. The picture does not depend on it."""
    from app.compositing.cpu import CpuCompositor
    from app.segmentation.engine import SegmentationEngine
    from app.steps.step import FrameStep

    cv2.setNumThreads(-1)
    default = cv2.getNumThreads()
    spec = EffectSpec("blur", 0.6)
    frame = Scene((1280, 720), "coffee.png", "still", noise=2.0).frame(0).image
    try:
        with FrameStep(SegmentationEngine(video=False), CpuCompositor()) as batch:
            pooled, _, _ = batch.run(frame, spec)
            assert cv2.getNumThreads() == default
        with FrameStep(SegmentationEngine(video=False), CpuCompositor(), paced=True) as live:
            lean, _, _ = live.run(frame, spec)
            assert cv2.getNumThreads() == 1
            big = cv2.resize(frame, (3840, 2160))
            live.run(big, spec)
            assert cv2.getNumThreads() == default
            live.run(frame, spec)
        assert cv2.getNumThreads() == default  # a closed live step leaves the pool as it was
    finally:
        cv2.setNumThreads(-1)
    assert np.array_equal(pooled, lean)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (3840, 2160)])
def test_a_step_shown_smaller_segments_the_picture_and_draws_the_whole_frames_picture(size):
    """A live step shown smaller than the frame (the default window's 912x513) scales the frame
    down once and segments that: the picture is the one the compositor makes from the whole
    frame with the same matte, and the matte finds the person as the whole frame's does."""
    from app.common.resize import downscale
    from app.compositing.cpu import CpuCompositor
    from app.lab.metrics import iou
    from app.segmentation.engine import SegmentationEngine
    from app.steps.step import FrameStep

    spec = EffectSpec("blur", 0.6)
    scene = Scene(size, "coffee.png", "still", noise=2.0).frame(0)
    frame, view = scene.image, (912, 513)
    with FrameStep(SegmentationEngine(video=False), CpuCompositor(), paced=True) as step:
        picture, matte, _ = step.run(frame, spec, size=view)
        ref = CpuCompositor().render(frame, matte, spec, view)
        _, whole, _ = step.run(frame, spec)  # composited at the frame's size: the whole frame
    assert np.array_equal(picture, ref)
    # The engine worked from the frame scaled to the picture: its guide is made from that.
    assert np.array_equal(matte.guide, downscale(downscale(frame, view), (512, 288)))
    found = iou(cv2.resize(matte.alpha, size), scene.truth)
    assert found > 0.8 and found > iou(cv2.resize(whole.alpha, size), scene.truth) - 0.01
