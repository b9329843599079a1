"""Soak test: run `focuscam live --source demo` for a long time and watch its memory.

Starts the real viewfinder (offscreen Qt platform, no display needed) for SECONDS, samples its
resident memory (RSS) every INTERVAL seconds, and prints one JSON document: RSS after the
first minute, at the end, the growth in between, and the samples. The issue's target: under
20 MB of growth over an hour after the first minute.
Run: .venv/bin/python scripts/soak.py [--seconds 3600] [--interval 10] [--json PATH]
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

from app.outputs.jsonfile import write_json


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--json", help="also write the result here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="focuscam-soak-") as tmp:
        stats = Path(tmp) / "stats.json"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FOCUSCAM_SETTINGS=f"{tmp}/s.ini")
        cmd = [sys.executable, "-m", "app", "live", "--source", "demo", "-t", str(args.seconds),
               "--compositor", "cpu", "--stats-json", str(stats)]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env)
        t0 = time.monotonic()
        samples: list[tuple[float, float]] = []
        while proc.poll() is None:
            time.sleep(args.interval)
            try:
                samples.append((round(time.monotonic() - t0, 1), round(rss_mb(proc.pid), 1)))
            except OSError:
                break
        proc.wait()
        live = json.loads(stats.read_text()) if stats.exists() else {}
    after_minute = next((mb for t, mb in samples if t >= 60), samples[0][1] if samples else 0)
    end = samples[-2][1] if len(samples) > 1 else after_minute  # before the window closed
    result = {
        "seconds": args.seconds,
        "rss_mb_after_first_minute": after_minute,
        "rss_mb_at_end": end,
        "growth_mb_after_first_minute": round(end - after_minute, 1),
        "peak_rss_mb": max((mb for _, mb in samples), default=0),
        "frames_displayed": live.get("frames_displayed"),
        "fps_displayed": live.get("fps_displayed"),
        "samples": samples,
    }
    text = json.dumps(result, indent=2)
    if args.json:
        write_json(args.json, result)
    print(text)


if __name__ == "__main__":
    main()
