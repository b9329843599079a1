"""Moving backgrounds (a video or a GIF, looped without a jump), the key colour for call apps
and OBS, and transparent output (--effect cutout), through the real command line on real
encoded files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from app.common.moving import MovingBackground
from app.compositing.spec import KEY_COLOR, parse_color
from app.sources.demo import DemoSource
from tests.conftest import write_video

ROOT = Path(__file__).resolve().parent.parent


def focuscam(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)  # fmt: skip


def numbered_clip(path: Path, n: int = 24, fps: float = 12.0, size=(160, 90)) -> Path:
    """Frame i is grey level 10 * i: which frame is shown can be read back from any pixel."""
    w, h = size
    frames = [np.full((h, w, 3), 10 * i, np.uint8) for i in range(n)]
    return write_video(path, frames, fps=fps, fourcc="MJPG")


def level(img: np.ndarray) -> float:
    return float(img.mean())


def test_a_moving_background_plays_its_frames_in_order_and_loops_without_a_jump(tmp_path):
    clip = numbered_clip(tmp_path / "bg.avi")
    bg = MovingBackground(clip, paced=False)
    assert bg.count == 24 and bg.fade == 6 and bg.period == 18
    levels = [level(bg.frame((320, 180))) for _ in range(3 * bg.period)]
    bg.close()
    steps = np.diff(levels)
    # in order: every step forward is one frame's worth (10 levels) until the faded end
    inner = steps[: bg.period - bg.fade - 1]
    assert np.allclose(inner, 10, atol=2), inner
    # the loop: the last frames fade into the first (here from grey 230 down to 50, over
    # seven steps), so from the last picture to the first is a step like the fade's others
    wrap = [levels[k * bg.period] - levels[k * bg.period - 1] for k in (1, 2)]
    fade = np.abs(steps[bg.period - bg.fade - 1 : bg.period - 1])
    assert max(abs(d) for d in wrap) <= fade.max() + 1, (wrap, fade)
    assert np.abs(steps).max() <= 2.5 * 10  # no step jumps: 230 to 60 would be 170
    # and it repeats exactly, loop after loop
    assert np.allclose(levels[: bg.period], levels[bg.period : 2 * bg.period], atol=1)


def test_a_gif_is_a_moving_background_and_the_preview_never_waits_for_its_decoding(tmp_path):
    gif = tmp_path / "bg.gif"
    frames = [Image.fromarray(np.full((90, 160, 3), 20 * i, np.uint8)) for i in range(10)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50, loop=0)
    bg = MovingBackground(gif, paced=True)
    try:
        seen, slowest = set(), 0.0
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            t0 = time.perf_counter()
            picture = bg.frame((320, 180))
            slowest = max(slowest, time.perf_counter() - t0)
            assert picture.shape == (180, 320, 3)
            seen.add(round(level(picture)))
            time.sleep(0.01)
        assert len(seen) >= 6  # it moves, at the GIF's own rate (20 a second)
        assert bg.decoded >= 15  # decoded on its own thread, not in frame()
        assert slowest < 0.05, slowest
    finally:
        bg.close()


def test_process_puts_a_moving_background_behind_the_person_frame_by_frame(tmp_path):
    demo = DemoSource((320, 180), paced=False)
    demo.open()
    person = write_video(tmp_path / "me.avi", [demo.read() for _ in range(12)], fps=12.0,
                         fourcc="MJPG")  # fmt: skip
    demo.close()
    clip = numbered_clip(tmp_path / "bg.avi")
    out = tmp_path / "out.avi"
    r = focuscam("process", str(person), "-o", str(out), "--effect", "replace",
                 "--background", str(clip), "--mask-out", f"{tmp_path / 'm'}/", "--no-progress")
    assert r.returncode == 0, r.stderr
    cap = cv2.VideoCapture(str(out))
    levels = []
    for i in range(12):
        ok, frame = cap.read()
        assert ok
        matte = cv2.imread(str(sorted((tmp_path / "m").glob("*.png"))[i]), cv2.IMREAD_GRAYSCALE)
        background = matte < 5
        levels.append(frame[background].mean())
    # frame i of the output shows background frame fade + i (grey 10 * (6 + i))
    assert np.allclose(levels, [10 * (6 + i) for i in range(12)], atol=4), levels


@pytest.mark.parametrize("ext", [".mp4", ".webm", ".mov"])
@pytest.mark.parametrize("colour", [None, "0047FF"])
def test_the_key_colour_is_exact_in_the_background_after_encoding(tmp_path, scene_clip, ext,
                                                                  colour):  # fmt: skip
    out = tmp_path / f"key{ext}"
    extra = ["--key-color", colour] if colour else []
    r = focuscam("process", str(scene_clip), "-o", str(out), "--effect", "key",
                 "--mask-out", f"{tmp_path / 'm'}/", "--no-progress", *extra)
    assert r.returncode == 0, r.stderr
    want = np.array(parse_color(colour or KEY_COLOR), float)
    cap = cv2.VideoCapture(str(out))
    mattes = sorted((tmp_path / "m").glob("*.png"))
    for i in range(0, 30, 7):
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, frame = cap.read()
        assert ok
        matte = cv2.imread(str(mattes[i]), cv2.IMREAD_GRAYSCALE)
        # the background away from the person's edge (chroma is shared by 2x2 pixels)
        background = cv2.erode((matte == 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        assert background.mean() > 0.3
        diff = np.abs(frame[background].astype(float) - want)
        # the colour itself within 2 levels per channel; a stray pixel of the codec's (at
        # most one in 200) may stray further
        assert np.abs(np.median(frame[background], axis=0) - want).max() <= 2, (ext, colour)
        assert (diff.max(axis=1) > 2).mean() <= 0.005, (ext, colour, diff.max(axis=0))


def decoded_alpha(path: Path) -> list[np.ndarray]:
    """The alpha channel of every frame, decoded (VP9's alpha needs libvpx's decoder)."""
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.codec_context.name == "vp9":
            ctx = av.codec.CodecContext.create("libvpx-vp9", "r")
            frames = (f for p in container.demux(stream) for f in ctx.decode(p))
        else:
            frames = container.decode(stream)
        for f in frames:
            out.append(f.to_ndarray(format="bgra")[..., 3])
    return out


@pytest.mark.parametrize("ext", [".webm", ".mov"])
def test_a_cutout_video_carries_the_matte_as_its_transparency(tmp_path, scene_clip, ext):
    out = tmp_path / f"cut{ext}"
    r = focuscam("process", str(scene_clip), "-o", str(out), "--effect", "cutout",
                 "--mask-out", f"{tmp_path / 'm'}/", "--no-progress")
    assert r.returncode == 0, r.stderr
    alphas = decoded_alpha(out)
    mattes = sorted((tmp_path / "m").glob("*.png"))
    assert len(alphas) == len(mattes) == 30
    for alpha, m in zip(alphas, mattes, strict=True):
        matte = cv2.imread(str(m), cv2.IMREAD_GRAYSCALE).astype(float)
        assert np.abs(alpha.astype(float) - matte).mean() <= 2, (ext, m.name)


def test_a_cutout_photo_is_a_png_with_the_matte_as_alpha_and_other_formats_are_refused(
    tmp_path, portrait
):
    src = tmp_path / "me.jpg"
    cv2.imwrite(str(src), portrait)
    r = focuscam("process", str(src), "-o", str(tmp_path / "me.png"), "--effect", "cutout",
                 "--mask-out", str(tmp_path / "me-matte.png"))
    assert r.returncode == 0, r.stderr
    rgba = cv2.imread(str(tmp_path / "me.png"), cv2.IMREAD_UNCHANGED)
    matte = cv2.imread(str(tmp_path / "me-matte.png"), cv2.IMREAD_GRAYSCALE)
    assert rgba.shape[2] == 4 and np.abs(rgba[..., 3].astype(int) - matte).mean() <= 1
    assert np.array_equal(rgba[..., :3], cv2.imread(str(src)))  # the photo as it was
    for name in ("me-cut.jpg",):
        r = focuscam("process", str(src), "-o", str(tmp_path / name), "--effect", "cutout")
        assert r.returncode == 2 and not (tmp_path / name).exists()
        assert ".png" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = focuscam("process", str(tmp_path / "me.png"), "-o", str(tmp_path / "x.mp4"))
    assert r.returncode != 0
    clip = numbered_clip(tmp_path / "c.avi")
    r = focuscam("process", str(clip), "-o", str(tmp_path / "c.mp4"), "--effect", "cutout")
    assert r.returncode == 2 and ".webm" in r.stderr and ".mov" in r.stderr
    assert not (tmp_path / "c.mp4").exists()


def test_looks_and_colours_given_wrong_are_one_line_errors(tmp_path, scene_clip):
    for args, says in ((["--light", "2"], "--light"), (["--touch-up", "x"], "--touch-up"),
                       (["--key-color", "green"], "RRGGBB"),
                       (["--low-light", "sometimes"], "--low-light")):  # fmt: skip
        r = focuscam("process", str(scene_clip), "-o", str(tmp_path / "o.mp4"), *args)
        assert r.returncode == 2 and says in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert not (tmp_path / "o.mp4").exists()
