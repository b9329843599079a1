"""The numbers behind "Into the call": virtual-camera pacing, recording accuracy and cost,
auto-framing. Prints one JSON document.

- virtual camera: 20 s of a 720p30 clip through the live pipeline into a pyvirtualcam backend
  that keeps what it receives (no kernel module is needed); p50/p95 of the send intervals;
- recording: `focuscam live --no-window --record` for SECONDS on the same clip: duration and
  rate of the file against the time recorded, and the process's CPU with and without it;
- auto-framing: the share of frames with the person's head and shoulders within 0.1 of the
  middle, and the p95 of the crop centre's acceleration, on a synthetic walk.
Run: .venv/bin/python scripts/call_numbers.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import pyvirtualcam

from app.compositing.spec import EffectSpec
from app.framing import CALL_SIZE
from app.lab.evaluation import score_framing
from app.lab.synthetic import Actor, Scene
from app.outputs.feed import Feed
from app.outputs.live import CAMERA, open_virtual_camera
from app.outputs.video import VideoOutput
from app.pipeline import OutputRequest, Pipeline
from app.sources.files import FileSource


class Keep:
    times: list[float] = []

    def __init__(self, **kw) -> None:
        pass

    def send(self, frame) -> None:
        Keep.times.append(time.monotonic())

    def device(self) -> str:
        return "keep"

    def native_fourcc(self):
        return None

    def close(self) -> None:
        pass


def make_clip(path: Path, frames: int = 300) -> Path:
    scene = Scene((1280, 720), "motorcycle_left.png", noise=2.0,
                  actors=(Actor("hopper", 0.8, 0.5, "sway"),))  # fmt: skip
    out = VideoOutput(path, overwrite=True)
    out.open((1280, 720), 30.0)
    for i in range(frames):
        out.write(scene.frame(i).image, int(i * 1e9 / 30))
    out.commit()
    return path


def camera_pacing(clip: Path, seconds: float = 20.0) -> dict:
    pyvirtualcam.register_backend("keep", Keep)
    p = Pipeline()
    p.request = OutputRequest(spec=EffectSpec("blur", 0.6), shown=False)
    p.add_feed(CAMERA, open_virtual_camera(None, 30.0, backend="keep"))
    p.start(FileSource(clip))
    time.sleep(seconds)
    feed = p.remove_feed("virtual-camera")
    feed.close()
    p.close()
    iv = np.diff(Keep.times[5:]) * 1000
    return {"frames_sent": len(Keep.times), "interval_ms_p50": round(float(np.median(iv)), 1),
            "interval_ms_p95": round(float(np.percentile(iv, 95)), 1),
            "dropped": feed.dropped}  # fmt: skip


class Discard(VideoOutput):
    """The same feed, with nothing encoded: what the call picture costs without a recorder."""

    def open(self, size, fps) -> None:
        pass

    def write(self, image, t_ns=0, matte=None) -> None:
        pass

    def commit(self):
        return []

    def abort(self) -> None:
        pass


def cpu_percent(clip: Path, output, seconds: float = 20.0) -> float:
    p = Pipeline()
    p.request = OutputRequest(spec=EffectSpec("blur", 0.6), shown=False)
    p.add_feed("recorder", Feed(output, "recorder", CALL_SIZE, 30.0, queue_size=90))
    p.start(FileSource(clip))
    time.sleep(3.0)  # models loaded, steady state
    c0, t0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    cpu = 100 * (time.process_time() - c0) / (time.monotonic() - t0)
    p.close()
    return round(cpu, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="focuscam-call-") as t:
        tmp = Path(t)
        clip = make_clip(tmp / "clip.mp4")
        out["virtual_camera"] = camera_pacing(clip)
        rec = tmp / "rec.mp4"
        stats = tmp / "s.json"
        t0 = time.monotonic()
        cmd = [sys.executable, "-m", "app", "live", "--no-window", "--source", str(clip), "-t",
               str(args.seconds), "--record", str(rec), "--stats-json", str(stats)]  # fmt: skip
        subprocess.run(cmd, check=True, env=dict(os.environ), timeout=args.seconds + 120)
        with_rec = json.loads(stats.read_text())
        with av.open(str(rec)) as c:
            stamps = [f.time for f in c.decode(video=0)]
        duration = stamps[-1] - stamps[0]
        out["recording"] = {
            "seconds_asked": args.seconds,
            "wall_s": round(time.monotonic() - t0, 1),
            "frames": len(stamps),
            "duration_s": round(duration, 2),
            "fps": round((len(stamps) - 1) / duration, 2),
            "frames_captured": with_rec["frames_captured"],
            "recorder": with_rec.get("outputs", {}).get("recorder"),
            "cpu_percent_call_picture_only": cpu_percent(clip, Discard(tmp / "x.mp4")),
            "cpu_percent_recording": cpu_percent(clip, VideoOutput(tmp / "cost.mp4")),
        }
        walk = Scene((1280, 720), "brick.png", noise=3.0,
                     actors=(Actor("hopper", 0.55, 0.3, "walk"),))  # fmt: skip
        out["auto_framing"] = score_framing(walk, 150)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
