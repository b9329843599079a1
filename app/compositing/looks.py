"""Looks that combine with every effect: low light, touch-up and studio light.

Each is a step on the frame itself, at the frame's resolution, before any compositor sees it:
the picture in the window, the call picture, the recording and a photo all start from the same
processed frame, and the CPU and GL compositors render it alike. ``Looks`` keeps what a look
needs from frame to frame (the exposure, whether low light is on, the last denoised frame).

- Low light (``--low-light``): on when the picture is dark and noisy (auto, with hysteresis),
  denoised over time where the picture is still and spatially where it moves, then brightened
  by a tone curve that keeps highlights (``y = 1 - (1 - x)^g``: slope g in the shadows, 1 stays 1).
- Touch-up (``--touch-up``): the face's skin (its own chroma, inside the matte, not dark, not
  an edge) smoothed by an edge-preserving filter; eyes, brows, lips, hair, glasses and the
  outline are not skin and stay as they were.
- Studio light (``--light``): the person exposed for the face (face-metered, smoothed over
  time), a soft key light falling off from the face, the background a little darker. The gain
  is worked out at the matte's size from the matte shrunk by a pixel, so no light spills past
  the outline (no halo); the same gain on every channel keeps skin tones.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from app.compositing.spec import EffectSpec
from app.frames import Matte

# -- studio light ---------------------------------------------------------------------------------
FACE_TARGET = 155.0  # the face's mean luma (0..255) the exposure aims for (a well-lit face)
EXPOSURE_RANGE = (1.0, 2.2)  # a dark face is brought up (at most 2.2x); a bright one is kept
FACE_CEILING = 235.0  # the key light stops short of taking the face's mean past this
EXPOSURE_SMOOTHING = 0.08  # per frame: about 12 frames (0.4 s) to follow a change, no pumping
KEY_GAIN = 0.35  # the key light's extra at its centre, at full strength
KEY_SPREAD = 1.6  # its Gaussian sigma, in face widths
BACKGROUND_DARKEN = 0.25  # the background's loss at full strength
GAIN_SCALE = 64  # gains are kept as uint8 at this scale (1.0 -> 64; up to 3.98)
_K3 = np.ones((5, 5), np.uint8)
# the most gain (at GAIN_SCALE) a pixel whose brightest channel is v takes without clipping
_CAP = np.clip(np.rint(255 * GAIN_SCALE / np.maximum(np.arange(256), 1)), GAIN_SCALE,
               255).astype(np.uint8)  # two matte pixels: the gain, scaled up, stays inside

# -- low light ------------------------------------------------------------------------------------
DARK_ON, DARK_OFF = 70.0, 95.0  # mean luma: dark below the first, bright again above the second
NOISY_ON, NOISY_OFF = 2.0, 1.2  # noise sigma (levels): noisy above the first, clean below
VERY_DARK = 45.0  # darker than this is low light even where the camera's compression hid the noise
SWITCH_FRAMES = 15  # a change of mind must hold this many frames running (half a second)
TARGET_MEAN = 0.45  # the mean brightness the tone curve aims for (a well-exposed picture's)
MAX_CURVE = 6.0  # the strongest tone curve (slope in the shadows)
CURVE_SMOOTHING = 0.15
STILL_WEIGHT = 0.2  # the new frame's share where nothing moved (temporal averaging)

# -- touch-up -------------------------------------------------------------------------------------
SKIN_CHROMA = 20.0  # CrCb distance from the face's own skin that still counts as skin


def _luma(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


def noise_sigma(gray: np.ndarray) -> float:
    """The sensor noise's standard deviation in levels (Immerkaer's fast estimate: the mean
    absolute response of a Laplacian difference kernel that cancels smooth shading)."""
    h, w = gray.shape
    if h < 3 or w < 3:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = cv2.filter2D(gray.astype(np.float32), -1, kernel)[1:-1, 1:-1]
    return float(math.sqrt(math.pi / 2) * np.abs(response).mean() / 6)


def mean_luma(image: np.ndarray) -> float:
    """The picture's mean luma (0..255), from every 8th pixel of every 8th row (all of a
    picture too small for that)."""
    sample = image[4::8, 4::8] if min(image.shape[:2]) >= 16 else image
    return float(_luma(np.ascontiguousarray(sample)).mean())


def _centre_crop(image: np.ndarray, w: int = 320, h: int = 180) -> np.ndarray:
    ih, iw = image.shape[:2]
    x, y = max(0, (iw - w) // 2), max(0, (ih - h) // 2)
    return image[y : y + h, x : x + w]


def tone_lut(curve: float) -> np.ndarray:
    """``y = 1 - (1 - x)^curve`` as a 256-entry table: shadows raised ``curve`` times, white
    kept white."""
    x = np.arange(256, dtype=np.float64) / 255
    return np.clip(np.rint(255 * (1 - (1 - x) ** curve)), 0, 255).astype(np.uint8)


def curve_for(mean: float, target: float = TARGET_MEAN) -> float:
    """The tone curve that takes a picture of mean brightness ``mean`` (0..1) to ``target``."""
    mean = min(max(mean, 1e-3), 0.999)
    return float(np.clip(math.log(1 - target) / math.log(1 - mean), 1.0, MAX_CURVE))


def motion_ramp(sigma: float) -> tuple[float, float]:
    """(scale, offset) taking a pixel's difference from the running average to the new
    frame's share (0..255, saturated): small differences (up to twice the noise) are noise,
    averaged over time (``STILL_WEIGHT``); from four times the noise on it is motion, taken
    whole."""
    lo, hi = 2.0 * sigma + 1, 4.0 * sigma + 3
    scale = 255 * (1 - STILL_WEIGHT) / (hi - lo)
    return scale, 255 * STILL_WEIGHT - scale * lo


class Looks:
    """The looks' memory for one stream of frames (a camera, a file); ``reset`` between them."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.exposure: float | None = None  # studio light's smoothed exposure gain
        self.low_light_on = False
        self._votes = 0
        self.curve: float | None = None
        self._average: np.ndarray | None = None  # low light's running average (uint8)
        self._lut: tuple[tuple[float, float], np.ndarray] | None = None
        self.noise = 0.0  # the last noise estimate (levels), for the HUD and tests
        self.mean = 0.0  # the last mean luma (0..255)

    # -- the whole step ---------------------------------------------------------------------
    def apply(
        self, image: np.ndarray, matte: Matte, spec: EffectSpec, faces: list, video: bool = True
    ) -> tuple[np.ndarray, Matte]:
        """``image`` with the looks ``spec`` asks for (a new array when any applies; ``image``
        itself is never written), and ``matte`` with its guide given the same light and tone
        (the blurred background starts from it). ``faces``: FaceBoxes in 0..1; ``video``:
        frames follow one another (a photo is one frame: nothing is smoothed over time)."""
        out = image
        if self.wants_low_light(spec.low_light):
            out = self.low_light(out, video, _largest(faces))
            matte = Matte(matte.alpha, cv2.LUT(matte.guide, tone_lut(self.curve)), matte.model)
        else:
            self._average = None
        if spec.touch_up > 0 and faces:
            out = touch_up(out, matte, faces, spec.touch_up, copy=out is image)
        if spec.light > 0:
            gain = self.light_gain(out, matte, faces, spec, video)
            out = apply_gain(out, gain)
            matte = Matte(matte.alpha, apply_gain(matte.guide, gain), matte.model)
        return out, matte

    # -- low light --------------------------------------------------------------------------
    def wants_low_light(self, mode: str) -> bool:
        """Whether low light applies to the frame ``watch`` last looked at."""
        return mode == "on" or (mode == "auto" and self.low_light_on)

    def watch(self, image: np.ndarray, mode: str, video: bool = True) -> bool:
        """Look at a frame (its brightness, its noise) before the looks: whether low light
        applies to it. Auto decides with hysteresis, over ``SWITCH_FRAMES`` frames of a video;
        cheap (a sample of the picture and a patch of it) so it runs on every frame."""
        if mode == "off":
            self.low_light_on, self._votes, self._average = False, 0, None
            return False
        self.mean = mean_luma(image)
        self.noise = noise_sigma(_luma(_centre_crop(image)))
        if mode == "on":
            self.low_light_on = True
            return True
        if self.low_light_on:
            # light again, or (metered on the face) no brightening needed any more
            change = (self.mean > DARK_OFF or self.noise < NOISY_OFF
                      or (self.curve is not None and self.curve < 1.25))  # fmt: skip
        else:
            change = self.mean < DARK_ON and (self.noise > NOISY_ON or self.mean < VERY_DARK)
        if not video:
            self.low_light_on = change != self.low_light_on
            return self.low_light_on
        self._votes = self._votes + 1 if change else 0
        if self._votes >= SWITCH_FRAMES:
            self.low_light_on, self._votes = not self.low_light_on, 0
        return self.low_light_on

    def _share_lut(self, scale: float, offset: float) -> np.ndarray:
        """The new frame's share (0..255) by its difference: max(STILL, scale * d + offset)."""
        key = (round(scale, 2), round(offset, 1))
        if self._lut is None or self._lut[0] != key:
            d = np.arange(256, dtype=np.float64)
            share = np.maximum(255 * STILL_WEIGHT, scale * d + offset)
            self._lut = (key, np.clip(np.rint(share), 0, 255).astype(np.uint8))
        return self._lut[1]

    def low_light(self, image: np.ndarray, video: bool = True, face=None) -> np.ndarray:
        """Denoised (over time where still, in space where moving), then brightened: the face
        (when one is known, a FaceBox) to ``FACE_TARGET``, else the whole picture's mean to
        ``TARGET_MEAN``."""
        scale, offset = motion_ramp(max(self.noise, 0.5))
        spatial = cv2.blur(image, (3, 3))
        avg = self._average
        if not video or avg is None or avg.shape != image.shape:
            denoised = spatial if not video else image.copy()
        else:
            diff = cv2.absdiff(image, avg)
            share = cv2.LUT(diff, self._share_lut(scale, offset))
            denoised = cv2.add(cv2.multiply(image, share, scale=1 / 255),
                               cv2.multiply(avg, cv2.bitwise_not(share), scale=1 / 255))
            # where it moved (the new frame taken whole), the spatial filter instead
            cv2.copyTo(spatial, cv2.compare(share, 254, cv2.CMP_GT), denoised)
        if video:
            self._average = denoised
        # the curve follows the denoised picture's brightness, smoothed (no flicker)
        level = _face_level(denoised, face) if face is not None else None
        if level is not None:
            want = curve_for(level / 255, FACE_TARGET / 255)
        else:
            want = curve_for(mean_luma(denoised) / 255)
        if self.curve is None or not video:
            self.curve = want
        else:
            self.curve += CURVE_SMOOTHING * (want - self.curve)
        return cv2.LUT(denoised, tone_lut(self.curve))

    # -- studio light -----------------------------------------------------------------------
    def light_gain(
        self, image: np.ndarray, matte: Matte, faces: list, spec: EffectSpec, video: bool
    ) -> np.ndarray:
        """The studio light's gain (uint8, ``GAIN_SCALE`` = 1.0) at the matte's size."""
        s = spec.light
        alpha = matte.alpha
        mh, mw = alpha.shape
        face = _largest(faces)
        # exposure: the face's brightness (else the person's upper part) to FACE_TARGET
        guide = matte.guide
        level = _face_level(guide, face) if face is not None else None
        if level is None:
            person = alpha > 0.5
            level = (float(cv2.mean(_luma(cv2.resize(guide, (mw, mh))),
                                    person.view(np.uint8))[0])
                     if person.any() else FACE_TARGET)  # fmt: skip
        lo, hi = EXPOSURE_RANGE
        want = float(np.clip(FACE_TARGET / max(level, 1.0), lo, hi)) ** s
        if self.exposure is None or not video:
            self.exposure = want
        else:
            self.exposure += EXPOSURE_SMOOTHING * (want - self.exposure)
        # the key light: a Gaussian from just above the face's centre (separable: two vectors)
        if face is not None:
            cx, cy = (face.x0 + face.x1) / 2, face.y0 + 0.4 * (face.y1 - face.y0)
            sigma = KEY_SPREAD * (face.x1 - face.x0)
        else:
            cx, cy, sigma = 0.5, 0.3, 0.3
        xs = (np.arange(mw, dtype=np.float32) + 0.5) / mw - cx
        ys = ((np.arange(mh, dtype=np.float32) + 0.5) / mh - cy) * (mh / mw)
        key = np.outer(np.exp(-(ys**2) / (2 * sigma**2)), np.exp(-(xs**2) / (2 * sigma**2)))
        # the key light, less where the face is bright already (its mean stays short of white)
        lift = KEY_GAIN * s
        if level > 0:
            lift = max(0.0, min(lift, FACE_CEILING / (level * self.exposure) - 1))
        # In 8 bits from here (GAIN_SCALE = 1.0), with OpenCV's whole-image operations: the
        # person's gain, blended into the background's by the matte shrunk by two pixels (no
        # light past the outline)
        scale = GAIN_SCALE * self.exposure
        person = cv2.convertScaleAbs(key, alpha=scale * lift, beta=scale)
        background = 1 - BACKGROUND_DARKEN * s if spec.effect not in ("key", "cutout") else 1.0
        outside = np.full_like(person, round(GAIN_SCALE * background))
        inner = cv2.erode(cv2.convertScaleAbs(alpha, alpha=255.0), _K3)
        # outside + (person - outside) * inner: the person's gain is never below the
        # background's (the exposure never darkens, the background only does)
        gain = cv2.add(outside, cv2.multiply(cv2.subtract(person, outside), inner,
                                             scale=1 / 255))  # fmt: skip
        # no channel pushed past white: a clipped channel would change the skin's hue (the
        # brightest channel nearby, from the guide, caps the gain)
        if guide.shape[:2] != (mh, mw):
            guide = cv2.resize(guide, (mw, mh))
        b, g, r = cv2.split(guide)
        brightest = cv2.dilate(cv2.max(cv2.max(b, g), r), _K3)
        return cv2.min(gain, cv2.LUT(brightest, _CAP))


def _largest(faces: list):
    return max(faces, key=lambda f: (f.x1 - f.x0) * (f.y1 - f.y0)) if faces else None


def _face_level(image: np.ndarray, face) -> float | None:
    """The mean luma of the face's middle (the box without its hair, ears and chin)."""
    h, w = image.shape[:2]
    dx, dy = face.x1 - face.x0, face.y1 - face.y0
    x0, x1 = int((face.x0 + 0.25 * dx) * w), int((face.x1 - 0.25 * dx) * w)
    y0, y1 = int((face.y0 + 0.25 * dy) * h), int((face.y1 - 0.2 * dy) * h)
    crop = image[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    return float(_luma(np.ascontiguousarray(crop)).mean()) if crop.size else None


def apply_gain(image: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """``image`` times ``gain`` (uint8 at ``GAIN_SCALE``, any size: scaled bilinearly)."""
    h, w = image.shape[:2]
    if gain.shape != (h, w):
        gain = cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(image, cv2.cvtColor(gain, cv2.COLOR_GRAY2BGR), scale=1 / GAIN_SCALE)


def touch_up(
    image: np.ndarray, matte: Matte, faces: list, strength: float, copy: bool = True
) -> np.ndarray:
    """The skin of each face smoothed (see the module's docstring); ``copy``: leave ``image``
    as it is and return a new array. The skin is found and smoothed on a copy of the face
    scaled to ``TOUCH_FACE_PX`` wide; only the blend is done at full size."""
    out = image.copy() if copy else image
    h, w = image.shape[:2]
    for f in faces:
        fw, fh = (f.x1 - f.x0) * w, (f.y1 - f.y0) * h
        x0, x1 = int(max(0, f.x0 * w - 0.2 * fw)), int(min(w, f.x1 * w + 0.2 * fw))
        y0, y1 = int(max(0, f.y0 * h - 0.3 * fh)), int(min(h, f.y1 * h + 0.15 * fh))
        if x1 - x0 < 16 or y1 - y0 < 16:
            continue
        crop = out[y0:y1, x0:x1]
        k = min(1.0, TOUCH_FACE_PX / fw)
        size = (max(8, round((x1 - x0) * k)), max(8, round((y1 - y0) * k)))
        small = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR) if k < 1 else crop
        weight = _skin_weight(small, matte, f, (x0, y0, x1, y1), (w, h), k) * strength
        smooth = cv2.bilateralFilter(small, 9, 90, 5)
        if k < 1:  # the smoothed skin and its weight back at full size
            smooth = cv2.resize(smooth, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
            weight = cv2.resize(weight, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        cv2.blendLinear(smooth, crop, weight, 1 - weight, dst=crop)
    return out


TOUCH_FACE_PX = 96  # the face's width where its skin is found and smoothed


def _skin_weight(small, matte: Matte, f, box, frame_size, k: float) -> np.ndarray:
    """How much each pixel of the face's crop (``small``, scaled by ``k``) is skin, 0..1."""
    x0, y0, x1, y1 = box
    w, h = frame_size
    fw, fh = (f.x1 - f.x0) * w, (f.y1 - f.y0) * h
    ycc = cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb)
    # the face's own skin: the chroma of its cheeks (below the eyes, beside the nose)
    cy0, cy1 = int((f.y0 * h + 0.55 * fh - y0) * k), int((f.y0 * h + 0.75 * fh - y0) * k)
    cx0, cx1 = int((f.x0 * w + 0.15 * fw - x0) * k), int((f.x1 * w - 0.15 * fw - x0) * k)
    cheeks = ycc[max(0, cy0) : max(1, cy1), max(0, cx0) : max(1, cx1)].reshape(-1, 3)
    ref = np.median(cheeks, axis=0) if cheeks.size else np.array([128.0, 150.0, 110.0])
    dcr = ycc[..., 1].astype(np.float32) - float(ref[1])
    dcb = ycc[..., 2].astype(np.float32) - float(ref[2])
    # clearly redder than the skin counts more (lips are the skin's colour, only redder)
    chroma = np.abs(dcr) + np.abs(dcb) + 0.5 * np.maximum(dcr - 4, 0)
    skin = np.clip((SKIN_CHROMA * 1.5 - chroma) / (SKIN_CHROMA * 0.5), 0, 1)
    # not dark (pupils, brows, lashes, nostrils, frames of glasses, hair): those, the lips and
    # the whites of the eyes are not the skin's colour either; a wrinkle is, and is smoothed
    luma = ycc[..., 0].astype(np.float32)
    skin *= np.clip((luma - 0.5 * ref[0]) / (0.15 * ref[0] + 1), 0, 1)
    # the neighbourhood of what is not skin stays sharp too (the edge of an eye, a lip)
    skin = cv2.erode(skin, np.ones((3, 3), np.uint8))
    # inside the person only (the matte under this crop, at the crop's size)
    ah, aw = matte.alpha.shape
    ax0, ax1 = int(x0 * aw / w), max(int(x0 * aw / w) + 1, math.ceil(x1 * aw / w))
    ay0, ay1 = int(y0 * ah / h), max(int(y0 * ah / h) + 1, math.ceil(y1 * ah / h))
    a = cv2.resize(matte.alpha[ay0:ay1, ax0:ax1], (small.shape[1], small.shape[0]),
                   interpolation=cv2.INTER_LINEAR)  # fmt: skip
    skin *= cv2.erode((a > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8))
    # softened at its borders; clearly skin counts fully (the texture of the skin itself
    # keeps a patch of it from being uniformly skin-coloured)
    return np.minimum(cv2.GaussianBlur(skin, (0, 0), 1.0) * 1.4, 1.0)
