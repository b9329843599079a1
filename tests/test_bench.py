from __future__ import annotations

import json
import os

import pytest

from app.cli import main


def test_bench_writes_the_documented_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert main(["bench", "--sizes", "320x180", "--frames", "3", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    out = capsys.readouterr().out
    assert "320x180" in out and "vs LFBW" in out  # a short table for people on stdout
    assert set(data) == {"sizes", "rss_mb", "machine", "effect"} and data["effect"] == "blur"
    entry = data["sizes"]["320x180"]
    assert set(entry) == {"ours", "peers", "ratios", "runtimes"}
    assert set(entry["runtimes"]) == {"litert"}  # the default runtime only, unless asked
    assert entry["runtimes"]["litert"]["ours"] == entry["ours"]
    assert 0 < entry["runtimes"]["litert"]["model_ms"]["p50"]
    assert set(entry["ours"]) == {
        "total_ms_p50", "total_ms_p95", "fps", "stages_ms_p50", "cpu_ms_per_frame"
    }  # fmt: skip
    assert set(entry["ours"]["stages_ms_p50"]) == {"segment", "refine", "composite"}
    assert 0 < entry["ours"]["total_ms_p50"] <= entry["ours"]["total_ms_p95"]
    for peer in ("lfbw", "cvzone"):
        for variant in ("as_shipped", "our_strength"):
            got = entry["peers"][peer][variant]
            assert 0 < got["total_ms_p50"] <= got["total_ms_p95"]
            # CPU time of every thread, per frame: some, and no more than all cores could give.
            cores = os.cpu_count() or 1
            assert 0 < got["cpu_ms_per_frame"] <= cores * 3 * got["total_ms_p95"]
            ratio = entry["ratios"][peer][variant]
            # Written rounded to two decimals.
            assert ratio == pytest.approx(
                got["total_ms_p50"] / entry["ours"]["total_ms_p50"], abs=0.0051
            )
    ours = entry["ours"]
    assert 0 < ours["cpu_ms_per_frame"] <= (os.cpu_count() or 1) * 3 * ours["total_ms_p95"]
    assert data["rss_mb"] > 0


def test_bench_rejects_bad_sizes(capsys):
    assert main(["bench", "--sizes", "big"]) == 2
    assert "expected WxH" in capsys.readouterr().err


def test_bench_says_how_to_make_the_real_peers_environment(tmp_path, capsys):
    assert main(["bench", "--sizes", "320x180", "--peers-venv", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"scripts/peers-venv {tmp_path}" in err


def test_bench_file_compares_process_with_its_stages(tmp_path, capsys, scene_frames):
    from tests.conftest import write_video

    clip = write_video(tmp_path / "clip.avi", scene_frames * 2, 24.0, "MJPG")
    path = tmp_path / "file.json"
    assert main(["bench", "--file", str(clip), "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data["frames"] == 20 and data["size"] == "640x360"
    for key in ("decode_s", "engine_s", "encode_s", "together_s"):
        assert data[key] > 0
    slowest = max(data["decode_s"], data["engine_s"], data["encode_s"])
    assert data["together_vs_slowest"] == pytest.approx(data["together_s"] / slowest, abs=0.02)
    assert "together_vs_slowest" in capsys.readouterr().out
