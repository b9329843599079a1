"""The GL viewfinder: the frame and the low-resolution matte go to the GPU as textures and the
shaders of app/compositing/gl.py do the rest, straight into the window. No pixel comes back."""

from __future__ import annotations

import glob
import logging
import sys
import time

import numpy as np
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QOffscreenSurface, QOpenGLContext, QPainter, QSurfaceFormat
from PyQt6.QtOpenGLWidgets import QOpenGLWidget
from PyQt6.QtWidgets import QApplication, QWidget

import app.compositing.gl  # noqa: F401  (chooses PyOpenGL's platform before OpenGL loads)
from app.compositing.base import COMPOSITOR_CHOICES
from app.compositing.spec import EffectSpec
from app.errors import FocusCamError
from app.frames import Matte, now_ns
from app.pipeline import Result
from app.ui.viewfinder import FRAME_AND_MATTE, OverlayMixin, Viewfinder, to_qimage

logger = logging.getLogger(__name__)

# Platforms whose windows cannot hold an OpenGL widget.
NO_GL_PLATFORMS = {"offscreen", "minimal", "vnc", "linuxfb"}


def surface_format(gles: bool = False) -> QSurfaceFormat:
    fmt = QSurfaceFormat()
    if gles:
        fmt.setRenderableType(QSurfaceFormat.RenderableType.OpenGLES)
        fmt.setVersion(3, 0)
    else:
        fmt.setRenderableType(QSurfaceFormat.RenderableType.OpenGL)
        fmt.setVersion(3, 3)
        fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setSwapInterval(0)  # the camera sets the pace, not the display's vsync
    return fmt


def probe_gl() -> tuple[QSurfaceFormat | None, str, str]:
    """(surface format a GL viewfinder can use here or None, version or why not, renderer)."""
    platform = QApplication.platformName()
    if platform in NO_GL_PLATFORMS:
        return None, f"the {platform!r} Qt platform has no OpenGL windows", ""
    reasons = []
    for gles in (False, True):
        fmt = surface_format(gles)
        ctx = QOpenGLContext()
        ctx.setFormat(fmt)
        if not ctx.create():
            reasons.append(f"no {'GLES 3' if gles else 'OpenGL 3.3 core'} context")
            continue
        got = ctx.format()
        major, minor = got.majorVersion(), got.minorVersion()
        if (major, minor) < ((3, 0) if gles else (3, 3)) or ctx.isOpenGLES() != gles:
            reasons.append(f"only {'GLES' if ctx.isOpenGLES() else 'OpenGL'} {major}.{minor}")
            continue
        surface = QOffscreenSurface()
        surface.setFormat(got)
        surface.create()
        ok = ctx.makeCurrent(surface)
        renderer = ""
        if ok:
            from OpenGL import GL

            renderer = (GL.glGetString(GL.GL_RENDERER) or b"").decode(errors="replace")
            ctx.doneCurrent()
        surface.destroy()
        if ok:
            kind = "GLES" if gles else "OpenGL"
            return fmt, f"{kind} {major}.{minor}", renderer
        reasons.append("context cannot be made current")
    return None, "; ".join(reasons), ""


class GlViewfinder(OverlayMixin, QOpenGLWidget):
    """Same interface as the CPU Viewfinder; composites with shaders at the shown size."""

    resized = pyqtSignal()
    painted = pyqtSignal(object, object)
    clicked = pyqtSignal(object)
    # The frame and its matte: it composites them itself, with shaders, into the window.
    consumes = FRAME_AND_MATTE

    def __init__(self, fmt: QSurfaceFormat, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_viewfinder()
        self.setFormat(fmt)
        self.gl = None
        self.paint_ms: float | None = None  # CPU-side time of the last GL composite (stats)

    # -- input -------------------------------------------------------------------------------
    def show_result(self, result: Result) -> None:
        self.result = result
        self.soft = False
        if self.message:
            self.place_band()  # the faces may have moved
        self.update()

    def soften(self) -> None:
        self.soft = True
        self.update()

    def picture_size(self) -> tuple[int, int] | None:
        r = self.result
        if r is None:
            return None
        return (r.view.shape[1], r.view.shape[0]) if r.view is not None else r.frame.size

    # -- GL ----------------------------------------------------------------------------------
    def initializeGL(self) -> None:  # noqa: N802
        from app.compositing.gl import GlCompositor

        self.gl = GlCompositor()  # it logs the GL version and renderer on its first draw
        self.context().aboutToBeDestroyed.connect(self.release_gl)

    def release_gl(self) -> None:
        """Free GL objects with the widget's context current: when the window closes, or when
        the context goes away first."""
        if self.gl is not None:
            self.makeCurrent()
            self.gl.release()
            self.doneCurrent()
            self.gl = None

    def paintGL(self) -> None:  # noqa: N802
        from OpenGL import GL

        GL.glClearColor(0.0, 0.0, 0.0, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        r = self.result
        if r is not None and self.gl is not None:
            t0 = time.perf_counter()
            self._draw(r)
            self.paint_ms = (time.perf_counter() - t0) * 1e3
        p = QPainter(self)
        if r is not None and r.self_view is not None and not self.soft:
            sv = r.self_view
            self._paint_call(p, self.picture_rect(), to_qimage(sv))
        self._paint_overlay(p)
        p.end()
        if r is not None and not self.soft:
            self.painted.emit(r, now_ns())

    def _draw(self, r: Result) -> None:
        rect = self.picture_rect()
        dpr = self.devicePixelRatioF()
        x, y = round(rect.left() * dpr), round(rect.top() * dpr)
        w, h = max(2, round(rect.width() * dpr)), max(2, round(rect.height() * dpr))
        fb_h = round(self.height() * dpr)
        viewport = (x, fb_h - y - h, w, h)  # GL counts rows from the bottom
        fbo = self.defaultFramebufferObject()
        request = r.request
        if r.view is not None:
            # Already composited on the CPU (call preview: the picture that leaves the window).
            self.gl.draw(r.view, None, EffectSpec("none"), (w, h), fbo, viewport, for_screen=True)
            return
        spec, matte = request.spec, r.matte
        if self.soft:
            spec = EffectSpec("blur", 1.0)
            matte = Matte(np.zeros_like(matte.alpha), matte.guide, matte.model)
        self.gl.draw(
            r.frame.image, matte, spec, (w, h), fbo, viewport,
            mirror=request.mirror, for_screen=True, dim=0.6 if self.soft else 1.0,
        )  # fmt: skip


# Device nodes of GPUs on Linux: DRM render nodes (Intel, AMD, NVIDIA with nvidia-drm), NVIDIA's
# own, and WSL2's. Without any, OpenGL here can only be emulated on the CPU.
GPU_DEVICE_PATTERNS = ("/dev/dri/renderD*", "/dev/nvidia[0-9]*", "/dev/dxg")


def gpu_devices() -> list[str]:
    """The GPU device nodes on this Linux machine (empty when it has none)."""
    return [path for pattern in GPU_DEVICE_PATTERNS for path in glob.glob(pattern)]


def make_viewfinder(choice: str):
    """(viewfinder, what the HUD calls it) for ``--compositor`` gl, cpu or auto."""
    if choice not in COMPOSITOR_CHOICES:
        raise FocusCamError(
            f"unknown compositor {choice!r}; choose {', '.join(COMPOSITOR_CHOICES)}"
        )
    if choice == "auto" and sys.platform.startswith("linux") and not gpu_devices():
        # No GPU: any OpenGL would be software, which auto never picks. Not probing keeps the
        # emulator (Mesa's llvmpipe: about 50 MB of memory) out of the process.
        logger.info("compositing on the CPU: no GPU device here")
        return Viewfinder(), "cpu (no GPU)"
    if choice in ("gl", "auto"):
        from app.compositing.gl import is_software_renderer

        fmt, why, renderer = probe_gl()
        if fmt is not None and choice == "auto" and is_software_renderer(renderer):
            # A GPU emulated on the CPU costs more CPU than compositing on the CPU directly.
            logger.info(
                "compositing on the CPU: OpenGL here is %s, a software renderer", renderer
            )
            return Viewfinder(), "cpu (GL is software)"
        if fmt is not None:
            logger.info("viewfinder compositor: GL, %s on %s", why, renderer)
            return GlViewfinder(fmt), f"gl ({why}, {renderer.split(' (')[0]})"
        if choice == "gl":
            raise FocusCamError(f"no OpenGL 3.3 or GLES 3 for the GL compositor here: {why}")
        logger.info("compositing on the CPU: no GL viewfinder here (%s)", why)
        return Viewfinder(), "cpu (no GL)"
    logger.info("viewfinder compositor: CPU")
    return Viewfinder(), "cpu"
