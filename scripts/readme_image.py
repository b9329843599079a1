"""Make assets/screenshot.jpg: a demo frame before and after, rendered by the real pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from app.common.files import write_file
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.lab.synthetic import Scene
from app.outputs.images import encode_image
from app.segmentation.engine import SegmentationEngine


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "assets/screenshot.jpg")
    frame = Scene((1280, 720), "motorcycle_left.png", "still", noise=2.0).frame(0).image
    with SegmentationEngine(video=False) as engine:
        matte, _ = engine.process(frame)
    out = CpuCompositor().render(frame, matte, EffectSpec("blur", 0.7))
    both = np.hstack([frame, out])
    small = cv2.resize(both, (1280, 360), interpolation=cv2.INTER_AREA)
    write_file(target, encode_image(small, ".jpg", jpeg_quality=88), overwrite=True)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
