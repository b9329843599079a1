"""The README's picture of a focus pull: assets/focus-pull.jpg. Two people (Grace Hopper and
Eileen Collins) before a real photo with the background blurred; Collins is chosen (as a click
would), and the strip shows the picture as the focus moves to her: before, after 0.1 s, 0.2 s
and 0.3 s. Made with the app's own frame step.
Run: .venv/bin/python scripts/focus_image.py [--out assets/focus-pull.jpg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "assets" / "focus-pull.jpg"))
    args = parser.parse_args()
    from app.common.files import write_file
    from app.compositing.cpu import CpuCompositor
    from app.compositing.spec import EffectSpec
    from app.lab.synthetic import Actor, Scene
    from app.outputs.images import encode_image
    from app.segmentation.engine import SegmentationEngine
    from app.steps.step import FrameStep

    scene = Scene((960, 540), "rocket.jpg", noise=2.0, actors=(
        Actor("hopper", 0.7, 0.3, "sway"), Actor("collins", 0.7, 0.72, "sway")))  # fmt: skip
    step = FrameStep(SegmentationEngine(video=True), CpuCompositor())
    shots = {}
    try:
        for i in range(24):
            f = scene.frame(i)
            if i == 12:
                ys, xs = np.nonzero(f.people[1])
                step.focus.choose((xs.mean() / 960, ys.mean() / 540))
            picture, _, _ = step.run(f.image, EffectSpec("blur", 0.7), i * 33_333_333)
            if i in (11, 15, 18, 21):
                shots[i] = cv2.resize(picture, (480, 270), interpolation=cv2.INTER_AREA)
    finally:
        step.close()
    labels = {11: "everyone", 15: "0.1 s", 18: "0.2 s", 21: "0.3 s: Collins"}
    tiles = []
    for i, img in shots.items():
        img = img.copy()
        cv2.rectangle(img, (0, 0), (14 + 10 * len(labels[i]), 28), (0, 0, 0), -1)
        cv2.putText(img, labels[i], (7, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1,
                    cv2.LINE_AA)  # fmt: skip
        tiles.append(img)
    gap = np.full((270, 4, 3), 255, np.uint8)
    strip = np.hstack([tiles[0], gap, tiles[1], gap, tiles[2], gap, tiles[3]])
    path = write_file(Path(args.out), encode_image(strip, ".jpg", 88), overwrite=True)
    print(f"wrote {path} ({strip.shape[1]}x{strip.shape[0]})")


if __name__ == "__main__":
    main()
