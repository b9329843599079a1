"""A recording's file read back: how many seconds of video it plays, the torn end of one cut
short trimmed away, and its packets copied into an ordinary MP4 (fast start). Used when a
recording ends, stops on a full disk, and when the next start recovers one (recovery.py)."""

from __future__ import annotations

import os
from pathlib import Path

from app.errors import FocusCamError


def remux(src: Path, dst: Path, fast_start: bool = False) -> float:
    """The video (and sound) of ``src`` copied into ``dst`` packet by packet, up to where
    ``src`` can be read (a recording cut short ends in a partial fragment). Returns the
    seconds of video copied; raises when nothing could be."""
    import av

    seconds = 0.0
    options = {"movflags": "faststart"} if fast_start else None
    with av.open(str(src)) as inp:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        if not inp.streams.video:
            raise FocusCamError(f"{src}: no video in it")
        with av.open(str(dst), "w", format=_format_of(dst), container_options=options) as out:
            outs = {s.index: out.add_stream_from_template(s) for s in streams}
            try:
                for packet in inp.demux(*streams):
                    if packet.dts is None:
                        continue
                    if packet.stream.type == "video":
                        seconds = max(seconds, _end_s(packet))
                    packet.stream = outs[packet.stream.index]
                    out.mux(packet)
            except (av.FFmpegError, EOFError):
                pass  # the torn end of a recording cut short: everything before it is kept
    if seconds <= 0:
        raise FocusCamError(f"{src}: no video frame could be read")
    return seconds


def trim_torn_fragment(path: Path) -> None:
    """Cut a fragmented MP4 back to its last whole fragment (the write that failed left part
    of one): every player then plays it to the end without an error. Shrinking a file needs
    no free space."""
    size = path.stat().st_size
    boxes: list[tuple[bytes, int]] = []  # (type, start) of the whole top-level boxes
    with open(path, "rb") as f:
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            head = f.read(16)
            length, kind = int.from_bytes(head[:4], "big"), head[4:8]
            if length == 1 and len(head) == 16:
                length = int.from_bytes(head[8:16], "big")
            if length < 8 or pos + length > size:
                break  # torn: it ends past the end of the file
            boxes.append((kind, pos))
            pos += length
    if boxes and boxes[-1][0] == b"moof":  # a fragment's header without its media
        pos = boxes[-1][1]
    if pos < size:
        os.truncate(path, pos)


def _format_of(path: Path) -> str | None:
    return {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska",
            ".webm": "webm"}.get(path.suffix.lower())  # fmt: skip


def video_seconds(path: Path) -> float:
    """How many seconds of video ``path`` plays (read from its packets: a fragmented file
    has no duration in its index), 0 when none."""
    import av

    seconds = 0.0
    try:
        with av.open(str(path)) as inp:
            if not inp.streams.video:
                return 0.0
            try:
                for packet in inp.demux(inp.streams.video[0]):
                    seconds = max(seconds, _end_s(packet))
            except (av.FFmpegError, EOFError):
                pass
    except (av.FFmpegError, OSError):
        return 0.0
    return seconds


def _end_s(packet) -> float:
    """Where ``packet`` ends on its stream's clock, in seconds from the stream's start (0 for
    a packet without a time)."""
    if packet.pts is None:
        return 0.0
    start = packet.stream.start_time or 0
    return float((packet.pts - start + (packet.duration or 0)) * packet.time_base)

