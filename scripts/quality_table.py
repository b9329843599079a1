"""The README's quality table: every scene of the quality catalogue, raw model vs FocusCam.

Runs each scene of app/lab/evaluation.py's QUALITY_SCENES through the live engine (LiteRT) and
prints a Markdown table: IoU, boundary F1, flicker, frames where a present person vanished,
frames to acquire a newcomer, the share of the frame called person where nobody is, and the
colour error of Replace in the band along the true outline (evaluation.edge_colour) against
the same engine without its crop and edge colour ("plain"). Scenes held out while the rules
were tuned (evaluation.HELD_OUT) are marked with a dagger. tests/test_quality.py asserts the
targets on the same numbers. ``--photos`` prints the photo table instead: each scene's last frame
taken as a photo (the photo engine), raw model vs the photo engine without and with its
held-object step (tests/test_held.py asserts it).
Run: .venv/bin/python scripts/quality_table.py [--json PATH] [--only TEXT] [--photos]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from app.common.images import read_image
from app.lab.evaluation import (
    HELD_OUT,
    QUALITY_SCENES,
    edge_colour,
    plain_engine,
    score_photo,
    score_scene,
)
from app.outputs.jsonfile import write_json
from app.steps.photo import photo_engine


def _f(value: float, digits: int = 3, pct: bool = False) -> str:
    if math.isnan(value):
        return "–"
    return f"{100 * value:.1f}%" if pct else f"{value:.{digits}f}"


def main() -> None:
    import importlib.resources

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write every number here")
    parser.add_argument("--only", help="only scenes whose name contains this")
    parser.add_argument("--photos", action="store_true", help="the photo table")
    args = parser.parse_args()
    if args.photos:
        return photos(args)
    space = read_image(
        str(importlib.resources.files("app.assets") / "backgrounds" / "deep-space.jpg")
    )
    everything, people = {}, []
    print(
        "| scene | IoU raw / ours | boundary F1 raw / ours | flicker raw / ours "
        "| vanished raw / ours | frames to acquire | called person where nobody is raw / ours "
        "| edge colour error plain / ours |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (make, n) in QUALITY_SCENES.items():
        if args.only and args.only not in name:
            continue
        r = score_scene(make(), n)
        scene = make()
        if scene.actors and scene.light == 1.0 and scene.gamma == 1.0:
            r["edge"] = {
                "plain": edge_colour(make(), n, space, plain_engine()),
                "ours": edge_colour(make(), n, space),
            }
        everything[name] = r
        a, b = r["raw"], r["refined"]
        e = r.get("edge", {"plain": float("nan"), "ours": float("nan")})
        nobody = not scene.actors
        if not nobody:
            people.append(r)
        print(
            f"| {name}{' †' if name in HELD_OUT else ''} "
            f"| {_f(a['iou'])} / {_f(b['iou'])} "
            f"| {_f(a['boundary_f1'])} / {_f(b['boundary_f1'])} "
            f"| {_f(a['flicker'], 4)} / {_f(b['flicker'], 4)} "
            f"| {_f(a['vanished'], pct=True)} / {_f(b['vanished'], pct=True)} "
            f"| {_f(b['acquire_frames'], 0)} "
            + (
                f"| {_f(a['person_fraction'], pct=True)} / {_f(b['person_fraction'], pct=True)} "
                if nobody
                else "| – "
            )
            + f"| {_f(e['plain'], 1)} / {_f(e['ours'], 1)} |",
            flush=True,
        )
    if people:
        raw = np.mean([v["raw"]["iou"] for v in people])
        ours = np.mean([v["refined"]["iou"] for v in people])
        print(f"\nMean IoU over the scenes with people: raw {raw:.3f}, ours {ours:.3f}")
    if args.json:
        write_json(args.json, everything)


def photos(args) -> None:
    """Each scene's last frame as a photo: raw, without the held step, ours."""
    engines = {"without": photo_engine(held=None), "ours": photo_engine()}
    everything, rows = {}, []
    print("| photo of | IoU raw / without held step / ours | boundary F1 raw / ours "
          "| held thing kept raw / ours |")  # fmt: skip
    print("| --- | --- | --- | --- |")
    try:
        for name, (make, n) in QUALITY_SCENES.items():
            if (args.only and args.only not in name) or not make().actors:
                continue
            r = {k: score_photo(make(), n - 1, e) for k, e in engines.items()}
            raw, without, ours = r["ours"]["raw"], r["without"]["refined"], r["ours"]["refined"]
            everything[name] = {"raw": raw, "without_held": without, "ours": ours}
            rows.append((raw["iou"], without["iou"], ours["iou"]))
            print(
                f"| {name}{' †' if name in HELD_OUT else ''} "
                f"| {_f(raw['iou'])} / {_f(without['iou'])} / {_f(ours['iou'])} "
                f"| {_f(raw['boundary_f1'])} / {_f(ours['boundary_f1'])} "
                f"| {_f(raw['held_kept'], pct=True)} / {_f(ours['held_kept'], pct=True)} |",
                flush=True,
            )
    finally:
        for e in engines.values():
            e.close()
    if rows:
        m = np.mean(rows, axis=0)
        print(f"\nMean IoU over the photos: raw {m[0]:.3f}, without the held step {m[1]:.3f}, "
              f"ours {m[2]:.3f}")  # fmt: skip
    if args.json:
        write_json(args.json, everything)


if __name__ == "__main__":
    main()
