"""`focuscam bench`: per-stage latency of our pipeline against the tools people use for this
job (LFBW and cvzone, re-implemented per frame on the same runtime and model: see
app.commands.peers).

Frames are realistic: a real portrait moving over a real background with sensor noise. Each
peer runs as shipped and at our blur strength. With several runtimes
(``--runtime litert,mediapipe``) ours runs once on each, on the same frames, and each gets its
own numbers; the top-level ``ours`` and the peers use the first.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from app.commands.peers import PEERS, RealPeer, check_peers_venv
from app.compositing.base import COMPOSITORS
from app.compositing.cpu import CpuCompositor
from app.compositing.spec import DEFAULT_STRENGTH, EffectSpec
from app.errors import UsageError
from app.frames import parse_size
from app.lab.synthetic import Scene
from app.segmentation.cadence import CadenceParams
from app.segmentation.engine import SegmentationEngine
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.steps.step import FrameStep

DEFAULT_SIZES = "640x480,1280x720,1920x1080"
STAGES = ("segment", "refine", "composite")


def parse_sizes(text: str) -> list[tuple[int, int]]:
    return [parse_size(part) for part in text.split(",")]


def _summary(rows: list[dict[str, float]]) -> dict:
    return {
        **_totals([sum(r[s] for s in STAGES) for r in rows]),
        "stages_ms_p50": {s: round(float(np.median([r[s] for r in rows])), 3) for s in STAGES},
    }


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


class OursLoop:
    """Our pipeline on one runtime, frame by frame (the same frame step as live video)."""

    def __init__(self, size, spec, runtime: str, cadence: CadenceParams | None) -> None:
        self.spec, self.size = spec, size
        engine = SegmentationEngine(video=True, runtime=runtime, cadence=cadence)
        self.step = FrameStep(engine, CpuCompositor())
        self.out = np.empty((size[1], size[0], 3), np.uint8)
        self.i = 0
        self.mattes: list = []

    def run(self, frame: np.ndarray) -> dict[str, float]:
        _, matte, t = self.step.run(frame, self.spec, int(self.i * 1e9 / 30), self.size,
                                    out=self.out)  # fmt: skip
        if len(self.mattes) < 60:
            self.mattes.append(matte)
        self.i += 1
        return t

    def close(self) -> None:
        self.step.close()


def _per_frame(cpu_s: float, frames: int) -> float:
    return round(1e3 * cpu_s / max(1, frames), 3)


def _totals(ms: list[float]) -> dict:
    p50 = float(np.percentile(ms, 50))
    return {
        "total_ms_p50": round(p50, 3),
        "total_ms_p95": round(float(np.percentile(ms, 95)), 3),
        "fps": round(1000.0 / p50, 1) if p50 > 0 else 0.0,
    }


VARIANTS = ("as_shipped", "our_strength")
FRAME_BUDGET_MB = 100
ROUNDS = 3  # everything takes turns, so a busy moment on the machine hits every contender


def bench_size(
    size: tuple[int, int],
    n_frames: int,
    warmup: int = 5,
    compositor: str = "cpu",
    runtime_names: list[str] | None = None,
    tick=None,
    effect: str = "blur",
    cadence: CadenceParams | None = None,
    peers_venv: Path | None = None,
) -> dict:
    scene = Scene(size, "motorcycle_left.png", "moving", noise=3.0)
    # Distinct frames, as many as fit in FRAME_BUDGET_MB (at 4K that is 4, not 60 frames' 1.5 GB).
    distinct = max(4, min(n_frames, 60, int(FRAME_BUDGET_MB * 2**20 // (size[0] * size[1] * 3))))
    frames = [scene.frame(i).image for i in range(distinct)]
    del scene  # its full-size background and sprites are not needed any more
    spec = EffectSpec(effect, DEFAULT_STRENGTH)
    runtime_names = runtime_names or [DEFAULT_RUNTIME]
    ours = {name: OursLoop(size, spec, name, cadence) for name in runtime_names}
    peers = {
        (name, variant): cls(size, None if variant == "as_shipped" else spec.strength,
                             runtime_names[0])
        for name, cls in PEERS.items() for variant in VARIANTS
    }  # fmt: skip
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in ours}
    times: dict[tuple[str, str], list[float]] = {key: [] for key in peers}
    # CPU time of the whole process (every thread: ours and the peers' both use more than
    # one), over each contender's own frames.
    cpu: dict = {key: 0.0 for key in [*ours, *peers]}
    with contextlib.ExitStack() as stack:
        real = _real_peers(peers_venv, frames, stack)
        real_times: dict[str, list[float]] = {name: [] for name in real}
        real_cpu: dict[str, float] = {name: 0.0 for name in real}
        try:
            for loop in [*ours.values(), *peers.values()]:  # warm up: models loaded, caches hot
                for i in range(warmup):
                    loop.run(frames[i % len(frames)])
            per_round = max(1, n_frames // ROUNDS)
            k = 0
            for _ in range(ROUNDS):
                for name, loop in ours.items():
                    c0 = time.process_time()
                    for j in range(per_round):
                        rows[name].append(loop.run(frames[(k + j) % len(frames)]))
                    cpu[name] += time.process_time() - c0
                    if tick:
                        tick()
                for key, peer in peers.items():
                    c0 = time.process_time()
                    for j in range(per_round):
                        times[key].append(peer.run(frames[(k + j) % len(frames)])[1])
                    cpu[key] += time.process_time() - c0
                    if tick:
                        tick()
                for name, peer in real.items():
                    walls, cpu_ms = peer.run(k, per_round)
                    real_times[name] += walls
                    real_cpu[name] += cpu_ms * len(walls)
                    if tick:
                        tick()
                k += per_round
            mattes = next(iter(ours.values())).mattes
        finally:
            for loop in [*ours.values(), *peers.values()]:
                loop.close()
    per_runtime = {}
    for name, r in rows.items():
        model = np.array([t["model"] for t in r])
        per_runtime[name] = {
            "ours": {**_summary(r), "cpu_ms_per_frame": _per_frame(cpu[name], len(r))},
            "model_ms": {"p50": round(float(np.percentile(model, 50)), 3),
                         "p95": round(float(np.percentile(model, 95)), 3)},  # fmt: skip
            "rss_mb_after": current_rss_mb(),
            "model_calls_share": round(
                ours[name].step.engine.model_calls / max(1, ours[name].i), 3
            ),
        }
    first = per_runtime[runtime_names[0]]["ours"]
    peer_results: dict = {}
    ratios: dict = {}
    for (name, variant), ms in times.items():
        peer_results.setdefault(name, {})[variant] = {
            **_totals(ms),
            "cpu_ms_per_frame": _per_frame(cpu[(name, variant)], len(ms)),
        }
        ratios.setdefault(name, {})[variant] = round(
            peer_results[name][variant]["total_ms_p50"] / first["total_ms_p50"], 2
        )
    result = {"ours": first, "peers": peer_results, "ratios": ratios, "runtimes": per_runtime}
    if real:
        result.update(_real_results(real, real_times, real_cpu, first, peer_results))
    if compositor == "gl":
        result.update(bench_gl(size, frames[: len(mattes)], mattes, spec, n_frames, warmup))
    return result


# The re-implementations must time within this share of the real peers wherever both run.
AGREE_WITHIN = 0.15


def _real_peers(venv: Path | None, frames: list[np.ndarray], stack) -> dict[str, RealPeer]:
    """The real peers on ``frames`` (saved for their subprocesses), when ``venv`` is given."""
    if venv is None:
        return {}
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="focuscam-bench-")))
    frames_file = tmp / "frames.npy"
    np.save(frames_file, np.stack(frames))
    return {name: RealPeer(name, venv, frames_file) for name in PEERS}


def _real_results(real, times, cpu, ours: dict, reimplemented: dict) -> dict:
    """The real peers' wall and CPU figures, ours against them, and how far each
    re-implementation (as shipped) is from its real peer."""
    results, ratios, agreement = {}, {}, {}
    for name, peer in real.items():
        r = {**_totals(times[name]), "cpu_ms_per_frame": round(cpu[name] / len(times[name]), 3),
             "versions": peer.versions}  # fmt: skip
        results[name] = r
        ratios[name] = {
            "wall": round(r["total_ms_p50"] / ours["total_ms_p50"], 2),
            "cpu": round(r["cpu_ms_per_frame"] / ours["cpu_ms_per_frame"], 2),
        }
        ours_copy = reimplemented[name]["as_shipped"]
        wall = ours_copy["total_ms_p50"] / r["total_ms_p50"]
        cpu_share = ours_copy["cpu_ms_per_frame"] / r["cpu_ms_per_frame"]
        agreement[name] = {
            "wall": round(wall, 2),
            "cpu": round(cpu_share, 2),
            "within": bool(abs(wall - 1) <= AGREE_WITHIN and abs(cpu_share - 1) <= AGREE_WITHIN),
        }
    return {"real_peers": results, "ratios_real": ratios, "reimplementation_vs_real": agreement}


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the system (glibc keeps it otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return round(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024, 1)


def run_bench(
    sizes: list[tuple[int, int]],
    n_frames: int,
    compositor: str = "cpu",
    runtime_names: list[str] | None = None,
    effect: str = "blur",
    cadence: CadenceParams | None = None,
    peers_venv: Path | None = None,
) -> dict:
    """``cadence``: when our loop may skip the model (cadence.py); None: every frame.
    ``peers_venv``: an environment made by ``scripts/peers-venv``, whose real peers then run
    beside their re-implementations."""
    if n_frames < 1:
        raise UsageError("--frames must be at least 1")
    if compositor not in COMPOSITORS:
        raise UsageError(f"unknown compositor {compositor!r}; choose {', '.join(COMPOSITORS)}")
    names = runtime_names or [DEFAULT_RUNTIME]
    if peers_venv is not None:
        check_peers_venv(peers_venv)
    steps = len(sizes) * ROUNDS * (len(names) + (3 if peers_venv else 2) * len(PEERS))
    result: dict = {"sizes": {}}
    with progress(steps) as tick:
        for w, h in sizes:
            result["sizes"][f"{w}x{h}"] = bench_size(
                (w, h), n_frames, compositor=compositor, runtime_names=names, tick=tick,
                effect=effect, cadence=cadence, peers_venv=peers_venv,
            )  # fmt: skip
            release_memory()  # what one size freed must not count towards the next one's peak
    result["rss_mb"] = peak_rss_mb()
    result["machine"] = describe_machine()
    result["effect"] = effect
    return result


@contextlib.contextmanager
def progress(total: int):
    """A tick per finished turn, shown as a tqdm bar on stderr when it is a terminal."""
    from tqdm import tqdm

    with tqdm(total=total, unit="turn", file=sys.stderr, disable=not sys.stderr.isatty(),
              leave=False) as bar:  # fmt: skip
        yield lambda: bar.update(1)


def table(result: dict) -> str:
    """A short table for people: ours against both peers, wall p50 and CPU ms per frame. With
    the real peers, theirs; otherwise the re-implementations (as shipped / at our strength)."""
    real = all("real_peers" in r for r in result["sizes"].values())
    lines = [
        f"{'size':>10}  {'ours ms':>8}  {'ours cpu':>8}  {'LFBW ms':>13}  {'cvzone ms':>13}  "
        f"{'vs LFBW':>11}  {'vs cvzone':>11}",
    ]
    for size, r in result["sizes"].items():
        if real:
            ms = [f"{r['real_peers'][p]['total_ms_p50']:.1f}/"
                  f"{r['real_peers'][p]['cpu_ms_per_frame']:.1f}".rjust(13)
                  for p in ("lfbw", "cvzone")]  # fmt: skip
            ratio = [f"{r['ratios_real'][p]['wall']:.1f}x/{r['ratios_real'][p]['cpu']:.1f}x"
                     .rjust(11) for p in ("lfbw", "cvzone")]  # fmt: skip
        else:
            ms = [
                "/".join(f"{r['peers'][p][v]['total_ms_p50']:.1f}" for v in VARIANTS).rjust(13)
                for p in ("lfbw", "cvzone")
            ]
            ratio = [
                "/".join(f"{r['ratios'][p][v]:.1f}x" for v in VARIANTS).rjust(11)
                for p in ("lfbw", "cvzone")
            ]
        lines.append(
            f"{size:>10}  {r['ours']['total_ms_p50']:8.1f}  {r['ours']['cpu_ms_per_frame']:8.1f}  "
            f"{ms[0]}  {ms[1]}  "
            f"{ratio[0]}  {ratio[1]}"
        )
    what = (
        "the real peers in their own environment: wall ms / CPU ms per frame"
        if real
        else "peers re-implemented, as shipped / at our blur strength"
    )
    lines.append(f"(p50 per frame; {what}; peak RSS {result['rss_mb']:.0f} MB; "
                 f"{result['machine']})")  # fmt: skip
    return "\n".join(lines)


def describe_machine() -> str:
    return f"{platform.machine()}, {cv2.getNumberOfCPUs()} CPUs, Python {platform.python_version()}"
