"""The runtimes a model can run on, by name: LiteRT (the default) and MediaPipe Tasks (opt-in).

Each gives a segmenter and a face detector with the same contract (app/segmentation/base.py).
A runtime's module is imported only when it is chosen, so the default path never loads
MediaPipe (whose native library sends usage metrics to Google).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from app.errors import UsageError
from app.segmentation.base import FaceDetector, Segmenter


@dataclass(frozen=True)
class Runtime:
    name: str
    module: str
    segmenter_class: str
    face_class: str
    privacy: str  # what it sends, in one line, for --help and the README

    def segmenter(self, path: Path, video: bool = True) -> Segmenter:
        return getattr(import_module(self.module), self.segmenter_class)(path, video=video)

    def face_detector(self, path: Path) -> FaceDetector:
        return getattr(import_module(self.module), self.face_class)(path)


RUNTIMES: dict[str, Runtime] = {
    r.name: r
    for r in (
        Runtime(
            "litert", "app.segmentation.litert_backend", "LiteRtSegmenter", "LiteRtFaceDetector",
            "LiteRT: sends nothing",
        ),
        Runtime(
            "mediapipe", "app.segmentation.mediapipe_backend", "MediaPipeSegmenter",
            "MediaPipeFaceDetector", "MediaPipe Tasks: sends usage metrics to Google",
        ),
    )
}  # fmt: skip
DEFAULT_RUNTIME = "litert"


def get(name: str) -> Runtime:
    try:
        return RUNTIMES[name]
    except KeyError:
        raise UsageError(f"unknown runtime {name!r}; choose one of {', '.join(RUNTIMES)}") from None
