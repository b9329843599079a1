"""The subject is never lost, and nothing else becomes the subject: every scene of the quality
catalogue (app/lab/evaluation.py) through the live engine, against the raw model on the same frames.
The README's quality table comes from the same functions (scripts/quality_table.py)."""

from __future__ import annotations

import importlib.resources
from functools import cache

import numpy as np
import pytest

from app.common.images import read_image
from app.lab.evaluation import HELD_OUT, QUALITY_SCENES, edge_colour, plain_engine, score_scene
from app.segmentation.gate import BlobShape, GateParams, PersonGate, blob_shape

pytestmark = pytest.mark.slow

PERSON_SCENES = [n for n in QUALITY_SCENES if not n.startswith("nobody")]
EMPTY_SCENES = [n for n in QUALITY_SCENES if n.startswith("nobody")]


@cache
def _score(name: str) -> dict:
    make, n = QUALITY_SCENES[name]
    return score_scene(make(), n)


def test_the_catalogue_covers_what_the_issue_asks_for():
    names = " | ".join(QUALITY_SCENES)
    for who in ("hopper", "collins"):
        for h in ("0.45", "0.60", "0.75", "0.95"):
            assert f"{who} at {h}" in names
    for needed in ("side by side", "walks in", "mug", "low light", "4:3", "9:16", "poster",
                   "nobody: chelsea", "nobody: coffee", "further back", "tablet", "holds a mug",
                   "cat close, the other way", "cat at the desk, mirrored", "cat far",
                   "framed photo", "mug on the desk", "in front of a cup"):  # fmt: skip
        assert needed in names
    assert len(HELD_OUT) >= 10 and HELD_OUT <= set(QUALITY_SCENES)
    assert any(n.startswith("nobody") for n in HELD_OUT)


@pytest.mark.parametrize("name", PERSON_SCENES)
def test_a_present_person_never_vanishes_and_the_matte_is_no_worse_than_the_model(name):
    r = _score(name)
    raw, ref = r["raw"], r["refined"]
    # Where the model itself loses somebody (a person it is unsure of), the matte may not
    # lose them more often; everywhere else it never loses them.
    assert ref["vanished"] <= max(0.02, raw["vanished"] + 0.05), r
    assert ref["acquire_frames"] <= 10, r
    make, _ = QUALITY_SCENES[name]
    if all(actor.enter_s == 0 for actor in make().actors):
        assert ref["acquire_frames"] == 0, r  # whoever is there at the start is shown at once
    assert ref["iou"] >= raw["iou"] - 0.01, r
    assert ref["boundary_f1"] >= raw["boundary_f1"] - 0.005, r
    assert ref["flicker"] <= raw["flicker"] + 0.001, r
    if "poster" in name:
        assert ref["false_frames"] <= 0.05, r  # the face on the wall is not the subject


def test_over_all_scenes_with_people_the_matte_beats_the_model_by_three_points():
    raw = np.mean([_score(n)["raw"]["iou"] for n in PERSON_SCENES])
    ours = np.mean([_score(n)["refined"]["iou"] for n in PERSON_SCENES])
    assert ours >= raw + 0.03, (raw, ours)


@pytest.mark.parametrize("name", EMPTY_SCENES)
def test_scenes_with_nobody_stay_background(name):
    """Pets either way round and at any distance, a mug, a framed photo, a room: at most 1% of
    the frame is called person, on average."""
    r = _score(name)
    assert r["refined"]["person_fraction"] <= 0.01, r
    assert r["refined"]["false_frames"] <= 0.05, r


def test_the_empty_scenes_include_ones_the_raw_model_gets_wrong():
    """Guards the test above: the cat and the cup do fool the raw model, the other way round
    and at a distance too."""
    for name in ("nobody: chelsea", "nobody: coffee", "nobody: cat close, the other way",
                 "nobody: cat at the desk, mirrored", "nobody: a mug on the desk"):  # fmt: skip
        make, _ = QUALITY_SCENES[name]
        assert score_scene(make(), 3)["raw"]["person_fraction"] > 0.05, name


@cache
def _space() -> np.ndarray:
    return read_image(
        str(importlib.resources.files("app.assets") / "backgrounds" / "deep-space.jpg")
    )


@pytest.mark.parametrize(
    "name", [n for n in PERSON_SCENES if QUALITY_SCENES[n][0]().light == 1.0]
)
def test_replace_shows_less_of_the_old_background_at_the_edge(name):
    """The colour error along the true outline, of Replace over a new background, is never
    worse than the same engine's without its crop and edge colour, and the cup behind the
    head (the demo's ghost) loses at least 30% of it."""
    make, n = QUALITY_SCENES[name]
    plain = edge_colour(make(), n, _space(), plain_engine())
    ours = edge_colour(make(), n, _space())
    assert ours <= plain, (plain, ours)
    if name == "in front of a cup":
        assert ours <= 0.7 * plain, (plain, ours)


def _person_mask(h=144, w=256, cx=128, head=20, shoulders=60, top=40) -> np.ndarray:
    """A head-and-shoulders silhouette standing on the bottom edge."""
    m = np.zeros((h, w), bool)
    yy, xx = np.mgrid[0:h, 0:w]
    m |= ((xx - cx) / head) ** 2 + ((yy - top - head) / (head * 1.2)) ** 2 <= 1
    m[top + 2 * head :, cx - shoulders : cx + shoulders] = True
    return m


def test_a_head_and_shoulders_blob_is_person_shaped_and_a_round_one_is_not():
    prob = np.full((144, 256), 0.95, np.float32)
    person = blob_shape(_person_mask(), prob)
    assert person.bottom and person.head_ratio < 0.5 and person.person_shaped(GateParams())
    yy, xx = np.mgrid[0:144, 0:256]
    cup = ((xx - 128) / 90) ** 2 + ((yy - 90) / 70) ** 2 <= 1  # a big round thing
    assert not blob_shape(cup, prob).person_shaped(GateParams())


def _gate_run(masks: list[np.ndarray], faces_at=None):
    """Runs the gate over label images built from ``masks``; ``faces_at`` maps a mask index to
    a face box (0..1 of the crop) that the fake finder reports for crops of that blob."""
    import cv2

    calls = []

    def finder(crop):
        calls.append(crop.shape)
        return faces_at(crop) if faces_at else []

    gate = PersonGate(finder)
    labels = np.zeros(masks[0].shape, np.uint16)
    for k, m in enumerate(masks, 1):
        labels[m] = k
    areas = np.bincount(labels.ravel(), minlength=len(masks) + 1).astype(float)
    cand = np.ones(len(masks) + 1, bool)
    cand[0] = False
    prob = np.where(labels > 0, 0.95, 0.0).astype(np.float32)
    image = cv2.cvtColor((prob * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return gate, gate.confirmed(labels, areas, cand, prob, image), calls


def test_the_dominant_person_shaped_blob_is_kept_without_any_face():
    gate, ok, _ = _gate_run([_person_mask()])
    assert ok[1] and gate.reasons[1] == "shape"


def test_a_small_floating_face_is_not_a_person_even_with_a_face_but_a_neighbour_is():
    from app.segmentation.base import FaceBox

    user = _person_mask(cx=170)
    poster = np.zeros_like(user)
    poster[10:40, 20:45] = True  # high on the wall, small
    neighbour = _person_mask(cx=60, head=14, shoulders=30, top=60)
    face = lambda crop: [FaceBox(0.3, 0.2, 0.7, 0.6, 0.95)]  # noqa: E731
    _, ok, _ = _gate_run([user, poster], face)
    assert ok[1] and not ok[2]  # a face would be there, but a poster is not the subject
    _, ok, _ = _gate_run([user, neighbour], face)
    assert ok[1] and ok[2]


def test_an_unconfirmed_newcomer_is_searched_every_frame_then_less_often():
    gate = PersonGate(lambda crop: [], GateParams(newcomer_frames=10, face_interval=10))
    yy, xx = np.mgrid[0:144, 0:256]
    blob = ((xx - 128) / 90) ** 2 + ((yy - 90) / 70) ** 2 <= 1  # round: never person-shaped
    labels = blob.astype(np.uint16)
    areas = np.bincount(labels.ravel()).astype(float)
    cand = np.array([False, True])
    prob = np.where(blob, 0.9, 0.0).astype(np.float32)
    image = np.zeros((288, 512, 3), np.uint8)
    searched = []
    for _ in range(30):
        before = gate.searches
        assert not gate.confirmed(labels, areas, cand, prob, image)[1]
        searched.append(gate.searches > before)
    assert all(searched[:10]) and sum(searched[10:]) == 2


def test_blob_shape_reports_geometry():
    s: BlobShape = blob_shape(_person_mask(cx=100), np.ones((144, 256), np.float32))
    x0, y0, x1, y1 = s.box
    assert (x0, x1, y1) == (40, 160, 144) and abs(s.head_x - 100) < 1.5 and s.conf == 1.0


def _blob_run(gate: PersonGate, mask: np.ndarray, prob_value: float = 0.95):
    """One frame of ``mask`` (one blob) through ``gate``; whether it is called a person."""
    labels = mask.astype(np.uint16)
    areas = np.bincount(labels.ravel(), minlength=2).astype(float)
    prob = np.where(mask, prob_value, 0.0).astype(np.float32)
    image = np.zeros((288, 512, 3), np.uint8)
    candidates = np.array([False, bool(mask.any())])
    return bool(gate.confirmed(labels, areas, candidates, prob, image)[1])


def test_a_wrong_call_is_forgotten_but_a_person_who_turns_away_is_kept():
    """Evidence must be re-earned: a blob once called a person (here by a face) but with no
    face and no head-and-shoulders shape after that is dropped after ``forget_frames``; a
    head-and-shoulders blob without any face (a person seen from behind) is kept for good."""
    from app.segmentation.base import FaceBox

    params = GateParams(forget_frames=20, face_interval=5)
    yy, xx = np.mgrid[0:144, 0:256]
    round_blob = ((xx - 128) / 60) ** 2 + ((yy - 100) / 50) ** 2 <= 1  # a pet, say
    faces = [[FaceBox(0.3, 0.2, 0.5, 0.4, 0.95)]]  # found once, then never again
    gate = PersonGate(lambda crop: faces.pop() if faces else [], params)
    kept = [_blob_run(gate, round_blob) for _ in range(40)]
    assert kept[0] and all(kept[:20]) and not any(kept[25:])

    gate = PersonGate(lambda crop: [], params)
    assert all(_blob_run(gate, _person_mask()) for _ in range(100))


def test_a_person_the_model_misses_for_a_few_frames_is_still_a_person_when_seen_again():
    """Remembered where they were (``memory_frames``): no face search needed to get them back,
    even when their shape alone would not be enough to accept them anew."""
    params = GateParams(memory_frames=15)
    gate = PersonGate(lambda crop: [], params)
    person = _person_mask()
    assert _blob_run(gate, person)
    unsure = person.copy()
    gone = np.zeros_like(person)
    for _ in range(5):
        _blob_run(gate, gone)
    # Back, but now too unsure to pass the shape test: still a person, by memory.
    assert _blob_run(gate, unsure, prob_value=0.6)
    gate2 = PersonGate(lambda crop: [], params)
    assert not _blob_run(gate2, unsure, prob_value=0.6)  # a newcomer like that would not be


def test_a_face_on_a_blob_without_shoulders_is_not_enough():
    """A cat's or a doll's face: the face fills most of the blob, no shoulders under it."""
    from app.segmentation.base import FaceBox

    yy, xx = np.mgrid[0:144, 0:256]
    head = ((xx - 128) / 40) ** 2 + ((yy - 100) / 44) ** 2 <= 1
    gate = PersonGate(lambda crop: [FaceBox(0.15, 0.15, 0.85, 0.85, 0.95)])
    assert not _blob_run(gate, head)
