"""Unfinished outputs, written down while they are being written, so that the next start can
finish or clear what a crash, a kill or a dead battery left behind (``recovery.py``).

Each long-running output (a recording, the video of a ``process`` run) leaves a small entry in
the state folder while its hidden temporary file exists: what kind it is, where the temporary
file and the file it becomes are, and which process writes it (its id and start time, so a
new process that got the same id is not taken for it). A normal end removes the entry.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_ENV = "FOCUSCAM_STATE"  # where entries are kept (tests and scripted runs set it)

# A recording is recovered; a plain output's temporary file is removed; in a folder of PNGs
# the hidden temporary ones (named from ``temp``, a prefix) are.
RECORDING, FILE, FOLDER = "recording", "file", "folder"


def state_dir() -> Path:
    """``$FOCUSCAM_STATE``, else ``$XDG_STATE_HOME/focuscam``, else ``~/.local/state/focuscam``."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "focuscam"


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, Linux), or "" where not known."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # the name (field 2) may hold spaces and parentheses: count from the last ")"
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def alive(pid: int, started: str) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``started``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # somebody else's process: alive
    return not started or _started(pid) in ("", started)


@dataclass(frozen=True)
class Unfinished:
    kind: str  # RECORDING or FILE
    temp: str  # the hidden temporary file being written
    target: str  # the file it becomes
    pid: int
    started: str


def remember(kind: str, temp: Path, target: Path) -> Path | None:
    """Write an entry for ``temp``; returns it (for ``forget``), or None where the state
    folder cannot be written (the output goes on; only recovery after a crash is lost)."""
    entry = Unfinished(kind, str(temp), str(target), os.getpid(), _started(os.getpid()))
    folder = state_dir() / "unfinished"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=folder, prefix=f"{entry.pid}-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(entry), f)
        return Path(path)
    except OSError:
        return None


def forget(entry: Path | None) -> None:
    if entry is not None:
        entry.unlink(missing_ok=True)


def leftovers() -> list[tuple[Path, Unfinished]]:
    """Entries whose process is gone: what a crash left behind."""
    folder = state_dir() / "unfinished"
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            entry = Unfinished(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)  # unreadable: nothing can be done with it
            continue
        if not alive(entry.pid, entry.started):
            found.append((path, entry))
    return found
