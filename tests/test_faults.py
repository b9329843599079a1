"""Faults met for real: a phone camera on 127.0.0.1 unplugged and hung, a camera that accepts
and never answers, a full disk (RLIMIT_FSIZE in a child process), file modes, overwriting."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest

from app.common.slot import LatestSlot
from app.frames import Frame
from app.pipeline import Pipeline
from app.sources.capture import LOST, RUNNING, CaptureThread, SourceState
from app.sources.registry import open_source
from tests.conftest import write_video
from tests.mjpeg_server import MjpegCamera

pytestmark = pytest.mark.slow


class States:
    """Collects a capture thread's states, and waits for one."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, SourceState]] = []
        self._cond = threading.Condition()

    def __call__(self, state: SourceState) -> None:
        with self._cond:
            self.seen.append((time.monotonic(), state))
            self._cond.notify_all()

    def wait_for(self, state: str, after: int = 0, timeout: float = 15.0) -> float:
        """Index-after-``after`` wait for ``state``; returns when it came (monotonic)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, s in self.seen[after:]:
                    if s.state == state:
                        return t
                left = deadline - time.monotonic()
                assert left > 0, f"no {state} in {[s.state for _, s in self.seen[after:]]}"
                self._cond.wait(left)


@pytest.fixture
def phone(scene_frames):
    cam = MjpegCamera(scene_frames, fps=30.0).plug()
    yield cam
    cam.close()


def _capture(phone, states, backoff=(0.05, 0.2)):
    slot: LatestSlot[Frame] = LatestSlot()
    cap = CaptureThread(open_source(phone.url), slot, "fault", states, backoff).start()
    return cap, slot


def test_a_phone_camera_unplugged_20_times_comes_back_every_time(phone):
    states = States()
    cap, slot = _capture(phone, states)
    recovered = 0
    try:
        states.wait_for(RUNNING)
        for _ in range(20):
            mark = len(states.seen)
            phone.unplug()
            states.wait_for(LOST, mark)
            mark = len(states.seen)
            phone.plug()
            states.wait_for(RUNNING, mark)
            before = cap.captured
            deadline = time.monotonic() + 5
            while cap.captured < before + 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            recovered += cap.captured >= before + 3
    finally:
        cap.stop()
        assert cap.join(1.0)
    assert recovered == 20


def test_a_hung_camera_is_noticed_within_a_second_or_so_and_comes_back_5_times(phone):
    states = States()
    cap, slot = _capture(phone, states)
    noticed = []
    try:
        states.wait_for(RUNNING)
        time.sleep(0.3)
        for _ in range(5):
            mark = len(states.seen)
            t0 = time.monotonic()
            phone.hung.set()  # the connection stays open, no frame comes
            lost_at = states.wait_for(LOST, mark)
            noticed.append(lost_at - t0)
            assert "stopped sending" in states.seen[-1][1].message
            phone.hung.clear()
            mark = len(states.seen)
            states.wait_for(RUNNING, mark, timeout=20)
            before = cap.captured
            time.sleep(0.5)
            assert cap.captured > before
    finally:
        cap.stop()
        assert cap.join(1.0)
    # max(1 s, 10 frames at 30 fps), checked every 20 ms, plus the last frame's period
    assert max(noticed) < 1.5, noticed


def test_a_camera_that_accepts_and_never_answers_gives_up_in_seconds_not_a_minute():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    held = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # and never a byte back
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    states = States()
    slot: LatestSlot[Frame] = LatestSlot()
    src = open_source(f"http://127.0.0.1:{port}/video")
    t0 = time.monotonic()
    cap = CaptureThread(src, slot, "mute", states, (0.05, 0.2), open_timeout=2.0).start()
    try:
        lost = states.wait_for(LOST, timeout=10)
        assert lost - t0 < 3.0
        assert states.seen[0][1].state == "opening"  # the overlay says "Opening…" meanwhile
        t1 = time.monotonic()
        cap.stop()
        assert cap.join(1.0) and time.monotonic() - t1 < 1.0
    finally:
        stop.set()
        server.close()
        for c in held:
            c.close()


def test_closing_the_pipeline_with_a_hung_camera_takes_under_a_second(phone):
    p = Pipeline(backoff=(0.05, 0.2))
    p.start(open_source(phone.url))
    deadline = time.monotonic() + 20
    while p.frames_captured < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    phone.hung.set()
    time.sleep(0.3)  # the reader is now blocked inside FFmpeg
    t0 = time.monotonic()
    assert p.close(timeout=1.0)
    assert time.monotonic() - t0 < 1.0


def test_source_events_count_unplugs_and_hangs(phone):
    p = Pipeline(backoff=(0.05, 0.2))
    p.start(open_source(phone.url))
    try:
        _wait(lambda: p.frames_captured >= 5)
        phone.unplug()
        _wait(lambda: p.stats.source_events["lost"] == 1)
        phone.plug()
        _wait(lambda: p.stats.source_events["recovered"] == 1)
        phone.hung.set()
        _wait(lambda: p.stats.source_events["lost"] == 2)
        phone.hung.clear()
        _wait(lambda: p.stats.source_events["recovered"] == 2, 20)
    finally:
        p.close()
    assert p.stats_summary()["source_events"] == {"lost": 2, "recovered": 2}


def _wait(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_still_refuses_a_stale_frame_from_a_camera_that_stopped_sending(phone, tmp_path):
    phone.fps = 30.0
    out = tmp_path / "p.jpg"
    code = (
        "import sys, time, threading\n"
        "sys.argv = ['focuscam']\n"
        "from app.cli import main\n"
        f"sys.exit(main(['still', '--source', {phone.url!r}, '-t', '2.5', '-o', {str(out)!r}]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    time.sleep(1.2)
    phone.hung.set()  # stops sending while `still` lets the camera settle
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and not out.exists()
    assert "stopped sending" in err and err.strip().count("\n") == 0


def _limited(max_bytes: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


@pytest.mark.parametrize("what", ["video", "photo", "still"])
def test_a_full_disk_is_one_line_exit_1_and_no_file(tmp_path, scene_frames, portrait, what):
    if what == "video":
        src = write_video(tmp_path / "in.avi", scene_frames * 6, 24.0, "MJPG")
        args = ["process", str(src), "-o", str(tmp_path / "out.mp4"), "--no-progress"]
    elif what == "photo":
        cv2.imwrite(str(tmp_path / "in.png"), portrait)
        args = ["process", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.jpg")]
    else:
        args = ["still", "--source", "demo", "-t", "0", "-o", str(tmp_path / "out.jpg")]
    before = sorted(os.listdir(tmp_path))
    limit = max(os.path.getsize(tmp_path / f) for f in before) + 2000 if before else 2000
    proc = subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=120, preexec_fn=_limited(min(limit, 20000)))  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "full" in err[0] and "out." in err[0], err
    assert ".out." not in err[0]  # the user's name, never our temporary one
    assert sorted(os.listdir(tmp_path)) == before  # nothing new, nothing half-written
    assert "wrote" not in proc.stdout


def test_outputs_get_the_mode_the_umask_gives(tmp_path, portrait):
    cv2.imwrite(str(tmp_path / "in.png"), portrait)
    code = (
        "import os, sys\n"
        "os.umask(0o022)\n"
        "from app.cli import main\n"
        f"d = {str(tmp_path)!r}\n"
        "args = ['process', d + '/in.png', '-o', d + '/o.jpg', '--mask-out', d + '/m/']\n"
        "assert main(args) == 0\n"
        "assert main(['still', '--source', 'demo', '-t', '0', '-o', d + '/s.jpg']) == 0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    for path in [tmp_path / "o.jpg", tmp_path / "s.jpg", *(tmp_path / "m").iterdir()]:
        assert (path.stat().st_mode & 0o777) == 0o644, path


def test_mask_out_never_replaces_a_file_without_overwrite(tmp_path, portrait, capsys):
    from app.cli import main

    src = tmp_path / "in.png"
    cv2.imwrite(str(src), portrait)
    keep = tmp_path / "keep.png"
    keep.write_bytes(b"precious")
    assert main(["process", str(src), "-o", str(tmp_path / "o.jpg"),
                 "--mask-out", str(keep)]) == 2  # fmt: skip
    assert keep.read_bytes() == b"precious" and not (tmp_path / "o.jpg").exists()
    assert main(["process", str(src), "-o", str(tmp_path / "o.jpg"), "--mask-out", str(src),
                 "--overwrite"]) == 2  # fmt: skip
    assert cv2.imread(str(src)).shape == portrait.shape  # the input is untouched
    assert "input of this run" in capsys.readouterr().err


def test_native_library_lines_stay_off_the_terminal(tmp_path, portrait):
    jpg = cv2.imencode(".jpg", portrait)[1].tobytes()
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(jpg[: len(jpg) // 2])  # libjpeg: "Premature end of JPEG file"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here: refused
    for args, words in [
        (["process", str(bad), "-o", str(tmp_path / "o.jpg")], "not a readable image"),
        (["still", "--source", f"http://127.0.0.1:{port}/video", "-o", str(tmp_path / "s.jpg")],
         "connection refused"),
    ]:  # fmt: skip
        proc = subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines) == 1 and words in lines[0], lines


def test_the_hud_rate_falls_when_frames_stop_coming():
    from app.stats import PipelineStats

    stats = PipelineStats()
    t = time.monotonic_ns() - 2_000_000_000
    for i in range(30):  # 30 fps for one second, then nothing for a second
        stats.displayed(Frame(np.zeros((1, 1, 3), np.uint8), i, t), t + i * 33_000_000)
    assert stats.hud()["fps"] < 16


def test_a_recording_from_a_stream_that_never_sends_says_why(phone, tmp_path):
    phone.hung.set()  # the connection opens, no frame ever comes
    out = tmp_path / "rec.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "live", "--no-window", "--record", str(out), "--source",
         phone.url, "-t", "4"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, lines
    # the cause (as `still` says it), then the consequence
    assert "stream from 127.0.0.1" in lines[0] and "sent no frame" in lines[0], lines
    assert "no video was written" in lines[0], lines
    assert not out.exists() and not list(tmp_path.glob(".rec*"))
