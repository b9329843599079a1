from __future__ import annotations

import json

import pytest

from app.cli import main


def test_bench_writes_the_documented_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert main(["bench", "--sizes", "320x180", "--frames", "3", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    out = capsys.readouterr().out
    assert "320x180" in out and "vs LFBW" in out  # a short table for people on stdout
    assert set(data) == {"sizes", "rss_mb", "machine"}
    entry = data["sizes"]["320x180"]
    assert set(entry) == {"ours", "peers", "ratios", "runtimes"}
    assert set(entry["runtimes"]) == {"litert"}  # the default runtime only, unless asked
    assert entry["runtimes"]["litert"]["ours"] == entry["ours"]
    assert 0 < entry["runtimes"]["litert"]["model_ms"]["p50"]
    assert set(entry["ours"]) == {"total_ms_p50", "total_ms_p95", "fps", "stages_ms_p50"}
    assert set(entry["ours"]["stages_ms_p50"]) == {"segment", "refine", "composite"}
    assert 0 < entry["ours"]["total_ms_p50"] <= entry["ours"]["total_ms_p95"]
    for peer in ("lfbw", "cvzone"):
        for variant in ("as_shipped", "our_strength"):
            got = entry["peers"][peer][variant]
            assert 0 < got["total_ms_p50"] <= got["total_ms_p95"]
            ratio = entry["ratios"][peer][variant]
            assert ratio == pytest.approx(got["total_ms_p50"] / entry["ours"]["total_ms_p50"], 0.01)
    assert data["rss_mb"] > 0


def test_bench_rejects_bad_sizes(capsys):
    assert main(["bench", "--sizes", "big"]) == 2
    assert "expected WxH" in capsys.readouterr().err
