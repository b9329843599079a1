"""Sources, the latest-only slot and the capture thread, with real video files."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from app.common.slot import LatestSlot
from app.errors import UsageError
from app.frames import Frame
from app.sources.base import BACK, SourceError
from app.sources.camera import CameraSource
from app.sources.capture import FAILED, LOST, RUNNING, CaptureThread
from app.sources.demo import DemoSource
from app.sources.files import FileSource
from app.sources.registry import open_source
from tests.conftest import write_video
from tests.fakes import UnpluggableCamera


def numbered_frames(n, size=(320, 180)):
    """Frames whose number can be read back after lossy encoding: the grey level is 20 * i."""
    w, h = size
    return [np.full((h, w, 3), 20 * i, np.uint8) for i in range(n)]


def frame_number(img):
    return round(float(img.mean()) / 20)


def wait_for(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_slot_keeps_only_the_newest_and_counts_what_it_drops():
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True and slot.put(3) is True
    assert slot.take(0) == 3
    assert slot.dropped == 2 and slot.put_count == 3
    assert slot.take(0.01) is None  # empty: nothing is queued behind the newest


def test_slot_wakes_a_waiting_consumer_and_close_releases_it():
    slot: LatestSlot[int] = LatestSlot()
    got = []
    t = threading.Thread(target=lambda: got.append(slot.take(5)))
    t.start()
    time.sleep(0.05)
    slot.put(7)
    t.join(1)
    assert got == [7]
    t = threading.Thread(target=lambda: got.append(slot.take(5)))
    t.start()
    slot.close()
    t.join(1)
    assert not t.is_alive() and got[-1] is None


def test_file_source_is_paced_at_its_own_fps_and_loops(tmp_path):
    path = write_video(tmp_path / "clip.avi", numbered_frames(6), fps=20.0, fourcc="MJPG")
    src = FileSource(path)
    with src:
        assert src.fps == pytest.approx(20.0)
        t0 = time.monotonic()
        numbers = [frame_number(src.read()) for _ in range(14)]
        elapsed = time.monotonic() - t0
    assert numbers == [0, 1, 2, 3, 4, 5] * 2 + [0, 1]
    assert src.loops == 2
    # 14 frames at 20 fps: 13 periods after the first frame.
    assert 0.6 <= elapsed <= 1.2  # (upper bound loose: a busy CI machine is slow, never fast)


def test_a_file_played_live_decodes_on_the_reading_thread_alone(tmp_path):
    """Paced (live) a video is decoded by the thread that reads it: FFmpeg starts no decoding
    threads of its own, which cost CPU for frames that are due only every 33 ms. Unpaced
    (`process`) keeps FFmpeg's threads."""
    import os

    frames = [cv2.resize(f, (1280, 720)) for f in numbered_frames(4)]
    path = write_video(tmp_path / "clip.avi", frames, fps=30.0, fourcc="MJPG")

    def threads_while_reading(paced: bool) -> int:
        before = len(os.listdir("/proc/self/task"))
        src = FileSource(path, paced=paced, loop=False)
        src.open()
        src.read()
        src.read()
        during = len(os.listdir("/proc/self/task"))
        src.close()
        return during - before

    assert threads_while_reading(paced=True) == 0
    if (os.cpu_count() or 1) > 1:  # the control: FFmpeg's own threads are seen when it has them
        assert threads_while_reading(paced=False) >= 1


def test_image_file_and_demo_sources_give_frames_of_their_size(tmp_path, portrait):
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), portrait)
    with FileSource(path) as src:
        assert np.array_equal(src.read(), portrait)
    with DemoSource((640, 360)) as demo:
        a, b = demo.read(), demo.read()
    assert a.shape == (360, 640, 3) and not np.array_equal(a, b)  # the person moves
    # the demo scene is not a camera facing you: not mirrored, like a file
    assert demo.info.facing == BACK and src.info.facing == BACK


@pytest.mark.parametrize("content", [b"", b"not a video at all"])
def test_unreadable_video_file_fails_with_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="bad.mp4"):
        FileSource(path).open()


def test_source_names_are_parsed(tmp_path):
    video = write_video(tmp_path / "v.avi", numbered_frames(2), fourcc="MJPG")
    assert isinstance(open_source("demo"), DemoSource)
    assert isinstance(open_source(str(video)), FileSource)
    cam = open_source("camera:2")
    assert isinstance(cam, CameraSource) and cam.target == 2 and cam.live
    url = open_source("http://192.168.1.20:8080/video")
    assert isinstance(url, CameraSource) and url.info.name == "stream from 192.168.1.20:8080"
    with pytest.raises(UsageError, match="no such source"):
        open_source(str(tmp_path / "missing.mp4"))


def test_a_camera_that_is_not_there_is_a_source_error_not_a_crash():
    # Index 99 exists on no machine: the real cv2 path must fail cleanly.
    with pytest.raises(SourceError, match="camera 99"):
        CameraSource(99).open()


def test_capture_thread_stamps_frames_in_order_and_drops_what_nobody_reads(tmp_path):
    path = write_video(tmp_path / "clip.avi", numbered_frames(10), fps=100.0, fourcc="MJPG")
    slot: LatestSlot[Frame] = LatestSlot()
    cap = CaptureThread(FileSource(path), slot, "t").start()
    try:
        assert wait_for(lambda: cap.captured >= 30)
    finally:
        cap.stop()
        assert cap.join(1.0)
    frame = slot.take(0)
    assert frame is not None and frame.source == "t" and frame.seq == cap.captured
    # Nobody read the slot: every frame but the newest was dropped and counted.
    assert slot.dropped == cap.captured - 1


def test_capture_thread_reports_an_unplugged_camera_and_recovers(tmp_path):
    path = write_video(tmp_path / "clip.avi", numbered_frames(10), fps=50.0, fourcc="MJPG")
    cam = UnpluggableCamera(path)
    states = []
    slot: LatestSlot[Frame] = LatestSlot()
    cap = CaptureThread(cam, slot, "cam", states.append, backoff=(0.05, 0.2)).start()
    try:
        assert wait_for(lambda: cap.state.state == RUNNING and cap.captured > 3)
        cam.unplugged.set()
        assert wait_for(lambda: cap.state.state == LOST)
        assert "unplugged" in cap.state.message
        assert not cam.is_open  # released while it is away
        time.sleep(0.3)  # it keeps retrying (and failing) meanwhile
        before = cap.captured
        cam.unplugged.clear()
        assert wait_for(lambda: cap.state.state == RUNNING and cap.captured > before + 3)
        assert cam.opens >= 2
    finally:
        cap.stop()
        assert cap.join(1.0)
    assert not cam.is_open


def test_a_file_that_fails_ends_the_capture_with_a_message(tmp_path):
    cap = CaptureThread(FileSource(tmp_path / "gone.mp4"), LatestSlot(), "f").start()
    assert cap.join(2.0)
    assert cap.state.state == FAILED and "gone.mp4" in cap.state.message
