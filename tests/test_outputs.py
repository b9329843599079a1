"""The output contract, for every registered Output (as tests/test_contracts.py does for sources
and compositors): open, write, commit makes exactly the promised files, with the mode the umask
gives and nothing hidden left; abort leaves nothing at all; nothing exists before commit that a
user could take for finished; an existing file is never replaced without overwrite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.common.files import new_file_mode
from app.errors import FocusCamError, UsageError
from app.outputs.base import Output
from app.outputs.images import ImageOutput
from app.outputs.mattes import MatteOutput
from app.outputs.photo import PhotoOutput
from app.outputs.video import VideoOutput
from app.outputs.virtualcam import VirtualCameraOutput

SIZE = (160, 90)


def _every_output() -> set[type]:
    """Every Output the app defines (every module of app.outputs imported first)."""
    import importlib
    import pkgutil

    import app.outputs

    for module in pkgutil.iter_modules(app.outputs.__path__):
        importlib.import_module(f"app.outputs.{module.name}")

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {cls for cls in below(Output) if cls.__module__.startswith("app.")}


# name -> (how to make it in a folder, the visible names commit makes there)
RECIPES = {
    "image": (lambda d: ImageOutput(d / "out.png"), ["out.png"]),
    "video": (lambda d: VideoOutput(d / "out.mp4"), ["out.mp4"]),
    "recording": (lambda d: VideoOutput(d / "rec.mp4", crash_safe=True), ["rec.mp4"]),
    "mattes (folder)": (lambda d: MatteOutput(f"{d}/masks/", "m"),
                        ["masks/m_000000.png", "masks/m_000001.png", "masks/m_000002.png"]),
    "matte video": (lambda d: MatteOutput(str(d / "m.mp4"), "m"), ["m.mp4"]),
    "photo": (lambda d: PhotoOutput(path=d / "p.jpg", original=np.zeros((90, 160, 3), np.uint8),
                                    save_matte=True),
              ["p.jpg", "p_original.jpg", "p_matte.png"]),
}  # fmt: skip
KINDS = {
    "image": ImageOutput, "video": VideoOutput, "recording": VideoOutput,
    "mattes (folder)": MatteOutput, "matte video": MatteOutput, "photo": PhotoOutput,
}  # fmt: skip


def test_every_output_class_has_a_contract_recipe():
    # the virtual camera is checked below: it leaves the app through a device, not a file
    assert _every_output() == {*KINDS.values(), VirtualCameraOutput}


def _visible(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.parts))  # fmt: skip


def _hidden(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.is_file()]


def _frames():
    rng = np.random.default_rng(0)
    for i in range(3):
        image = rng.integers(0, 255, (SIZE[1], SIZE[0], 3), np.uint8)
        matte = np.zeros((SIZE[1], SIZE[0]), np.float32)
        matte[20:, 60:100] = 1.0
        yield image, int(i * 1e9 / 30), matte


def _open_and_write(out: Output) -> None:
    out.open(SIZE, 30.0)
    for image, t_ns, matte in _frames():
        out.write(image, t_ns, matte if out.wants_matte else None)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_commit_makes_exactly_the_files_promised_whole_and_with_the_umask_mode(name, tmp_path):
    make, names = RECIPES[name]
    out = make(tmp_path)
    _open_and_write(out)
    written = out.commit()
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(names)
    assert _visible(tmp_path) == sorted(names) and not _hidden(tmp_path)
    for path in written:
        assert (path.stat().st_mode & 0o777) == new_file_mode() and path.stat().st_size > 0


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_abort_leaves_nothing_and_nothing_looks_finished_before_commit(name, tmp_path):
    make, names = RECIPES[name]
    out = make(tmp_path)
    out.open(SIZE, 30.0)
    for image, t_ns, matte in _frames():
        out.write(image, t_ns, matte if out.wants_matte else None)
        # a folder of mattes publishes each PNG whole as it goes (a crash keeps them); any
        # other output shows nothing under its name until commit
        if name != "mattes (folder)":
            assert not any((tmp_path / n).exists() for n in names)
    out.abort()
    assert _visible(tmp_path) == [] and not _hidden(tmp_path)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_an_existing_file_is_never_replaced_without_overwrite(name, tmp_path):
    make, names = RECIPES[name]
    taken = tmp_path / names[0]
    taken.parent.mkdir(parents=True, exist_ok=True)
    taken.write_bytes(b"keep me")
    out = make(tmp_path)

    def run() -> list[Path]:
        _open_and_write(out)
        return out.commit()

    if name == "recording":
        # a live moment cannot be made again: a recording whose name was taken meanwhile is
        # saved under the next free one (the recorder refuses a taken name at its start)
        assert run() == [tmp_path / "rec_2.mp4"]
    else:
        with pytest.raises(UsageError, match="already exists"):
            run()
        out.abort()
    assert taken.read_bytes() == b"keep me"
    assert not _hidden(tmp_path)


def test_the_virtual_camera_without_a_device_fails_in_one_line():
    with pytest.raises(FocusCamError) as err:
        VirtualCameraOutput(backend="v4l2loopback").open(SIZE, 30.0)
    assert "\n" not in str(err.value) and "v4l2loopback" in str(err.value)
