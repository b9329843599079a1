"""Photos: JPEG (quality 95, no chroma subsampling) or PNG, with EXIF, saved beside the
others without ever replacing one; optionally with the unblurred original and the matte."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from app import __version__
from app.common.files import write_file, write_unique
from app.common.images import alpha_u8
from app.errors import FocusCamError
from app.outputs.base import Output
from app.outputs.images import encode_image

JPEG_QUALITY = 95
PHOTO_EXTS = (".jpg", ".jpeg", ".png")

def default_folder() -> Path:
    """The user's Pictures/FocusCam folder: photos and recordings go there by default."""
    from platformdirs import user_pictures_dir

    return Path(user_pictures_dir()) / "FocusCam"


# The side files a photo may have (what re-focus after capture reads), named from the photo's.
ORIGINAL_SUFFIX, MATTE_SUFFIX = "_original", "_matte"
EXTRA_SUFFIXES = (ORIGINAL_SUFFIX, MATTE_SUFFIX)


def extras_names(photo: Path) -> tuple[Path, Path]:
    """Where ``photo``'s unblurred original (JPEG) and matte (PNG) are saved."""
    return (photo.with_name(f"{photo.stem}{ORIGINAL_SUFFIX}.jpg"),
            photo.with_name(f"{photo.stem}{MATTE_SUFFIX}.png"))  # fmt: skip


def photo_stem(when: datetime) -> str:
    return when.strftime("FocusCam_%Y%m%d_%H%M%S")


LOOK_PREFIX = "FocusCam look: "  # ImageDescription: "FocusCam look: lens 0.60[; note]"


def describe_look(effect: str, strength: float, note: str = "") -> str:
    return f"{LOOK_PREFIX}{effect} {strength:.2f}" + (f"; {note}" if note else "")


@dataclass(frozen=True)
class ShotInfo:
    """What a saved photo says of itself (its EXIF): when and with what it was taken, and the
    look it was made with (None when the file does not say)."""

    when: datetime | None = None
    camera: str = ""
    effect: str | None = None
    strength: float | None = None


def shot_info(path: Path) -> ShotInfo:
    """``path``'s capture time, camera and look, read from its EXIF (empty when unreadable)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            exif = im.getexif()
    except OSError:
        return ShotInfo()
    sub = exif.get_ifd(0x8769)
    stamp = sub.get(0x9003) or exif.get(0x0132)
    when = None
    with contextlib.suppress(TypeError, ValueError):
        when = datetime.strptime(str(stamp), "%Y:%m:%d %H:%M:%S")
    effect = strength = None
    text = str(exif.get(0x010E, ""))
    if text.startswith(LOOK_PREFIX):
        parts = text[len(LOOK_PREFIX):].split(";")[0].split()
        with contextlib.suppress(ValueError, IndexError):
            effect, strength = parts[0], float(parts[1])
    return ShotInfo(when, str(exif.get(0x0110, "")), effect, strength)


def exif_bytes(when: datetime, camera: str, size: tuple[int, int], description: str = "") -> bytes:
    from PIL import Image

    exif = Image.Exif()
    stamp = when.strftime("%Y:%m:%d %H:%M:%S")
    exif[0x0131] = f"FocusCam {__version__}"  # Software
    exif[0x0132] = stamp  # DateTime
    if description:
        exif[0x010E] = description  # ImageDescription: the look, and what re-focus changed
    if camera:
        exif[0x0110] = camera  # Model: the camera the picture came from
    sub = exif.get_ifd(0x8769)  # the Exif sub-IFD
    sub[0x9003] = stamp  # DateTimeOriginal
    sub[0x9004] = stamp  # DateTimeDigitized
    sub[0xA002], sub[0xA003] = size  # PixelXDimension, PixelYDimension
    return exif.tobytes()


def encode_photo(image_bgr: np.ndarray, ext: str = ".jpg", exif: bytes | None = None) -> bytes:
    """A photo file's bytes: JPEG at quality 95 without chroma subsampling, or lossless PNG
    (with its transparency, for a BGRA cutout); both carry the EXIF block."""
    from PIL import Image

    buf = io.BytesIO()
    four = image_bgr.ndim == 3 and image_bgr.shape[2] == 4
    rgb = Image.fromarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGRA2RGBA if four and ext.lower()
                                       == ".png" else cv2.COLOR_BGR2RGB))  # fmt: skip
    if ext.lower() == ".png":
        rgb.save(buf, "PNG", exif=exif or b"")
    else:
        rgb.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0, exif=exif or b"")
    return buf.getvalue()


@dataclass(frozen=True)
class Photo:
    """What a shot produced, ready to save."""

    image: np.ndarray  # the portrait, as saved (mirrored if asked)
    when: datetime
    camera: str = ""
    original: np.ndarray | None = None  # the frame as shot, to re-render later
    matte: np.ndarray | None = None  # float32 0..1 at the photo's size
    description: str = ""  # EXIF ImageDescription: the look (describe_look)


class PhotoOutput(Output):
    """Photos into ``folder`` under the usual unique names, or to one ``path``.

    ``write`` takes one picture (with its matte when ``save_matte``); ``commit`` saves it, then
    the unblurred original and the matte when asked. If an extra cannot be saved the photo
    stays (a photo taken is never lost) and the error says so.
    """

    def __init__(
        self,
        folder: Path | None = None,
        path: Path | None = None,
        overwrite: bool = False,
        when: datetime | None = None,
        camera: str = "",
        original: np.ndarray | None = None,
        save_matte: bool = False,
        description: str = "",
    ) -> None:
        if (folder is None) == (path is None):
            raise ValueError("give a folder or a path")
        self.folder, self.path, self.overwrite = folder, path, overwrite
        self.when = when or datetime.now()
        self.camera, self.original, self.description = camera, original, description
        self.wants_matte = save_matte
        self._image: np.ndarray | None = None
        self._matte: np.ndarray | None = None

    def open(self, size: tuple[int, int], fps: float = 0.0) -> None:
        pass

    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None:
        if self._image is None:
            self._image, self._matte = image, (matte if self.wants_matte else None)

    def abort(self) -> None:
        self._image = self._matte = None  # nothing is on disk before commit

    def commit(self) -> list[Path]:
        if self._image is None:
            raise FocusCamError("no picture to save")
        h, w = self._image.shape[:2]
        exif = exif_bytes(self.when, self.camera, (w, h), self.description)
        if self.path is not None:
            data = encode_photo(self._image, self.path.suffix.lower(), exif)
            main = write_file(self.path, data, self.overwrite)
        else:
            assert self.folder is not None
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FocusCamError(
                    f"could not save the photo: cannot create the folder {self.folder} "
                    f"({exc.strerror or exc})"
                ) from None
            data = encode_photo(self._image, ".jpg", exif)
            main = write_unique(self.folder, photo_stem(self.when), ".jpg", data)
        written = [main]
        try:
            if self.original is not None:
                data = encode_photo(self.original, ".jpg", exif)
                stem = f"{main.stem}{ORIGINAL_SUFFIX}"
                written.append(write_unique(main.parent, stem, ".jpg", data))
            if self._matte is not None:
                data = encode_image(alpha_u8(self._matte), ".png")
                stem = f"{main.stem}{MATTE_SUFFIX}"
                written.append(write_unique(main.parent, stem, ".png", data))
        except FocusCamError as exc:
            for p in written[1:]:
                p.unlink(missing_ok=True)
            raise FocusCamError(f"saved {main.name}, but not its extras: {exc}") from None
        return written


def save_photo(
    photo: Photo, folder: Path | None = None, path: Path | None = None, overwrite: bool = False
) -> list[Path]:
    """Save ``photo`` (with its original and matte when it carries them) into ``folder`` under
    a new name, or to ``path``; returns the photo's path first, then its extras."""
    out = PhotoOutput(
        folder, path, overwrite, photo.when, photo.camera, photo.original,
        save_matte=photo.matte is not None, description=photo.description,
    )  # fmt: skip
    out.open(photo.image.shape[1::-1])
    out.write(photo.image, 0, photo.matte)
    return out.commit()
