"""`focuscam live` and `focuscam cameras` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.ui.live import display_problem
from tests.conftest import write_video


def run_app(*args, env_update=None, drop=(), timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_update or {})
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env,
        timeout=timeout,
    )  # fmt: skip


@pytest.mark.parametrize(
    "env, ok",
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, False),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, False),
    ],
)
def test_display_detection(env, ok):
    assert (display_problem(env, "linux") is None) == ok
    assert display_problem({}, "win32") is None


def test_live_without_a_display_says_so_in_one_line_and_the_command_it_gives_works(tmp_path):
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    focuscam = str(Path(sys.executable).with_name("focuscam"))  # as scripts/run starts it
    env = {k: v for k, v in os.environ.items() if k not in drop}
    proc = subprocess.run([focuscam, "live"], capture_output=True, text=True, env=env,
                          timeout=60)  # fmt: skip
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert err.count("\n") == 0, err
    assert "no display" in err and " still " in err and " process IN -o OUT" in err
    # the first command it names works as typed, here, with no camera and no display
    command = err.split("`")[1]
    done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "photo.jpg").is_file()


@pytest.mark.gui
def test_live_runs_for_a_set_time_and_writes_its_numbers(tmp_path, scene_frames):
    clip = write_video(tmp_path / "clip.avi", scene_frames * 3, fps=30.0, fourcc="MJPG")
    stats = tmp_path / "stats.json"
    proc = run_app(
        "live", "--source", str(clip), "-t", "2", "--stats-json", str(stats),
        env_update={"QT_QPA_PLATFORM": "offscreen", "FOCUSCAM_SETTINGS": str(tmp_path / "s.ini")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = json.loads(stats.read_text())
    assert s["frames_displayed"] >= 20
    assert s["frames_displayed"] + s["frames_dropped"] <= s["frames_captured"]
    assert 0 < s["latency_ms"]["p50"] < 1000
    assert set(s["stages_ms_p50"]) == {"segment", "refine", "composite", "model"}


def test_live_with_a_bad_source_is_a_usage_error():
    proc = run_app("live", "--source", "/no/such/clip.mp4",
                   env_update={"QT_QPA_PLATFORM": "offscreen"})  # fmt: skip
    assert proc.returncode == 2 and "no such source" in proc.stderr


def test_cameras_lists_cameras_or_says_there_are_none():
    proc = run_app("cameras", env_update={"QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines
    assert lines == ["no cameras found; `focuscam live` will show the demo scene"] or all(
        line.split()[1] in ("front", "back") for line in lines
    )


def test_live_reports_model_calls_and_runs_the_model_less_on_a_still_picture(
    tmp_path, scene_frames
):
    """--stats-json gives CPU % and model calls per second; --segment-every auto saves calls on
    a person who does not move (here: one frame, over and over) and 1 runs it on every frame."""
    clip = write_video(tmp_path / "still.avi", [scene_frames[0]] * 60, fps=30.0, fourcc="MJPG")
    numbers = {}
    for every in ("1", "auto"):
        stats = tmp_path / f"stats-{every}.json"
        proc = run_app(
            "live", "--no-window", "--source", str(clip), "-t", "2", "--segment-every", every,
            "--record", str(tmp_path / f"rec-{every}.mp4"), "--stats-json", str(stats),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        numbers[every] = json.loads(stats.read_text())
    every, auto = numbers["1"], numbers["auto"]
    assert every["cpu_percent"] > 0 and auto["cpu_percent"] > 0
    assert every["model_calls"] >= 20 and every["model_calls_per_s"] > 0
    assert auto["model_calls_per_s"] <= 0.5 * every["model_calls_per_s"]


@pytest.mark.gui
@pytest.mark.parametrize("sig, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_the_window_closes_on_sigterm_and_sighup_as_if_the_user_closed_it(
    tmp_path, scene_frames, sig, code
):
    import signal
    import time

    clip = write_video(tmp_path / "clip.avi", scene_frames * 3, fps=30.0, fourcc="MJPG")
    ini = tmp_path / "s.ini"
    rec = tmp_path / "rec.mp4"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FOCUSCAM_SETTINGS=str(ini))
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "live", "--source", str(clip), "-t", "60", "--record",
         str(rec), "--effect", "lens", "--stats-json", str(tmp_path / "stats.json")], env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".rec.*.mp4")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(3)
    t0 = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - t0 < 3.0
    assert proc.returncode == code and sig in err, err
    assert rec.exists() and not list(tmp_path.glob(".rec.*"))  # the recording was finished
    # closed as the user closes it: settings saved, the numbers of the run written
    assert "effect=lens" in ini.read_text()
    assert json.loads((tmp_path / "stats.json").read_text())["frames_displayed"] > 0
