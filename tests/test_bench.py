from __future__ import annotations

import json

from app.cli import main


def test_bench_writes_the_documented_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert main(["bench", "--sizes", "320x180", "--frames", "3", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert json.loads(capsys.readouterr().out) == data
    assert set(data) == {"sizes", "rss_mb"}
    entry = data["sizes"]["320x180"]
    assert set(entry) == {"ours", "baseline", "speedup", "runtimes"}
    assert set(entry["runtimes"]) == {"litert"}  # the default runtime only, unless asked
    assert entry["runtimes"]["litert"]["ours"] == entry["ours"]
    assert 0 < entry["runtimes"]["litert"]["model_ms"]["p50"]
    for side in ("ours", "baseline"):
        assert set(entry[side]) == {"total_ms_p50", "total_ms_p95", "fps", "stages_ms_p50"}
        assert set(entry[side]["stages_ms_p50"]) == {"segment", "refine", "composite"}
        assert 0 < entry[side]["total_ms_p50"] <= entry[side]["total_ms_p95"]
    assert entry["speedup"] > 0 and data["rss_mb"] > 0


def test_bench_rejects_bad_sizes(capsys):
    assert main(["bench", "--sizes", "big"]) == 2
    assert "expected WxH" in capsys.readouterr().err
