"""The real tools people use for this job, re-implemented per frame on our runtime and model
file, so that the benchmark compares pipelines, not runtimes (``RealPeer`` runs the real ones):

- **LFBW** (Linux-Fake-Background-Webcam's loop): the whole frame to the model (landscape
  selfie model), the mask thresholded at 0.75, dilated 5x5, box-blurred 10x10, a running
  average with the previous mask (0.5), a 21x21 Gaussian (sigma 7) of the frame behind, and a
  linear blend (``cv2.blendLinear``).
- **cvzone** (``SelfiSegmentation.removeBG`` over a blurred copy): the whole frame to the model,
  a 55x55 Gaussian of the frame, and the pixel kept where the mask is above 0.1.

Each runs "as shipped" (its own fixed blur) or "at our strength" (a Gaussian as strong as
FocusCam's blur at that size, computed the way those tools would: at full resolution).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np

from app.compositing.spec import MAX_SIGMA_FRACTION
from app.errors import UsageError
from app.segmentation import models, runtimes


def our_sigma(size: tuple[int, int], strength: float) -> float:
    """FocusCam's blur sigma at full resolution for ``strength`` on a frame of ``size``."""
    return strength * MAX_SIGMA_FRACTION * min(size)


class _Peer:
    name = ""

    def __init__(self, size, strength: float | None, runtime: str, model: str = "landscape"):
        self.model = model
        self._seg = runtimes.get(runtime).segmenter(models.locate(model), video=True)
        self._input = models.KNOWN_MODELS[model].input_size
        self.sigma = None if strength is None else our_sigma(size, strength)

    def _mask(self, frame: np.ndarray) -> np.ndarray:
        rgb_small = cv2.resize(frame, self._input)  # the whole frame, squeezed, as they do
        h, w = frame.shape[:2]
        return cv2.resize(self._seg.segment(rgb_small), (w, h))

    def _background(self, frame: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
        if self.sigma is not None:  # at our strength: a kernel that grows with the blur
            k = 2 * int(np.ceil(3 * self.sigma)) + 1
            return cv2.GaussianBlur(frame, (k, k), self.sigma)
        return cv2.GaussianBlur(frame, (ksize, ksize), sigma)

    def run(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        out = self._frame(frame)
        return out, (time.perf_counter() - t0) * 1e3

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        self._seg.close()


class LfbwLoop(_Peer):
    name = "lfbw"

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self._previous: np.ndarray | None = None

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        # LFBW's compose_frame with its defaults, step for step and with the same OpenCV calls
        mask = self._mask(frame)
        cv2.threshold(mask, 0.75, 1, cv2.THRESH_BINARY, dst=mask)
        cv2.dilate(mask, np.ones((5, 5), np.uint8), iterations=1, dst=mask)
        cv2.blur(mask, (10, 10), dst=mask)
        if self._previous is None:  # its running average, updated in place
            self._previous = mask
        mask = cv2.accumulateWeighted(mask, self._previous, 0.5)
        background = self._background(frame, 21, 7)
        out = frame.copy()
        cv2.blendLinear(out, background, mask, 1 - mask, dst=out)
        return out


class CvzoneLoop(_Peer):
    name = "cvzone"

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        background = self._background(frame, 55, 0)
        mask = self._mask(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        condition = np.stack((mask,) * 3, axis=-1) > 0.1
        return np.where(condition, frame, background)


PEERS = {p.name: p for p in (LfbwLoop, CvzoneLoop)}


class RealPeer:
    """A peer's own code in its own environment (``scripts/peers-venv DIR``), in a subprocess
    of ``DIR/bin/python`` running ``peer_runner.py`` on frames saved for it: its own OpenCV,
    MediaPipe graph and thread settings, none of ours. ``run`` times ``count`` frames from
    ``start`` and gives their wall times (ms) and the subprocess's CPU ms per frame."""

    def __init__(self, name: str, venv: Path, frames_file: Path, warmup: int = 5) -> None:
        self.name, self.venv, self.frames_file, self.warmup = name, venv, frames_file, warmup
        self.versions: dict = {}

    def run(self, start: int, count: int) -> tuple[list[float], float]:
        cmd = [
            str(self.venv / "bin" / "python"), str(Path(__file__).with_name("peer_runner.py")),
            "--peer", self.name, "--frames", str(self.frames_file),
            "--lfbw", str(self.venv / "lfbw"), "--warmup", str(self.warmup),
            "--start", str(start), "--count", str(count),
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise UsageError(f"the real {self.name} in {self.venv} failed: {last}")
        out = json.loads(done.stdout)
        self.versions = {k: out[k] for k in ("mediapipe", "opencv", "numpy", "python")}
        return out["wall_ms"], out["cpu_ms_per_frame"]


def check_peers_venv(venv: Path) -> None:
    """A clear error when ``venv`` is not an environment ``scripts/peers-venv`` made."""
    needed = (venv / "bin" / "python", venv / "lfbw" / "lfbw" / "lfbw.py")
    if not all(path.is_file() for path in needed):
        raise UsageError(
            f"{venv} is not a peers environment; make one with: scripts/peers-venv {venv}"
        )
