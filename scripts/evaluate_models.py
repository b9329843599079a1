"""Which selfie model suits which frame shape? Prints the numbers behind LANDSCAPE_MIN_ASPECT.

Both models see the same synthetic sequences (a real portrait swaying over a real photo, exact
truth) at 16:9, 4:3 and portrait shapes; we report the raw model's IoU and boundary F1 and the
model's own latency. Run: .venv/bin/python scripts/evaluate_models.py [--frames N]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from app.common.resize import downscale
from app.lab.evaluation import evaluate
from app.lab.samples import portrait
from app.lab.synthetic import Scene
from app.segmentation import models, runtimes

SHAPES = {"16:9": (1280, 720), "4:3": (960, 720), "portrait": (720, 1280)}


def model_ms(name: str, runs: int = 100) -> float:
    seg = runtimes.get(runtimes.DEFAULT_RUNTIME).segmenter(models.locate(name), video=True)
    try:
        small = downscale(portrait(), models.KNOWN_MODELS[name].input_size)
        times = []
        for i in range(runs):
            t0 = time.perf_counter()
            seg.segment(small, i * 33)
            times.append((time.perf_counter() - t0) * 1e3)
        return round(float(np.median(times)), 2)
    finally:
        seg.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    result: dict = {"model_ms_p50": {m: model_ms(m) for m in models.SEGMENTATION_MODELS}}
    for shape, size in SHAPES.items():
        scene = Scene(size, "coffee.png", "sway", noise=3.0, person_height=0.8)
        for name in models.SEGMENTATION_MODELS:
            raw = evaluate(scene, args.frames, name)["raw"]
            result.setdefault(shape, {})[name] = {
                "iou": round(raw["iou"], 3),
                "boundary_f1": round(raw["boundary_f1"], 3),
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
