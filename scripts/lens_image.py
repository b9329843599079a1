"""Make assets/lens.jpg: the same photo with `blur` and with `lens`, side by side.

A real portrait in front of a dusk launch pad with a dozen small lights (a lab scene), through
the photo engine; left the Gaussian blur, right the lens look.
Run: .venv/bin/python scripts/lens_image.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.lab.pictures import save_side_by_side
from app.lab.synthetic import Actor, Scene
from app.segmentation.engine import SegmentationEngine


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "assets/lens.jpg")
    scene = Scene((1920, 1080), "rocket.jpg", noise=1.0, lights=12,
                  actors=(Actor("hopper", 0.8, 0.5, "still"),))  # fmt: skip
    frame = scene.frame(0).image
    with SegmentationEngine(video=False) as engine, CpuCompositor() as comp:
        matte, _ = engine.process(frame)
        blur = comp.render(frame, matte, EffectSpec("blur", 0.6), (960, 540)).copy()
        lens = comp.render(frame, matte, EffectSpec("lens", 0.6), (960, 540)).copy()
    save_side_by_side(target, blur, lens, ("blur", "lens"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
