"""The one interface every compositor implements (the CPU reference, the offscreen GL one)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from app.compositing.spec import EffectSpec
from app.frames import Matte

# The compositors, listed once, in the style of the runtimes (segmentation/runtimes.py): name ->
# (module, class), imported only when asked for (GL loads OpenGL). "auto" picks GL only where a
# real GPU is (the viewfinder) and means "cpu" for files.
_COMPOSITOR_CLASSES = {
    "cpu": ("app.compositing.cpu", "CpuCompositor"),
    "gl": ("app.compositing.egl", "OffscreenGlCompositor"),  # offscreen: files, tests, bench
}
COMPOSITORS = tuple(_COMPOSITOR_CLASSES)
COMPOSITOR_CHOICES = ("auto", *COMPOSITORS)


def make_compositor(name: str, **kw) -> Compositor:
    """A new compositor of that name ("auto": the CPU reference, for files)."""
    from importlib import import_module

    module, cls = _COMPOSITOR_CLASSES["cpu" if name == "auto" else name]
    return getattr(import_module(module), cls)(**kw)


class Compositor(Protocol):
    """Renders an effect for a frame and its matte.

    ``prepare`` may start the next frame's work before its matte exists (it gets the frame's
    guide while the model runs; a no-op is fine); ``render`` returns the picture at ``size``
    (default: the frame's), written into ``out`` when given; ``close`` frees what it holds.
    """

    name: str

    def prepare(self, guide: np.ndarray, spec: EffectSpec, size: tuple[int, int]) -> None: ...

    def render(
        self,
        frame: np.ndarray,
        matte: Matte,
        spec: EffectSpec,
        size: tuple[int, int] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray: ...

    def close(self) -> None: ...
