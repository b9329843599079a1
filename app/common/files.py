"""Writing files so that none is ever half-written, overwritten by surprise, or left private.

A file is written under a hidden temporary name in its own folder (same file system, so the
final rename is atomic), every write checked and the data synced to disk, then given the mode
a new file gets under the user's umask (temporary files are created 0600) and published: hard-
linked to its name, which fails if that name is taken (no race), or renamed over it when the
caller asked to overwrite. On any failure the temporary file is removed and the target is
untouched.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from app.errors import FocusCamError, UsageError


def _read_umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, for every thread)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting, once, at import time
    os.umask(mask)
    return mask


UMASK = _read_umask()


def new_file_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file here (0644 under umask 022)."""
    return 0o666 & ~UMASK


def describe_os_error(exc: OSError, where: Path | str, what: str = "the file") -> str:
    """One line, naming the user's path (never our temporary name) and the real cause."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM,
                     errno.EROFS):  # fmt: skip
        return f"{os_error_cause(exc, where)}; {what} was not saved"
    return f"could not save {what} in {where}: {exc.strerror or exc}"


def os_error_cause(exc: OSError, where: Path | str) -> str:
    """Why writing to ``where`` failed, in words: a full disk, no permission, or the error."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the disk holding {where} is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to {where} (no permission)"
    if exc.errno == errno.ENOENT:
        return f"the folder {where} is gone"
    return f"could not write to {where}: {exc.strerror or exc}"


class TempFile:
    """A file being written under a hidden name beside ``target``; ``publish`` or ``discard``."""

    def __init__(self, target: Path | str, overwrite: bool = False) -> None:
        self.target = Path(target)
        self.overwrite = overwrite
        folder = self.target.parent
        try:
            fd, tmp = tempfile.mkstemp(
                dir=folder, prefix=f".{self.target.stem}.", suffix=self.target.suffix
            )
        except OSError as exc:
            raise FocusCamError(describe_os_error(exc, folder, self.target.name)) from None
        os.close(fd)
        self.path = Path(tmp)

    @classmethod
    def adopt(cls, path: Path | str, target: Path | str) -> TempFile:
        """A file already written (one a crash left behind), to be published as ``target``."""
        tmp = cls.__new__(cls)
        tmp.target, tmp.overwrite, tmp.path = Path(target), False, Path(path)
        return tmp

    def write(self, data: bytes) -> None:
        """Write ``data`` as the whole file, checked and synced."""
        try:
            with open(self.path, "wb") as f:
                view = memoryview(data)
                while view:
                    n = f.write(view)
                    if not n:
                        raise OSError(errno.EIO, "short write")
                    view = view[n:]
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise self._failed(exc) from None

    def sync(self) -> None:
        """Sync a file another writer filled (an encoder) to disk."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: OSError) -> FocusCamError:
        """The temporary file removed, and the error in words about the user's file."""
        self.discard()
        return FocusCamError(describe_os_error(exc, self.target.parent, self.target.name))

    def publish(self, keep_on_failure: bool = False) -> Path:
        """Give the file its name; a UsageError if the name is taken and not ``overwrite``.
        The temporary file is gone afterwards, unless publishing failed and
        ``keep_on_failure`` (what cannot be made again, a recording: try another name)."""
        published = False
        try:
            os.chmod(self.path, new_file_mode())
            if self.overwrite:
                os.replace(self.path, self.target)
                published = True
                return self.target
            try:
                os.link(self.path, self.target)
            except FileExistsError:
                raise UsageError(
                    f"{self.target} already exists; pass --overwrite to replace it"
                ) from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                # No hard links here (some network and FAT file systems): check, then rename.
                if self.target.exists():
                    raise UsageError(
                        f"{self.target} already exists; pass --overwrite to replace it"
                    ) from None
                os.replace(self.path, self.target)
            published = True
            return self.target
        except OSError as exc:
            raise FocusCamError(
                describe_os_error(exc, self.target.parent, self.target.name)
            ) from None
        finally:
            if published or not keep_on_failure:
                self.discard()

    def publish_free(self, keep_on_failure: bool = False) -> Path:
        """Publish under the target's name, or the next free one (``stem_2``, ``stem_3``...)
        when it is taken, also when it was taken only a moment ago. ``keep_on_failure``: as
        for ``publish``, for a failure other than a taken name."""
        folder, stem, ext = self.target.parent, self.target.stem, self.target.suffix
        for name in free_names(folder, stem, ext):
            self.target = name
            try:
                return self.publish(keep_on_failure=True)
            except UsageError:
                continue  # taken between the check and the link: try the next name
            except FocusCamError:
                if not keep_on_failure:
                    self.discard()
                raise
        raise AssertionError("unreachable: free_names raises when it runs out")

    def discard(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError:  # a folder gone read-only: nothing more can be done with it now
            pass


def write_file(target: Path | str, data: bytes, overwrite: bool = False) -> Path:
    """``data`` as ``target``, all or nothing."""
    tmp = TempFile(target, overwrite)
    tmp.write(data)
    return tmp.publish()


def free_names(folder: Path, stem: str, ext: str) -> Iterator[Path]:
    """``stem + ext`` in ``folder``, then ``stem_2 + ext``, ``stem_3``...: the names not taken
    yet; raises when none is left."""
    for n in range(1, 10_000):
        target = folder / (f"{stem}{ext}" if n == 1 else f"{stem}_{n}{ext}")
        if not target.exists():
            yield target
    raise FocusCamError(f"no free file name for {stem}{ext} in {folder}")


def write_unique(folder: Path, stem: str, ext: str, data: bytes) -> Path:
    """Save as ``stem + ext`` in ``folder``, or ``stem_2 + ext``, ``stem_3``... if taken."""
    tmp = TempFile(folder / f"{stem}{ext}")
    tmp.write(data)
    return tmp.publish_free()
