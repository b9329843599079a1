"""Make assets/autoframe.jpg: the call picture without and with auto-framing, side by side.

A real portrait standing off to the side and further back (a synthetic lab scene), through the
live engine: left, the centred 16:9 window a call app would get; right, the auto-framed one
after the framer has settled. Run: .venv/bin/python scripts/framing_image.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.framing import AutoFramer, call_frame, crop_16_9
from app.lab.pictures import save_side_by_side
from app.lab.synthetic import Actor, Scene
from app.segmentation.engine import SegmentationEngine


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "assets/autoframe.jpg")
    scene = Scene((1280, 720), "motorcycle_left.png", noise=2.0,
                  actors=(Actor("hopper", 0.5, 0.3, "still"),))  # fmt: skip
    spec = EffectSpec("blur", 0.6)
    framer = AutoFramer()
    with SegmentationEngine(video=True) as engine, CpuCompositor() as comp:
        for i in range(60):
            frame = scene.frame(i).image
            t_ns = int(i * 1e9 / 30)
            matte, _ = engine.process(frame, t_ns)
            rect = framer.update(matte.alpha, (1280, 720), t_ns)
        plain = call_frame(comp, frame, matte, spec, crop_16_9((1280, 720)), (640, 360))
        framed = call_frame(comp, frame, matte, spec, rect, (640, 360))
    save_side_by_side(target, plain, framed, ("call picture", "with auto-framing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
