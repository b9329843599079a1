"""Nothing lost when the app dies: real processes killed with real signals, a real full disk
(RLIMIT_FSIZE in the child), and the next start recovering what was left."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from app.outputs import journal
from app.outputs.remux import video_seconds
from tests.conftest import write_video


def _umask_022() -> None:
    os.umask(0o022)


def _record(clip: Path, out: Path, seconds: int = 60, preexec=_umask_022) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "live", "--no-window", "--record", str(out), "--source",
         str(clip), "-t", str(seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec,
    )  # fmt: skip


def _temp_of(out: Path) -> Path | None:
    found = list(out.parent.glob(f".{out.stem}.*{out.suffix}"))
    return found[0] if found else None


def _recording_for(proc: subprocess.Popen, out: Path, seconds: float) -> Path:
    """Wait until the recording has run ``seconds`` (from its first fragment on disk)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        tmp = _temp_of(out)
        # the empty index is a few hundred bytes; the first fragment is a second of video
        if tmp is not None and tmp.stat().st_size > 20_000:
            time.sleep(max(0.0, seconds - 1.0))
            return tmp
        time.sleep(0.05)
    raise AssertionError("the recording never started")


def _start_again(*args: str) -> subprocess.CompletedProcess:
    """Any command: here the quickest one."""
    return subprocess.run([sys.executable, "-m", "app", *(args or ("cameras",))],
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=_umask_022)  # fmt: skip


@pytest.mark.parametrize("seconds", [5])
def test_a_recording_killed_outright_plays_and_is_recovered_on_the_next_start(
    clip, tmp_path, seconds
):
    out = tmp_path / "rec.mp4"
    proc = _record(clip, out)
    tmp = _recording_for(proc, out, seconds)
    proc.kill()  # SIGKILL: an out-of-memory kill, a crash, a dead battery
    proc.communicate(timeout=10)
    assert not out.exists()
    kept = video_seconds(tmp)
    assert kept >= seconds - 2, kept  # playable as it is, up to its last second or two
    with av.open(str(tmp)) as c:
        assert sum(1 for _ in c.decode(video=0)) >= 30 * (seconds - 2)

    again = _start_again()
    assert again.returncode == 0, again.stderr
    lines = [line for line in again.stderr.splitlines() if "cut short" in line]
    recovered = tmp_path / "rec-recovered.mp4"
    assert len(lines) == 1 and str(recovered) in lines[0] and " s)" in lines[0], again.stderr
    assert recovered.exists() and not tmp.exists()
    assert (recovered.stat().st_mode & 0o777) == 0o644
    assert video_seconds(recovered) >= seconds - 2
    _assert_ordinary_mp4(recovered)
    assert _start_again().stderr.count("cut short") == 0  # said once, done once


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_finish_the_recording_as_ctrl_c_does(clip, tmp_path, sig, code):
    out = tmp_path / "rec.mp4"
    proc = _record(clip, out)
    _recording_for(proc, out, 4)
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - t0 < 3.0  # finished within 3 s
    assert proc.returncode == code, err
    assert out.exists() and _temp_of(out) is None
    assert video_seconds(out) >= 3
    _assert_ordinary_mp4(out)
    assert not list(journal.state_dir().glob("unfinished/*.json"))


def test_a_full_disk_keeps_what_was_recorded_says_so_and_the_pipeline_goes_on(clip, tmp_path):
    out = tmp_path / "rec.mp4"
    code = f"""
import json, time
from pathlib import Path
from app.outputs.live import RECORDER, open_recorder
from app.pipeline import Pipeline
from app.sources.files import FileSource
errors = []
p = Pipeline().start(FileSource({str(clip)!r}))
feed = open_recorder(Path({str(out)!r}), 30.0, on_error=errors.append)
p.add_feed(RECORDER, feed)
deadline = time.monotonic() + 60
while not feed.failed and time.monotonic() < deadline:
    time.sleep(0.1)
shown = p.stats.frames_displayed if hasattr(p.stats, "frames_displayed") else 0
before = p.frames_processed if hasattr(p, "frames_processed") else None
n0 = p.stats.model_calls
time.sleep(1.0)
n1 = p.stats.model_calls
p.remove_feed(RECORDER)
p.close()
print(json.dumps({{"errors": errors, "calls_after_failure": n1 - n0}}))
"""

    def limited() -> None:
        os.umask(0o022)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, 600_000))

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, preexec_fn=limited)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(result["errors"]) == 1, result
    line = result["errors"][0]
    assert "full" in line and str(out) in line and "keeps its first" in line, line
    assert result["calls_after_failure"] >= 10  # the pipeline (the preview) went on
    assert out.exists() and _temp_of(out) is None
    assert 1.0 <= video_seconds(out) <= float(line.split("keeps its first ")[1].split()[0]) + 0.1
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) >= 30


def test_a_leftover_of_a_process_that_still_runs_is_left_alone(tmp_path):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        temp = tmp_path / ".rec.abcd1234.mp4"
        temp.write_bytes(b"\0" * 1000)
        entry = journal.Unfinished(journal.RECORDING, str(temp), str(tmp_path / "rec.mp4"),
                                   alive.pid, journal._started(alive.pid))  # fmt: skip
        folder = journal.state_dir() / "unfinished"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{alive.pid}-x.json").write_text(json.dumps(entry.__dict__))
        again = _start_again()
        assert again.returncode == 0 and "cut short" not in again.stderr
        assert temp.exists() and (folder / f"{alive.pid}-x.json").exists()
    finally:
        alive.kill()
        alive.wait()
    # once that process is gone, its empty leftover (no frame in it) is simply removed
    again = _start_again()
    assert not temp.exists() and "cut short" not in again.stderr


def test_a_process_run_killed_half_way_leaves_nothing_after_the_next_start(clip, tmp_path):
    out = tmp_path / "out.mp4"
    proc = _process_long_video(clip, tmp_path, out)
    deadline = time.monotonic() + 60
    while _temp_of(out) is None or _temp_of(out).stat().st_size < 10_000:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=10)
    assert _temp_of(out) is not None and not out.exists()
    again = _start_again()
    assert _temp_of(out) is None and not out.exists()
    lines = [line for line in again.stderr.splitlines() if "unfinished" in line]
    assert len(lines) == 1 and "out.mp4" in lines[0], again.stderr


def test_sigterm_stops_a_process_run_cleanly(clip, tmp_path):
    out = tmp_path / "out.mp4"
    proc = _process_long_video(clip, tmp_path, out)
    deadline = time.monotonic() + 60
    while _temp_of(out) is None:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - t0 < 3.0
    assert proc.returncode == 143 and "SIGTERM" in err, err
    assert _temp_of(out) is None and not out.exists()
    assert not list(journal.state_dir().glob("unfinished/*.json"))


def _process_long_video(clip: Path, tmp_path: Path, out: Path, *more: str) -> subprocess.Popen:
    """`focuscam process` started on ten times ``clip`` (long enough to be stopped half-way)."""
    long = write_video(tmp_path / "long.avi", _frames(clip) * 10, 30.0, "MJPG")
    args = ["process", str(long), "-o", str(out), "--no-progress", *more]
    return subprocess.Popen([sys.executable, "-m", "app", *args], stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def _frames(clip: Path) -> list:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame)


def _assert_ordinary_mp4(path: Path) -> None:
    """Top-level boxes: an index (moov) before the media (mdat), and no fragments (moof)."""
    data = path.read_bytes()
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        boxes.append(data[pos + 4 : pos + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        if size < 8:
            break
        pos += size
    assert "moof" not in boxes and boxes.index("moov") < boxes.index("mdat"), boxes


def test_mattes_finished_before_a_kill_are_kept_whole_and_nothing_hidden_stays(clip, tmp_path):
    import cv2

    masks = tmp_path / "masks"
    proc = _process_long_video(clip, tmp_path, tmp_path / "out.mp4", "--mask-out", f"{masks}/")
    def visible():  # (pathlib's glob also matches the hidden temporary files)
        return sorted(p for p in masks.glob("*.png") if not p.name.startswith("."))

    deadline = time.monotonic() + 60
    while not masks.is_dir() or len(visible()) < 20:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.kill()
    proc.communicate(timeout=10)
    kept = visible()
    assert len(kept) >= 20
    for path in kept:  # every one whole
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert image is not None and image.shape == (360, 640), path
    _start_again()
    assert not list(masks.glob(".*"))  # a PNG being written at the kill is gone
    assert visible() == kept
