"""Into the call: the virtual camera (through pyvirtualcam's own backend seam), recording the
call picture, and auto-framing."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

import av
import cv2
import numpy as np
import pytest
import pyvirtualcam

from app.compositing.spec import EffectSpec
from app.errors import FocusCamError
from app.framing import CALL_SIZE, AutoFramer, crop_16_9
from app.lab.evaluation import score_framing
from app.lab.synthetic import Actor, Scene
from app.outputs.base import Output
from app.outputs.feed import Feed
from app.outputs.live import CAMERA, RECORDER, open_recorder, open_virtual_camera
from app.outputs.virtualcam import LINUX_FIX, VirtualCameraOutput
from app.pipeline import OutputRequest, Pipeline
from app.sources.files import FileSource
from tests.conftest import write_video

pytestmark = pytest.mark.slow


class KeepingBackend:
    """A pyvirtualcam backend that keeps what it receives (registered with pyvirtualcam's
    public ``register_backend``; the rest of pyvirtualcam runs as it does for a real device)."""

    received: list[tuple[float, np.ndarray]] = []
    delay = 0.0  # seconds each send takes: a stalled consumer

    fourcc = None

    def __init__(self, *, width, height, fps, fourcc, device, **kw) -> None:
        self.width, self.height, self._device = width, height, device
        KeepingBackend.fourcc = fourcc

    def send(self, frame: np.ndarray) -> None:
        KeepingBackend.received.append((time.monotonic(), frame.copy()))
        if KeepingBackend.delay:
            time.sleep(KeepingBackend.delay)

    def device(self) -> str:
        return self._device or "/dev/video-test"

    def native_fourcc(self):
        return None

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def keeping_backend():
    """Registered for this module's tests only: elsewhere no virtual camera exists here."""
    pyvirtualcam.register_backend("focuscam-test", KeepingBackend)
    yield
    pyvirtualcam.camera.BACKENDS.pop("focuscam-test", None)


def _test_camera(p: Pipeline) -> None:
    p.add_feed(CAMERA, open_virtual_camera(None, 30.0, backend="focuscam-test"))


def _run_pipeline(clip, seconds: float, setup) -> Pipeline:
    p = Pipeline()
    p.request = OutputRequest(spec=EffectSpec("blur", 0.6), shown=False)
    setup(p)
    p.start(FileSource(clip))
    time.sleep(seconds)
    return p


def test_the_virtual_camera_gets_the_call_picture_at_the_source_rate(clip):
    KeepingBackend.received, KeepingBackend.delay = [], 0.0
    p = _run_pipeline(clip, 0.0, _test_camera)
    deadline = time.monotonic() + 20
    while len(KeepingBackend.received) < 75 and time.monotonic() < deadline:
        time.sleep(0.05)
    feed = p.remove_feed("virtual-camera")
    feed.close()
    p.close()
    got = KeepingBackend.received[10:]  # once the pipeline is in its stride
    assert len(got) >= 60
    assert KeepingBackend.fourcc == pyvirtualcam.util.encode_fourcc("24BG")  # BGR, 8 bits each
    for _, frame in got:  # the backend interface hands frames over flat
        assert frame.size == CALL_SIZE[0] * CALL_SIZE[1] * 3 and frame.dtype == np.uint8
    intervals = np.diff([t for t, _ in got]) * 1000
    assert 28 <= np.median(intervals) <= 40  # paced like the 30 fps source
    assert np.percentile(intervals, 5) >= 20  # no bursts faster than the camera's rate
    assert feed.output.sent == len(KeepingBackend.received)  # what reached the camera


def test_a_stalled_call_app_does_not_slow_the_preview(clip):
    KeepingBackend.received, KeepingBackend.delay = [], 0.5  # takes half a second a frame
    p = _run_pipeline(clip, 3.0, _test_camera)
    shown_before = p.frames_captured
    time.sleep(1.0)
    processed = p.stats.stages["segment"].count
    feed = p.remove_feed("virtual-camera")
    feed.close()
    p.close()
    KeepingBackend.delay = 0.0
    assert p.frames_captured - shown_before >= 25  # capture kept its 30 fps
    assert processed >= 60  # and so did the worker: it never waited for the camera
    assert feed.dropped > 30  # the camera got the newest frames only


def test_no_virtual_camera_device_is_one_line_with_the_fix():
    with pytest.raises(FocusCamError) as err:
        VirtualCameraOutput(backend="v4l2loopback").open(CALL_SIZE, 30.0)  # the real one
    assert LINUX_FIX in str(err.value) and "\n" not in str(err.value)
    proc = subprocess.run(
        [sys.executable, "-m", "app", "live", "--no-window", "--virtual-camera", "--source",
         "demo", "-t", "1"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and LINUX_FIX in lines[0], lines


def test_recording_keeps_duration_and_rate_from_the_capture_stamps(clip, tmp_path):
    out = tmp_path / "rec.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "live", "--no-window", "--record", str(out), "--source",
         str(clip), "-t", "4", "--stats-json", str(tmp_path / "s.json")],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(f"wrote {out}")
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert (s.width, s.height) == CALL_SIZE
        assert s.base_rate == 30  # a constant frame rate: the source's nominal one
        stamps = [f.time for f in c.decode(video=0)]
    duration = stamps[-1] - stamps[0]
    assert 2.0 <= duration <= 4.2  # the capture time covered, whatever the model's start-up
    steps = np.diff(stamps)
    assert np.allclose(steps, 1 / 30, atol=1e-3)  # every frame one nominal interval later
    outputs = json.loads((tmp_path / "s.json").read_text())["outputs"]["recorder"]
    assert {"sent", "dropped", "repeated", "dropped_for_rate"} <= set(outputs)
    assert (out.stat().st_mode & 0o777) == 0o644 and not list(tmp_path.glob(".*"))


class SlowOutput(Output):
    def __init__(self) -> None:
        self.written = []

    def open(self, size, fps) -> None:
        pass

    def write(self, image, t_ns=0, matte=None) -> None:
        time.sleep(0.1)  # a slow disk
        self.written.append(t_ns)

    def commit(self):
        return []

    def abort(self) -> None:
        pass


def test_a_slow_recorder_drops_and_counts_its_frames_and_never_blocks():
    feed = Feed(SlowOutput(), "recorder", CALL_SIZE, 30.0, queue_size=5)
    frame = np.zeros((8, 8, 3), np.uint8)
    t0 = time.monotonic()
    for i in range(60):
        feed.offer(frame, i)
    assert time.monotonic() - t0 < 0.1  # offering never waits
    feed.close()
    assert feed.dropped >= 40 and feed.sent + feed.dropped == 60
    assert feed.output.written == sorted(feed.output.written)  # in order


def test_a_recording_onto_a_full_disk_keeps_what_fit_and_says_so(clip, tmp_path):
    out = tmp_path / "rec.mp4"

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    proc = subprocess.run(
        [sys.executable, "-m", "app", "live", "--no-window", "--record", str(out), "--source",
         str(clip), "-t", "4"], capture_output=True, text=True, timeout=90, preexec_fn=limit,
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and "full" in lines[0], lines
    # What fit on the disk is kept (tests/test_crash_safe.py plays it); a disk that took less
    # than a second of it keeps nothing. Nothing hidden is left either way.
    if "keeps its first" in lines[0]:
        assert str(out) in lines[0] and out.exists()
    else:
        assert "was not saved" in lines[0] and not out.exists()
    assert not list(tmp_path.glob(".rec*"))


def test_recording_needs_a_free_name(tmp_path):
    taken = tmp_path / "taken.mp4"
    taken.write_bytes(b"keep")
    with pytest.raises(FocusCamError, match="--overwrite"):
        open_recorder(taken, 30.0)
    assert taken.read_bytes() == b"keep"


@pytest.mark.parametrize("who", ["hopper", "collins"])
def test_auto_framing_keeps_a_walking_person_centred_without_jitter(who):
    scene = Scene((1280, 720), "brick.png", noise=3.0, actors=(Actor(who, 0.55, 0.3, "walk"),))
    r = score_framing(scene, 150)
    assert r["centred_share"] >= 0.8, r
    assert r["accel_p95"] <= 0.002, r  # under 3 px per frame squared at 1280 wide


def test_auto_framing_frames_everyone_and_eases_back_when_nobody_is_there():
    framer = AutoFramer()
    size = (1280, 720)
    two = np.zeros((288, 512), np.float32)
    two[150:, 60:140] = 1.0
    two[150:, 380:460] = 1.0
    for i in range(60):
        x, y, w, h = framer.update(two, size, i * 33_333_333)
    assert x <= 60 / 512 * 1280 and x + w >= 460 / 512 * 1280  # both in the picture
    assert abs(w / h - 16 / 9) < 0.01
    nobody = np.zeros_like(two)
    for i in range(60, 150):
        rect = framer.update(nobody, size, i * 33_333_333)
    assert rect == crop_16_9(size)  # the whole frame again


def test_process_auto_frame_keeps_the_input_size(tmp_path):
    scene = Scene((640, 360), "brick.png", noise=2.0, actors=(Actor("hopper", 0.5, 0.3, "walk"),))
    src = write_video(tmp_path / "in.avi", [scene.frame(i).image for i in range(20)], 30.0, "MJPG")
    from app.cli import main

    assert main(["process", str(src), "-o", str(tmp_path / "o.mp4"), "--auto-frame",
                 "--no-progress"]) == 0  # fmt: skip
    with av.open(str(tmp_path / "o.mp4")) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == (640, 360) and s.frames == 20


def test_feeds_are_finished_when_the_pipeline_closes(clip, tmp_path):
    out = tmp_path / "r.mp4"
    p = _run_pipeline(clip, 2.0, lambda p: p.add_feed(RECORDER, open_recorder(out, 30.0)))
    p.close()
    assert out.is_file()
    assert not [t for t in threading.enumerate() if t.name.startswith("focuscam-recorder")]
    assert os.path.getsize(out) > 0


def test_live_records_the_lens_look(clip, tmp_path):
    """`live --effect lens` (headless) renders the call picture with the lens look: the brick
    wall behind the person loses its fine detail."""
    out = tmp_path / "lens.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "live", "--no-window", "--effect", "lens", "--record",
         str(out), "--source", str(clip), "-t", "2"],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with av.open(str(out)) as c:
        last = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)][-1]
    with av.open(str(clip)) as c:
        source = next(iter(c.decode(video=0))).to_ndarray(format="bgr24")
    h, w = source.shape[:2]
    last = cv2.resize(last, (w, h), interpolation=cv2.INTER_AREA)  # the same 16:9 field
    top = slice(0, h // 6)  # above the person's head: all background

    def detail(img):
        return cv2.Laplacian(cv2.cvtColor(img[top], cv2.COLOR_BGR2GRAY), cv2.CV_32F).var()

    assert detail(last) < 0.3 * detail(source)
