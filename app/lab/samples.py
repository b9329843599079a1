"""Real photographs that installed packages ship: a portrait and background scenes."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import cv2
import numpy as np

from app.errors import FocusCamError

# Real photographs without a person, from scikit-image's bundled data.
BACKGROUNDS = ("motorcycle_left.png", "coffee.png", "rocket.jpg", "brick.png", "gravel.png")
# Scenes with no person at all, including an animal face: the model must not light these up.
NO_PERSON_SCENES = (
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
)


def _read(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FocusCamError(f"could not read sample image {path}")
    return img


def portrait_path() -> Path:
    """Grace Hopper's portrait (US Navy, public domain), shipped in assets/people."""
    return Path(str(importlib.resources.files("app.assets") / "people" / "grace_hopper.jpg"))


def portrait() -> np.ndarray:
    return _read(portrait_path())


def scene_path(name: str) -> Path:
    return Path(str(importlib.resources.files("skimage") / "data" / name))


def scene(name: str) -> np.ndarray:
    return _read(scene_path(name))


def second_portrait() -> np.ndarray:
    """Astronaut Eileen Collins, from scikit-image's data: a second real person."""
    return scene("astronaut.png")
