"""The GL compositor: the CPU reference's effect spec in shaders (OpenGL 3.3 core or GLES 3).

It needs a current context and nothing else: the Qt viewfinder gives it the widget's context
and framebuffer, `process` and the tests an offscreen EGL context (app/compositing/egl.py).
Every pass mirrors a step of app/compositing/cpu.py, in the same order and at the same sizes,
so that the two agree to within rounding.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.common.moving import MovingBackground, background_picture
from app.common.resize import downscale, downscale_steps
from app.compositing import lens
from app.compositing.gl_resources import (  # noqa: F401  (re-exported for the viewfinders)
    GL,
    GlError,
    GlResources,
    _Target,
    is_software_renderer,
)
from app.compositing.spec import FILL_EPS, EffectSpec, blur_plan
from app.frames import Matte

EFFECT_CODES = {"blur": 0, "lens": 0, "replace": 1, "none": 2, "matte": 3, "key": 4, "cutout": 5}
MAX_TAPS = 32
MAX_DISC_RADIUS = 12.0  # work pixels; the lens shader's loop grows with the square of it


class GlCompositor(GlResources):
    """Renders an effect for a frame and its matte with shaders. Use with a current context.

    Textures and framebuffers are made once per size and reused (gl_resources.py);
    ``release()`` frees them (call it with the same context current).
    """

    name = "gl"

    def __init__(self) -> None:
        super().__init__()
        self._bg_key: tuple[int, tuple[int, int]] | None = None

    def _resize_chain(
        self, name: str, tex: int, src: tuple[int, int], dst: tuple[int, int], kind: str = "rgba8"
    ) -> int:
        """``downscale()`` in passes: each step samples the previous one bilinearly."""
        prog = self._program("resize.frag")
        prev = src
        for i, size in enumerate(downscale_steps(src, dst)):
            target = self._target(f"{name}{i}", size, (kind,))
            GL.glUseProgram(prog)
            self._bind(prog, 0, "src", tex)
            GL.glUniform2f(self._loc(prog, "out_size"), *size)
            GL.glUniform1i(self._loc(prog, "halve"), int(size == (prev[0] // 2, prev[1] // 2)))
            self._draw_into(target)
            tex, prev = target.textures[0], size
        return tex

    def _background_weight(self, matte: Matte, work: tuple[int, int]) -> _Target:
        """spec.background_weight in passes: the matte at the working size (the same steps as
        the CPU's downscale), then 1 - its one-pixel growth."""
        mh, mw = matte.alpha.shape
        alpha_small = self._resize_chain(
            "alpha_small", self._textures["matte"][0], (mw, mh), work, "r32f"
        )
        weight = self._target("weight", work, ("r32f",))
        prog = self._program("weight.frag")
        GL.glUseProgram(prog)
        self._bind(prog, 0, "alpha", alpha_small)
        self._draw_into(weight)
        return weight

    def _blurred_background(
        self, frame_tex: int, frame_size, matte: Matte, spec: EffectSpec
    ) -> int | None:
        plan = blur_plan(frame_size, spec.strength)
        if not plan.active:
            return None
        work = plan.work_size
        if plan.from_guide(matte.guide):
            gh, gw = matte.guide.shape[:2]
            src, src_size = self.upload("guide", matte.guide, "rgb8"), (gw, gh)
        else:
            src, src_size = frame_tex, frame_size
        small = self._resize_chain("small", src, src_size, work)
        weight = self._background_weight(matte, work)
        # (Targets are made before textures are bound: making one binds its texture.)
        blur_targets = [self._target(n, work, ("rgba32f", "rgba32f")) for n in ("bh", "bv")]
        out = self._target("blurred", work, ("rgba8",))
        # Separable Gaussian of (image * weight, weight) and of the plain image.
        kernel = cv2.getGaussianKernel(plan.ksize, plan.sigma, cv2.CV_32F).ravel()
        if kernel.size > MAX_TAPS:
            raise GlError(f"blur kernel of {kernel.size} taps exceeds {MAX_TAPS}")
        prog = self._program("blur.frag")
        GL.glUseProgram(prog)
        GL.glUniform1i(self._loc(prog, "taps"), kernel.size)
        GL.glUniform1fv(self._loc(prog, "kernel"), kernel.size, kernel)
        passes = (
            (blur_targets[0], (1, 0), True, small, weight.textures[0]),
            (blur_targets[1], (0, 1), False, *blur_targets[0].textures),
        )
        prev = None
        for target, direction, first, a, b in passes:
            self._bind(prog, 0, "src_num", a)
            self._bind(prog, 1, "src_plain", b)
            GL.glUniform1i(self._loc(prog, "first"), int(first))
            GL.glUniform2i(self._loc(prog, "dir"), *direction)
            self._draw_into(target, 2)
            prev = target
        prog = self._program("combine.frag")
        GL.glUseProgram(prog)
        self._bind(prog, 0, "num", prev.textures[0])
        self._bind(prog, 1, "plain", prev.textures[1])
        GL.glUniform1f(self._loc(prog, "eps"), FILL_EPS)
        self._draw_into(out)
        return out.textures[0]

    def _lens_background(
        self, frame_tex: int, frame_size, matte: Matte, spec: EffectSpec
    ) -> int | None:
        """app/compositing/lens.py in passes: highlights expanded at the output size (halved
        first above 4 MP, as there), shrunk (float) to the working size, then both discs, the
        depth blend and the compression in one pass. The depth estimate is worked out on the
        CPU (a distance transform of the small matte, a few thousand pixels) and uploaded."""
        plan = blur_plan(frame_size, spec.strength)
        if not plan.active:
            return None
        work = plan.work_size
        far_r, near_r = lens.disc_radii(plan.sigma)
        if far_r > MAX_DISC_RADIUS:
            raise GlError(f"lens disc of {far_r:.1f} px exceeds {MAX_DISC_RADIUS:.0f}")
        depth = self.upload("depth", lens.depth_map(downscale(matte.alpha, work)), "r32f")
        esize = lens.expand_size(frame_size, work)
        if esize != tuple(frame_size):  # a 12 MP photo, 4K: halved in 8 bits first
            frame_tex = self._resize_chain("lens_src", frame_tex, frame_size, esize)
        expanded = self._target("expanded", esize, ("rgba32f",))
        prog = self._program("expand.frag")
        GL.glUseProgram(prog)
        self._bind(prog, 0, "src", frame_tex)
        GL.glUniform1fv(self._loc(prog, "lut"), 256, lens.expand_lut())
        self._draw_into(expanded)
        energy = self._resize_chain("energy", expanded.textures[0], esize, work, "rgba32f")
        weight = self._background_weight(matte, work)
        out = self._target("lensed", work, ("rgba8",))
        prog = self._program("lens.frag")
        GL.glUseProgram(prog)
        self._bind(prog, 0, "energy", energy)
        self._bind(prog, 1, "weight", weight.textures[0])
        self._bind(prog, 2, "depth", depth)
        GL.glUniform1f(self._loc(prog, "far_radius"), far_r)
        GL.glUniform1f(self._loc(prog, "near_radius"), near_r)
        GL.glUniform1f(self._loc(prog, "eps"), FILL_EPS)
        GL.glUniform1f(self._loc(prog, "gamma"), lens.GAMMA)
        GL.glUniform1f(self._loc(prog, "shoulder"), lens.SHOULDER)
        self._draw_into(out)
        return out.textures[0]

    def draw(
        self,
        frame: np.ndarray,
        matte: Matte | None,
        spec: EffectSpec,
        size: tuple[int, int],
        fbo: int,
        viewport: tuple[int, int, int, int],
        mirror: bool = False,
        for_screen: bool = False,
        dim: float = 1.0,
    ) -> None:
        """Composite into framebuffer ``fbo`` at ``viewport`` (x, y, w, h; w, h == size).

        ``for_screen`` turns rows and channels for a window (top row up, RGB); without it the
        result is in OpenCV's layout, ready for glReadPixels. ``matte`` None shows the frame.
        """
        self._ensure_ready()
        GL.glBindVertexArray(self._vao)
        GL.glDisable(GL.GL_BLEND)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_SCISSOR_TEST)
        fh, fw = frame.shape[:2]
        tex = self.upload("frame", frame, "rgb8")
        if (fw, fh) != tuple(size):
            tex = self._resize_chain("frame_small", tex, (fw, fh), tuple(size))
        effect = spec.effect if matte is not None else "none"
        background = tex
        if matte is not None:
            self.upload("matte", np.ascontiguousarray(matte.alpha, np.float32), "r32f")
        if effect in ("blur", "lens"):
            make = self._blurred_background if effect == "blur" else self._lens_background
            blurred = make(tex, tuple(size), matte, spec)
            if blurred is None:
                effect = "none"
            else:
                background = blurred
        elif effect == "replace":
            moving = isinstance(spec.background, MovingBackground)
            picture = spec.background.frame(tuple(size)) if moving else spec.background
            key = (id(picture), tuple(size))
            if self._bg_key != key or "replacement" not in self._textures:
                fitted = picture if moving else background_picture(picture, tuple(size))
                self.upload("replacement", fitted, "rgb8")
                self._bg_key = key
            background = self._textures["replacement"][0]
        prog = self._program("final.frag")
        GL.glUseProgram(prog)
        self._bind(prog, 0, "frame", tex)
        self._bind(prog, 1, "background", background)
        self._bind(prog, 2, "matte", self._textures["matte"][0] if matte is not None else tex)
        GL.glUniform1i(self._loc(prog, "effect"), EFFECT_CODES[effect])
        GL.glUniform2f(self._loc(prog, "out_size"), *size)
        GL.glUniform2f(self._loc(prog, "origin"), viewport[0], viewport[1])
        GL.glUniform1i(self._loc(prog, "mirror"), int(mirror))
        GL.glUniform1i(self._loc(prog, "flip_y"), int(for_screen))
        GL.glUniform1i(self._loc(prog, "to_rgb"), int(for_screen))
        GL.glUniform1f(self._loc(prog, "dim"), dim)
        GL.glUniform3f(self._loc(prog, "key_color"), *(c / 255 for c in spec.key_color))
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
        if fbo == 0 or for_screen:
            GL.glDrawBuffers(1, [GL.GL_BACK if fbo == 0 else GL.GL_COLOR_ATTACHMENT0])
        GL.glViewport(*viewport)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        self._restore_state()

    def render(
        self,
        frame: np.ndarray,
        matte: Matte,
        spec: EffectSpec,
        size: tuple[int, int] | None = None,
        read_back: bool = True,
    ) -> np.ndarray | None:
        """Offscreen: composite into a framebuffer of its own and read the picture back (files,
        tests; never the live preview). Same call as CpuCompositor.render. ``read_back=False``
        leaves it on the GPU, as the viewfinder does (the benchmark's case)."""
        fh, fw = frame.shape[:2]
        size = tuple(size) if size is not None else (fw, fh)
        self._ensure_ready()
        out = self._target("output", size, ("rgba8",))
        self.draw(frame, matte, spec, size, out.fbo, (0, 0, *size))
        if not read_back:
            return None
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, out.fbo)
        GL.glReadBuffer(GL.GL_COLOR_ATTACHMENT0)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        channels = 4 if spec.effect == "cutout" else 3  # cutout: BGRA, the matte as alpha
        kind = GL.GL_RGBA if channels == 4 else GL.GL_RGB
        data = GL.glReadPixels(0, 0, size[0], size[1], kind, GL.GL_UNSIGNED_BYTE)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 4)
        return np.frombuffer(data, np.uint8).reshape(size[1], size[0], channels).copy()

    def release(self) -> None:
        super().release()
        self._bg_key = None
