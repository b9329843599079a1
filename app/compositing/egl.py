"""A headless OpenGL context through EGL: no window, no display server, no Qt.

Used by `focuscam process --compositor gl`, the benchmark and the parity tests. Tries a GPU
device first (EGL_EXT_platform_device: NVIDIA and Mesa drivers without a display), then Mesa's
surfaceless platform (llvmpipe on a server), then the default display; desktop OpenGL 3.3 core
first, OpenGL ES 3 after.
"""

from __future__ import annotations

import ctypes
import logging

import numpy as np

import app.compositing.gl  # noqa: F401  (sets PYOPENGL_PLATFORM before OpenGL loads)
from app.compositing.gl import GlError

logger = logging.getLogger(__name__)

EGL_PLATFORM_DEVICE_EXT = 0x313F
EGL_PLATFORM_SURFACELESS_MESA = 0x31DD


class EglContext:
    """Owns one EGL display and context; ``make_current()`` before GL calls, ``close()`` after."""

    def __init__(self) -> None:
        try:
            from OpenGL import EGL
        except Exception as exc:  # no libEGL at all
            raise GlError(f"EGL is not available: {exc}") from None
        self._egl = EGL
        self.display = None
        self.context = None
        self.description = ""
        errors = []
        for name, get_display in self._displays():
            try:
                dpy = get_display()
            except Exception as exc:
                errors.append(f"{name}: {exc}")
                continue
            if not dpy:
                errors.append(f"{name}: no display")
                continue
            major, minor = EGL.EGLint(), EGL.EGLint()
            try:
                if not EGL.eglInitialize(dpy, ctypes.pointer(major), ctypes.pointer(minor)):
                    errors.append(f"{name}: eglInitialize failed")
                    continue
            except Exception as exc:
                errors.append(f"{name}: {exc}")
                continue
            ctx = self._create_context(dpy)
            if ctx is not None:
                self.display, self.context = dpy, ctx
                self.description = f"EGL {major.value}.{minor.value} ({name})"
                break
            errors.append(f"{name}: no OpenGL 3.3 or GLES 3 context")
        if self.context is None:
            raise GlError("no offscreen OpenGL context: " + "; ".join(errors))
        self.make_current()
        logger.info("offscreen GL context: %s", self.description)

    def _displays(self):
        EGL = self._egl

        def device():
            from OpenGL.EGL.EXT.device_base import eglQueryDevicesEXT
            from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT

            devices = (EGL.EGLDeviceEXT * 8)()
            count = EGL.EGLint()
            if not eglQueryDevicesEXT(8, devices, ctypes.pointer(count)) or count.value == 0:
                return None
            return eglGetPlatformDisplayEXT(EGL_PLATFORM_DEVICE_EXT, devices[0], None)

        def surfaceless():
            from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT

            return eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, None, None)

        return (
            ("device", device),
            ("surfaceless", surfaceless),
            ("default display", lambda: EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)),
        )

    def _create_context(self, dpy):
        EGL = self._egl
        tries = (
            (EGL.EGL_OPENGL_API, EGL.EGL_OPENGL_BIT, [
                EGL.EGL_CONTEXT_MAJOR_VERSION, 3, EGL.EGL_CONTEXT_MINOR_VERSION, 3,
                EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
            ]),
            (EGL.EGL_OPENGL_ES_API, EGL.EGL_OPENGL_ES3_BIT, [EGL.EGL_CONTEXT_MAJOR_VERSION, 3]),
        )  # fmt: skip
        for api, bit, ctx_attrs in tries:
            if not EGL.eglBindAPI(api):
                continue
            config = EGL.EGLConfig()
            n = EGL.EGLint()
            attrs = (EGL.EGLint * 3)(EGL.EGL_RENDERABLE_TYPE, bit, EGL.EGL_NONE)
            EGL.eglChooseConfig(dpy, attrs, ctypes.pointer(config), 1, ctypes.pointer(n))
            # Without a surface no config is needed (EGL_KHR_no_config_context).
            cfg = config if n.value > 0 else EGL.EGLConfig()  # EGL_NO_CONFIG_KHR
            arr = (EGL.EGLint * (len(ctx_attrs) + 1))(*ctx_attrs, EGL.EGL_NONE)
            ctx = EGL.eglCreateContext(dpy, cfg, EGL.EGL_NO_CONTEXT, arr)
            if ctx and EGL.eglMakeCurrent(dpy, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, ctx):
                return ctx
            if ctx:
                EGL.eglDestroyContext(dpy, ctx)
        return None

    def make_current(self) -> None:
        EGL = self._egl
        if not EGL.eglMakeCurrent(
            self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, self.context
        ):
            raise GlError("cannot make the offscreen GL context current")

    def close(self) -> None:
        EGL = self._egl
        if self.context is not None:
            EGL.eglMakeCurrent(
                self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT
            )
            EGL.eglDestroyContext(self.display, self.context)
            # No eglTerminate: a display is shared by every context on it in this process, and
            # terminating it would pull the rug from under the others.
            self.context = None


class OffscreenGlCompositor:
    """A GlCompositor with its own EGL context: a drop-in for CpuCompositor.render."""

    name = "gl"

    def __init__(self) -> None:
        from app.compositing.gl import GlCompositor

        self.context = EglContext()
        self.gl = GlCompositor()
        self.gl._ensure_ready()

    def prepare(self, guide, spec, size) -> None:
        """Nothing to start early: the shaders do the whole frame in one go."""

    def render(self, frame, matte, spec, size=None, out=None, read_back=True):
        self.context.make_current()
        picture = self.gl.render(frame, matte, spec, size, read_back)
        if out is not None and picture is not None and out.shape == picture.shape:
            np.copyto(out, picture)
            return out
        return picture

    def close(self) -> None:
        if self.context.context is not None:
            self.context.make_current()
            self.gl.release()
            self.context.close()

    def __enter__(self) -> OffscreenGlCompositor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
