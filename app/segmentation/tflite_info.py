"""What a ``.tflite`` file says about its own input and output, read from the file itself.

A model file carries its pre-processing in TFLite metadata (a FlatBuffer named
``TFLITE_METADATA``): the input's colour space and the normalisation (``(x - mean) / std``) the
network was trained with, the segmenter's output activation, and its labels (a zip of
associated files appended to the model). MediaPipe Tasks reads the same fields; we read them
with the ``flatbuffers`` runtime alone, so the default path needs neither MediaPipe nor the
TFLite support library. Only the handful of fields used are decoded (slot numbers from
TFLite's ``schema.fbs`` and ``metadata_schema.fbs``).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import flatbuffers
from flatbuffers import number_types as nt

from app.errors import ModelError

# Output activations a segmenter's metadata can name (image_segmenter_metadata_schema.fbs).
ACTIVATION_NONE, ACTIVATION_SIGMOID, ACTIVATION_SOFTMAX = 0, 1, 2
RGB, GRAYSCALE = 1, 2  # ColorSpaceType


class _Table:
    """A FlatBuffer table: read fields by slot number."""

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.tab = buf, flatbuffers.table.Table(buf, pos)

    @classmethod
    def root(cls, buf: bytes, offset: int = 0) -> _Table:
        return cls(buf, flatbuffers.encode.Get(nt.UOffsetTFlags.packer_type, buf, offset) + offset)

    def _off(self, slot: int) -> int:
        return self.tab.Offset(4 + 2 * slot)

    def string(self, slot: int) -> str | None:
        o = self._off(slot)
        return self.tab.String(o + self.tab.Pos).decode("utf-8", "replace") if o else None

    def table(self, slot: int) -> _Table | None:
        o = self._off(slot)
        return _Table(self.buf, self.tab.Indirect(o + self.tab.Pos)) if o else None

    def scalar(self, slot: int, flags, default=0):
        o = self._off(slot)
        return self.tab.Get(flags, o + self.tab.Pos) if o else default

    def tables(self, slot: int) -> list[_Table]:
        o = self._off(slot)
        if not o:
            return []
        start, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return [_Table(self.buf, self.tab.Indirect(start + 4 * i)) for i in range(n)]

    def vector(self, slot: int, flags) -> list:
        o = self._off(slot)
        if not o:
            return []
        start, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return [self.tab.Get(flags, start + flags.bytewidth * i) for i in range(n)]

    def bytes(self, slot: int) -> bytes:
        o = self._off(slot)
        if not o:
            return b""
        start, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return bytes(self.buf[start : start + n])


@dataclass(frozen=True)
class ModelInfo:
    """The pre- and post-processing a model's metadata asks for (defaults where it is silent)."""

    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (255.0,)  # (x - mean) / std: 0..255 pixels to the trained range
    colour_space: int = RGB
    activation: int = ACTIVATION_NONE
    labels: tuple[str, ...] = ()
    has_metadata: bool = False


def _metadata_buffers(data: bytes) -> dict[str, bytes]:
    """The model's named metadata buffers (``Model.metadata``)."""
    model = _Table.root(data)
    buffers = model.tables(4)
    out = {}
    for md in model.tables(6):
        name, index = md.string(0), md.scalar(1, nt.Uint32Flags)
        if name is None or index >= len(buffers):
            continue
        buf = buffers[index]
        raw = buf.bytes(0)
        if not raw:  # large models keep buffers after the FlatBuffer: (offset, size)
            off, size = buf.scalar(1, nt.Uint64Flags), buf.scalar(2, nt.Uint64Flags)
            raw = bytes(data[off : off + size]) if off > 1 and size else b""
        out[name] = raw
    return out


def _labels(path: Path) -> tuple[str, ...]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".txt")]
            if not names:
                return ()
            text = zf.read(names[0]).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError):
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def read_model_info(path: Path) -> ModelInfo:
    """The metadata of the ``.tflite`` at ``path``; a ModelError when it is not a TFLite model."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{Path(path).name} is not a TFLite model file")
    try:
        meta = _metadata_buffers(data).get("TFLITE_METADATA")
        if not meta:
            return ModelInfo(labels=_labels(path))
        subgraphs = _Table.root(meta).tables(3)
        if not subgraphs:
            return ModelInfo(labels=_labels(path))
        sg = subgraphs[0]
        mean, std, colour = (0.0,), (255.0,), RGB
        inputs = sg.tables(2)
        if inputs:
            tensor = inputs[0]
            content = tensor.table(3)
            if content is not None and content.scalar(0, nt.Uint8Flags) == 2:  # ImageProperties
                props = content.table(1)
                if props is not None:
                    colour = props.scalar(0, nt.Int8Flags, RGB) or RGB
            for unit in tensor.tables(4):
                if unit.scalar(0, nt.Uint8Flags) == 1:  # NormalizationOptions
                    norm = unit.table(1)
                    if norm is not None:
                        mean = tuple(norm.vector(0, nt.Float32Flags)) or mean
                        std = tuple(norm.vector(1, nt.Float32Flags)) or std
        activation = ACTIVATION_NONE
        for custom in sg.tables(9):
            if custom.string(0) == "SEGMENTER_METADATA":
                options = _Table.root(custom.bytes(1))
                activation = options.scalar(0, nt.Int8Flags, ACTIVATION_NONE)
    except (IndexError, ValueError, TypeError) as exc:  # a truncated or foreign FlatBuffer
        raise ModelError(f"{Path(path).name}: unreadable model metadata ({exc})") from None
    return ModelInfo(mean, std, colour, activation, _labels(path), True)
