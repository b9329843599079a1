"""`focuscam bench`: per-stage latency of our pipeline against a peer-style baseline.

Frames are realistic: a real portrait moving over a real background with sensor noise. The
baseline is the pattern popular open-source background-blur tools use: the full frame handed to
the model, its binary category mask upscaled and 7x7-blurred, a full-resolution 55x55 Gaussian
background and a float blend. With several runtimes (``--runtime litert,mediapipe``) ours runs
once on each, on the same frames, and each gets its own numbers; the top-level ``ours`` and the
baseline use the first.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from app.compositing.cpu import CpuCompositor
from app.compositing.spec import EffectSpec
from app.engine.step import FrameStep
from app.errors import UsageError
from app.frames import parse_size
from app.lab.synthetic import Scene
from app.segmentation import models, runtimes
from app.segmentation.engine import SegmentationEngine, choose_model
from app.segmentation.runtimes import DEFAULT_RUNTIME

DEFAULT_SIZES = "640x480,1280x720,1920x1080"
STAGES = ("segment", "refine", "composite")


def parse_sizes(text: str) -> list[tuple[int, int]]:
    return [parse_size(part) for part in text.split(",")]


def _summary(rows: list[dict[str, float]]) -> dict:
    totals = np.array([sum(r[s] for s in STAGES) for r in rows])
    p50 = float(np.percentile(totals, 50))
    return {
        "total_ms_p50": round(p50, 3),
        "total_ms_p95": round(float(np.percentile(totals, 95)), 3),
        "fps": round(1000.0 / p50, 1) if p50 > 0 else 0.0,
        "stages_ms_p50": {s: round(float(np.median([r[s] for r in rows])), 3) for s in STAGES},
    }


class PeerBaseline:
    """The common open-source pattern, kept honest: same model, same runtime, same frames."""

    def __init__(self, model_name: str, runtime: str = DEFAULT_RUNTIME) -> None:
        self.model = model_name
        self._seg = runtimes.get(runtime).segmenter(models.locate(model_name), video=True)
        self._ts = 0

    def run(self, frame: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        t0 = time.perf_counter()
        # The whole frame squeezed to the model's input in one resize, as these tools do.
        small = cv2.resize(frame, models.KNOWN_MODELS[self.model].input_size)
        self._ts += 33
        prob = self._seg.segment(small, self._ts)
        t1 = time.perf_counter()
        mask = (prob > 0.5).astype(np.float32)  # the category mask: person or not
        mask = cv2.resize(mask, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        mask = cv2.blur(mask, (7, 7))
        t2 = time.perf_counter()
        bg = cv2.GaussianBlur(frame, (55, 55), 0)
        m3 = mask[..., None]
        out = (frame.astype(np.float32) * m3 + bg.astype(np.float32) * (1.0 - m3)).astype(np.uint8)
        t3 = time.perf_counter()
        return out, {
            "segment": (t1 - t0) * 1e3,
            "refine": (t2 - t1) * 1e3,
            "composite": (t3 - t2) * 1e3,
        }

    def close(self) -> None:
        self._seg.close()


def _compositor_costs(comp, frames, mattes, spec, size, n_frames, warmup, finish=None) -> dict:
    """Per-frame wall time and process CPU time of one compositor on the same frames.

    CPU time is the whole process's (every thread, including a software GL driver's), which is
    what a user's fan and battery feel.
    """
    walls, cpus = [], []
    for i in range(warmup + n_frames):
        k = i % len(frames)
        c0, t0 = time.process_time(), time.perf_counter()
        comp(frames[k], mattes[k], spec, size)
        if finish is not None:
            finish()
        t1, c1 = time.perf_counter(), time.process_time()
        if i >= warmup:
            walls.append((t1 - t0) * 1e3)
            cpus.append((c1 - c0) * 1e3)
    return {
        "wall_ms_p50": round(float(np.median(walls)), 3),
        "wall_ms_p95": round(float(np.percentile(walls, 95)), 3),
        "cpu_ms_per_frame": round(float(np.mean(cpus)), 3),
    }


def bench_gl(size: tuple[int, int], frames, mattes, spec, n_frames: int, warmup: int = 5) -> dict:
    """The GL compositor (offscreen EGL, no read-back, as in the live preview) against the CPU
    compositor, on the same frames and mattes."""
    from app.compositing.egl import OffscreenGlCompositor

    out = np.empty_like(frames[0])
    with OffscreenGlCompositor() as gl:
        result = _compositor_costs(
            lambda f, m, s, z: gl.render(f, m, s, z, read_back=False), frames, mattes, spec,
            size, n_frames, warmup, gl.gl.finish,
        )  # fmt: skip
        result["renderer"] = gl.gl.renderer
        result["context"] = gl.context.description
    with CpuCompositor() as cpu:
        cpu_cost = _compositor_costs(
            lambda f, m, s, z: cpu.render(f, m, s, z, out=out), frames, mattes, spec, size,
            n_frames, warmup,
        )  # fmt: skip
    return {"gl": result, "cpu_compositor": cpu_cost}


def current_rss_mb() -> float:
    """Resident memory now (Linux; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return round(pages * resource.getpagesize() / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def bench_ours(size, frames, spec, n_frames, warmup, runtime):
    """Our pipeline on ``runtime``: per-frame stage times, and the mattes of the first pass."""
    ours: list[dict[str, float]] = []
    out = np.empty_like(frames[0])
    mattes = []
    engine = SegmentationEngine(video=True, runtime=runtime)
    with FrameStep(engine, CpuCompositor()) as step:
        for i in range(warmup + n_frames):
            frame = frames[i % len(frames)]
            _, matte, t = step.run(frame, spec, int(i * 1e9 / 30), size, out=out)
            if i < len(frames):
                mattes.append(matte)
            if i >= warmup:
                ours.append(t)
    return ours, mattes


def bench_size(
    size: tuple[int, int],
    n_frames: int,
    warmup: int = 5,
    compositor: str = "cpu",
    runtime_names: list[str] | None = None,
) -> dict:
    scene = Scene(size, "motorcycle_left.png", "moving", noise=3.0)
    frames = [scene.frame(i).image for i in range(min(n_frames, 60))]
    spec = EffectSpec("blur", 0.6)
    runtime_names = runtime_names or [DEFAULT_RUNTIME]
    per_runtime = {}
    mattes = []
    for name in runtime_names:
        rows, rt_mattes = bench_ours(size, frames, spec, n_frames, warmup, name)
        mattes = mattes or rt_mattes
        model = np.array([r["model"] for r in rows])
        per_runtime[name] = {
            "ours": _summary(rows),
            "model_ms": {
                "p50": round(float(np.percentile(model, 50)), 3),
                "p95": round(float(np.percentile(model, 95)), 3),
            },
            "rss_mb_after": current_rss_mb(),
        }
    base_rows: list[dict[str, float]] = []
    baseline = PeerBaseline(choose_model(size), runtime_names[0])
    try:
        for i in range(warmup + n_frames):
            _, t = baseline.run(frames[i % len(frames)])
            if i >= warmup:
                base_rows.append(t)
    finally:
        baseline.close()
    a, b = per_runtime[runtime_names[0]]["ours"], _summary(base_rows)
    result = {
        "ours": a,
        "baseline": b,
        "speedup": round(b["total_ms_p50"] / a["total_ms_p50"], 2),
        "runtimes": per_runtime,
    }
    if compositor == "gl":
        result.update(bench_gl(size, frames[: len(mattes)], mattes, spec, n_frames, warmup))
    return result


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return round(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024, 1)


def run_bench(
    sizes: list[tuple[int, int]],
    n_frames: int,
    compositor: str = "cpu",
    runtime_names: list[str] | None = None,
) -> dict:
    if n_frames < 1:
        raise UsageError("--frames must be at least 1")
    if compositor not in ("cpu", "gl"):
        raise UsageError(f"unknown compositor {compositor!r}; choose cpu or gl")
    names = runtime_names or [DEFAULT_RUNTIME]
    result: dict = {
        "sizes": {
            f"{w}x{h}": bench_size((w, h), n_frames, compositor=compositor, runtime_names=names)
            for w, h in sizes
        }
    }
    result["rss_mb"] = peak_rss_mb()
    return result


def write_json(result: dict, path: Path | None) -> str:
    text = json.dumps(result, indent=2)
    if path is not None:
        from app.outputs.jsonfile import write_json

        write_json(path, result)
    return text


def describe_machine() -> str:
    return f"{platform.machine()}, {cv2.getNumberOfCPUs()} CPUs, Python {platform.python_version()}"
