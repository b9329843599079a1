"""Single images: encoded in memory, written atomically."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.common.files import write_file
from app.errors import FocusCamError
from app.outputs.base import Output

JPEG_QUALITY = 95


def encode_image(img: np.ndarray, ext: str, jpeg_quality: int = JPEG_QUALITY) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if ext.lower() in (".jpg", ".jpeg") else []
    try:
        ok, buf = cv2.imencode(ext, img, params)
    except cv2.error:
        ok = False
    if not ok:
        raise FocusCamError(f"could not encode a {ext} image")
    return buf.tobytes()


class ImageOutput(Output):
    """One picture (the first frame written) to an image file (format from the extension)."""

    def __init__(self, path: Path | str, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.overwrite = overwrite
        self._data: bytes | None = None

    def open(self, size: tuple[int, int], fps: float = 0.0) -> None:
        pass

    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None:
        if self._data is None:
            self._data = encode_image(image, self.path.suffix)

    def commit(self) -> list[Path]:
        if self._data is None:
            raise FocusCamError(f"nothing to write to {self.path}")
        return [write_file(self.path, self._data, self.overwrite)]

    def abort(self) -> None:
        self._data = None  # nothing is on disk before commit
