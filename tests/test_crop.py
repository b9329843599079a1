"""Where the model looks (app/segmentation/crop.py) and the colour of the matte's edge
(edge.exact_edge): the geometry and rules on made-up maps, the effect on real scenes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.lab import metrics
from app.lab.evaluation import QUALITY_SCENES
from app.segmentation.crop import CropParams, ViewPlanner, crop_for, paste
from app.segmentation.edge import exact_edge
from app.segmentation.engine import SegmentationEngine

FRAME = (1280, 720)


def test_a_crop_has_the_models_shape_stays_in_the_frame_and_holds_the_people():
    box = (500.0, 300.0, 700.0, 720.0)  # a person standing on the bottom edge
    crop = crop_for(box, FRAME, 1.0, 0.15)
    assert crop is not None
    x0, y0, x1, y1 = crop
    assert abs((x1 - x0) - (y1 - y0)) < 1e-6  # square, for the square model
    assert 0 <= x0 <= box[0] and x1 >= box[2] and 0 <= y0 <= box[1] and y1 <= 720
    assert y1 == 720  # the margin stops at the frame's bottom edge
    # A group as wide as the frame cannot be cropped square.
    assert crop_for((10.0, 100.0, 1270.0, 720.0), FRAME, 1.0, 0.15) is None


def test_the_crops_answer_lands_where_the_crop_was_on_the_whole_frames_grid():
    grid = np.zeros((144, 256), np.float32)
    crop = (400.0, 200.0, 800.0, 600.0)  # 400 px square: 80x80 grid pixels
    answer = np.zeros((256, 256), np.float32)
    answer[64:192, 64:192] = 1.0  # the middle half of the crop
    paste(grid, answer, crop, FRAME)
    ys, xs = np.nonzero(grid > 0.5)
    # The middle half of the crop is frame x 500..700, y 300..500: grid x 100..140, y 60..100.
    assert abs(xs.min() - 100) <= 1 and abs(xs.max() - 139) <= 1
    assert abs(ys.min() - 60) <= 1 and abs(ys.max() - 99) <= 1
    assert grid[:, :75].max() == 0 and grid[:, 165:].max() == 0  # nothing beyond the crop


def _planner_with_crop() -> tuple[ViewPlanner, np.ndarray]:
    planner = ViewPlanner((1.0, 16 / 9), CropParams(full_every=5))
    seen = np.zeros((144, 256), np.uint8)
    seen[60:144, 100:150] = 1  # somebody in the middle, on the bottom edge
    crop, full = planner.plan(FRAME)
    assert crop is None and full  # nothing tracked: the whole frame
    crop = planner.first_crop(seen, FRAME)
    assert crop is not None
    planner._crop = crop
    planner.update(seen.astype(np.float32), FRAME, seen)
    return planner, seen


def test_the_whole_frame_is_looked_at_often_enough_to_find_a_newcomer():
    planner, seen = _planner_with_crop()
    looks = []
    for _ in range(20):
        crop, full = planner.plan(FRAME)
        assert crop is not None
        looks.append(full)
        planner.update(seen.astype(np.float32), FRAME, seen if full else None)
    assert sum(looks) == 4 and all(any(looks[i : i + 5]) for i in range(16))


def test_somebody_going_on_beyond_the_crop_makes_the_next_frame_look_at_everything():
    planner, seen = _planner_with_crop()
    crop, _ = planner.plan(FRAME)
    taller = seen.copy()
    taller[10:60, 110:140] = 1  # they stand up: the head is now above the crop
    x0, y0, x1, y1 = crop
    cut = taller.copy()
    cut[: int(y0 * 144 / 720) + 1] = 0  # what the crop showed of them
    planner.update(cut.astype(np.float32), FRAME, None)
    crop, full = planner.plan(FRAME)
    assert crop is None and full


def test_a_whole_region_only_the_crop_sees_gives_way_to_the_whole_frame_but_an_edge_does_not():
    planner = ViewPlanner((1.0,))
    full = np.zeros((144, 256), np.float32)
    full[60:, 100:150] = 0.95  # the person
    cropped = full.copy()
    cropped[30:60, 150:200] = 0.9  # a handlebar joined to the head, seen close
    cropped[60:, 150] = 0.9  # and a one-pixel finer edge
    merged = planner.merge(full, cropped.copy())
    assert merged[30:60, 160:190].max() < 0.5  # the handlebar is the whole frame's: no
    assert (merged[60:, 150] > 0.5).all()  # the finer edge stays
    # A cup the whole frame joins to the head, which the crop is sure is background.
    full2 = full.copy()
    full2[20:60, 150:200] = 0.8
    merged = planner.merge(full2, full.copy())
    assert merged[25:55, 160:190].max() < 0.5
    # A person the crop drops entirely is not the crop's to delete.
    full3 = full.copy()
    full3[80:, 10:40] = 0.9
    merged = planner.merge(full3, full.copy())
    assert (merged[80:, 12:38] > 0.5).all()


def test_the_model_looks_closer_at_a_person_and_drops_the_cup_behind_her_head():
    """The demo's ghost: a cup behind the head that the model joins to the person when it
    sees the whole 16:9 frame is background when it looks at a crop around her."""
    make, _ = QUALITY_SCENES["in front of a cup"]
    scene = make()
    w, h = scene.size
    found = {}
    for crops in (None, CropParams()):
        with SegmentationEngine(video=True, crops=crops) as engine:
            for i in range(10):
                sf = scene.frame(i)
                matte, _ = engine.process(sf.image, int(i * 1e9 / scene.fps))
            found[crops is not None] = (engine.last_crop, metrics.iou(matte.full((w, h)), sf.truth))
    assert found[False][0] is None and found[True][0] is not None
    assert found[True][1] >= found[False][1] + 0.05, found


def test_a_photo_gets_its_crop_in_the_same_call():
    make, _ = QUALITY_SCENES["hopper at 0.45"]
    sf = make().frame(0)
    with SegmentationEngine(video=False, force_model="square") as engine:
        engine.process(sf.image)
        assert engine.last_crop is not None


@pytest.fixture()
def red_on_green():
    """A red thing with a hard edge on a green wall, and a matte that is soft and too wide
    (it reaches 8 pixels onto the wall), at a 720p frame's guide size."""
    h, w = 288, 512
    guide = np.zeros((h, w, 3), np.uint8)
    guide[:] = (0, 200, 0)
    guide[96:192, 192:320] = (0, 0, 220)
    truth = np.zeros((h, w), np.float32)
    truth[96:192, 192:320] = 1.0
    alpha = cv2.GaussianBlur(cv2.dilate(truth, np.ones((7, 7), np.uint8)), (0, 0), 2.0)
    return guide, truth, np.clip((alpha - 0.02) / 0.96, 0, 1).astype(np.float32)


def test_the_edge_takes_the_pixels_own_colour_and_keeps_the_outline(red_on_green):
    guide, truth, alpha = red_on_green
    fixed = exact_edge(alpha, guide)
    # The outer half of the soft band, on the wall: the halo a plain blend shows.
    wall_halo = (truth == 0) & (alpha > 0.05) & (alpha < 0.5)
    assert wall_halo.sum() > 500
    assert alpha[wall_halo].mean() > 0.05  # a plain blend shows the wall there
    assert fixed[wall_halo].mean() < 0.01 and fixed[wall_halo].max() < 0.1  # the halo goes
    assert ((fixed > 0.5) == (alpha > 0.5)).all()  # the outline stays where it was
    assert (fixed[alpha == 1.0] == 1.0).all() and (fixed[alpha == 0.0] == 0.0).all()


def test_where_the_two_colours_are_alike_the_matte_stands(red_on_green):
    guide, _, alpha = red_on_green
    grey = np.full_like(guide, 120)
    grey[96:192, 192:320] = 126  # a grey shirt on a grey wall
    np.testing.assert_allclose(exact_edge(alpha, grey), alpha, atol=0.01)
