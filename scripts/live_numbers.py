"""Measure the live viewfinder on video files: frames shown, latency, CPU (issue targets).

Makes a 720p30 and a 1080p30 clip of each motion (walk: a real portrait walking over a real
photo; sit: a person sitting in a call, breathing and moving their head a little; sensor noise,
MJPG like most webcams send), runs `focuscam live` on each for SECONDS in a 960x540 window
under Xvfb when there is no display, in each mode (photo: the viewfinder; call: the call
preview) and with each --segment-every, and prints one JSON document with every run's
`--stats-json` plus the share of source frames displayed.

Run: .venv/bin/python scripts/live_numbers.py [--seconds 20] [--compositors cpu,gl]
         [--motions walk,sit] [--modes photo,call] [--segment-every 1,auto]
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

from app.lab.synthetic import Actor, Scene
from app.outputs.video import VideoOutput
from app.ui.settings import Settings

SIZES = {"720p30": (1280, 720), "1080p30": (1920, 1080)}


def make_clip(path: Path, size: tuple[int, int], motion: str = "walk", frames: int = 120) -> Path:
    if motion == "sit":
        scene = Scene(size, "brick.png", noise=2.0, actors=(Actor("collins", 0.8, 0.5, "sit"),))
    else:
        scene = Scene(size, "motorcycle_left.png", "moving", noise=2.0)
    out = VideoOutput(path, overwrite=True)
    out.open(size, 30.0)
    for i in range(frames):
        out.write(scene.frame(i).image)
    out.commit()
    return path


def run_live(clip: Path, seconds: float, stats: Path, extra: list[str], mode: str = "photo"):
    cmd = [sys.executable, "-m", "app", "live", "--source", str(clip), "-t", str(seconds),
           "--window", "960x540", "--stats-json", str(stats), *extra]  # fmt: skip
    ini = stats.with_suffix(".ini")
    Settings(ini).set("mode", mode)  # the window opens in the mode last used
    env = dict(os.environ, FOCUSCAM_SETTINGS=str(ini))
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
    parser.add_argument("--motions", default="walk", help="comma-separated: walk,sit")
    parser.add_argument("--modes", default="photo", help="comma-separated: photo,call")
    parser.add_argument("--segment-every", default="1", help="comma-separated: 1,auto")
    args = parser.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="focuscam-live-") as tmp:
        for name in args.sizes.split(","):
            for motion in args.motions.split(","):
                clip = make_clip(Path(tmp) / f"{name}-{motion}.avi", SIZES[name], motion)
                for comp in args.compositors.split(","):
                    for mode in args.modes.split(","):
                        for every in args.segment_every.split(","):
                            key = f"{name} {motion} {comp} {mode} every={every}"
                            stats = Path(tmp) / (key.replace(" ", "_") + ".json")
                            extra = ["--compositor", comp, "--segment-every", every]
                            out[key] = run_live(clip, args.seconds, stats, extra, mode)
                            print(f"{key}: CPU {out[key]['cpu_percent']}%, latency p50 "
                                  f"{out[key]['latency_ms']['p50']} ms, model "
                                  f"{out[key]['model_calls_per_s']}/s", file=sys.stderr)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
