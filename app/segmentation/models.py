"""Model files: where they live, whether they verify, and how to fetch them.

The selfie segmentation models (Apache-2.0) ship inside older mediapipe wheels on PyPI. We fetch
one pinned wheel with pip (fixed platform and Python version, so every machine gets the same
file), pull the two ``.tflite`` files out, and check their SHA-256. Nothing is downloaded at run
time: the app only ever reads files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.common.files import write_file
from app.errors import ModelError

logger = logging.getLogger(__name__)

WHEEL_REQUIREMENT = "mediapipe==0.10.14"
WHEEL_PLATFORM = "manylinux_2_17_x86_64"
WHEEL_PYTHON = "3.11"
FETCH_COMMAND = "focuscam models fetch"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    wheel_member: str
    sha256: str
    input_size: tuple[int, int]  # (width, height) the model expects

    @property
    def aspect(self) -> float:
        """Width over height of the model's input."""
        return self.input_size[0] / self.input_size[1]


KNOWN_MODELS: dict[str, ModelSpec] = {
    m.name: m
    for m in (
        ModelSpec(
            "landscape",
            "selfie_segmentation_landscape.tflite",
            "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
            "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
            (256, 144),
        ),
        ModelSpec(
            "square",
            "selfie_segmentation.tflite",
            "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
            "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
            (256, 256),
        ),
        # BlazeFace (short range): tells a person from a pet or a poster that the selfie model
        # lights up. Only run while some person-like region has not yet shown a face.
        ModelSpec(
            "face",
            "face_detection_short_range.tflite",
            "mediapipe/modules/face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
            (128, 128),
        ),
        # BlazeFace (full range): finds the smaller faces of people further from the camera.
        ModelSpec(
            "face_full",
            "face_detection_full_range_sparse.tflite",
            "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
            "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
            (192, 192),
        ),
    )
}

SEGMENTATION_MODELS = ("landscape", "square")


def models_dir() -> Path:
    """``$FOCUSCAM_MODELS`` if set, else the user's cache folder."""
    env = os.environ.get("FOCUSCAM_MODELS")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("focuscam", appauthor=False) / "models"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    path: Path
    state: str  # "ok" | "missing" | "bad-hash"


def status(directory: Path | None = None) -> list[ModelStatus]:
    directory = directory or models_dir()
    out = []
    for spec in KNOWN_MODELS.values():
        path = directory / spec.filename
        if not path.is_file():
            state = "missing"
        elif sha256_of(path) != spec.sha256:
            state = "bad-hash"
        else:
            state = "ok"
        out.append(ModelStatus(spec, path, state))
    return out


def locate(name: str, directory: Path | None = None) -> Path:
    """Path of a verified known model, or a ModelError that names the fix."""
    spec = KNOWN_MODELS[name]
    path = (directory or models_dir()) / spec.filename
    if not path.is_file():
        raise ModelError(f"model '{name}' is missing ({path}); run `{FETCH_COMMAND}`")
    if sha256_of(path) != spec.sha256:
        raise ModelError(
            f"model '{name}' at {path} fails its SHA-256 check; run `{FETCH_COMMAND}` to replace it"
        )
    return path


def all_present(directory: Path | None = None) -> bool:
    return all(s.state == "ok" for s in status(directory))


def download_wheel(dest: Path) -> Path:
    """pip-download the pinned wheel into ``dest`` and return its path."""
    cmd = [
        sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT,
        "--no-deps", "--only-binary", ":all:",
        "--platform", WHEEL_PLATFORM, "--python-version", WHEEL_PYTHON,
        "--dest", str(dest), "--quiet", "--disable-pip-version-check",
    ]  # fmt: skip
    logger.info("downloading %s with pip", WHEEL_REQUIREMENT)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(f"could not download {WHEEL_REQUIREMENT} from PyPI: {last}")
    wheels = sorted(dest.glob("mediapipe-*.whl"))
    if not wheels:
        raise ModelError(f"pip reported success but left no wheel in {dest}")
    return wheels[0]


def extract_models(wheel: Path, directory: Path) -> list[Path]:
    """Copy the known models out of ``wheel`` into ``directory``, verifying each one."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        zf = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{wheel} is not a readable wheel: {exc}") from None
    with zf:
        names = set(zf.namelist())
        for spec in KNOWN_MODELS.values():
            if spec.wheel_member not in names:
                raise ModelError(f"{wheel.name} does not contain {spec.wheel_member}")
            data = zf.read(spec.wheel_member)
            digest = hashlib.sha256(data).hexdigest()
            if digest != spec.sha256:
                raise ModelError(
                    f"{spec.wheel_member} in {wheel.name} has SHA-256 {digest}, "
                    f"expected {spec.sha256}; refusing to install it"
                )
            written.append(write_file(directory / spec.filename, data, overwrite=True))
    return written


def fetch(directory: Path | None = None, wheel: Path | None = None) -> list[Path]:
    """Make every known model present and verified; download only what is needed."""
    directory = directory or models_dir()
    if wheel is None and all_present(directory):
        return [s.path for s in status(directory)]
    if wheel is not None:
        return extract_models(wheel, directory)
    with tempfile.TemporaryDirectory(prefix="focuscam-wheel-") as tmp:
        return extract_models(download_wheel(Path(tmp)), directory)
