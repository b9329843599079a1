"""Hostile inputs to `focuscam process`, run as a user would (a real process, a time limit).

For every case: no traceback, exit code 0, 1 or 2, no hang, one line on stderr when it fails,
no partial or hidden file left behind; when it succeeds, the output is readable and the right
size."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.lab.synthetic import Scene
from tests.conftest import write_video

pytestmark = pytest.mark.slow


def _png_header_only(w: int, h: int) -> bytes:
    """A tiny PNG that declares ``w`` x ``h`` pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data = zlib.compress(b"\0" * 16)
    idat = b"IDAT" + data
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + struct.pack(">I", len(data)) + idat
            + struct.pack(">I", zlib.crc32(idat)) + b"\0\0\0\0IEND\xaeB`\x82")  # fmt: skip


def _jpeg_declaring(good: bytes, w: int, h: int) -> bytes:
    """``good`` with its frame header (SOF0) saying ``w`` x ``h``."""
    i = good.index(b"\xff\xc0")
    return good[: i + 5] + struct.pack(">HH", h, w) + good[i + 9 :]


def _flip(data: bytes, seed: int, n: int = 12) -> bytes:
    rng = np.random.default_rng(seed)
    b = bytearray(data)
    for pos in rng.integers(100, len(b), n):
        b[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(b)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    frame = Scene((320, 180), "coffee.png", "still", noise=2.0).frame(0).image
    frames = [Scene((320, 180), "coffee.png", "moving", noise=2.0).frame(i).image for i in range(8)]
    jpg = cv2.imencode(".jpg", frame)[1].tobytes()
    png = cv2.imencode(".png", frame)[1].tobytes()
    mp4 = write_video(d / "good.mp4", frames, 24.0).read_bytes()
    avi = write_video(d / "good.avi", frames, 24.0, "MJPG").read_bytes()
    files = {
        "good.jpg": jpg, "good.png": png,
        "trunc10.jpg": jpg[:10], "trunc_half.jpg": jpg[: len(jpg) // 2],
        "trunc_tail.jpg": jpg[:-50], "flip1.jpg": _flip(jpg, 1), "flip2.jpg": _flip(jpg, 2),
        "flip3.jpg": _flip(jpg, 3, 200), "trunc.png": png[: len(png) // 3],
        "trunc_tail.png": png[:-20], "flip1.png": _flip(png, 4), "flip2.png": _flip(png, 5),
        "flip3.png": _flip(png, 6, 200), "trunc.mp4": mp4[: len(mp4) // 2],
        "trunc_head.mp4": mp4[:300], "flip1.mp4": _flip(mp4, 7, 60), "flip2.mp4": _flip(mp4, 8),
        "trunc.avi": avi[: len(avi) // 2], "trunc_head.avi": avi[:400],
        "flip1.avi": _flip(avi, 9, 60), "flip2.avi": _flip(avi, 10),
        "zero.jpg": b"", "zero.png": b"", "zero.mp4": b"", "zero.avi": b"",
        "text.jpg": b"hello, I am not a picture\n", "text.png": b"\x89PNG but not really",
        "text.mp4": b"not a video at all\n" * 10, "bomb.png": _png_header_only(50000, 50000),
        "bomb.jpg": _jpeg_declaring(jpg, 50000, 50000),
        "one.png": cv2.imencode(".png", frame[:1, :1])[1].tobytes(),
        "one.jpg": cv2.imencode(".jpg", frame[:1, :1])[1].tobytes(),
        "odd.png": cv2.imencode(".png", frame[:33, :47])[1].tobytes(),
        "spaced name ünïcødé.jpg": jpg,
    }  # fmt: skip
    for name, data in files.items():
        (d / name).write_bytes(data)
    write_video(d / "tiny.avi", [f[:2, :2] for f in frames], 24.0, "MJPG")
    write_video(d / "odd.avi", [f[:35, :63] for f in frames], 24.0, "MJPG")
    (d / "folder.jpg").mkdir()
    os.mkfifo(d / "fifo.mp4")
    os.mkfifo(d / "fifo.jpg")
    (d / "out").mkdir()
    return d


def _cases(d: Path) -> list[tuple[str, list[str], Path | None]]:
    """(name, arguments after `process`, the output to check)."""
    out = d / "out"
    cases = []
    for f in sorted(d.iterdir()):
        if f.name in ("out", "good.mp4", "good.avi"):
            continue
        ext = ".avi" if f.suffix == ".avi" else ".mp4" if f.suffix == ".mp4" else ".png"
        target = out / f"{f.stem}_{f.suffix[1:]}{ext}"
        cases.append((f.name, [str(f), "-o", str(target)], target))
    good = d / "good.jpg"
    cases += [
        ("output is the input", [str(good), "-o", str(good), "--overwrite"], None),
        ("mask-out is the input", [str(good), "-o", str(out / "m.jpg"), "--mask-out",
                                   str(good), "--overwrite"], None),  # fmt: skip
        ("corrupt background", [str(good), "-o", str(out / "bg.jpg"), "--effect", "replace",
                                "--background", str(d / "flip3.jpg")], out / "bg.jpg"),  # fmt: skip
        ("bomb background", [str(good), "-o", str(out / "bb.jpg"), "--effect", "replace",
                             "--background", str(d / "bomb.png")], out / "bb.jpg"),  # fmt: skip
        ("bomb matte", [str(good), "-o", str(out / "bm.jpg"), "--matte", str(d / "bomb.png")],
         out / "bm.jpg"),  # fmt: skip
        ("strength nan", [str(good), "-o", str(out / "n.jpg"), "--strength", "nan"], None),
        ("strength inf", [str(good), "-o", str(out / "i.jpg"), "--strength", "inf"], None),
        ("strength -inf", [str(good), "-o", str(out / "mi.jpg"), "--strength", "-inf"], None),
        ("missing input", [str(d / "nope.jpg"), "-o", str(out / "x.jpg")], out / "x.jpg"),
        ("no such folder", [str(good), "-o", str(d / "no" / "x.jpg")], None),
        ("output is a folder", [str(good), "-o", str(d / "folder.jpg"), "--overwrite"], None),
        ("unicode output", [str(good), "-o", str(out / "sortie éà 出力.jpg")],
         out / "sortie éà 出力.jpg"),  # fmt: skip
    ]
    return cases


def _run(args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, FOCUSCAM_MAX_PIXELS="100000000")
    return subprocess.run([sys.executable, "-m", "app", "process", "--no-progress", *args],
                          capture_output=True, text=True, timeout=60, env=env)  # fmt: skip


def test_hostile_inputs_never_crash_hang_or_leave_half_files(corpus):
    cases = _cases(corpus)
    assert len(cases) >= 40
    before = {p.name for p in corpus.iterdir()}
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda c: _run(c[1]), cases))
    failures = []
    for (name, args, target), proc in zip(cases, results, strict=True):
        err = proc.stderr.strip().splitlines()
        if proc.returncode not in (0, 1, 2) or "Traceback" in proc.stderr:
            failures.append((name, proc.returncode, proc.stderr[-500:]))
            continue
        if proc.returncode != 0:
            if len(err) != 1 or not err[0].startswith("focuscam: error: "):
                failures.append((name, "not one line", err))
            if target is not None and target.exists():
                failures.append((name, "output left after a failure", target))
            continue
        # Success: the output opens and has the input's size (H.264 keeps even sides).
        src = Path(args[0])
        if target is None or not target.exists():
            failures.append((name, "reported written but missing", target))
        elif target.suffix in (".jpg", ".png"):
            got, want = cv2.imread(str(target)), cv2.imread(str(src))
            if got is None or want is None or got.shape != want.shape:
                failures.append((name, "unreadable or wrong size", target))
        else:
            cap = cv2.VideoCapture(str(target))
            ok, f = cap.read()
            w0, h0 = (int(cv2.VideoCapture(str(src)).get(p)) for p in (3, 4))
            if not ok or (f.shape[1], f.shape[0]) not in ((w0, h0), (w0 - w0 % 2, h0 - h0 % 2)):
                failures.append((name, "video unreadable or wrong size", target))
    assert not failures, failures
    # No hidden temporary files anywhere, no file touched that was there before.
    leftovers = [p.name for p in corpus.rglob(".*")]
    assert not leftovers, leftovers
    assert before <= {p.name for p in corpus.iterdir()}
    assert (corpus / "good.jpg").read_bytes()[:2] == b"\xff\xd8"
