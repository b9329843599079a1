"""Contracts every implementation keeps: each registered frame source, each compositor.

A new backend is tested the moment it registers: the source contract runs over
``registry.backends()``, and a backend with no recipe here fails the test below."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.common.slot import LatestSlot
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.frames import Frame
from app.lab.synthetic import Scene
from app.sources.base import FrameSource, SourceError
from app.sources.capture import CaptureThread
from app.sources.registry import backends, open_source
from tests.conftest import write_video
from tests.mjpeg_server import MjpegCamera


@pytest.fixture(scope="module")
def clip(tmp_path_factory, scene_frames):
    return write_video(tmp_path_factory.mktemp("c") / "clip.avi", scene_frames, 30.0, "MJPG")


@pytest.fixture(scope="module")
def phone(scene_frames):
    cam = MjpegCamera(scene_frames).plug()
    yield cam
    cam.close()


def _spec_for(backend: str, clip, phone) -> tuple[str, str]:
    """(--source text, the name the source should report) for each registered backend."""
    return {
        "demo": ("demo", "demo scene"),
        "file": (str(clip), clip.name),
        "stream": (phone.url, "stream from 127.0.0.1:" + str(phone.port)),
        # No camera on the test machines: the contract is that opening fails in words.
        "camera": ("camera:97", "camera 97"),
    }[backend]


def test_every_registered_backend_has_a_contract_recipe():
    assert set(backends()) == {"demo", "file", "stream", "camera"}


@pytest.mark.parametrize("backend", sorted(backends()))
def test_source_contract(backend, clip, phone):
    spec, name = _spec_for(backend, clip, phone)
    source: FrameSource = open_source(spec)
    assert backends()[backend].matches(spec)
    assert source.info.name == name and source.info.spec == spec
    with pytest.raises(SourceError):
        source.read()  # not open yet
    if backend == "camera":
        with pytest.raises(SourceError, match="camera 97"):
            source.open()
        source.close()
        source.close()  # twice is safe
        return
    slot: LatestSlot[Frame] = LatestSlot()
    frames: list[Frame] = []
    got = threading.Event()

    class Keep(LatestSlot):
        def put(self, item):
            frames.append(item)
            if len(frames) >= 4:
                got.set()
            return slot.put(item)

    capture = CaptureThread(source, Keep(), "contract").start()
    try:
        assert got.wait(10), f"{backend}: no frames"
    finally:
        capture.stop()
        assert capture.join(2.0)
    seqs = [f.seq for f in frames]
    stamps = [f.t_capture_ns for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(b > a for a, b in zip(stamps, stamps[1:], strict=False))
    assert all(f.image.dtype == np.uint8 and f.image.ndim == 3 for f in frames)
    assert source.fps > 0
    with pytest.raises(SourceError):
        source.read()  # closed by its capture thread
    source.close()
    source.close()


def _compositors():
    from app.compositing.egl import OffscreenGlCompositor

    return {"cpu": CpuCompositor, "gl": OffscreenGlCompositor}


@pytest.mark.gl
@pytest.mark.parametrize("name", ["cpu", "gl"])
@pytest.mark.parametrize("effect", ["blur", "replace", "none", "matte"])
def test_compositor_contract(name, effect):
    from app.segmentation.engine import SegmentationEngine

    frame = Scene((640, 360), "coffee.png", "still", noise=2.0).frame(0).image
    with SegmentationEngine(video=False) as engine:
        matte, _ = engine.process(frame)
    background = np.full((90, 160, 3), (0, 180, 0), np.uint8)
    spec = EffectSpec(effect, 0.7, background if effect == "replace" else None)
    with CpuCompositor() as ref:
        reference = ref.render(frame, matte, spec).copy()
    comp = _compositors()[name]()
    try:
        comp.prepare(matte.guide, spec, (640, 360))
        picture = comp.render(frame, matte, spec)
        out = np.zeros_like(frame)
        written = comp.render(frame, matte, spec, out=out)
        half = comp.render(frame, matte, spec, (320, 180))
    finally:
        comp.close()
    assert picture.shape == frame.shape and picture.dtype == np.uint8
    diff = np.abs(picture.astype(int) - reference)
    assert diff.mean() <= 1.5 and np.percentile(diff, 99) <= 8, (name, effect)
    assert written is out and np.array_equal(out, picture)  # out= is where it went
    assert half.shape == (180, 320, 3)
