"""At every start: what an earlier run left unfinished (journal.py) is finished or cleared.

- A recording cut short (the app killed, the machine off) becomes a visible, playable file
  beside where it was going: its name plus ``-recovered`` (``FocusCam_..._2-recovered.mp4`` if
  taken), an ordinary MP4 of everything up to the last whole fragment, with the mode a new
  file gets under the user's umask. A temporary file with no frame in it is removed.
- The unfinished output of any other run (a ``process`` stopped half-way) is removed: that
  run can be made again from its input.

Entries of processes that still run (another FocusCam recording at the same time) are left
alone. Each thing done is said in one line.
"""

from __future__ import annotations

import logging
from pathlib import Path

from app.common.files import TempFile
from app.errors import FocusCamError
from app.outputs import journal
from app.outputs.remux import remux, video_seconds

logger = logging.getLogger(__name__)

said: list[str] = []  # what this process's recovery said (the window shows it too)


def recover_unfinished() -> list[str]:
    """Finish or clear every leftover; returns one line for each thing done."""
    lines = []
    for entry, unfinished in journal.leftovers():
        temp, target = Path(unfinished.temp), Path(unfinished.target)
        try:
            if unfinished.kind == journal.FOLDER:
                hidden = list(temp.parent.glob(f"{temp.name}*.png"))
                for path in hidden:
                    path.unlink(missing_ok=True)
                if hidden:
                    lines.append(f"removed {len(hidden)} unfinished matte(s) in {temp.parent} "
                                 "of a run that was stopped")  # fmt: skip
            elif not temp.exists():
                pass
            elif unfinished.kind == journal.RECORDING:
                line = _recover(temp, target)
                if line:
                    lines.append(line)
            else:
                temp.unlink(missing_ok=True)
                lines.append(f"removed the unfinished {target.name} of a run that was stopped "
                             f"(in {target.parent})")  # fmt: skip
        except OSError as exc:  # not ours to fix now (a disk gone): try again next start
            logger.warning("could not recover %s: %s", temp, exc)
            continue
        journal.forget(entry)
    said.extend(lines)
    return lines


def _recover(temp: Path, target: Path) -> str:
    """``temp`` as ``NAME-recovered`` beside ``target`` (an ordinary MP4 of what it holds, or
    the file as it is when it cannot be read whole); "" when it holds no frame (removed)."""
    out = TempFile(target.with_name(f"{target.stem}-recovered{target.suffix}"))
    try:
        seconds = remux(temp, out.path, fast_start=True)
        out.sync()
    except FocusCamError:  # not a frame in it: nothing to keep
        out.discard()
        temp.unlink(missing_ok=True)
        return ""
    except Exception as exc:  # not readable as a whole: kept as it is, under the name
        out.discard()
        seconds = video_seconds(temp)
        if seconds <= 0:
            temp.unlink(missing_ok=True)
            return ""
        logger.warning("could not remux %s (%s); kept as it is", temp, exc)
        out = TempFile.adopt(temp, out.target)
    try:
        # the leftover itself is kept whatever happens; a copy of it is not
        recovered = out.publish_free(keep_on_failure=out.path == temp)
    except FocusCamError as exc:
        raise OSError(str(exc)) from None
    temp.unlink(missing_ok=True)
    return f"a recording that was cut short is saved as {recovered} ({seconds:.1f} s)"
