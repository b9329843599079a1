"""The README's before/after pictures of the looks, made with the app's own frame step:
assets/look-light.jpg (studio light), assets/look-low-light.jpg (a dim, noisy room) and
assets/look-touch-up.jpg (the face, close). Each: before on the left, after on the right.
Run: .venv/bin/python scripts/looks_pictures.py [--folder assets]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def labelled(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (18 + 11 * len(text), 34), (0, 0, 0), -1)
    cv2.putText(out, text, (9, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2,
                cv2.LINE_AA)  # fmt: skip
    return out


def side_by_side(before: np.ndarray, after: np.ndarray, what: str) -> np.ndarray:
    gap = np.full((before.shape[0], 6, 3), 255, np.uint8)
    return np.hstack([labelled(before, "before"), gap, labelled(after, what)])


def frames_through(frames, spec) -> np.ndarray:
    """The last picture of ``frames`` through the live frame step with ``spec``."""
    from app.compositing.cpu import CpuCompositor
    from app.segmentation.engine import SegmentationEngine
    from app.steps.step import FrameStep

    step = FrameStep(SegmentationEngine(video=True), CpuCompositor())
    picture = None
    for i, f in enumerate(frames):
        picture, _, _ = step.run(f, spec, i * 33_333_333)
    step.close()
    return picture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(ROOT / "assets"))
    args = parser.parse_args()
    from app.common.files import write_file
    from app.compositing.spec import EffectSpec
    from app.outputs.images import encode_image
    from app.sources.demo import DemoSource

    folder = Path(args.folder)
    demo = DemoSource((960, 540), paced=False)
    demo.open()
    frames = [demo.read() for _ in range(30)]
    demo.close()
    still = [frames[0]] * 30  # a person sitting still: the looks settle

    pictures = {}
    pictures["look-light.jpg"] = side_by_side(
        frames_through(still, EffectSpec("blur", 0.6)),
        frames_through(still, EffectSpec("blur", 0.6, light=0.8)), "studio light 0.8")
    rng = np.random.default_rng(1)
    dark = [np.clip(f * 0.3 + rng.normal(0, 6, f.shape), 0, 255).astype(np.uint8)
            for f in still]  # fmt: skip
    pictures["look-low-light.jpg"] = side_by_side(
        frames_through(dark, EffectSpec("blur", 0.6, low_light="off")),
        frames_through(dark, EffectSpec("blur", 0.6, low_light="on")), "low light")
    from importlib.resources import files

    portrait = cv2.imread(str(files("app.assets") / "people" / "grace_hopper.jpg"))
    before = frames_through([portrait] * 3, EffectSpec("none"))
    after = frames_through([portrait] * 3, EffectSpec("none", touch_up=1.0))
    crop = (slice(110, 400), slice(130, 410))  # the face
    pictures["look-touch-up.jpg"] = side_by_side(
        cv2.resize(before[crop], None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC),
        cv2.resize(after[crop], None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC),
        "touch-up 1.0")  # fmt: skip
    for name, img in pictures.items():
        path = write_file(folder / name, encode_image(img, ".jpg", 88), overwrite=True)
        print(f"wrote {path} ({img.shape[1]}x{img.shape[0]})")


if __name__ == "__main__":
    main()
