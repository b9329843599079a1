"""`focuscam bench --file VIDEO`: `process` on a real video against its stages alone."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.errors import UsageError
from app.segmentation.engine import SegmentationEngine
from app.steps.step import FrameStep


def bench_file(path: Path, sample: int = 30) -> dict:
    """`process` on a video against its stages alone: decoding every frame, the engine (per
    frame, on the first ``sample`` frames, times the frame count), encoding every frame; then
    the real `process` run. Shows how close the pipeline gets to its slowest stage."""
    from app.commands.process import process_file
    from app.outputs.video import VideoOutput
    from app.sources.base import SourceError
    from app.sources.files import FileSource

    source = FileSource(path, loop=False, paced=False)
    try:
        source.open()
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    kept: list[np.ndarray] = []
    n = 0
    t0 = time.perf_counter()
    try:
        while True:
            frame = source.read()
            if len(kept) < sample:
                kept.append(frame)
            n += 1
    except SourceError:
        pass
    finally:
        source.close()
    decode_s = time.perf_counter() - t0
    h, w = kept[0].shape[:2]
    spec = EffectSpec()
    pictures = []
    with FrameStep(SegmentationEngine(video=True), CpuCompositor()) as step:
        for i, frame in enumerate(kept[:3]):
            step.run(frame, spec, int(i * 1e9 / 30))  # warm-up
        t0 = time.perf_counter()
        for i, frame in enumerate(kept):
            picture, _, _ = step.run(frame, spec, int(i * 1e9 / 30))
            pictures.append(picture)
        engine_s = (time.perf_counter() - t0) / len(kept) * n
    with tempfile.TemporaryDirectory(prefix="focuscam-bench-") as tmp:
        out = VideoOutput(Path(tmp) / "encode.mp4")
        t0 = time.perf_counter()
        out.open((w, h), 30.0)
        for i in range(n):
            out.write(pictures[i % len(pictures)], int(i * 1e9 / 30))
        out.commit()
        encode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        process_file(path, Path(tmp) / "out.mp4", spec)
        together_s = time.perf_counter() - t0
    stages = {"decode_s": decode_s, "engine_s": engine_s, "encode_s": encode_s}
    stages = {k: round(v, 3) for k, v in stages.items()}
    together = round(together_s, 3)
    return {
        "file": str(path),
        "frames": n,
        "size": f"{w}x{h}",
        **stages,
        "together_s": together,
        "together_vs_slowest": round(together / max(stages.values()), 2),
    }
