"""The `focuscam` command line: live | still | cameras | process | bench | models."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from app.cli.parser import BENCH_LOOKS, OVERVIEW, build_parser
from app.compositing.spec import DEFAULT_EFFECT, DEFAULT_STRENGTH, KEY_COLOR
from app.errors import FocusCamError, UsageError
from app.segmentation.runtimes import DEFAULT_RUNTIME


def _cadence(args):
    """--segment-every auto: the cadence's default params; 1: None (every frame)."""
    from app.segmentation.cadence import cadence_for

    return cadence_for(args.segment_every)


def _effect_spec(args: argparse.Namespace, paced: bool = False):
    """The EffectSpec that --effect, --strength, --background and the looks' options describe
    (their defaults where not given: `live` leaves them to what was last set in the window).
    ``paced``: live (a moving background decodes on its own thread)."""
    from app.common.images import background_image
    from app.compositing.spec import EffectSpec, parse_color

    effect = args.effect or DEFAULT_EFFECT
    strength = DEFAULT_STRENGTH if args.strength is None else args.strength
    # Replace without --background: the default backdrop; a preset by name, an image file, a
    # video or an animated GIF
    background = background_image(args.background, paced=paced) if effect == "replace" else None
    return EffectSpec(
        effect, strength, background,
        key_color=args.key_color or parse_color(KEY_COLOR),
        light=args.light or 0.0, low_light=args.low_light or "auto",
        touch_up=args.touch_up or 0.0,
    )  # fmt: skip


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
            focus_on=args.focus_on,
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

    if args.idle is not None or args.effect in (*BENCH_LOOKS, "looks"):
        from app.commands.bench_looks import LOOKS, bench_idle, bench_looks
        from app.commands.bench_looks import table as looks_table

        if args.idle is not None:
            result = {"idle": bench_idle(args.idle)}
        else:
            names = list(LOOKS) if args.effect == "looks" else [args.effect]
            sizes = parse_sizes(args.sizes or DEFAULT_SIZES)
            result = {"looks": bench_looks(names, sizes, min(args.frames, 120))}
        result["machine"] = describe_machine()
        if args.json:
            write_json(args.json, result)
        print(looks_table(result))
        return 0
    if args.file:
        from app.commands.bench_file import bench_file

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
            args.source, args.size, args.time, _effect_spec(args, paced=True), args.virtual_camera,
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
        segment_every=args.segment_every, light=args.light, low_light=args.low_light,
        touch_up=args.touch_up, key_color=args.key_color,
    )  # fmt: skip


def _cmd_cameras(args: argparse.Namespace) -> int:
    from app.ui.live import print_cameras

    return print_cameras()


def _cmd_still(args: argparse.Namespace) -> int:
    from app.commands.still import take_still

    spec = _effect_spec(args)
    output = Path(args.output) if args.output else None
    path = take_still(
        args.source, output, args.time, spec, args.size, args.mirror, args.overwrite, args.runtime,
        focus_on=args.focus_on,
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
