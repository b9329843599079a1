from __future__ import annotations

import zipfile

import pytest

from app.errors import ModelError
from app.segmentation import models


def test_all_known_models_are_present_and_verify():
    states = {s.spec.name: s.state for s in models.status()}
    assert states == {"landscape": "ok", "square": "ok", "face": "ok", "face_full": "ok"}


def test_missing_model_names_the_command_that_fixes_it(tmp_path):
    with pytest.raises(ModelError, match="focuscam models fetch"):
        models.locate("landscape", tmp_path)


def test_corrupt_model_fails_its_hash_with_the_fix(tmp_path):
    (tmp_path / models.KNOWN_MODELS["square"].filename).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="SHA-256.*focuscam models fetch"):
        models.locate("square", tmp_path)


def _wheel(path, payload):
    with zipfile.ZipFile(path, "w") as zf:
        for spec in models.KNOWN_MODELS.values():
            zf.writestr(spec.wheel_member, payload(spec))
    return path


def test_models_are_extracted_from_a_wheel_and_verified(tmp_path):
    real = {s.spec.name: s.path.read_bytes() for s in models.status()}
    wheel = _wheel(tmp_path / "mediapipe-0.10.14-x.whl", lambda s: real[s.name])
    out = tmp_path / "models"
    models.extract_models(wheel, out)
    assert models.all_present(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        s.filename for s in models.KNOWN_MODELS.values()
    )


def test_a_wheel_with_tampered_models_installs_nothing(tmp_path):
    wheel = _wheel(tmp_path / "bad.whl", lambda s: b"tampered")
    out = tmp_path / "models"
    with pytest.raises(ModelError, match="refusing"):
        models.extract_models(wheel, out)
    assert not any(out.iterdir())


def test_models_dir_is_overridable(monkeypatch, tmp_path):
    monkeypatch.setenv("FOCUSCAM_MODELS", str(tmp_path))
    assert models.models_dir() == tmp_path
