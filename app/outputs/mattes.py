"""The mattes of a run (``--mask-out``): a folder of PNGs, one PNG, or a grey video."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.common.files import TempFile
from app.common.images import alpha_u8
from app.errors import FocusCamError, UsageError
from app.outputs import journal
from app.outputs.base import Output
from app.outputs.images import encode_image
from app.outputs.video import VideoOutput


def is_folder_target(target: str) -> bool:
    return target.endswith(("/", os.sep)) or Path(target).is_dir()


class MatteOutput(Output):
    """Writes the matte of every frame (8-bit, the frame's size); all or nothing.

    A folder gets one PNG per frame, named ``STEM_000000.png`` so that sorted order is frame
    order; it is created if missing (and removed again on abort if this run created it). Each
    PNG is published as soon as it is written (whole, never half-written), so a run killed
    half-way leaves the mattes of the frames it finished; a failure or Ctrl+C removes them.
    """

    wants_matte = True

    def __init__(self, target: str, stem: str, overwrite: bool = False) -> None:
        self.stem, self.overwrite = stem, overwrite
        self.folder: Path | None = None
        self.file: Path | None = None
        self._video: VideoOutput | None = None
        self._pending: list[TempFile] = []
        self._published: list[Path] = []
        self._created_folder = False
        self._entry: Path | None = None  # the journal's note of this folder (journal.py)
        self._index = 0
        if is_folder_target(target):
            self.folder = Path(target)
        else:
            self.file = Path(target)

    def open(self, size: tuple[int, int], fps: float) -> None:
        if self.folder is not None:
            if not self.folder.exists():
                try:
                    self.folder.mkdir(parents=True)
                except OSError as exc:
                    raise FocusCamError(
                        f"cannot create {self.folder}: {exc.strerror or exc}"
                    ) from None
                self._created_folder = True
            if not os.access(self.folder, os.W_OK):
                raise FocusCamError(f"cannot write masks: folder {self.folder} is not writable")
            # a crash may leave the PNG being written, hidden: the next start removes it
            self._entry = journal.remember(journal.FOLDER, self.folder / f".{self.stem}_",
                                           self.folder)  # fmt: skip
        elif self.file is not None and self.file.suffix.lower() != ".png":
            self._video = VideoOutput(self.file, self.overwrite)
            self._video.open(size, fps)

    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None:
        if matte is None:
            raise UsageError("the matte output needs the matte of each frame")
        a8 = alpha_u8(matte)
        if self._video is not None:
            self._video.write(a8)
        else:
            target = (
                self.folder / f"{self.stem}_{self._index:06d}.png"
                if self.folder is not None
                else self.file
            )
            assert target is not None
            tmp = TempFile(target, self.overwrite)
            tmp.write(encode_image(a8, ".png"))
            if self.folder is not None:
                self._published.append(tmp.publish())
            else:
                self._pending.append(tmp)
        self._index += 1

    def commit(self) -> list[Path]:
        if self._video is not None:
            return self._video.commit()
        try:
            for tmp in self._pending:
                self._published.append(tmp.publish())
        except BaseException:
            self.abort()
            raise
        self._pending = []
        journal.forget(self._entry)
        return list(self._published)

    def abort(self) -> None:
        if self._video is not None:
            self._video.abort()
        for tmp in self._pending:
            tmp.discard()
        for path in self._published:
            path.unlink(missing_ok=True)
        self._pending, self._published = [], []
        journal.forget(self._entry)
        if self._created_folder and self.folder is not None:
            try:
                self.folder.rmdir()  # only when empty: never what this run did not create
            except OSError:
                pass
