"""The `focuscam` command line: live | still | cameras | process | bench | models."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from app import __version__
from app.compositing.base import COMPOSITOR_CHOICES, COMPOSITORS
from app.compositing.spec import (
    DEFAULT_EFFECT,
    DEFAULT_STRENGTH,
    EFFECT_LABELS,
    EFFECTS,
    STRENGTH_EFFECTS,
)
from app.errors import FocusCamError, UsageError
from app.frames import parse_size
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.registry import SOURCE_HELP


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line and exit code 2, like every other error we report."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--strength must be a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"--strength must be between 0 and 1, got {value}")
    return value


def _size(text: str) -> tuple[int, int]:
    return parse_size(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"-t takes seconds, got {text!r}") from None
    if value < 0:
        raise UsageError("-t must not be negative")
    return value


RUNTIME_HELP = (
    "where the models run: litert (default; sends nothing) or mediapipe (MediaPipe Tasks, "
    "which sends usage metrics to Google)"
)


def _segment_every_option(parser: argparse.ArgumentParser, live: bool = False) -> None:
    from app.segmentation.cadence import FILES_SEGMENT_EVERY, LIVE_SEGMENT_EVERY, SEGMENT_EVERY

    default = LIVE_SEGMENT_EVERY if live else FILES_SEGMENT_EVERY
    parser.add_argument(
        "--segment-every", choices=SEGMENT_EVERY, default=None if live else default,
        help="auto: the model runs only when the picture changed enough, at least every 4th "
        "frame; 1: on every frame (default: "
        + (f"as last chosen in the window, at first {default})" if live else f"{default})"),
    )  # fmt: skip


def _cadence(args):
    """--segment-every auto: the cadence's default params; 1: None (every frame)."""
    from app.segmentation.cadence import cadence_for

    return cadence_for(args.segment_every)


def _runtime_option(parser: argparse.ArgumentParser, remembered: bool = False) -> None:
    from app.segmentation.runtimes import RUNTIMES

    parser.add_argument(
        "--runtime", choices=tuple(RUNTIMES), default=None if remembered else DEFAULT_RUNTIME,
        help=RUNTIME_HELP + (" (default: as last chosen in the window)" if remembered else ""),
    )  # fmt: skip


OVERVIEW = """\
focuscam: a portrait-mode camera. Commands, with an example each:

  live       the viewfinder            focuscam live --source demo
  still      one photo, no window      focuscam still -o me.jpg
  process    files: photos, videos     focuscam process clip.mp4 -o soft.mp4
  cameras    list the cameras          focuscam cameras
  bench      measure the speed         focuscam bench --sizes 1280x720
  models     check or fetch models     focuscam models fetch

`focuscam COMMAND --help` tells more. No display (a server)? `still` and `process` need none."""


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="focuscam", description="Portrait-mode camera: person sharp, background soft.")
    p.add_argument("--version", action="version", version=f"focuscam {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    li = sub.add_parser("live", help="the viewfinder: live preview, shutter, call preview")
    li.add_argument("--source", help=f"what to show: {SOURCE_HELP} (default: a camera, else demo)")
    li.add_argument("--size", type=_size, help="capture size to ask the camera for, WxH")
    li.add_argument("--window", type=_size, default=(960, 540), help="viewfinder size, WxH")
    li.add_argument("-t", "--time", type=_seconds, default=0.0, metavar="SECONDS",
                    help="close after SECONDS (0: when the window is closed)")  # fmt: skip
    li.add_argument("--stats-json", help="write frame, latency and CPU numbers here on exit")
    li.add_argument(
        "--compositor", choices=COMPOSITOR_CHOICES, default="auto",
        help="composite with OpenGL shaders or on the CPU (auto: GL when available)",
    )  # fmt: skip
    _runtime_option(li, remembered=True)
    _segment_every_option(li, live=True)
    li.add_argument(
        "--virtual-camera", nargs="?", const="", metavar="DEVICE",
        help="send the call picture to a virtual camera (optionally this device)",
    )  # fmt: skip
    li.add_argument(
        "--record", nargs="?", const="", metavar="PATH",
        help="record the call picture to MP4 (default: Pictures/FocusCam/FocusCam_*.mp4)",
    )  # fmt: skip
    li.add_argument("--auto-frame", action="store_true", help="the call picture follows you")
    li.add_argument("--no-window", action="store_true",
                    help="no viewfinder: only the virtual camera and/or the recording")  # fmt: skip
    li.add_argument("--effect", choices=tuple(EFFECT_LABELS),
                    help="default: as last set")
    li.add_argument("--strength", type=_strength, help="blur strength 0..1")
    li.add_argument("--background", help="image for --effect replace")
    li.add_argument("--overwrite", action="store_true", help="replace an existing recording")

    st = sub.add_parser("still", help="take one portrait photo without a window")
    st.add_argument("-o", "--output", help="the photo (default: Pictures/FocusCam/FocusCam_*.jpg)")
    st.add_argument("-t", "--time", type=_seconds, default=1.0, metavar="SECONDS",
                    help="let the camera settle this long first (default 1)")  # fmt: skip
    st.add_argument("--source", help=f"{SOURCE_HELP} (default: the first camera)")
    st.add_argument("--size", type=_size, help="capture size to ask the camera for, WxH")
    st.add_argument("--effect", choices=tuple(EFFECT_LABELS), default=DEFAULT_EFFECT)
    st.add_argument("--strength", type=_strength, default=DEFAULT_STRENGTH,
                    help="blur strength 0..1 (lens too)")  # fmt: skip
    st.add_argument("--background", help="image for --effect replace")
    st.add_argument("--mirror", action="store_true", help="save the photo mirrored")
    st.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    _runtime_option(st)

    sub.add_parser("cameras", help="list the cameras (name, facing, what --source to give)")

    pr = sub.add_parser("process", help="apply the effect to an image or a video file")
    pr.add_argument("input")
    pr.add_argument("-o", "--output", required=True)
    pr.add_argument(
        "--effect", choices=EFFECTS, default=DEFAULT_EFFECT,
        help="lens: bokeh discs, bright lights bloom, more blur further behind you",
    )  # fmt: skip
    pr.add_argument("--strength", type=_strength, default=DEFAULT_STRENGTH,
                    help="blur strength 0..1")  # fmt: skip
    pr.add_argument("--background", help="image for --effect replace")
    pr.add_argument("--model", help="any image-segmenter .tflite (selfie, multi-class, ...)")
    pr.add_argument("--mask-out", help="folder (one PNG per frame) or file for the mattes")
    pr.add_argument("--matte", help="re-render a photo with the matte saved beside it (PNG)")
    pr.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    pr.add_argument("--no-progress", action="store_true", help="no progress bar")
    pr.add_argument(
        "--auto-frame", action="store_true",
        help="a crop that follows the people (video; the output keeps its size)",
    )  # fmt: skip
    pr.add_argument(
        "--compositor", choices=COMPOSITOR_CHOICES, default="cpu",
        help="cpu (the reference; auto means cpu here) or gl (the viewfinder's shaders, offscreen)",
    )  # fmt: skip
    _runtime_option(pr)
    _segment_every_option(pr)

    be = sub.add_parser("bench", help="measure per-stage latency against LFBW and cvzone")
    be.add_argument(
        "--sizes", default=None, help="comma-separated WxH (default 640x480,1280x720,1920x1080)"
    )
    be.add_argument("--frames", type=int, default=100)
    be.add_argument("--json", help="also write the JSON here")
    be.add_argument(
        "--compositor", choices=COMPOSITORS, default="cpu",
        help="gl also measures the GL compositor's wall and CPU time per frame (offscreen)",
    )  # fmt: skip
    be.add_argument("--file", help="instead: `process` on this video against its stages alone")
    be.add_argument("--effect", choices=STRENGTH_EFFECTS, default=DEFAULT_EFFECT,
                    help="our effect")  # fmt: skip
    be.add_argument(
        "--runtime", default=DEFAULT_RUNTIME,
        help="comma-separated runtimes to measure in one run: litert, mediapipe (default litert)",
    )  # fmt: skip
    _segment_every_option(be)
    be.add_argument(
        "--peers-venv", metavar="DIR",
        help="also run the real LFBW and cvzone in this environment (made by scripts/peers-venv)",
    )  # fmt: skip

    mo = sub.add_parser("models", help="list the models and whether they verify; `fetch` gets them")
    mo.add_argument("action", nargs="?", choices=("list", "fetch"), default="list")
    mo.add_argument("--wheel", help="take the models from this mediapipe wheel instead of PyPI")
    return p


def _effect_spec(args: argparse.Namespace):
    """The EffectSpec that --effect, --strength and --background describe (their defaults
    where not given: `live` leaves them to what was last set in the window)."""
    from app.common.images import read_image
    from app.compositing.spec import EffectSpec

    effect = args.effect or DEFAULT_EFFECT
    strength = DEFAULT_STRENGTH if args.strength is None else args.strength
    background = None
    if effect == "replace":
        if not args.background:
            raise UsageError("--effect replace needs --background IMG")
        background = read_image(args.background)
    return EffectSpec(effect, strength, background)


def _cmd_process(args: argparse.Namespace) -> int:
    from app.commands.process import process_file

    spec = _effect_spec(args)
    model = Path(args.model) if args.model else None
    if model is not None and not model.is_file():
        raise UsageError(f"--model {model}: no such file")
    extra = (Path(args.background),) if args.background else ()
    with _progress_bar(not args.no_progress) as progress:
        result = process_file(
            args.input, args.output, spec, model, args.mask_out, args.overwrite,
            progress=progress, compositor=args.compositor, matte_path=args.matte,
            runtime=args.runtime, extra_inputs=extra, auto_frame=args.auto_frame,
            cadence=_cadence(args),
        )  # fmt: skip
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {result.output} ({result.frames} frame{'s' if result.frames != 1 else ''})")
    if result.masks:
        where = result.masks[0].parent if len(result.masks) > 1 else result.masks[0]
        print(
            f"wrote {len(result.masks)} mask file{'s' if len(result.masks) != 1 else ''} to {where}"
        )
    return 0


@contextlib.contextmanager
def _progress_bar(enabled: bool):
    """A progress callback for long runs: a tqdm bar with ETA on stderr (None when off)."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            if done <= 1 and (total is None or total <= 1):
                return  # one picture (or too early to tell): no bar
            bar = tqdm(total=total, unit="frame", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def _cmd_bench(args: argparse.Namespace) -> int:
    from app.commands.bench import (
        DEFAULT_SIZES,
        describe_machine,
        parse_sizes,
        run_bench,
        table,
    )
    from app.outputs.jsonfile import write_json
    from app.segmentation.runtimes import get

    if args.file:
        from app.commands.bench import bench_file

        result = bench_file(Path(args.file))
        if args.json:
            write_json(args.json, result)
        print(" · ".join(f"{k} {v}" for k, v in result.items()))
        return 0
    sizes = parse_sizes(args.sizes or DEFAULT_SIZES)
    runtimes = [get(name.strip()).name for name in args.runtime.split(",") if name.strip()]
    peers_venv = Path(args.peers_venv) if args.peers_venv else None
    if peers_venv is not None:
        from app.commands.peers import check_peers_venv

        check_peers_venv(peers_venv)  # before anything is printed or measured
    print(
        f"benchmarking {len(sizes)} size(s), {args.frames} frames each, runtime "
        f"{' and '.join(runtimes)}, on {describe_machine()}",
        file=sys.stderr,
    )
    result = run_bench(sizes, args.frames, args.compositor, runtimes, args.effect,
                       cadence=_cadence(args), peers_venv=peers_venv)  # fmt: skip
    if args.json:
        write_json(args.json, result)
    print(table(result))
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from app.segmentation import models

    if args.action == "fetch":
        wheel = Path(args.wheel) if args.wheel else None
        paths = models.fetch(wheel=wheel)
        print(f"models ready in {paths[0].parent}")
    for st in models.status():
        w, h = st.spec.input_size
        print(f"{st.spec.name:10s} {w}x{h:<4d} {st.state:9s} {st.path}")
    if not models.all_present():
        print(f"some models are not ready; run `{models.FETCH_COMMAND}`", file=sys.stderr)
        return 1
    return 0


def _cmd_live(args: argparse.Namespace) -> int:
    record = None if args.record is None else Path(args.record) if args.record else ""
    if args.no_window:
        from app.commands.broadcast import run_headless
        from app.outputs.live import recording_path
        from app.segmentation.cadence import LIVE_SEGMENT_EVERY

        return run_headless(
            args.source, args.size, args.time, _effect_spec(args), args.virtual_camera,
            recording_path() if record == "" else record, args.auto_frame,
            Path(args.stats_json) if args.stats_json else None, args.runtime or DEFAULT_RUNTIME,
            args.overwrite, args.segment_every or LIVE_SEGMENT_EVERY,
        )  # fmt: skip
    from app.ui.live import run_live

    return run_live(
        args.source, args.size, args.window, args.time,
        Path(args.stats_json) if args.stats_json else None, args.compositor, args.runtime,
        virtual_camera=args.virtual_camera, record=record, auto_frame=args.auto_frame,
        effect=args.effect, strength=args.strength, background=args.background,
        segment_every=args.segment_every,
    )  # fmt: skip


def _cmd_cameras(args: argparse.Namespace) -> int:
    from app.ui.live import print_cameras

    return print_cameras()


def _cmd_still(args: argparse.Namespace) -> int:
    from app.commands.still import take_still

    spec = _effect_spec(args)
    output = Path(args.output) if args.output else None
    path = take_still(
        args.source, output, args.time, spec, args.size, args.mirror, args.overwrite, args.runtime
    )
    print(f"wrote {path}")
    return 0


COMMANDS = {
    "live": _cmd_live,
    "still": _cmd_still,
    "cameras": _cmd_cameras,
    "process": _cmd_process,
    "bench": _cmd_bench,
    "models": _cmd_models,
}


def run() -> int:
    """The `focuscam` command: native libraries' lines go to the log (``-v`` shows them), then
    ``main``. Tests call ``main`` directly."""
    if not ({"-v", "--verbose"} & set(sys.argv[1:])):
        from app.common.nativelog import route_native_stderr

        route_native_stderr()
    return main()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            print(OVERVIEW)
            return 0
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        if args.verbose:
            os.environ["FOCUSCAM_NATIVE_LOGS"] = "1"  # MediaPipe's own C++ log lines too
        else:
            import cv2

            # OpenCV's own lines (a camera that is not there, a codec it probes) are for
            # developers; the user gets our one line in words.
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
            # MediaPipe's native logging (glog, TFLite) is noise for a user.
            os.environ.setdefault("GLOG_minloglevel", "2")
        from app.common.signals import raise_on_stop_signals
        from app.outputs.recovery import recover_unfinished

        raise_on_stop_signals()
        for line in recover_unfinished():  # what a crash of an earlier run left
            print(f"focuscam: {line}", file=sys.stderr)
        return COMMANDS[args.command](args)
    except FocusCamError as exc:
        print(f"focuscam: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        from app.common.signals import Stopped

        if isinstance(exc, Stopped):
            print(f"focuscam: stopped ({exc.name})", file=sys.stderr)
            return exc.exit_code
        print("focuscam: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        # Full disk, permission denied, ...: the user's environment, not a bug.
        print(
            f"focuscam: error: {exc.strerror or exc}"
            + (f": {exc.filename}" if exc.filename else ""),
            file=sys.stderr,
        )
        return 1
