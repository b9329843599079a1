"""What the pipeline measures: stage timings, latency, frames shown and dropped, source events.

Everything is kept in bounded memory: fixed-size histograms (percentiles within a quarter of a
millisecond of the exact ones below one second, within a millisecond up to a minute) and short
rolling windows for the HUD, so an hour-long session costs what a minute does. The HUD's text,
``--stats-json`` and the benchmark all read the same numbers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence

import numpy as np

from app.frames import Frame, now_ns


class Histogram:
    """Counts of millisecond values: 0.25 ms bins below 1 s, 1 ms bins up to 60 s."""

    FINE, FINE_MS, COARSE_MS, TOP_MS = 0.25, 1000.0, 1.0, 60_000.0

    def __init__(self) -> None:
        self._fine = int(self.FINE_MS / self.FINE)
        coarse = int((self.TOP_MS - self.FINE_MS) / self.COARSE_MS)
        self._counts = np.zeros(self._fine + coarse, np.int64)
        self.count = 0
        self.total = 0.0

    def _bin(self, ms: float) -> int:
        ms = min(max(ms, 0.0), self.TOP_MS - self.COARSE_MS)
        if ms < self.FINE_MS:
            return int(ms / self.FINE)
        return self._fine + int((ms - self.FINE_MS) / self.COARSE_MS)

    def _value(self, index: int) -> float:
        """The middle of bin ``index``."""
        if index < self._fine:
            return (index + 0.5) * self.FINE
        return self.FINE_MS + (index - self._fine + 0.5) * self.COARSE_MS

    def add(self, ms: float) -> None:
        self._counts[self._bin(ms)] += 1
        self.count += 1
        self.total += ms

    def percentile(self, q: float) -> float:
        if self.count == 0:
            return 0.0
        rank = q / 100.0 * (self.count - 1)
        index = int(np.searchsorted(np.cumsum(self._counts), rank, side="right"))
        return self._value(min(index, self._counts.size - 1))


class PipelineStats:
    """Counters and timings shared by the pipeline's threads and its viewer."""

    WINDOW = 120  # samples behind the HUD's rolling numbers

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.frames_displayed = 0
        self.latency = Histogram()
        self.stages: dict[str, Histogram] = {}
        self._recent_latency: deque[float] = deque(maxlen=self.WINDOW)
        self._recent_stages: dict[str, deque[float]] = {}
        self._display_times: deque[int] = deque(maxlen=self.WINDOW)
        self._model_times: deque[int] = deque(maxlen=self.WINDOW)
        self.model_calls = 0
        self._last_seq: tuple[str, int] | None = None
        self.source_events = {"lost": 0, "recovered": 0}
        self._t0_wall = time.perf_counter()
        self._t0_cpu = time.process_time()
        self._hud_clock = (self._t0_wall, self._t0_cpu)

    def restart_clock(self) -> None:
        self._t0_wall = time.perf_counter()
        self._t0_cpu = time.process_time()

    def stage(self, name: str, ms: float) -> None:
        """One stage's time for one frame (the worker's, or the GL viewfinder's composite)."""
        with self._lock:
            self.stages.setdefault(name, Histogram()).add(ms)
            self._recent_stages.setdefault(name, deque(maxlen=self.WINDOW)).append(ms)

    def model_called(self, t_ns: int | None = None) -> None:
        """The model ran on a frame (with ``--segment-every auto`` not every frame needs it)."""
        t_ns = now_ns() if t_ns is None else t_ns
        with self._lock:
            self.model_calls += 1
            self._model_times.append(t_ns)

    def source_event(self, kind: str) -> None:
        """``lost`` (unplugged, hung) or ``recovered``."""
        with self._lock:
            self.source_events[kind] = self.source_events.get(kind, 0) + 1

    def displayed(self, frame: Frame, t_ns: int | None = None) -> bool:
        """The viewer painted ``frame``; counted once per frame however often it is repainted.
        Returns True the first time."""
        t_ns = now_ns() if t_ns is None else t_ns
        key = (frame.source, frame.seq)
        with self._lock:
            if key == self._last_seq:
                return False
            self._last_seq = key
            self.frames_displayed += 1
            lat = (t_ns - frame.t_capture_ns) / 1e6
            self.latency.add(lat)
            self._recent_latency.append(lat)
            self._display_times.append(t_ns)
            return True

    @staticmethod
    def _rate(times: Sequence[int], now: int) -> float:
        """Frames per second over the window, falling to 0 when frames stop coming."""
        if len(times) < 2:
            return 0.0
        span = (max(now, times[-1]) - times[0]) / 1e9
        # A gap since the last frame counts, so a camera that stops sending reads as stopping.
        return (len(times) - 1) / span if span > 0 else 0.0

    def hud(self) -> dict:
        """Rolling numbers for the HUD."""
        now = now_ns()
        with self._lock:
            shown = list(self._display_times)
            calls = list(self._model_times)
            lat = np.array(self._recent_latency) if self._recent_latency else np.zeros(1)
            stages = {k: float(np.median(v)) for k, v in self._recent_stages.items() if v}
        wall, cpu = time.perf_counter(), time.process_time()
        last_wall, last_cpu = self._hud_clock
        self._hud_clock = (wall, cpu)
        span = wall - last_wall
        return {
            "cpu": 100.0 * (cpu - last_cpu) / span if span > 0 else 0.0,  # since the last call
            "fps": self._rate(shown, now),
            "model_calls_per_s": self._rate(calls, now),
            "latency_p50": float(np.percentile(lat, 50)),
            "latency_p95": float(np.percentile(lat, 95)),
            "stages": stages,
        }

    def cpu_percent(self) -> float:
        wall = time.perf_counter() - self._t0_wall
        return 100.0 * (time.process_time() - self._t0_cpu) / wall if wall > 0 else 0.0

    def wall_s(self) -> float:
        return time.perf_counter() - self._t0_wall

    def summary(self, captured: int, dropped: int) -> dict:
        """The ``--stats-json`` document."""
        wall = self.wall_s()
        with self._lock:
            return {
                "frames_captured": captured,
                "frames_displayed": self.frames_displayed,
                "frames_dropped": dropped,
                "fps_displayed": round(self.frames_displayed / wall, 2) if wall > 0 else 0.0,
                "latency_ms": {f"p{q}": round(self.latency.percentile(q), 2) for q in (50, 95, 99)},
                "stages_ms_p50": {k: round(h.percentile(50), 3) for k, h in self.stages.items()},
                "cpu_percent": round(self.cpu_percent(), 1),
                "model_calls": self.model_calls,
                "model_calls_per_s": round(self.model_calls / wall, 2) if wall > 0 else 0.0,
                "source_events": dict(self.source_events),
            }


def hud_lines(
    numbers: dict, dropped: int, captured: int, model: str, runtime: str, sizes: str, comp: str
) -> list[str]:
    """The HUD's text, from ``PipelineStats.hud()`` and what the window knows."""
    st = numbers["stages"]
    stages = " · ".join(
        f"{k} {st[k]:.1f}" for k in ("segment", "model", "refine", "composite") if k in st
    )
    return [
        f"{numbers['fps']:5.1f} fps   latency p50 {numbers['latency_p50']:.0f} ms"
        f"  p95 {numbers['latency_p95']:.0f} ms   CPU {numbers.get('cpu', 0.0):.0f}%",
        f"ms: {stages}",
        f"dropped {dropped} of {captured} · model {numbers.get('model_calls_per_s', 0.0):.0f}/s",
        f"model {model or '–'} on {runtime or '–'} · {sizes} · compositor {comp}",
    ]
