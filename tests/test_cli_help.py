"""The command line explains itself: every subcommand says what it does with examples, every
argument has help, presets are taken by name, and -v says each decision."""

from __future__ import annotations

import argparse
import subprocess
import sys

import cv2
import pytest

from app.cli import main
from app.cli.parser import build_parser
from app.common.images import BACKGROUND_PRESETS
from tests.conftest import write_video


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_has_a_description_examples_and_help_for_every_argument(name, capsys):
    parser = _subcommands()[name]
    assert parser.description and parser.epilog and "examples:" in parser.epilog
    undocumented = [a.dest for a in parser._actions if not a.help]
    assert undocumented == []
    with pytest.raises(SystemExit):
        main([name, "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and f"focuscam {name}" in out


def test_background_presets_are_listed_and_taken_by_name(tmp_path, portrait, capsys):
    photo = tmp_path / "in.png"
    cv2.imwrite(str(photo), portrait)
    with pytest.raises(SystemExit):
        main(["process", "--help"])
    listed = "".join(capsys.readouterr().out.split())  # help wraps lines, also at hyphens
    assert all(name in listed for name in BACKGROUND_PRESETS)
    for i, name in enumerate(BACKGROUND_PRESETS):
        out = tmp_path / f"out{i}.jpg"
        assert main(["process", str(photo), "-o", str(out), "--effect", "replace",
                     "--background", name]) == 0  # fmt: skip
        assert out.exists()
    # --effect replace alone: the default backdrop, not a refusal
    assert main(["process", str(photo), "-o", str(tmp_path / "plain.jpg"), "--effect",
                 "replace"]) == 0  # fmt: skip
    # a name that is neither a preset nor a file: one line
    assert main(["process", str(photo), "-o", str(tmp_path / "x.jpg"), "--effect", "replace",
                 "--background", "brick-wal"]) != 0  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "brick-wal" in err
    assert not (tmp_path / "x.jpg").exists()


def test_verbose_says_each_decision(tmp_path, scene_frames):
    clip = write_video(tmp_path / "in.avi", scene_frames, 30.0, "MJPG")
    proc = subprocess.run(
        [sys.executable, "-m", "app", "-v", "process", str(clip), "-o", str(tmp_path / "o.mp4"),
         "--no-progress"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for said in ("source opened", "model ", "runtime", "compositor", "writing", "libx264"):
        assert said in proc.stderr, (said, proc.stderr)
