"""Make assets/replace-edge.jpg: the demo scene in Replace and Blur, before and after the crop
around the person and the edge's own colour (the cup behind the head, the halo of the old
background around the hat), rendered by the real pipeline.

Run: .venv/bin/python scripts/edge_image.py [TARGET]
"""

from __future__ import annotations

import importlib.resources
import sys
from pathlib import Path

import numpy as np

from app.common.images import read_image
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.lab.evaluation import plain_engine
from app.lab.pictures import save_side_by_side
from app.segmentation.engine import SegmentationEngine
from app.sources.demo import DemoSource

FRAMES = 20  # of live video before the picture, as the window would show it


def _pictures(engine: SegmentationEngine, frames: list[np.ndarray]) -> np.ndarray:
    space = read_image(
        str(importlib.resources.files("app.assets") / "backgrounds" / "deep-space.jpg")
    )
    with engine:
        for i, frame in enumerate(frames):
            matte, _ = engine.process(frame, int(i * 1e9 / 30))
    with CpuCompositor() as comp:
        replaced = comp.render(frame, matte, EffectSpec("replace", background=space))
        blurred = comp.render(frame, matte, EffectSpec("blur", 0.6))
    # The head and shoulders, where the cup and the saucer touch them.
    return np.vstack([replaced[40:400, 330:970], blurred[40:400, 330:970]])


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "assets/replace-edge.jpg")
    demo = DemoSource(paced=False)
    demo.open()
    frames = [demo.read() for _ in range(FRAMES)]
    demo.close()
    before = _pictures(plain_engine(), frames)
    after = _pictures(SegmentationEngine(video=True), frames)
    save_side_by_side(target, before, after, ("before", "crop + edge colour"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
