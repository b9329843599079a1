"""The README's quality table: every scene of the quality catalogue, raw model vs FocusCam.

Runs each scene of app/lab/evaluation.py's QUALITY_SCENES through the live engine (LiteRT) and
prints a Markdown table: IoU, boundary F1, flicker, frames where a present person vanished,
frames to acquire a newcomer, and the share of frames where something that is not a person was
called one. tests/test_quality.py asserts the targets on the same numbers.
Run: .venv/bin/python scripts/quality_table.py [--json PATH]
"""

from __future__ import annotations

import argparse
import math

from app.lab.evaluation import QUALITY_SCENES, score_scene
from app.outputs.jsonfile import write_json


def _f(value: float, digits: int = 3, pct: bool = False) -> str:
    if math.isnan(value):
        return "–"
    return f"{100 * value:.0f}%" if pct else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write every number here")
    args = parser.parse_args()
    rows, everything = [], {}
    print(
        "| scene | IoU raw / ours | boundary F1 raw / ours | flicker raw / ours "
        "| vanished raw / ours | frames to acquire | not-a-person called person raw / ours |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (make, n) in QUALITY_SCENES.items():
        r = score_scene(make(), n)
        everything[name] = r
        a, b = r["raw"], r["refined"]
        rows.append(
            f"| {name} | {_f(a['iou'])} / {_f(b['iou'])} "
            f"| {_f(a['boundary_f1'])} / {_f(b['boundary_f1'])} "
            f"| {_f(a['flicker'], 4)} / {_f(b['flicker'], 4)} "
            f"| {_f(a['vanished'], pct=True)} / {_f(b['vanished'], pct=True)} "
            f"| {_f(b['acquire_frames'], 0)} "
            f"| {_f(a['false_frames'], pct=True)} / {_f(b['false_frames'], pct=True)} |"
        )
        print(rows[-1], flush=True)
    if args.json:
        write_json(args.json, everything)


if __name__ == "__main__":
    main()
