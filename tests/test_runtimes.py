"""LiteRT (the default runtime) against MediaPipe Tasks (the reference), on real frames.

This is also the MediaPipe runtime's own test: both must give the same answers.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from app.common.resize import downscale
from app.errors import ModelError
from app.lab import samples
from app.lab.synthetic import Scene
from app.segmentation import models, runtimes
from app.segmentation.blazeface import FULL_RANGE, SHORT_RANGE, anchors
from app.segmentation.engine import SegmentationEngine, choose_model
from app.segmentation.tflite_info import read_model_info

LITERT, MEDIAPIPE = runtimes.get("litert"), runtimes.get("mediapipe")


def _frames() -> dict[str, list[np.ndarray]]:
    """Real frames at every shape the engine sees: 16:9, 4:3, portrait 9:16, and photos."""
    out = {}
    for label, size in {"16:9": (1280, 720), "4:3": (960, 720), "9:16": (720, 1280)}.items():
        scenes = [
            Scene(size, "coffee.png", "moving", noise=3.0),
            Scene(size, "motorcycle_left.png", "sway", noise=3.0, person_height=0.6),
        ]
        out[label] = [s.frame(i).image for s in scenes for i in (0, 17)]
    out["photos"] = [samples.portrait(), samples.second_portrait()]
    return out


FRAMES = _frames()


@pytest.mark.parametrize("shape", list(FRAMES))
def test_litert_segmentation_matches_mediapipe_tasks(shape):
    for frame in FRAMES[shape]:
        name = choose_model(frame.shape[1::-1])
        small = downscale(frame, models.KNOWN_MODELS[name].input_size)
        a = LITERT.segmenter(models.locate(name), video=False)
        b = MEDIAPIPE.segmenter(models.locate(name), video=False)
        try:
            pa, pb = a.segment(small), b.segment(small)
        finally:
            a.close()
            b.close()
        assert pa.shape == pb.shape == small.shape[:2] and pa.dtype == np.float32
        diff = np.abs(pa - pb)
        assert diff.mean() <= 0.01 and np.percentile(diff, 99) <= 0.05, (shape, name)
        assert (pa > 0.5).mean() > 0.05  # there is a person, so the comparison means something


def _iou(a, b) -> float:
    ix = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    return inter / (a.width * a.height + b.width * b.height - inter)


@pytest.mark.parametrize("model", ["face", "face_full"])
def test_litert_face_boxes_match_the_tasks_face_detector(model):
    faces = [
        samples.portrait(),
        samples.second_portrait(),
        Scene((1280, 720), "coffee.png", "still", person_height=0.9).frame(0).image,
        Scene((720, 1280), "rocket.jpg", "still", person_height=0.7).frame(0).image,
    ]
    a = LITERT.face_detector(models.locate(model))
    b = MEDIAPIPE.face_detector(models.locate(model))
    try:
        found = 0
        for image in faces:
            fa, fb = a.detect(image), b.detect(image)
            assert len(fa) == len(fb), (model, fa, fb)
            for x, y in zip(fa, fb, strict=True):
                assert _iou(x, y) >= 0.8, (model, x, y)
                assert abs(x.score - y.score) <= 0.05
            found += len(fa)
        assert found >= 3  # real faces were found, so the boxes were compared
    finally:
        a.close()
        b.close()


def test_the_full_range_detector_finds_a_face_the_short_range_one_misses():
    far = Scene((1280, 720), "coffee.png", "still", person_height=0.5).frame(0).image
    short = LITERT.face_detector(models.locate("face"))
    full = LITERT.face_detector(models.locate("face_full"))
    assert short.detect(far) == []
    (face,) = full.detect(far)
    assert 0.4 < face.centre[0] < 0.6 and face.score > 0.6


def test_anchor_layouts_match_the_models_outputs():
    assert len(anchors(SHORT_RANGE)) == 896 and len(anchors(FULL_RANGE)) == 2304
    a = anchors(SHORT_RANGE)
    assert a.min() > 0 and a.max() < 1
    # The first layer (stride 8: 16x16 cells, two anchors each) starts at the top-left cell.
    np.testing.assert_allclose(a[0], a[1])
    np.testing.assert_allclose(a[0], [0.5 / 16, 0.5 / 16])


def test_model_metadata_is_read_from_the_files():
    seg = read_model_info(models.locate("landscape"))
    assert seg.has_metadata and seg.mean == (0.0,) and seg.std == (255.0,)  # 0..1 input
    assert seg.labels == ("selfie",)
    face = read_model_info(models.locate("face"))
    assert face.mean == (127.5,) and face.std == (127.5,)  # -1..1 input


def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="not a TFLite model"):
        read_model_info(bad)
    with pytest.raises(ModelError, match="bad.tflite"):
        LITERT.segmenter(bad)


def test_unknown_runtime_is_a_usage_error(tmp_path, capsys):
    from app.cli import main

    assert main(["process", str(samples.portrait_path()), "-o", str(tmp_path / "o.jpg"),
                 "--runtime", "cloud"]) == 2  # fmt: skip
    assert "invalid choice" in capsys.readouterr().err


def test_the_engine_gives_the_same_matte_on_either_runtime():
    frame = Scene((1280, 720), "coffee.png", "still", noise=3.0).frame(3).image
    mattes = []
    for name in ("litert", "mediapipe"):
        with SegmentationEngine(video=False, runtime=name) as engine:
            mattes.append(engine.process(frame)[0].alpha)
    assert np.abs(mattes[0] - mattes[1]).mean() <= 0.01


def test_nothing_on_the_default_path_imports_mediapipe(tmp_path):
    code = (
        "import sys\n"
        "from app.cli import main\n"
        f"assert main(['process', {str(samples.portrait_path())!r}, '-o', "
        f"{str(tmp_path / 'o.jpg')!r}]) == 0\n"
        "from app.segmentation.engine import SegmentationEngine\n"
        "SegmentationEngine().close()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('mediapipe', 'sounddevice'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
