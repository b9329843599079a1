"""The default runtime: the models on LiteRT (``ai-edge-litert``), with our own pre- and
post-processing. LiteRT is the on-device interpreter underneath MediaPipe, without MediaPipe's
usage-metrics uploader: nothing here opens a network connection (tests/test_privacy.py).

Pre-processing follows the model file's own metadata (tflite_info): colour order, value range.
Each interpreter runs on one thread (``num_threads=1``): the engine already gives the model a
thread of its own, and the other core has the frame's remaining work to do.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from app.errors import ModelError
from app.segmentation import blazeface
from app.segmentation.base import FaceBox, person_probability
from app.segmentation.native import native_quiet
from app.segmentation.tflite_info import (
    ACTIVATION_SIGMOID,
    ACTIVATION_SOFTMAX,
    GRAYSCALE,
    ModelInfo,
    read_model_info,
)  # fmt: skip

logger = logging.getLogger(__name__)


def _interpreter(path: Path, what: str):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ModelError(f"LiteRT is not installed ({exc}); reinstall FocusCam") from None
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    try:
        with native_quiet():  # "Created TensorFlow Lite XNNPACK delegate for CPU."
            interp = Interpreter(model_path=str(path), num_threads=1)
            interp.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path.name} is not a usable {what}: {first}") from None
    return interp


class _Input:
    """Turns a BGR uint8 image of the model's input size into its input tensor."""

    def __init__(self, interp, info: ModelInfo, path: Path) -> None:
        detail = interp.get_input_details()[0]
        shape = tuple(int(v) for v in detail["shape"])
        if len(shape) != 4 or shape[0] != 1 or shape[3] not in (1, 3):
            raise ModelError(f"{path.name}: expected one NHWC image input, found {shape}")
        if detail["dtype"] not in (np.float32, np.uint8, np.int8):
            raise ModelError(f"{path.name}: unsupported input type {detail['dtype']}")
        self.index = detail["index"]
        self.size = (shape[2], shape[1])  # (w, h)
        self.channels = shape[3]
        self.dtype = detail["dtype"]
        self.grey = info.colour_space == GRAYSCALE or self.channels == 1
        mean = np.asarray(info.mean, np.float32)
        std = np.asarray(info.std, np.float32)
        if np.any(std == 0):
            raise ModelError(f"{path.name}: its metadata has a zero normalisation std")
        # x' = x * scale + offset, per channel (or one value for all).
        self.scale, self.offset = 1.0 / std, -mean / std
        q_scale, q_zero = detail["quantization"]
        self.quant = (q_scale, q_zero) if self.dtype != np.float32 and q_scale else None
        self._buf = np.empty(shape, np.float32)

    def tensor(self, image_bgr: np.ndarray) -> np.ndarray:
        if self.grey:
            img = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)[..., None]
        else:
            img = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        if self.dtype == np.uint8 and self.quant is None:
            return img[None]
        buf = self._buf
        np.multiply(img, self.scale, out=buf[0], dtype=np.float32)
        buf += self.offset
        if self.quant is None:
            return buf
        q_scale, q_zero = self.quant
        info = np.iinfo(self.dtype)
        return np.clip(np.rint(buf / q_scale + q_zero), info.min, info.max).astype(self.dtype)


def _output(interp, detail) -> np.ndarray:
    """A copy of an output tensor, as float32: the interpreter's own buffer is overwritten by
    the next ``invoke`` and freed with the interpreter."""
    out = interp.get_tensor(detail["index"])
    q_scale, q_zero = detail["quantization"]
    if out.dtype != np.float32:
        return (out.astype(np.float32) - q_zero) * (q_scale or 1.0)
    return np.array(out, dtype=np.float32, copy=True)


class LiteRtSegmenter:
    """Any image-segmenter ``.tflite``: a BGR image at its input size in, person probability out.

    ``video`` is accepted for the same signature as the MediaPipe runtime; LiteRT has no running
    modes (the temporal filtering is ours, in the refiner).
    """

    def __init__(self, model_path: Path, video: bool = True) -> None:
        model_path = Path(model_path)
        self.path = model_path
        self._interp = _interpreter(model_path, "image-segmenter model")
        self.info = read_model_info(model_path)
        self._in = _Input(self._interp, self.info, model_path)
        outputs = self._interp.get_output_details()
        if not outputs:
            raise ModelError(f"{model_path.name} has no output")
        self._out = outputs[0]
        self.labels: list[str] = list(self.info.labels)
        self.input_size = self._in.size

    def segment(self, image_bgr: np.ndarray, timestamp_ms: int | None = None) -> np.ndarray:
        """Person probability (float32, same size as the input) for a small BGR image."""
        h, w = image_bgr.shape[:2]
        if (w, h) != self.input_size:
            image_bgr = cv2.resize(image_bgr, self.input_size, interpolation=cv2.INTER_LINEAR)
        self._interp.set_tensor(self._in.index, self._in.tensor(image_bgr))
        self._interp.invoke()
        out = _output(self._interp, self._out)[0]  # (h, w, classes)
        if out.ndim == 2:
            out = out[..., None]
        if self.info.activation == ACTIVATION_SIGMOID:
            out = 1.0 / (1.0 + np.exp(-out))
        elif self.info.activation == ACTIVATION_SOFTMAX and out.shape[-1] > 1:
            e = np.exp(out - out.max(axis=-1, keepdims=True))
            out = e / e.sum(axis=-1, keepdims=True)
        masks = [out[..., c] for c in range(out.shape[-1])]
        prob = person_probability(masks, self.labels)
        if prob.shape != (h, w):
            prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(prob, dtype=np.float32)  # _output copied it already

    def close(self) -> None:
        self._interp = None


class LiteRtFaceDetector:
    """BlazeFace (short or full range) on LiteRT: faces in a BGR image of any size."""

    def __init__(self, model_path: Path, min_confidence: float | None = None) -> None:
        model_path = Path(model_path)
        self._interp = _interpreter(model_path, "face detector")
        info = read_model_info(model_path)
        self._in = _Input(self._interp, info, model_path)
        size = self._in.size
        if size[0] != size[1] or size[0] not in blazeface.SPECS:
            raise ModelError(f"{model_path.name}: not a BlazeFace model (input {size})")
        self.spec = blazeface.SPECS[size[0]]
        self.min_confidence = self.spec.min_score if min_confidence is None else min_confidence
        outs = {tuple(d["shape"][1:]): d for d in self._interp.get_output_details()}
        n = len(blazeface.anchors(self.spec))
        try:
            self._boxes, self._scores = outs[(n, 16)], outs[(n, 1)]
        except KeyError:
            raise ModelError(f"{model_path.name}: unexpected outputs for BlazeFace") from None
        self._canvas = np.zeros((size[1], size[0], 3), np.uint8)

    def detect(self, image_bgr: np.ndarray) -> list[FaceBox]:
        h, w = image_bgr.shape[:2]
        n = self.spec.input_size
        # Letterboxed, as MediaPipe's graph does: the face keeps its shape, the rest is black.
        s, pad_x, pad_y = blazeface.letterbox(w, h, n)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        x0, y0 = (n - nw) // 2, (n - nh) // 2
        canvas = self._canvas
        canvas[:] = 0
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        canvas[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(image_bgr, (nw, nh), interpolation=interp)
        self._interp.set_tensor(self._in.index, self._in.tensor(canvas))
        self._interp.invoke()
        boxes, scores = blazeface.decode(
            _output(self._interp, self._boxes), _output(self._interp, self._scores), self.spec,
            self.min_confidence,
        )  # fmt: skip
        clusters = blazeface.weighted_nms(boxes, scores)
        return blazeface.to_image_boxes(clusters, x0 / n, y0 / n)

    def close(self) -> None:
        self._interp = None
