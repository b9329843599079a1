"""Refined matte vs the raw model, frame by frame, on scenes with exact ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from app.lab import samples
from app.lab.evaluation import evaluate
from app.lab.synthetic import Scene
from app.segmentation.base import person_probability

SIZE = (1280, 720)


@pytest.mark.parametrize("background", ["motorcycle_left.png", "coffee.png"])
def test_still_subject_flickers_at_most_half_as_much_as_raw(background):
    r = evaluate(Scene(SIZE, background, "still", noise=4.0), 24, "landscape")
    assert r["raw"]["flicker"] > 0  # the raw model does shimmer under sensor noise
    assert r["refined"]["flicker"] <= 0.5 * r["raw"]["flicker"], r


@pytest.mark.parametrize("background", ["motorcycle_left.png", "coffee.png"])
def test_moving_subject_is_followed_without_losing_iou_and_edges_improve(background):
    r = evaluate(Scene(SIZE, background, "moving", noise=4.0), 24, "landscape")
    assert r["refined"]["iou"] >= r["raw"]["iou"] - 0.01, r
    assert r["refined"]["boundary_f1"] > r["raw"]["boundary_f1"], r


@pytest.mark.parametrize("background", samples.NO_PERSON_SCENES)
def test_scenes_with_no_person_stay_background(background):
    r = evaluate(Scene(SIZE, background, "none", noise=4.0), 8, "landscape")
    assert r["refined"]["person_fraction"] <= 0.05, r


def test_the_cat_is_what_the_raw_model_gets_wrong():
    """Guards the test above: the no-person scenes include one the raw model fails on."""
    r = evaluate(Scene(SIZE, "chelsea.png", "none", noise=4.0), 2, "landscape")
    assert r["raw"]["person_fraction"] > 0.3


def test_multiclass_person_is_everything_but_background():
    bg = np.full((2, 2), 0.7, np.float32)
    hair = np.full((2, 2), 0.2, np.float32)
    body = np.full((2, 2), 0.1, np.float32)
    p = person_probability([hair, bg, body], ["hair", "Background", "body"])
    np.testing.assert_allclose(p, 0.3)
    # No labels: class 0 is background, as in MediaPipe's multi-class models.
    np.testing.assert_allclose(person_probability([bg, hair], []), 0.3)
    # One mask: it is the person.
    np.testing.assert_allclose(person_probability([hair], ["person"]), 0.2)
