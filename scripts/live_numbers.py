"""Measure the live viewfinder on video files: frames shown, latency, CPU (issue targets).

Makes a 720p30 and a 1080p30 clip (a real portrait walking over a real photo, sensor noise,
MJPG like most webcams send), runs `focuscam live` on each for SECONDS in a 960x540 window
under Xvfb when there is no display, and prints one JSON document with every run's
`--stats-json` plus the share of source frames displayed.

Run: .venv/bin/python scripts/live_numbers.py [--seconds 20] [--compositors cpu,gl]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from app.lab.synthetic import Scene
from app.outputs.video import VideoOutput

SIZES = {"720p30": (1280, 720), "1080p30": (1920, 1080)}


def make_clip(path: Path, size: tuple[int, int], frames: int = 120) -> Path:
    scene = Scene(size, "motorcycle_left.png", "moving", noise=2.0)
    out = VideoOutput(path, overwrite=True)
    out.open(size, 30.0)
    for i in range(frames):
        out.write(scene.frame(i).image)
    out.commit()
    return path


def run_live(clip: Path, seconds: float, stats: Path, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "app", "live", "--source", str(clip), "-t", str(seconds),
           "--window", "960x540", "--stats-json", str(stats), *extra]  # fmt: skip
    env = dict(os.environ, FOCUSCAM_SETTINGS=str(stats.with_suffix(".ini")))
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        if not shutil.which("xvfb-run"):
            sys.exit("no display and no xvfb-run: run scripts/setup (as root) first")
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *cmd]
        env.pop("QT_QPA_PLATFORM", None)
    subprocess.run(cmd, check=True, env=env, timeout=seconds + 120)
    result = json.loads(stats.read_text())
    result["displayed_share"] = round(result["frames_displayed"] / result["frames_captured"], 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: 720p30,1080p30")
    parser.add_argument("--compositors", default="cpu", help="comma-separated: cpu,gl")
    args = parser.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="focuscam-live-") as tmp:
        for name in args.sizes.split(","):
            clip = make_clip(Path(tmp) / f"{name}.avi", SIZES[name])
            for comp in args.compositors.split(","):
                stats = Path(tmp) / f"{name}-{comp}.json"
                extra = ["--compositor", comp]
                out.setdefault(name, {})[comp] = run_live(clip, args.seconds, stats, extra)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
