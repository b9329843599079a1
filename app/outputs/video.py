"""Video files through PyAV (FFmpeg): H.264 in MP4, MOV and MKV, VP9 in WebM, MJPEG in AVI.

Every packet goes through an API that reports failure: a full disk, a lost network share or a
quota ends the run with a one-line error, the temporary file is removed, and nothing is
reported written. Frames are stamped from their capture times (``t_ns``), so a dropped frame
leaves a gap instead of shortening the clip.

A live recording (``crash_safe``) cannot be made again, so it is written to be playable at
every moment: MP4 and MOV fragmented (an empty index up front, a fragment every second),
Matroska and WebM in one-second clusters, the bytes handed to the system as they come and
synced to disk every second. A normal end turns it into an ordinary MP4 (index up front, "fast
start"); a full disk keeps what was written, under the recording's name; a crash leaves the
temporary file and its entry in the journal (journal.py), and the next start recovers it
(recovery.py).
"""

from __future__ import annotations

import logging
import os
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from app.common.files import TempFile, describe_os_error, os_error_cause
from app.errors import FocusCamError
from app.outputs import journal
from app.outputs.base import Output
from app.outputs.remux import remux, trim_torn_fragment, video_seconds

logger = logging.getLogger(__name__)

# container extension -> (codec, pixel format, options)
VIDEO_CODECS: dict[str, tuple[str, str, dict[str, str]]] = {
    ".mp4": ("libx264", "yuv420p", {"crf": "20", "preset": "veryfast"}),
    ".m4v": ("libx264", "yuv420p", {"crf": "20", "preset": "veryfast"}),
    ".mov": ("libx264", "yuv420p", {"crf": "20", "preset": "veryfast"}),
    ".mkv": ("libx264", "yuv420p", {"crf": "20", "preset": "veryfast"}),
    ".webm": ("libvpx-vp9", "yuv420p", {"crf": "32", "b": "0", "deadline": "realtime",
                                        "cpu-used": "8", "row-mt": "1"}),
    ".avi": ("mjpeg", "yuvj420p", {"q:v": "3"}),
}  # fmt: skip
# The same, with the matte as transparency (--effect cutout): VP9 with alpha in WebM, ProRes
# 4444 in MOV. Other containers have no codec with alpha that players read.
ALPHA_CODECS: dict[str, tuple[str, str, dict[str, str]]] = {
    ".webm": ("libvpx-vp9", "yuva420p", {"crf": "30", "b": "0", "deadline": "good",
                                         "cpu-used": "5", "row-mt": "1"}),
    ".mov": ("prores_ks", "yuva444p10le", {"profile": "4444"}),
}  # fmt: skip
TIME_BASE = Fraction(1, 90_000)  # MPEG's clock: exact for 24, 25, 30, 50, 60 and 29.97 fps
# A crash-safe recording: fragments (MP4, MOV) or clusters (MKV, WebM) of a second, every packet
# handed to the system at once.
_FRAGMENTED = {"movflags": "empty_moov+default_base_moof", "frag_duration": "1000000",
               "flush_packets": "1"}  # fmt: skip
_CLUSTERED = {"cluster_time_limit": "1000", "flush_packets": "1"}
CRASH_SAFE = {".mp4": _FRAGMENTED, ".m4v": _FRAGMENTED, ".mov": _FRAGMENTED,
              ".mkv": _CLUSTERED, ".webm": _CLUSTERED}  # fmt: skip
SYNC_EVERY_S = 1.0
# A recording keeps a constant rate by repeating the last frame over a pause of the source up to
# this long; a longer one (a camera unplugged) is cut out instead of filled.
MAX_REPEAT_S = 5.0


TRANSPARENT_HELP = (
    "transparency (--effect cutout) needs .png for pictures, .webm (VP9) or .mov (ProRes 4444) "
    "for videos"
)


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)


class VideoOutput(Output):
    """A video file at the source's size and rate; grey frames (mattes) are written as such."""

    def __init__(
        self,
        path: Path | str,
        overwrite: bool = False,
        audio_from: Path | None = None,
        crash_safe: bool = False,
        alpha: bool = False,
        exact_colour: bool = False,
    ) -> None:
        """``audio_from``: a file whose sound goes into this video (copied where the container
        takes its codec, otherwise re-encoded: AAC, or Opus in WebM). ``crash_safe``: a live
        recording, playable at every moment (see above); MP4, MOV, MKV and WebM. ``alpha``:
        frames come with their matte as a fourth channel (BGRA), kept as transparency
        (``ALPHA_CODECS``: WebM and MOV). ``exact_colour``: a solid colour must come out as it
        went in (the key effect's background, within 2 levels): H.264 in full range, VP9 in
        4:4:4, where the usual 4:2:0 video range turns chroma-key green 00B140 into 00AF3D."""
        self.path = Path(path)
        self.audio_from = audio_from
        self.audio = ""  # what happened to the sound: "", "copied", "re-encoded", or why not
        if self.path.suffix.lower() not in VIDEO_CODECS:
            raise FocusCamError(
                f"cannot write video {self.path}: use one of {' '.join(VIDEO_CODECS)}"
            )
        self.overwrite = overwrite
        ext = self._ext = self.path.suffix.lower()
        if alpha and ext not in ALPHA_CODECS:
            raise FocusCamError(f"{self.path}: {ext} has no transparency; {TRANSPARENT_HELP}")
        self.alpha = alpha
        self.exact_colour = exact_colour
        if crash_safe and ext not in CRASH_SAFE:
            raise FocusCamError(f"cannot record to {self.path}: use one of {' '.join(CRASH_SAFE)}")
        self.crash_safe = crash_safe
        # written as fragments (MP4, MOV), which a torn end is cut back to and the end undoes
        self._fragmented = crash_safe and CRASH_SAFE[ext] is _FRAGMENTED
        self._entry: Path | None = None  # this output's journal entry
        self._fd: int | None = None  # for syncing what the encoder wrote
        self._synced = 0.0
        self._tmp: TempFile | None = None
        self._audio: AudioCarry | None = None
        self._container = None
        self._stream = None
        self._last_pts = -1
        self._last_ns: int | None = None
        self._time_base = TIME_BASE
        self._first_ns: int | None = None
        self._step = 0
        self.frames = 0
        # A recording at a constant rate: frames repeated to fill a slot the source skipped,
        # and dropped when two fall into one (counted: --stats-json, outputs).
        self.repeated = self.dropped = 0
        self._previous = None  # the last frame written (to repeat)
        self._cut = 0  # slots of long pauses taken out of a recording's timeline

    def _fail(self, exc: Exception) -> FocusCamError:
        if self.crash_safe and self.frames:
            cause = (
                os_error_cause(exc, self.path.parent)
                if isinstance(exc, OSError) and exc.errno
                else f"could not write video {self.path}: {exc}"
            )
            left = self._tmp.path if self._tmp is not None else None
            kept = self._keep_written()
            seconds = video_seconds(kept) if kept is not None else 0.0
            if seconds > 0:
                return FocusCamError(
                    f"{cause}; the recording stopped: {kept} keeps its first {seconds:.1f} s"
                )
            if kept is not None:
                kept.unlink(missing_ok=True)  # not a whole second made it to the disk
            elif left is not None and left.exists():  # a folder that became read-only
                return FocusCamError(
                    f"{cause}; the recording stopped: the next start of FocusCam recovers "
                    "what was written"
                )
        self.abort()
        if isinstance(exc, OSError) and exc.errno:
            return FocusCamError(describe_os_error(exc, self.path.parent, self.path.name))
        return FocusCamError(f"could not write video {self.path}: {exc}")

    def _keep_written(self) -> Path | None:
        """A recording that cannot go on: what is on disk, under its own name (it plays up to
        its last whole fragment). None when even that fails (the folder gone or read-only):
        the temporary file then waits, with its journal entry, for the next start."""
        self._close_container()
        tmp, self._tmp = self._tmp, None
        if not os.access(tmp.path.parent, os.W_OK):
            return None  # read-only now: the file and its journal entry wait for the next start
        try:
            if self._fragmented:
                trim_torn_fragment(tmp.path)
            kept = tmp.publish()  # a link or a rename: needs no free space
        except (FocusCamError, OSError):
            return None
        journal.forget(self._entry)
        return kept

    def _close_container(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # already failing
                pass
            self._container = self._stream = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def open(self, size: tuple[int, int], fps: float) -> None:
        import av

        ext = self._ext
        codec, pix_fmt, options = (ALPHA_CODECS if self.alpha else VIDEO_CODECS)[ext]
        if self.exact_colour and pix_fmt == "yuv420p":
            pix_fmt = "yuvj420p" if codec == "libx264" else "yuv444p"  # VP9: profile 1
            if codec == "libvpx-vp9":  # and fine enough that the flat colour stays flat
                options = {**options, "crf": "15", "deadline": "good", "cpu-used": "4"}
        self._tmp = TempFile(self.path, self.overwrite)
        self._entry = journal.remember(
            journal.RECORDING if self.crash_safe else journal.FILE, self._tmp.path, self.path
        )
        w, h = size
        rate = _rate(fps)
        try:
            if self.crash_safe:
                self._fd = os.open(self._tmp.path, os.O_RDONLY)
                self._synced = time.monotonic()
            self._container = av.open(
                str(self._tmp.path), "w", container_options=CRASH_SAFE[ext] if self.crash_safe
                else None,
            )  # fmt: skip
            stream = self._container.add_stream(codec, rate=rate, options=dict(options))
            # 4:2:0 needs even sides; odd ones lose their last row or column.
            stream.width, stream.height = w - w % 2, h - h % 2
            stream.pix_fmt = pix_fmt
            # AVI has no per-frame time stamps: its clock is the frame rate itself. A recording
            # is made at a constant rate too (editors misread variable ones): one tick a frame.
            self._time_base = 1 / rate if ext == ".avi" or self.crash_safe else TIME_BASE
            stream.time_base = self._time_base
            stream.codec_context.time_base = self._time_base
            self._stream = stream
            if self.audio_from is not None:
                try:
                    self._audio = AudioCarry(self._container, self.audio_from, ext)
                    self.audio = self._audio.how
                except Exception as exc:  # the picture still comes through; the note says why
                    self._audio, self.audio = None, f"not kept ({exc})"
        except Exception as exc:
            raise self._fail(exc) from None
        logger.info("writing %s: %s %dx%d at %.3g fps%s", self.path, codec, w, h, float(rate),
                    ", crash-safe (fragments of a second)" if self.crash_safe else "")  # fmt: skip
        self._step = max(1, round(1 / (rate * self._time_base)))  # ticks per nominal frame

    def write(self, image: np.ndarray, t_ns: int = 0, matte: np.ndarray | None = None) -> None:
        import av

        assert self._stream is not None and self._container is not None, "open() first"
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        w, h = self._stream.width, self._stream.height
        layout = "bgra" if image.shape[2] == 4 else "bgr24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:h, :w]), format=layout)
        if self._first_ns is None:
            self._first_ns = t_ns
        pts = round((t_ns - self._first_ns) / 1e9 / self._time_base)
        # Strictly increasing, whatever the clock did; frames without stamps (all t_ns equal)
        # get the nominal rate.
        floor = self._last_pts + (self._step if t_ns == self._last_ns else 1)
        pts = max(pts, floor if self._last_pts >= 0 else 0)
        repeats = 0
        if self.crash_safe and self._last_pts >= 0:
            slot = round((t_ns - self._first_ns) / 1e9 / self._time_base) - self._cut
            if slot <= self._last_pts and t_ns != self._last_ns:
                self.dropped += 1  # a second frame in a slot already filled
                return
            # the slots the source skipped get the last frame again, up to MAX_REPEAT_S; the
            # rest of a longer pause is cut out of the timeline
            missing = max(0, slot - self._last_pts - 1)
            repeats = min(missing, round(MAX_REPEAT_S / self._time_base))
            self._cut += missing - repeats
            pts = self._last_pts + 1 + repeats
        self._last_pts, self._last_ns = pts, t_ns
        frame.time_base = self._time_base
        try:
            for k in range(repeats):
                self._previous.pts = pts - repeats + k
                for packet in self._stream.encode(self._previous):
                    self._container.mux(packet)
                self.repeated += 1
            frame.pts = pts
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
            self._previous = frame
            if self._fd is not None and time.monotonic() - self._synced >= SYNC_EVERY_S:
                os.fsync(self._fd)  # what the last fragments hold survives a power cut too
                self._synced = time.monotonic()
        except Exception as exc:
            raise self._fail(exc) from None
        self.frames += 1

    def commit(self) -> list[Path]:
        assert self._container is not None and self._tmp is not None, "open() first"
        try:
            for packet in self._stream.encode(None):  # flush the encoder
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.write(self._container)
            self._container.close()  # writes the index (MP4's moov atom): checked too
        except Exception as exc:
            raise self._fail(exc) from None
        self._container = self._stream = None
        self._close_container()  # (closed already: its sync descriptor)
        tmp, self._tmp = self._tmp, None
        if self.frames == 0:
            tmp.discard()
            journal.forget(self._entry)
            raise FocusCamError(f"{self.path}: no video was written")
        tmp.sync()
        if self._fragmented:
            published = self._unfragment(tmp)
        else:
            published = tmp.publish()
        journal.forget(self._entry)
        return [published]

    def _unfragment(self, fragmented: TempFile) -> Path:
        """The finished recording as an ordinary MP4 (index up front); the fragmented file as
        it is when there is no room for the copy (it plays as well, seeks more slowly)."""
        final = TempFile(self.path, self.overwrite)
        try:
            remux(fragmented.path, final.path, fast_start=True)
            final.sync()
        except Exception:  # no room for a second copy, most likely
            final.discard()
            final = fragmented
        # A file that took the name while recording does not lose the recording: it is saved
        # under the next free name (NAME_2...). Any other failure keeps the fragmented file
        # and its journal entry for the next start (a copy of it is removed).
        keep = final is fragmented  # the recording itself is never discarded; a copy may be
        published = (final.publish(keep_on_failure=keep) if self.overwrite
                     else final.publish_free(keep_on_failure=keep))  # fmt: skip
        fragmented.discard()
        return published

    def abort(self) -> None:
        if self._audio is not None:
            self._audio.close()
        self._close_container()
        if self._tmp is not None:
            self._tmp.discard()
            self._tmp = None
            journal.forget(self._entry)


# Audio codecs each container takes as they are; anything else is re-encoded.
AUDIO_COPY = {
    ".mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus"},
    ".m4v": {"aac", "mp3", "alac", "ac3"},
    ".mov": {"aac", "mp3", "alac", "ac3", "pcm_s16le", "pcm_s24le"},
    ".mkv": None,  # anything
    ".webm": {"opus", "vorbis"},
    ".avi": {"mp3", "ac3", "pcm_s16le"},
}
AUDIO_ENCODER = {".webm": "libopus", ".avi": "pcm_s16le"}  # else AAC


class AudioCarry:
    """The first sound track of ``source`` into ``container``. The stream is added when the
    video is opened (a container takes no new stream once written to); the sound itself is
    written at the end, packets checked like the video's."""

    def __init__(self, container, source: Path, ext: str) -> None:
        import av

        self.how = ""  # "copied", "re-encoded", or "" with no sound
        self._src = None
        try:
            src = av.open(str(source))
        except (av.FFmpegError, OSError):
            return
        if not src.streams.audio:
            src.close()
            return
        self._src, self._in = src, src.streams.audio[0]
        copy = AUDIO_COPY.get(ext, set())
        if copy is None or self._in.codec_context.name in copy:
            self._out = container.add_stream_from_template(self._in)
            self.how = "copied"
            return
        codec = AUDIO_ENCODER.get(ext, "aac")
        rate = 48000 if codec == "libopus" else (self._in.codec_context.sample_rate or 48000)
        self._out = container.add_stream(codec, rate=rate)
        layout = "stereo" if (self._in.codec_context.channels or 2) >= 2 else "mono"
        self._out.layout = layout
        fmt = self._out.codec_context.codec.audio_formats[0].name
        self._resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        self.how = "re-encoded"

    def write(self, container) -> None:
        if self._src is None:
            return
        try:
            if self.how == "copied":
                for packet in self._src.demux(self._in):
                    if packet.dts is None:
                        continue
                    packet.stream = self._out
                    container.mux(packet)
                return
            for frame in self._src.decode(self._in):
                frame.pts = None
                for out_frame in self._resampler.resample(frame):
                    container.mux(self._out.encode(out_frame))
            for out_frame in self._resampler.resample(None):
                container.mux(self._out.encode(out_frame))
            container.mux(self._out.encode(None))
        finally:
            self.close()

    def close(self) -> None:
        if self._src is not None:
            self._src.close()
            self._src = None
