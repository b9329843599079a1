"""Nothing leaves the machine: the real commands, traced at the system-call level.

Every command a user runs (`process` on a photo and a video, `still`, `live -t` in an offscreen
window) runs under strace, following every thread and child process. The trace must show no
connect() or send to an internet address (IPv4 or IPv6), no DNS query (port 53, nscd, systemd's
resolver) and no file of the mediapipe package opened. The control test runs the same command
with `--runtime mediapipe` and shows the trace does catch MediaPipe's usage-metrics lookups, so
a silent trace means silence, not a blind check. Without strace these tests fail, never skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.lab.samples import portrait_path
from tests.conftest import write_video

pytestmark = pytest.mark.slow

SYSCALLS = "connect,sendto,sendmsg,sendmmsg,openat,open"
NETWORK = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(")
# What a network connection or a name lookup looks like in strace's output.
LEAK = re.compile(r"AF_INET6?\b|htons\(53\)|nscd/socket|/run/systemd/resolve")
MEDIAPIPE_FILE = re.compile(r"open(at)?\(.*site-packages/mediapipe/")


def _trace(tmp_path: Path, args: list[str], timeout: float = 120) -> list[str]:
    strace = shutil.which("strace")
    assert strace, "strace is not installed; scripts/setup installs it (as root)"
    log = tmp_path / f"trace-{len(list(tmp_path.glob('trace-*')))}.txt"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FOCUSCAM_SETTINGS=str(tmp_path / "s.ini"))
    cmd = [strace, "-f", "-q", "-e", f"trace={SYSCALLS}", "-o", str(log),
           sys.executable, "-m", "app", *args]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, (args, proc.stderr[-2000:])
    lines = log.read_text(errors="replace").splitlines()
    # Proof that the trace saw the real run: the interpreter's own files, and its exit.
    assert any("exited with 0" in line for line in lines), "strace did not follow the process"
    assert any("cv2" in line for line in lines), "the trace shows no file the app opens"
    return lines


def _leaks(lines: list[str]) -> list[str]:
    return [line for line in lines if NETWORK.search(line) and LEAK.search(line)]


def _mediapipe_files(lines: list[str]) -> list[str]:
    return [line for line in lines if MEDIAPIPE_FILE.search(line) and "ENOENT" not in line]


@pytest.fixture(scope="module")
def clip(tmp_path_factory, scene_frames):
    return write_video(tmp_path_factory.mktemp("clip") / "in.avi", scene_frames, fourcc="MJPG")


@pytest.mark.parametrize(
    "command",
    ["process-photo", "process-video", "still", "live"],
)
def test_default_runtime_sends_nothing_and_never_loads_mediapipe(tmp_path, clip, command):
    args = {
        "process-photo": ["process", str(portrait_path()), "-o", str(tmp_path / "o.jpg")],
        "process-video": ["process", str(clip), "-o", str(tmp_path / "o.avi"), "--no-progress"],
        "still": ["still", "--source", "demo", "-t", "0.3", "-o", str(tmp_path / "s.jpg")],
        "live": ["live", "--source", "demo", "-t", "3", "--compositor", "cpu",
                 "--stats-json", str(tmp_path / "stats.json")],
    }[command]  # fmt: skip
    lines = _trace(tmp_path, args)
    assert not _leaks(lines), _leaks(lines)[:5]
    assert not _mediapipe_files(lines), _mediapipe_files(lines)[:5]
    if command == "live":
        # The window really ran and showed frames while it was traced.
        import json

        assert json.loads((tmp_path / "stats.json").read_text())["frames_displayed"] > 0


def test_the_trace_catches_mediapipes_usage_metrics(tmp_path):
    """The control: the opt-in MediaPipe runtime does look up Google's metrics host."""
    out = tmp_path / "o.jpg"
    lines = _trace(tmp_path, ["process", str(portrait_path()), "-o", str(out), "--runtime",
                              "mediapipe"])  # fmt: skip
    assert out.exists()
    assert _mediapipe_files(lines)
    leaks = _leaks(lines)
    assert leaks, "no network call seen from --runtime mediapipe: is the trace blind?"
    assert any("googleapis" in line for line in lines) or any("htons(53)" in x for x in leaks)
