"""GL resources for the compositor's passes (gl.py): the context's version, shader programs
and their uniforms, textures and framebuffers made once per size and reused, and the state a
host (Qt's painter) expects back. Nothing here knows an effect."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from importlib import resources

import numpy as np

from app.errors import FocusCamError

if sys.platform.startswith("linux"):
    # GLVND's libOpenGL dispatches to whichever context is current, made through GLX (Qt on
    # X11) or EGL (offscreen): one PyOpenGL for both. Must be set before OpenGL is imported.
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

from OpenGL import GL  # noqa: E402

logger = logging.getLogger(__name__)


# Renderers that run on the CPU, where the GL path costs more CPU than the CPU compositor.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader", "software rasterizer", "basic render")


def is_software_renderer(renderer: str) -> bool:
    return any(name in renderer.lower() for name in SOFTWARE_RENDERERS)


class GlError(FocusCamError):
    """No usable GL context, or a shader that does not build."""


def _source(name: str) -> str:
    return resources.files("app.compositing").joinpath(f"shaders/{name}.glsl").read_text()


@dataclass
class _Target:
    fbo: int
    textures: list[int]
    size: tuple[int, int]


class GlResources:
    """Programs, textures and framebuffers in the current context; ``release()`` frees them
    (call it with the same context current, before the context goes away)."""

    def __init__(self) -> None:
        self._programs: dict[str, int] = {}
        self._uniforms: dict[tuple[int, str], int] = {}
        self._textures: dict[str, tuple[int, tuple[int, int]]] = {}
        self._targets: dict[str, _Target] = {}
        self._vao = 0
        self._gles = False
        self.renderer = ""  # GL_RENDERER, once the first draw has set up
        self.uploads = 0  # frame textures created (not updated): the tests read it

    # -- set-up ------------------------------------------------------------------------------
    def _ensure_ready(self) -> None:
        if self._vao:
            return
        version = GL.glGetString(GL.GL_VERSION)
        if not version:
            raise GlError("no current OpenGL context")
        text = version.decode(errors="replace")
        self._gles = "OpenGL ES" in text
        major = GL.glGetIntegerv(GL.GL_MAJOR_VERSION)
        minor = GL.glGetIntegerv(GL.GL_MINOR_VERSION)
        if (int(major), int(minor)) < ((3, 0) if self._gles else (3, 3)):
            raise GlError(f"OpenGL {text} is too old; FocusCam's shaders need 3.3 or GLES 3")
        self._vao = GL.glGenVertexArrays(1)
        self.renderer = GL.glGetString(GL.GL_RENDERER).decode(errors="replace")
        logger.info("GL compositor on %s (%s)", text, self.renderer)

    def _program(self, frag: str) -> int:
        prog = self._programs.get(frag)
        if prog:
            return prog
        header = (
            "#version 300 es\nprecision highp float;\nprecision highp int;\n"
            if self._gles
            else "#version 330 core\n"
        )
        shaders = []
        for kind, name in ((GL.GL_VERTEX_SHADER, "fullscreen.vert"), (GL.GL_FRAGMENT_SHADER, frag)):
            sh = GL.glCreateShader(kind)
            GL.glShaderSource(sh, header + _source(name))
            GL.glCompileShader(sh)
            if not GL.glGetShaderiv(sh, GL.GL_COMPILE_STATUS):
                log = GL.glGetShaderInfoLog(sh).decode(errors="replace")
                raise GlError(f"shader {name} does not compile: {log.strip()}")
            shaders.append(sh)
        prog = GL.glCreateProgram()
        for sh in shaders:
            GL.glAttachShader(prog, sh)
        GL.glLinkProgram(prog)
        for sh in shaders:
            GL.glDeleteShader(sh)
        if not GL.glGetProgramiv(prog, GL.GL_LINK_STATUS):
            raise GlError(f"shader {frag} does not link: {GL.glGetProgramInfoLog(prog).decode()}")
        self._programs[frag] = prog
        return prog

    def _loc(self, prog: int, name: str) -> int:
        key = (prog, name)
        if key not in self._uniforms:
            self._uniforms[key] = GL.glGetUniformLocation(prog, name)
        return self._uniforms[key]

    # -- textures and targets ----------------------------------------------------------------
    def _formats(self, kind: str):
        # (internal format, format, type) for "rgb8" (BGR uint8 images), "r32f", "rgba8",
        # "rgba32f" (blur sums).
        return {
            "rgb8": (GL.GL_RGB8, GL.GL_RGB, GL.GL_UNSIGNED_BYTE),
            "rgba8": (GL.GL_RGBA8, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE),
            "r32f": (GL.GL_R32F, GL.GL_RED, GL.GL_FLOAT),
            "rgba32f": (GL.GL_RGBA32F, GL.GL_RGBA, GL.GL_FLOAT),
        }[kind]

    def _new_texture(self, size: tuple[int, int], kind: str, data=None) -> int:
        internal, fmt, typ = self._formats(kind)
        tex = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, internal, size[0], size[1], 0, fmt, typ, data)
        return tex

    def upload(self, name: str, image: np.ndarray, kind: str) -> int:
        """Put ``image`` in the texture ``name``; it is re-created only when its size changes."""
        h, w = image.shape[:2]
        image = np.ascontiguousarray(image)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        have = self._textures.get(name)
        if have is None or have[1] != (w, h):
            if have is not None:
                GL.glDeleteTextures([have[0]])
            tex = self._new_texture((w, h), kind, image)
            self._textures[name] = (tex, (w, h))
            if name == "frame":
                self.uploads += 1
            return tex
        _, fmt, typ = self._formats(kind)
        GL.glBindTexture(GL.GL_TEXTURE_2D, have[0])
        GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, w, h, fmt, typ, image)
        return have[0]

    def _target(self, name: str, size: tuple[int, int], kinds: tuple[str, ...]) -> _Target:
        t = self._targets.get(name)
        if t is not None and t.size == size:
            return t
        if t is not None:
            self._free_target(t)
        fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
        texes = []
        for i, kind in enumerate(kinds):
            tex = self._new_texture(size, kind)
            GL.glFramebufferTexture2D(
                GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0 + i, GL.GL_TEXTURE_2D, tex, 0
            )
            texes.append(tex)
        status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            raise GlError(f"framebuffer {name} {kinds} is not complete (0x{int(status):x})")
        t = _Target(fbo, texes, size)
        self._targets[name] = t
        return t

    def _free_target(self, t: _Target) -> None:
        GL.glDeleteFramebuffers(1, [t.fbo])
        GL.glDeleteTextures(t.textures)

    # -- drawing ------------------------------------------------------------------------------
    def _bind(self, prog: int, unit: int, name: str, tex: int) -> None:
        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
        GL.glUniform1i(self._loc(prog, name), unit)

    def _draw_into(self, target: _Target, n_outputs: int = 1) -> None:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
        GL.glDrawBuffers(n_outputs, [GL.GL_COLOR_ATTACHMENT0 + i for i in range(n_outputs)])
        GL.glViewport(0, 0, *target.size)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)

    def _restore_state(self) -> None:
        """Leave GL as a host (Qt's painter) expects it: default pixel alignment, no program,
        no vertex array, no textures bound."""
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        for unit in range(3):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 4)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 4)

    def finish(self) -> None:
        GL.glFinish()

    def release(self) -> None:
        """Free every GL object (the context they were made in must be current)."""
        for t in self._targets.values():
            self._free_target(t)
        if self._textures:
            GL.glDeleteTextures([t for t, _ in self._textures.values()])
        for prog in self._programs.values():
            GL.glDeleteProgram(prog)
        if self._vao:
            GL.glDeleteVertexArrays(1, [self._vao])
        self._targets.clear()
        self._textures.clear()
        self._programs.clear()
        self._uniforms.clear()
        self._vao = 0
