"""`focuscam process` end to end through the real CLI entry point."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from app.cli import main
from app.lab.samples import portrait_path
from tests.conftest import write_video


def run(*args: str) -> int:
    return main(["process", "--no-progress", *args])


def _sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_portrait_gets_a_soft_background_and_a_sharp_subject(tmp_path):
    out = tmp_path / "out.jpg"
    assert run(str(portrait_path()), "-o", str(out), "--strength", "1") == 0
    src, res = cv2.imread(str(portrait_path())), cv2.imread(str(out))
    assert res.shape == src.shape
    # Top corners are the studio backdrop (flag); the face is in the middle.
    corner = (slice(0, 120), slice(0, 80))
    face = (slice(150, 330), slice(160, 360))
    assert _sharpness(res[corner]) < 0.3 * _sharpness(src[corner])
    assert _sharpness(res[face]) > 0.8 * _sharpness(src[face])


@pytest.mark.parametrize("kind", ["gray", "rgba", "16bit"])
def test_grayscale_rgba_and_16_bit_inputs(tmp_path, kind, portrait):
    img = {
        "gray": cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY),
        "rgba": cv2.cvtColor(portrait, cv2.COLOR_BGR2BGRA),
        "16bit": portrait.astype(np.uint16) * 257,
    }[kind]
    src = tmp_path / "in.png"
    cv2.imwrite(str(src), img)
    assert run(str(src), "-o", str(tmp_path / "out.png")) == 0
    assert cv2.imread(str(tmp_path / "out.png")).shape == portrait.shape


def test_video_keeps_size_fps_and_frame_count_and_writes_sorted_masks(tmp_path, scene_frames):
    src = write_video(tmp_path / "in.mp4", scene_frames, fps=24.0)
    out, masks = tmp_path / "out.mp4", tmp_path / "masks"
    assert run(str(src), "-o", str(out), "--mask-out", str(masks) + "/") == 0
    cap = cv2.VideoCapture(str(out))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(24.0)
    n, ok = 0, True
    while ok:
        ok, f = cap.read()
        if ok:
            n += 1
            assert f.shape == scene_frames[0].shape
    assert n == len(scene_frames)
    names = sorted(os.listdir(masks))
    assert len(names) == len(scene_frames)
    first = cv2.imread(str(masks / names[0]), cv2.IMREAD_UNCHANGED)
    assert first.dtype == np.uint8 and first.ndim == 2 and first.shape == scene_frames[0].shape[:2]
    assert first.max() == 255 and first.min() == 0  # a person and a background


def test_mask_to_a_file_is_a_grey_video(tmp_path, scene_frames):
    src = write_video(tmp_path / "in.avi", scene_frames[:4], fourcc="MJPG")
    assert run(str(src), "-o", str(tmp_path / "o.avi"), "--mask-out", str(tmp_path / "m.avi")) == 0
    ok, f = cv2.VideoCapture(str(tmp_path / "m.avi")).read()
    assert ok and np.abs(f[..., 0].astype(int) - f[..., 2]).max() <= 2


def _no_leftovers(folder, allowed):
    assert sorted(os.listdir(folder)) == sorted(allowed)


def test_bad_inputs_give_one_line_errors_and_no_output(tmp_path, capsys):
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("hello")
    out = str(tmp_path / "out.jpg")
    cases = [
        ([str(tmp_path / "missing.jpg"), "-o", out], 1),
        ([str(tmp_path / "corrupt.jpg"), "-o", out], 1),
        ([str(tmp_path / "empty.mp4"), "-o", str(tmp_path / "out.mp4")], 1),
        ([str(tmp_path / "notes.txt"), "-o", out], 2),
        ([str(portrait_path()), "-o", str(tmp_path / "out.xyz")], 2),
        ([str(portrait_path()), "-o", out, "--strength", "2"], 2),
        # a background that is neither a preset nor a file
        ([str(portrait_path()), "-o", out, "--effect", "replace", "--background", "nope"], 1),
        ([str(portrait_path()), "-o", str(tmp_path / "no" / "such" / "dir.jpg")], 1),
    ]
    for args, code in cases:
        assert run(*args) == code, args
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("focuscam: error: "), (args, err)
    _no_leftovers(tmp_path, ["corrupt.jpg", "empty.mp4", "notes.txt"])
    # A folder given as the output, with or without an extension, is called a folder.
    (tmp_path / "shots").mkdir()
    assert run(str(portrait_path()), "-o", str(tmp_path / "shots")) == 2
    assert "shots is a folder; give a file name" in capsys.readouterr().err
    assert list((tmp_path / "shots").iterdir()) == []


def test_an_existing_file_is_never_overwritten_without_asking(tmp_path, capsys):
    out = tmp_path / "keep.jpg"
    out.write_bytes(b"precious")
    assert run(str(portrait_path()), "-o", str(out)) == 2
    assert out.read_bytes() == b"precious"
    assert "--overwrite" in capsys.readouterr().err
    assert run(str(portrait_path()), "-o", str(out), "--overwrite") == 0
    assert cv2.imread(str(out)) is not None


def test_replace_background(tmp_path, scene_frames):
    bg = tmp_path / "bg.png"
    cv2.imwrite(str(bg), np.full((90, 160, 3), (0, 200, 0), np.uint8))
    out = tmp_path / "out.png"
    assert (
        run(str(portrait_path()), "-o", str(out), "--effect", "replace", "--background", str(bg))
        == 0
    )
    res = cv2.imread(str(out))
    assert np.abs(res[5, 5].astype(int) - (0, 200, 0)).max() <= 3  # corner: new background


def _video_with_sound(path, frames):
    """A clip with a 440 Hz tone (AAC), made with PyAV."""
    import av

    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        a = c.add_stream("aac", rate=44100)
        a.layout = "stereo"
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="bgr24")
            vf.pts = i
            c.mux(v.encode(vf))
        fmt = a.codec_context.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=fmt, layout="stereo", rate=44100)
        for k in range(20):
            t = np.arange(1024) + k * 1024
            s = (0.3 * np.sin(2 * np.pi * 440 * t / 44100)).astype(np.float32)
            af = av.AudioFrame.from_ndarray(np.stack([s, s]), format="fltp", layout="stereo")
            af.sample_rate, af.pts = 44100, k * 1024
            for o in resampler.resample(af):
                c.mux(a.encode(o))
        c.mux(a.encode(None))
        c.mux(v.encode(None))
    return path


@pytest.mark.parametrize("ext, audio", [(".mp4", "aac"), (".webm", "opus"), (".mkv", "aac")])
def test_video_output_is_shareable_and_keeps_the_sound(tmp_path, scene_frames, capsys, ext, audio):
    import av

    src = _video_with_sound(tmp_path / "in.mp4", scene_frames)
    out = tmp_path / f"out{ext}"
    assert run(str(src), "-o", str(out)) == 0
    assert "audio" not in capsys.readouterr().err  # kept, so nothing to say
    with av.open(str(out)) as c:
        kinds = {s.type: s.codec_context.name for s in c.streams}
    video = {".mp4": "h264", ".webm": "vp9", ".mkv": "h264"}[ext]
    assert kinds == {"video": video, "audio": audio}


def test_a_silent_video_says_nothing_about_sound(tmp_path, scene_frames, capsys):
    src = write_video(tmp_path / "in.avi", scene_frames[:4], fourcc="MJPG")
    assert run(str(src), "-o", str(tmp_path / "o.mp4")) == 0
    assert "audio" not in capsys.readouterr().err and "sound" not in capsys.readouterr().err


@pytest.mark.parametrize("ext", [".avi", ".mp4", ".mkv"])
def test_frames_without_stamps_get_the_nominal_rate(tmp_path, ext):
    """A writer that gives no capture stamps (all zero) still gets a playable file at its rate."""
    import av

    from app.outputs.video import VideoOutput

    out = VideoOutput(tmp_path / f"v{ext}")
    out.open((64, 48), 30.0)
    for i in range(30):
        out.write(np.full((48, 64, 3), i * 8, np.uint8))
    out.commit()
    with av.open(str(tmp_path / f"v{ext}")) as c:
        times = [f.time for f in c.decode(video=0)]
    assert len(times) == 30 and times[-1] - times[0] == pytest.approx(29 / 30, abs=0.01)
