"""Make the moving background preset: assets/backgrounds/drifting-lights.mp4.

Soft out-of-focus lights drifting over a dark blue-violet gradient, 4 s at 30 fps, 960x540,
H.264. Every light moves on a closed path with a period of the clip's length, so the clip
loops by itself. Drawn here from nothing (no third-party picture): the same licence as the
code. Run: .venv/bin/python scripts/make_moving_background.py [--out PATH]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (960, 540)
FPS = 30
SECONDS = 4
LIGHTS = 26


def frames(seed: int = 7):
    w, h = SIZE
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top, bottom = np.array([70, 30, 40], np.float32), np.array([40, 18, 22], np.float32)  # BGR
    base = top * (1 - y) + bottom * y + np.zeros((h, w, 3), np.float32)
    lights = []
    for _ in range(LIGHTS):
        lights.append((
            rng.uniform(0, w), rng.uniform(0.1 * h, 0.9 * h),  # centre of its path
            rng.uniform(20, 90), rng.uniform(10, 40),  # path radii
            rng.integers(1, 3) * rng.choice((-1, 1)),  # turns per loop (whole: it loops)
            rng.uniform(0, 2 * math.pi),  # phase
            rng.uniform(10, 34),  # disc radius
            rng.choice([(90, 180, 255), (120, 220, 255), (255, 170, 120), (200, 140, 255)]),
            rng.uniform(0.25, 0.6),  # brightness
        ))  # fmt: skip
    n = FPS * SECONDS
    for i in range(n):
        t = 2 * math.pi * i / n
        glow = np.zeros((h, w, 3), np.float32)
        for cx, cy, rx, ry, turns, phase, r, colour, level in lights:
            x = cx + rx * math.cos(turns * t + phase)
            y0 = cy + ry * math.sin(turns * t + phase)
            tint = tuple(c * level / 255 for c in colour)
            cv2.circle(glow, (int(x * 4), int(y0 * 4)), int(r * 4), tint, -1, cv2.LINE_AA, shift=2)
        glow = cv2.GaussianBlur(glow, (0, 0), 3)
        yield np.clip(base + 255 * glow, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "assets" / "backgrounds" /
                                             "drifting-lights.mp4"))  # fmt: skip
    args = parser.parse_args()
    from app.outputs.video import VideoOutput

    out = VideoOutput(args.out, overwrite=True)
    out.open(SIZE, FPS)
    try:
        for i, frame in enumerate(frames()):
            out.write(frame, int(i * 1e9 / FPS))
        path = out.commit()[0]
    except BaseException:
        out.abort()
        raise
    print(f"wrote {path} ({FPS * SECONDS} frames, {path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
