"""`focuscam bench --effect light|low-light|touch-up|moving-background|looks`: what each look
costs per frame on the CPU, at each size, on the demo scene (a real face), and `--idle`: what
`live --no-window --virtual-camera` spends while no application reads the camera.

A look's cost is the time of its own step (looks.py: on the frame, before compositing), the
frame's matte and faces made beforehand; each is timed alternately with the plain step over the
same frames. Low light runs on the demo scene dimmed to a third and given sensor noise (sigma
5), as a dim room gives it. A moving background's cost is the replace render with it minus the
replace render with a still picture (its decoding thread apart, reported on its own).
"""

from __future__ import annotations

import statistics
import threading
import time

import numpy as np

from app.frames import now_ns

LOOKS = ("light", "low-light", "touch-up", "moving-background")
TARGETS_720P_MS = {"light": 0.5, "low-light": 1.5, "touch-up": 1.0, "moving-background": 1.0}


def _frames(size: tuple[int, int], n: int) -> list[np.ndarray]:
    from app.sources.demo import DemoSource

    demo = DemoSource(size, paced=False)
    demo.open()
    try:
        return [demo.read() for _ in range(n)]
    finally:
        demo.close()


def _ms(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"median": round(statistics.median(s), 3), "p90": round(s[int(0.9 * (len(s) - 1))], 3)}


def bench_look(name: str, size: tuple[int, int], n: int = 60) -> dict:
    """Wall and CPU milliseconds per frame of one look at ``size``."""
    from app.compositing.looks import Looks
    from app.compositing.spec import EffectSpec
    from app.segmentation.engine import SegmentationEngine

    frames = _frames(size, n)
    if name == "low-light":
        rng = np.random.default_rng(0)
        frames = [np.clip(f / 3 + rng.normal(0, 5, f.shape), 0, 255).astype(np.uint8)
                  for f in frames]  # fmt: skip
    with SegmentationEngine(video=True) as engine:
        mattes = [engine.process(f, i * 33_333_333)[0] for i, f in enumerate(frames)]
        faces = engine.find_faces(mattes[0].guide)
    if name == "moving-background":
        return _bench_moving(frames, mattes, size)
    spec = {"light": EffectSpec("none", light=0.6), "low-light": EffectSpec("none", low_light="on"),
            "touch-up": EffectSpec("none", touch_up=0.6)}[name]  # fmt: skip
    looks = Looks()
    wall, cpu = [], []
    for _ in range(2):  # the first pass warms up (buffers, the running average)
        wall, cpu = [], []
        for f, m in zip(frames, mattes, strict=True):
            c0, t0 = time.thread_time(), time.perf_counter()
            looks.watch(f, spec.low_light)
            looks.apply(f, m, spec, faces)
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.thread_time() - c0) * 1e3)
    return {"wall_ms": _ms(wall), "cpu_ms": _ms(cpu), "frames": len(wall)}


def _bench_moving(frames, mattes, size) -> dict:
    from app.common.images import background_image
    from app.compositing.cpu import CpuCompositor
    from app.compositing.spec import EffectSpec

    moving = background_image("drifting-lights", paced=True)
    still = EffectSpec("replace", background=background_image("launch-pad"))
    spec = EffectSpec("replace", background=moving)
    comp = CpuCompositor(alone_below=1 << 30)  # all on this thread: the rest is the decoder
    extra, decode = [], 0.0
    try:
        moving.frame(size)  # the thread starts, at this size
        time.sleep(0.3)
        for _ in range(2):
            extra = []
            p0, m0 = time.process_time(), time.thread_time()
            start = time.perf_counter()
            for f, m in zip(frames, mattes, strict=True):
                t0 = time.perf_counter()
                comp.render(f, m, spec)
                t1 = time.perf_counter()
                comp.render(f, m, still)
                t2 = time.perf_counter()
                extra.append(((t1 - t0) - (t2 - t1)) * 1e3)
                time.sleep(max(0.0, 1 / 30 - (time.perf_counter() - t0)))  # a camera's pace
            elapsed = time.perf_counter() - start
            others = (time.process_time() - p0) - (time.thread_time() - m0)
            decode = 100 * others / elapsed  # the decoder's thread: % of a core
    finally:
        moving.close()
        comp.close()
    return {"wall_ms": _ms(extra), "decoder_cpu_percent": round(decode, 1),
            "frames": len(extra)}  # fmt: skip


def bench_looks(names: list[str], sizes: list[tuple[int, int]], n: int = 60) -> dict:
    out = {}
    for name in names:
        out[name] = {f"{w}x{h}": bench_look(name, (w, h), n) for w, h in sizes}
        at720 = out[name].get("1280x720")
        if at720 is not None:
            target = TARGETS_720P_MS[name]
            out[name]["target_720p_ms"] = target
            out[name]["met"] = at720["wall_ms"]["median"] <= target
    return out


def table(result: dict) -> str:
    """The JSON's numbers as lines for a terminal."""
    lines = []
    for name, sizes in result.get("looks", {}).items():
        for size, r in sizes.items():
            if not isinstance(r, dict):
                continue
            extra = (f", decoder {r['decoder_cpu_percent']}% of a core"
                     if "decoder_cpu_percent" in r else "")  # fmt: skip
            lines.append(f"{name:18} {size:>9}  {r['wall_ms']['median']:6.2f} ms a frame "
                         f"(p90 {r['wall_ms']['p90']:.2f}){extra}")  # fmt: skip
        if "target_720p_ms" in sizes:
            lines.append(f"{'':18} target at 1280x720: {sizes['target_720p_ms']} ms, "
                         f"{'met' if sizes['met'] else 'missed'}")  # fmt: skip
    idle = result.get("idle")
    if idle:
        lines.append(f"idle: {idle['idle_cpu_percent_of_a_core']}% of a core over "
                     f"{idle['idle_seconds']:g} s (target {idle['target_percent']}%); first "
                     f"frame after an open: {idle['resume_ms']} ms (target "
                     f"{idle['resume_target_ms']})")  # fmt: skip
    return "\n".join(lines)


class FrameStamps:
    """In the virtual camera's place (what a Feed runs: open, write, commit, abort), it
    remembers when each new picture came (``new``, monotonic ns) and how often the last one
    was sent again (``again``: the still frame while nobody watches). It writes nothing
    anywhere, so it is not one of the app's outputs."""

    wants_matte = False

    def __init__(self) -> None:
        self.new: list[int] = []
        self.again = 0
        self._last = None

    def open(self, size, fps) -> None:
        pass

    def write(self, image, t_ns=0, matte=None) -> None:
        if image is self._last:
            self.again += 1
        else:
            self.new.append(now_ns())
        self._last = image

    def commit(self) -> list:
        return []

    def abort(self) -> None:
        pass


def bench_idle(seconds: float = 20.0) -> dict:
    """`live --no-window --virtual-camera`'s pipeline on the demo scene, watched through a
    file (no virtual camera device is needed): CPU while nobody reads it, then how soon a
    processed frame follows an application opening it (five times)."""
    import subprocess
    import sys
    import tempfile

    from app.commands.broadcast import Idler
    from app.compositing.spec import EffectSpec
    from app.outputs.feed import Feed
    from app.pipeline import OutputRequest, Pipeline
    from app.sources.demo import DemoSource

    with tempfile.NamedTemporaryFile() as device:
        stamps = FrameStamps()
        pipeline = Pipeline()
        pipeline.request = OutputRequest(spec=EffectSpec("blur"), shown=False)
        feed = Feed(stamps, "camera", (1280, 720), 30.0)
        pipeline.add_feed("camera", feed)
        pipeline.start(DemoSource((1280, 720)))
        time.sleep(2.0)  # running: the model loaded, frames flowing
        idler = Idler(pipeline, device.name, feed).start()
        stop = threading.Event()

        def ticks() -> None:
            while not stop.wait(0.1):
                idler.tick()

        ticker = threading.Thread(target=ticks, daemon=True)
        ticker.start()
        time.sleep(1.0)
        c0, t0 = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        idle_cpu = 100 * (time.process_time() - c0) / (time.perf_counter() - t0)
        resume = []
        for _ in range(5):
            before = len(stamps.new)
            t_open = now_ns()
            reader = subprocess.Popen([sys.executable, "-c", "import sys, time; "
                                       f"f = open({device.name!r}); time.sleep(1.0)"])  # fmt: skip
            deadline = time.monotonic() + 5
            while len(stamps.new) <= before and time.monotonic() < deadline:
                time.sleep(0.002)
            # from the open (the reader's start takes its own time: measured from its open, the
            # watcher logs it) to the first processed frame
            first = stamps.new[before] if len(stamps.new) > before else None
            reader.wait()
            opened = idler.watch.last_open_ns
            if first is not None and opened is not None and opened >= t_open:
                resume.append(round((first - opened) / 1e6, 1))
            time.sleep(1.5)
        stop.set()
        idler.close()
        feed.close()
        pipeline.close()
    return {"idle_cpu_percent_of_a_core": round(idle_cpu, 2), "idle_seconds": seconds,
            "target_percent": 2.0, "resume_ms": resume, "resume_target_ms": 100}  # fmt: skip
