"""Pay only for what changes (app/segmentation/cadence.py): a still person costs a fraction of
the model calls, a moving one none fewer, and the matte is the same as with every frame."""

from __future__ import annotations

import numpy as np
import pytest

from app.lab import metrics
from app.lab.evaluation import QUALITY_SCENES
from app.lab.synthetic import Actor, Scene
from app.pipeline import Pipeline
from app.segmentation.cadence import Cadence, CadenceParams
from app.segmentation.engine import SegmentationEngine


def _run(scene: Scene, n: int, **kw) -> tuple[list[float], int]:
    ious = []
    with SegmentationEngine(video=True, **kw) as engine:
        for i in range(n):
            sf = scene.frame(i)
            matte, t = engine.process(sf.image, int(i * 1e9 / scene.fps))
            h, w = sf.truth.shape
            # frames with nobody in them yet do not count (someone who walks in later)
            ious.append(metrics.iou(matte.full((w, h)), sf.truth) if sf.truth.any() else np.nan)
        return ious, engine.model_calls


def test_a_still_person_costs_a_fraction_of_the_model_calls_and_the_same_matte():
    make = lambda: Scene((1280, 720), "brick.png", noise=3.0,  # noqa: E731
                         actors=(Actor("collins", 0.8, 0.5, "still"),))  # fmt: skip
    auto, calls = _run(make(), 40, cadence=CadenceParams())
    every, all_calls = _run(make(), 40, cadence=None)
    assert all_calls == 40
    assert calls <= 40 / CadenceParams().every + 2  # about one frame in four
    assert np.mean(auto) >= np.mean(every) - 0.005


def test_a_moving_person_gets_the_model_on_every_frame():
    scene = Scene((1280, 720), "motorcycle_left.png", "moving", noise=3.0)
    _, calls = _run(scene, 20, cadence=CadenceParams())
    assert calls >= 19


def test_the_cadence_runs_on_change_near_the_people_or_anywhere_large():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (144, 256, 3), np.uint8)
    people = np.zeros((144, 256), bool)
    people[40:, 100:160] = True
    c = Cadence(CadenceParams(every=100, settle=0))
    assert c.due(frame, people)  # the first frame
    assert not c.due(frame.copy(), people)  # nothing changed
    moved = frame.copy()
    moved[60:80, 150:170] ^= 0x80  # a hand moves by the person
    assert c.due(moved, people)
    far = moved.copy()
    far[0:10, 0:10] ^= 0x80  # a small change far from anyone: not worth a call
    assert not c.due(far, people)
    door = far.copy()
    door[:, :20] ^= 0x80  # somebody comes in at the side
    assert c.due(door, people)
    assert c.due(door, people, force=True)
    assert c.calls == 4 and c.frames == 6
    # Motion comes in runs: after a change the model also sees the next frame(s).
    c = Cadence(CadenceParams(every=100, settle=1))
    assert c.due(frame, people)
    assert c.due(moved, people)
    assert c.due(moved.copy(), people)  # nothing new, but right after a change
    assert not c.due(moved.copy(), people)


@pytest.mark.parametrize("name", ["sits in a call", "walks in after 1 s"])
def test_live_runs_it_by_default_and_it_is_as_good_as_every_frame(name):
    assert Pipeline().segment_every == "auto"  # the window and `live` pay for what changes
    make, n = QUALITY_SCENES[name]
    auto, calls = _run(make(), n, cadence=CadenceParams())
    every, _ = _run(make(), n, cadence=None)
    assert np.nanmean(auto) >= np.nanmean(every) - 0.005
    if name == "sits in a call":
        assert calls <= 0.75 * n  # and it does save model calls
