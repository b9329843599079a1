"""Reading images of any common kind, fitting them to a size, mattes as 8-bit, the backdrop."""

from __future__ import annotations

import os
import stat
import threading
import warnings
from pathlib import Path

import cv2
import numpy as np

from app.errors import FocusCamError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
DEFAULT_MAX_PIXELS = 100_000_000
_HEADER_LOCK = threading.Lock()


def to_bgr8(img: np.ndarray) -> np.ndarray:
    """Any decoded image (grey, BGRA, 16-bit, float) as 3-channel BGR uint8."""
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = np.clip(img * 255.0, 0, 255).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise FocusCamError(f"unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img


def max_pixels() -> int:
    """The largest image FocusCam decodes: 100 megapixels, or ``$FOCUSCAM_MAX_PIXELS``."""
    try:
        return max(1, int(os.environ.get("FOCUSCAM_MAX_PIXELS", DEFAULT_MAX_PIXELS)))
    except ValueError:
        return DEFAULT_MAX_PIXELS


def check_pixels(path: Path | str, w: int, h: int) -> None:
    """A FocusCamError when a ``w`` x ``h`` picture is over the pixel budget."""
    limit = max_pixels()
    if w * h > limit:
        raise FocusCamError(
            f"{path}: the picture is {w}x{h} ({w * h / 1e6:.0f} MP), over the "
            f"{limit / 1e6:g} MP that FocusCam decodes (FOCUSCAM_MAX_PIXELS raises it)"
        )


def regular_file(path: Path) -> None:
    """A FocusCamError unless ``path`` is an existing regular file (not a folder, a pipe or a
    device, which could block or never end)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FocusCamError(f"{path}: no such file") from None
    except OSError as exc:
        raise FocusCamError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise FocusCamError(f"{path} is a folder, not an image")
    if not stat.S_ISREG(mode):
        raise FocusCamError(f"{path} is not a regular file (a pipe or a device?)")


def header_size(path: Path) -> tuple[int, int] | None:
    """The picture size its header declares, without decoding it (None: not known)."""
    from PIL import Image

    with _HEADER_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # we judge, with the size
        try:
            with Image.open(path) as im:
                return im.size
        except Exception:  # not an image PIL knows: OpenCV will say
            return None
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def read_image(path: str | os.PathLike) -> np.ndarray:
    path = Path(path)
    regular_file(path)
    size = header_size(path)
    if size is not None:
        check_pixels(path, *size)  # before decoding: a 74-byte file can declare 2.5 GP
    # imdecode instead of imread: works with any file name.
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    except (OSError, cv2.error, MemoryError):
        img = None
    if img is None:
        raise FocusCamError(f"{path}: not a readable image (corrupt or unsupported format)")
    check_pixels(path, img.shape[1], img.shape[0])
    return to_bgr8(img)


def cover_fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale and centre-crop ``image`` to fill ``size`` (w, h) without distortion."""
    w, h = size
    ih, iw = image.shape[:2]
    s = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * s)), max(h, round(ih * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interp)
    x0, y0 = (nw - w) // 2, (nh - h) // 2
    return np.ascontiguousarray(resized[y0 : y0 + h, x0 : x0 + w])





def alpha_u8(alpha: np.ndarray) -> np.ndarray:
    """A 0..1 float matte as 8-bit (rounded), for saving or showing."""
    return np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)




def studio_backdrop(size: tuple[int, int]) -> np.ndarray:
    """The default replacement background: a soft, warm studio backdrop with a gentle vignette."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    t = y / max(1, h - 1)
    r = np.hypot((x - w / 2) / w, (y - h * 0.4) / h)
    light = np.clip(1.0 - 0.9 * r, 0.35, 1.0)[..., None]
    top = np.array([150, 140, 128], np.float32)  # BGR
    bottom = np.array([95, 90, 84], np.float32)
    img = (top * (1 - t)[..., None] + bottom * t[..., None]) * light
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# The backgrounds for Replace that come with the app, by name (the window's menu, `--background
# NAME`): studio is drawn at any size, the others ship in assets/backgrounds/NAME.jpg, and the
# moving ones as NAME.mp4 (made by scripts/make_moving_background.py).
BACKGROUND_PRESETS = {
    "studio": "Studio backdrop",
    "brick-wall": "Brick wall",
    "launch-pad": "Launch pad at dusk",
    "deep-space": "Deep space",
    "drifting-lights": "Drifting lights (moving)",
}
MOVING_PRESETS = ("drifting-lights",)
DEFAULT_BACKGROUND = "studio"


def background_image(choice: str | None, size: tuple[int, int] = (1280, 720), paced: bool = True):
    """What Replace puts behind the person: a preset by name (``DEFAULT_BACKGROUND`` for None
    or ""), an image file, or a video or animated GIF (a MovingBackground; ``paced``: live,
    decoded on its own thread). A FocusCamError in one line when it cannot be read."""
    from importlib.resources import files

    from app.common.moving import MovingBackground, is_moving

    name = choice or DEFAULT_BACKGROUND
    if name == "studio":
        return studio_backdrop(size)
    if name in MOVING_PRESETS:
        return MovingBackground(str(files("app.assets") / "backgrounds" / f"{name}.mp4"), paced)
    if name in BACKGROUND_PRESETS:
        return read_image(str(files("app.assets") / "backgrounds" / f"{name}.jpg"))
    if is_moving(name):
        return MovingBackground(name, paced)
    return read_image(name)

