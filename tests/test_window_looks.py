"""The looks in the window: the Look menu and its keys (S, U, N), remembered; Green screen and
a moving background from the controls; the HUD saying when low light is on."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from app.common.moving import MovingBackground
from app.compositing.spec import KEY_COLOR, parse_color
from app.sources.files import FileSource
from app.ui.controls import LOOK_ON, LOOK_ON_STYLE
from app.ui.settings import Settings
from tests.conftest import write_video
from tests.window_helpers import Sources, open_window, wait_frames

pytestmark = pytest.mark.gui


def test_the_look_menu_and_its_keys_set_the_looks_and_they_are_remembered(
    qtbot, settings, scene_clip
):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    c = win.controls
    c.light.setValue(70)
    assert settings.get("light") == pytest.approx(0.7)
    assert win.pipeline.request.spec.light == pytest.approx(0.7)
    assert "studio light 70%" in c.look.toolTip()
    assert LOOK_ON_STYLE in c.look.styleSheet()  # the button in yellow: a look is on
    qtbot.keyClick(win, Qt.Key.Key_S)  # off
    assert settings.get("light") == 0 and c.light.value() == 0
    qtbot.keyClick(win, Qt.Key.Key_S)  # on again
    assert settings.get("light") == pytest.approx(LOOK_ON)
    qtbot.keyClick(win, Qt.Key.Key_U)
    assert settings.get("touch_up") == pytest.approx(LOOK_ON)
    assert c.touch_up.value() == round(LOOK_ON * 100)
    assert settings.get("low_light") == "auto"
    qtbot.keyClick(win, Qt.Key.Key_N)
    assert settings.get("low_light") == "on" and c.low_light["on"].isChecked()
    assert "Low light" in win.viewfinder.message
    c.low_light["off"].trigger()
    assert settings.get("low_light") == "off" and win.pipeline.request.spec.low_light == "off"
    c.light.setValue(0)
    c.touch_up.setValue(0)
    assert LOOK_ON_STYLE not in c.look.styleSheet()  # all off: the button as the others
    c.light.setValue(round(LOOK_ON * 100))
    c.touch_up.setValue(round(LOOK_ON * 100))
    wait_frames(qtbot, win, 3)
    win.close()
    # remembered: the next window opens with them
    again = Settings(settings.file)
    win2 = open_window(qtbot, Sources(a=FileSource(scene_clip)), again)
    assert win2.controls.light.value() == round(LOOK_ON * 100)
    assert win2.controls.low_light["off"].isChecked()
    spec = win2.pipeline.request.spec
    assert (spec.light, spec.touch_up, spec.low_light) == (LOOK_ON, LOOK_ON, "off")
    win2.close()


def background_of(win) -> np.ndarray:
    """The shown picture's pixels where the matte says background (well away from the edge)."""
    import cv2

    r = win.viewfinder.result
    h, w = r.view.shape[:2]
    alpha = cv2.resize(r.matte.alpha, (w, h))
    far = cv2.erode((alpha < 0.01).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    return r.view[far]


def test_green_screen_and_a_moving_background_from_the_controls(qtbot, settings, scene_clip):
    win = open_window(qtbot, Sources(a=FileSource(scene_clip)), settings)
    c = win.controls
    i = c.effect.findText("Green screen")
    assert i >= 0
    c.effect.setCurrentIndex(i)
    assert settings.get("effect") == "key"
    wait_frames(qtbot, win, 4)
    qtbot.waitUntil(lambda: win.viewfinder.result.request.spec.effect == "key", timeout=5000)
    wait_frames(qtbot, win, 2)
    bg = background_of(win)
    assert bg.size and np.abs(np.median(bg, axis=0) - parse_color(KEY_COLOR)).max() <= 1
    # the moving preset, from the background menu
    c.presets["drifting-lights"].trigger()
    assert settings.get("effect") == "replace"
    spec = win.pipeline.request.spec
    assert isinstance(spec.background, MovingBackground)
    wait_frames(qtbot, win, 3)
    first = background_of(win).mean(axis=0)
    qtbot.wait(700)
    wait_frames(qtbot, win, 2)
    assert np.abs(background_of(win).mean(axis=0) - first).max() > 0.3  # it moves
    c.presets["studio"].trigger()  # another background: the moving one stops decoding
    assert not (spec.background._thread and spec.background._thread.is_alive())
    win.close()


def test_the_hud_says_when_low_light_is_on(qtbot, settings, tmp_path):
    from app.lab.synthetic import Scene

    scene = Scene((640, 360), "coffee.png", "sway", noise=0.0)
    rng = np.random.default_rng(0)
    frames = [np.clip(scene.frame(i).image * 0.25 + rng.normal(0, 6, (360, 640, 3)), 0, 255)
              .astype(np.uint8) for i in range(45)]  # fmt: skip
    clip = write_video(tmp_path / "dark.avi", frames, fps=30.0, fourcc="MJPG")
    settings.set("hud", True)
    win = open_window(qtbot, Sources(a=FileSource(clip)), settings)
    wait_frames(qtbot, win, 25)
    win._update_hud()
    assert any(line.startswith("low light on") for line in win.viewfinder.hud_lines), (
        win.viewfinder.hud_lines
    )
    win.close()


def test_a_click_on_a_person_puts_them_in_focus_tab_moves_it_and_esc_brings_everyone_back(
    qtbot, settings, tmp_path
):
    import cv2

    from app.lab.synthetic import Actor, Scene

    scene = Scene((960, 540), "rocket.jpg", noise=2.0, actors=(
        Actor("hopper", 0.7, 0.3, "sway"), Actor("collins", 0.7, 0.72, "sway")))  # fmt: skip
    frames = [scene.frame(i) for i in range(60)]
    clip = write_video(tmp_path / "two.avi", [f.image for f in frames], fps=30.0,
                       fourcc="MJPG")  # fmt: skip
    win = open_window(qtbot, Sources(a=FileSource(clip)), settings)
    win.fit_picture((960, 540))
    wait_frames(qtbot, win, 5)
    vf = win.viewfinder

    def share(k: int) -> float:
        r = vf.result
        alpha = cv2.resize(r.matte.alpha, (960, 540))
        return float(alpha[frames[r.frame.seq % 60 - 1].people[k]].mean())

    ys, xs = np.nonzero(frames[0].people[0])
    rect = vf.picture_rect()
    from PyQt6.QtCore import QPoint

    at = QPoint(int(rect.left() + xs.mean() / 960 * rect.width()),
                int(rect.top() + ys.mean() / 540 * rect.height()))  # fmt: skip
    qtbot.mouseClick(vf, Qt.MouseButton.LeftButton, pos=at)
    assert "Focus on the person" in vf.message
    qtbot.waitUntil(lambda: win.pipeline.focus_subject, timeout=5000)
    wait_frames(qtbot, win, 15)
    assert share(1) <= 0.1 and share(0) >= 0.8
    qtbot.keyClick(win, Qt.Key.Key_Tab)  # the next person
    wait_frames(qtbot, win, 15)
    assert share(0) <= 0.1 and share(1) >= 0.6
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # everyone again
    qtbot.waitUntil(lambda: not win.pipeline.focus_subject, timeout=5000)
    wait_frames(qtbot, win, 15)
    assert share(0) >= 0.8 and share(1) >= 0.6
    win.close()


def test_a_photo_keeps_who_was_in_focus_and_the_viewer_can_choose_someone_else(
    qtbot, settings, tmp_path
):
    import cv2

    from app.lab.synthetic import Actor, Scene

    scene = Scene((960, 540), "rocket.jpg", noise=0.0, actors=(
        Actor("hopper", 0.7, 0.3, "still"), Actor("collins", 0.7, 0.72, "still")))  # fmt: skip
    frame = scene.frame(0)
    clip = write_video(tmp_path / "two.avi", [frame.image] * 30, fps=30.0, fourcc="MJPG")
    win = open_window(qtbot, Sources(a=FileSource(clip)), settings)
    wait_frames(qtbot, win, 3)

    def centre(k):
        ys, xs = np.nonzero(frame.people[k])
        return xs.mean() / 960, ys.mean() / 540

    win.choose_focus(centre(0))  # Hopper, as a click would
    qtbot.waitUntil(lambda: win.pipeline.focus_subject, timeout=5000)
    wait_frames(qtbot, win, 15)
    shot = win.controller.take_photo().result(timeout=60).path
    matte = cv2.imread(str(shot.with_name(f"{shot.stem}_matte.png")), cv2.IMREAD_GRAYSCALE)
    matte = cv2.resize(matte, (960, 540)) / 255.0
    assert matte[frame.people[0]].mean() >= 0.9 and matte[frame.people[1]].mean() <= 0.05
    qtbot.waitUntil(lambda: len(win.photos) == 1, timeout=5000)
    viewer = win.controller.open_viewer()
    original = cv2.imread(str(shot.with_name(f"{shot.stem}_original.jpg"))).astype(int)
    before = viewer.refocused().astype(int)
    viewer.focus_on(*centre(1))  # Collins now, after the fact
    after = viewer.refocused().astype(int)
    people = [cv2.resize(p.astype(np.uint8), original.shape[1::-1]) > 0 for p in frame.people]
    inner = [cv2.erode(p.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0 for p in people]
    # before: Hopper sharp (as shot), Collins blurred; after: the other way round
    def changed(picture, k):
        return np.abs(picture - original)[inner[k]].mean()

    assert changed(before, 0) < 3 < changed(before, 1)
    assert changed(after, 1) < 3 < changed(after, 0)
    viewer.focus_on(0.5, 0.05)  # the sky: everyone
    both = viewer.refocused().astype(int)
    assert changed(both, 0) < 3 and changed(both, 1) < 3
    viewer.close()
    win.close()
