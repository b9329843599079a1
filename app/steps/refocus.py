"""Re-focus after capture: a saved photo rendered again, from its unblurred original and its
matte (both saved beside it), with another look, strength or background. No segmentation: the
matte is the one the photo was taken with."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.common.images import read_image
from app.common.resize import downscale, fit_long_side
from app.errors import FocusCamError
from app.frames import Matte
from app.outputs.photo import extras_names
from app.steps.photo import PHOTO_GUIDE_LONG_SIDE


def extras_of(photo: Path) -> tuple[Path, Path] | None:
    """(original, matte) saved beside ``photo``, or None when they were not saved."""
    original, matte = extras_names(photo)
    return (original, matte) if original.is_file() and matte.is_file() else None


def load_matte(path: Path, image: np.ndarray) -> Matte:
    """A saved matte (8-bit PNG, the photo's size) as a Matte for re-rendering that photo."""
    a8 = read_image(path)[..., 0]
    h, w = image.shape[:2]
    if a8.shape != (h, w):
        raise FocusCamError(
            f"{path}: the matte is {a8.shape[1]}x{a8.shape[0]}, the photo {w}x{h}; "
            "use the matte saved with this photo"
        )
    guide = downscale(image, fit_long_side((w, h), PHOTO_GUIDE_LONG_SIDE))  # as photos are made
    return Matte(alpha=a8.astype(np.float32) * (1.0 / 255.0), guide=guide, model="saved")
