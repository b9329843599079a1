"""The command line's grammar: every command, its options and their help, and the overview
`focuscam` alone prints. Each choice comes from where it is listed once (effects and their
defaults: compositing/spec.py; compositors: compositing/base.py; runtimes: runtimes.py)."""

from __future__ import annotations

import argparse
import textwrap

from app import __version__
from app.commands.bench_looks import LOOKS as BENCH_LOOKS
from app.common.images import BACKGROUND_PRESETS, DEFAULT_BACKGROUND
from app.compositing.base import COMPOSITOR_CHOICES, COMPOSITORS
from app.compositing.spec import (
    DEFAULT_EFFECT,
    DEFAULT_STRENGTH,
    EFFECT_LABELS,
    EFFECTS,
    KEY_COLOR,
    LOW_LIGHT_MODES,
    STRENGTH_EFFECTS,
    parse_color,
)
from app.delivery import VIEW_SIZE
from app.errors import UsageError
from app.frames import parse_size
from app.segmentation.runtimes import DEFAULT_RUNTIME
from app.sources.registry import SOURCE_HELP


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line and exit code 2, like every other error we report. Help keeps
    the description's and the examples' own lines."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        if kwargs.get("description"):
            kwargs["description"] = textwrap.fill(kwargs["description"], 78)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _amount(option: str):
    """A 0..1 value for ``option`` (--strength, --light, --touch-up), with its name in the
    error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{option} must be a number between 0 and 1, got {text!r}") from None
        if not 0.0 <= value <= 1.0:
            raise UsageError(f"{option} must be between 0 and 1, got {value}")
        return value

    return parse


_strength = _amount("--strength")


def _color(text: str) -> tuple[int, int, int]:
    return parse_color(text)


def _looks_options(parser: argparse.ArgumentParser, remembered: bool = False) -> None:
    """--light, --low-light, --touch-up and --key-color (live: None = as last set)."""
    last = " (default: as last set in the window)" if remembered else ""
    parser.add_argument(
        "--light", type=_amount("--light"), default=None if remembered else 0.0, metavar="0..1",
        help="studio light: you exposed for your face, a soft key light, the background a "
        "little darker (0: off" + ("; default: as last set in the window)" if remembered
                                   else ", the default)"),
    )  # fmt: skip
    parser.add_argument(
        "--low-light", choices=LOW_LIGHT_MODES, default=None if remembered else "auto",
        help="brighten and denoise a dark, noisy picture; auto: when it is dark and noisy"
        + (last or " (default auto)"),
    )  # fmt: skip
    parser.add_argument(
        "--touch-up", type=_amount("--touch-up"), default=None if remembered else 0.0,
        metavar="0..1",
        help="smooth the skin of faces; eyes, lips, hair and glasses stay sharp"
        + (last or " (default 0: off)"),
    )  # fmt: skip
    parser.add_argument(
        "--key-color", type=_color, default=None, metavar="RRGGBB",
        help=f"the background colour of --effect key (default {KEY_COLOR}, chroma-key green)",
    )  # fmt: skip


def _focus_option(parser: argparse.ArgumentParser) -> None:
    from app.segmentation.focus import parse_point

    parser.add_argument(
        "--focus-on", type=parse_point, metavar="X,Y",
        help="only the person at this point (fractions of the frame, 0,0 top left) in focus; "
        "the others become background (a video follows them)",
    )  # fmt: skip


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


BACKGROUND_HELP = (
    "what --effect replace puts behind you: an image, a video or an animated GIF (looped), "
    f"or a preset: {', '.join(BACKGROUND_PRESETS)} (default {DEFAULT_BACKGROUND})"
)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="focuscam", description="Portrait-mode camera: person sharp, background soft.")
    p.add_argument("--version", action="version", version=f"focuscam {__version__}")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say each decision: source opened, model and runtime, compositor, "
                   "output codec")  # fmt: skip
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    li = sub.add_parser(
        "live", help="the viewfinder: live preview, shutter, call preview",
        description="The viewfinder: the camera live with the effect, a shutter for full-quality "
        "photos, the call preview, a virtual camera for call apps and a recorder.",
        epilog=_examples(
            "focuscam live                              the last camera used, else the first",
            "focuscam live --source demo                no camera? the built-in demo scene",
            "focuscam live --source http://192.168.1.20:8080/video   a phone as webcam",
            "focuscam live --no-window --virtual-camera --effect replace --background studio",
            "focuscam live --no-window --record call.mp4 -t 60",
        ),
    )  # fmt: skip
    li.add_argument("--source", help=f"what to show: {SOURCE_HELP} (default: a camera, else demo)")
    li.add_argument("--size", type=_size, help="capture size to ask the camera for, WxH")
    li.add_argument("--window", type=_size, default=VIEW_SIZE, help="viewfinder size, WxH")
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
    li.add_argument("--background", help=BACKGROUND_HELP)
    _looks_options(li, remembered=True)
    li.add_argument("--overwrite", action="store_true", help="replace an existing recording")

    st = sub.add_parser(
        "still", help="take one portrait photo without a window",
        description="One portrait photo from a camera, a stream or a file, with no window: "
        "the camera settles, the photo is taken and saved at full quality.",
        epilog=_examples(
            "focuscam still -o me.jpg",
            "focuscam still --source demo -t 0 -o demo.jpg --effect lens",
            "focuscam still --effect replace --background deep-space",
        ),
    )  # fmt: skip
    st.add_argument("-o", "--output", help="the photo (default: Pictures/FocusCam/FocusCam_*.jpg)")
    st.add_argument("-t", "--time", type=_seconds, default=1.0, metavar="SECONDS",
                    help="let the camera settle this long first (default 1)")  # fmt: skip
    st.add_argument("--source", help=f"{SOURCE_HELP} (default: the first camera)")
    st.add_argument("--size", type=_size, help="capture size to ask the camera for, WxH")
    st.add_argument("--effect", choices=EFFECTS, default=DEFAULT_EFFECT,
                    help=f"the look (default {DEFAULT_EFFECT})")  # fmt: skip
    st.add_argument("--strength", type=_strength, default=DEFAULT_STRENGTH,
                    help="blur strength 0..1 (lens too)")  # fmt: skip
    st.add_argument("--background", help=BACKGROUND_HELP)
    _looks_options(st)
    _focus_option(st)
    st.add_argument("--mirror", action="store_true", help="save the photo mirrored")
    st.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    _runtime_option(st)

    sub.add_parser(
        "cameras", help="list the cameras (name, facing, what --source to give)",
        description="The cameras FocusCam can see: for each, what to give --source, whether "
        "it faces you or away, and its name.",
        epilog=_examples("focuscam cameras"),
    )  # fmt: skip

    pr = sub.add_parser(
        "process", help="apply the effect to an image or a video file",
        description="The effect on a photo or a video file, headless: the same segmentation "
        "as live, at full quality (a photo gets the photo engine: held objects kept).",
        epilog=_examples(
            "focuscam process portrait.jpg -o soft.jpg",
            "focuscam process clip.mp4 -o soft.mp4 --effect lens --strength 0.8",
            "focuscam process clip.mp4 -o call.mp4 --effect replace --background studio",
            "focuscam process clip.mp4 -o soft.mp4 --mask-out mattes/",
        ),
    )  # fmt: skip
    pr.add_argument("input", help="the photo (JPEG, PNG, ...) or video (MP4, MOV, ...) to read")
    pr.add_argument("-o", "--output", required=True,
                    help="where to write it; the same kind as the input (never over it)")
    pr.add_argument(
        "--effect", choices=EFFECTS, default=DEFAULT_EFFECT,
        help="lens: bokeh discs, bright lights bloom, more blur further behind you; key: a "
        "solid colour for call apps and OBS to key out (--key-color); cutout: transparent "
        "(PNG, WebM, ProRes .mov)",
    )  # fmt: skip
    pr.add_argument("--strength", type=_strength, default=DEFAULT_STRENGTH,
                    help="blur strength 0..1")  # fmt: skip
    pr.add_argument("--background", help=BACKGROUND_HELP)
    _looks_options(pr)
    _focus_option(pr)
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

    be = sub.add_parser(
        "bench", help="measure per-stage latency against LFBW and cvzone",
        description="FocusCam's cost per frame (wall and CPU, per stage) against the tools "
        "people use for this job, on the same frames; a table here, everything in --json.",
        epilog=_examples(
            "focuscam bench --sizes 1280x720 --json bench.json",
            "scripts/peers-venv ~/peers && focuscam bench --peers-venv ~/peers",
            "focuscam bench --file clip.mp4",
        ),
    )  # fmt: skip
    be.add_argument(
        "--sizes", default=None, help="comma-separated WxH (default 640x480,1280x720,1920x1080)"
    )
    be.add_argument("--frames", type=int, default=100, help="frames per size (default 100)")
    be.add_argument("--json", help="also write the JSON here")
    be.add_argument(
        "--compositor", choices=COMPOSITORS, default="cpu",
        help="gl also measures the GL compositor's wall and CPU time per frame (offscreen)",
    )  # fmt: skip
    be.add_argument("--file", help="instead: `process` on this video against its stages alone")
    be.add_argument(
        "--effect", choices=(*STRENGTH_EFFECTS, *BENCH_LOOKS, "looks"), default=DEFAULT_EFFECT,
        help="our effect against the peers; or what one look costs per frame on the CPU "
        "(light, low-light, touch-up, moving-background; looks: all four)",
    )  # fmt: skip
    be.add_argument(
        "--idle", type=float, metavar="SECONDS",
        help="instead: CPU while no application reads the virtual camera, and how soon a "
        "frame follows one opening it (20 is the usual)",
    )  # fmt: skip
    be.add_argument(
        "--runtime", default=DEFAULT_RUNTIME,
        help="comma-separated runtimes to measure in one run: litert, mediapipe (default litert)",
    )  # fmt: skip
    _segment_every_option(be)
    be.add_argument(
        "--peers-venv", metavar="DIR",
        help="also run the real LFBW and cvzone in this environment (made by scripts/peers-venv)",
    )  # fmt: skip

    mo = sub.add_parser(
        "models", help="list the models and whether they verify; `fetch` gets them",
        description="The model files FocusCam runs (MediaPipe's, Apache-2.0), where they are "
        "and whether their SHA-256 matches; fetch takes them from the mediapipe wheel on PyPI.",
        epilog=_examples("focuscam models", "focuscam models fetch"),
    )  # fmt: skip
    mo.add_argument("action", nargs="?", choices=("list", "fetch"), default="list",
                    help="list (default) or fetch")  # fmt: skip
    mo.add_argument("--wheel", help="take the models from this mediapipe wheel instead of PyPI")
    return p
