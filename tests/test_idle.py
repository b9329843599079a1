"""Nothing spent while no application reads the virtual camera: the watcher (any file: here
one another process opens and closes, as a call app opens /dev/videoN), the pipeline paused
with its source open, and back at once. The CPU it spends while idle and how soon a frame
follows an open are the benchmark's (`focuscam bench --idle 20`)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from app.commands.bench_looks import FrameStamps
from app.commands.broadcast import Idler
from app.common.slot import LatestSlot
from app.compositing.spec import EffectSpec
from app.outputs.feed import Feed
from app.outputs.readers import ReaderWatch
from app.pipeline import OutputRequest, Pipeline
from app.sources.capture import LOST, CaptureThread
from app.sources.demo import DemoSource
from app.sources.registry import open_source
from tests.mjpeg_server import MjpegCamera


def reader(path, seconds: float) -> subprocess.Popen:
    """Another process that holds ``path`` open for ``seconds``, as a call app would."""
    code = f"import time; f = open({str(path)!r}); time.sleep({seconds})"
    return subprocess.Popen([sys.executable, "-c", code])


def wait_for(check, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_the_watcher_sees_another_process_open_and_close_the_file(tmp_path):
    device = tmp_path / "video9"
    device.write_bytes(b"")
    seen: list[bool] = []
    watch = ReaderWatch(device, seen.append).start()
    try:
        assert watch.supported and seen == [False]  # nobody, said once at start
        own = open(device)  # this process's own use is not a reader
        time.sleep(0.2)
        assert seen == [False]
        own.close()
        app = reader(device, 1.0)
        assert wait_for(lambda: seen[-1] is True, 3)
        app.wait()
        assert wait_for(lambda: seen[-1] is False, 3)
        assert seen == [False, True, False]
        looks = watch.looks
        time.sleep(1.0)
        assert watch.looks == looks  # asleep between events: nothing polled
    finally:
        watch.close()


@pytest.mark.parametrize("recording", [False, True])
def test_nobody_watching_pauses_everything_and_an_application_opening_it_resumes(
    tmp_path, recording
):
    device = tmp_path / "video9"
    device.write_bytes(b"")
    stamps = FrameStamps()
    pipeline = Pipeline()
    pipeline.request = OutputRequest(spec=EffectSpec("blur"), shown=False)
    feed = Feed(stamps, "camera", (640, 360), 30.0)
    pipeline.add_feed("camera", feed)
    pipeline.start(DemoSource((640, 360)))
    stop = threading.Event()
    idler = None
    try:
        assert wait_for(lambda: len(stamps.new) >= 5, 30)
        idler = Idler(pipeline, device, feed, busy=lambda: recording).start()
        ticker = threading.Thread(target=lambda: [idler.tick() for _ in iter(
            lambda: stop.wait(0.05), True)], daemon=True)  # fmt: skip
        ticker.start()
        time.sleep(0.5)
        captured, made = pipeline.frames_captured, len(stamps.new)
        time.sleep(2.2)
        if recording:  # a recording goes on: never paused
            assert pipeline.frames_captured > captured + 30 and not pipeline.paused
            return
        assert pipeline.paused
        assert pipeline.frames_captured == captured  # nothing read, segmented or composited
        assert len(stamps.new) == made
        assert stamps.again >= 2  # the still frame, once a second
        app = reader(device, 1.5)
        assert wait_for(lambda: len(stamps.new) > made, 3)  # a processed frame, at once
        assert not pipeline.paused
        app.wait()
        assert wait_for(lambda: pipeline.paused, 3)  # closed: paused again
        summary = idler.close()
        idler = None
        assert summary["pauses"] == 2 and summary["paused_s"] > 2
    finally:
        stop.set()
        if idler is not None:
            idler.close()
        feed.close()
        pipeline.close()


def test_a_paused_camera_is_not_taken_for_a_hung_one(scene_frames):
    """A network camera left unread for longer than the hang limit is not 'lost' when the
    pipeline resumes: it stayed open, and its next frame comes."""
    camera = MjpegCamera(scene_frames, fps=30.0).plug()
    states = []
    cap = CaptureThread(open_source(camera.url), LatestSlot(), "t", states.append).start()
    try:
        assert wait_for(lambda: cap.captured > 5, 10)
        cap.pause()
        time.sleep(0.2)
        before = cap.captured
        time.sleep(2.0)  # twice the hang limit
        assert cap.captured <= before + 1
        cap.resume()
        assert wait_for(lambda: cap.captured > before + 5, 5)
        assert not any(s.state == LOST for s in states)
    finally:
        cap.stop()
        cap.join(2)
        camera.close()
