"""One export per file: an exclusive lock beside each file an export writes, held for the run.

Two runs writing one output (a cron job overlapping a manual run) would interleave their rows
and each other's checkpoints. So before anything is opened for writing, `locked()` takes, for
each path the export writes (its ``--output`` and its ``--checkpoint``), an exclusive
``flock`` on a lock file beside it, ``.<name>.cognito-groups.lock`` (mode 0600, holding the
pid of the run that has it). A second run finds the lock taken and is refused at once
(`ExportError`, exit 2), naming the first run's pid; it has written nothing.

The kernel releases a ``flock`` when its holder dies, however it dies, so a killed run never
leaves a lock that blocks the next one. The lock file is removed when the run ends; a run
that took the lock on a file just removed (it opened the old file before the removal, and
got the lock after) sees that the path no longer names the file it holds, and takes it again.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from cognito_groups._cli._files import FileError, about, lock_path
from cognito_groups._cli._report import ExportError

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable
    from pathlib import Path

__all__ = ["locked"]

_MODE = 0o600
#: How long to wait for the other run to write its pid into a lock file it has just made.
_PID_WAIT_SECONDS = 0.5


@contextmanager
def locked(paths: Iterable[tuple[Path, str]]) -> Generator[None, None, None]:
    """Hold the lock of every file in ``paths`` for the block (see the module's docstring).

    ``paths``: each file, with its name as the user gave it (for the messages).
    """
    with ExitStack() as stack:
        for path, name in paths:
            stack.enter_context(_locked(path, name))
        yield


@contextmanager
def _locked(path: Path, name: str) -> Generator[None, None, None]:
    lock = lock_path(path)
    try:
        with about(lock):
            descriptor = _acquire(lock, name)
    except FileError as err:
        if isinstance(err.__cause__, OSError) and err.__cause__.errno == errno.ELOOP:
            raise ExportError(
                f"{lock} is a symlink in the place of the export's lock file: remove it, then "
                "run the command again"
            ) from err
        raise FileError(name, f"its lock file {lock.name} cannot be made: {err.reason}") from err
    try:
        yield
    finally:
        try:
            lock.unlink(missing_ok=True)  # still ours: removed before the lock is let go
        finally:
            os.close(descriptor)


def _acquire(lock: Path, path: str) -> int:
    """The descriptor of ``lock``, locked; `ExportError` when another run holds it."""
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, _MODE)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(descriptor)
            if err.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            raise ExportError(
                f"{path} is being written by another cognito-groups export "
                f"({_holder(lock)}): wait for it to end, or stop it"
            ) from None
        if _names(lock, descriptor):
            try:
                _check_ours(lock, descriptor)
            except BaseException:
                os.close(descriptor)
                raise
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            return descriptor
        os.close(descriptor)  # the file was removed by the run that held it: take the new one


def _check_ours(lock: Path, descriptor: int) -> None:
    """Refuse a file at ``lock`` that is not a lock file (its content would be overwritten).

    Ours is a regular file of one name, of the user running the export, empty or holding a
    pid. Anything else (a hard link planted to another file, a file of the user's) is left.
    """
    found = os.fstat(descriptor)
    text = os.pread(descriptor, 64, 0)
    if (
        not stat.S_ISREG(found.st_mode)
        or found.st_nlink != 1
        or found.st_uid != os.geteuid()
        or not (text == b"" or (text.endswith(b"\n") and text[:-1].isdigit()))
    ):
        raise ExportError(
            f"{lock} is in the place of the export's lock file, but is not one (another file, "
            "or a link to one): move it away, then run the command again"
        )


def _names(lock: Path, descriptor: int) -> bool:
    """Whether ``lock`` still names the file open at ``descriptor``."""
    try:
        now = os.stat(lock, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _holder(lock: Path) -> str:
    """``pid N`` of the run holding ``lock``, as its file says (it may not have said yet)."""
    deadline = time.monotonic() + _PID_WAIT_SECONDS
    while True:
        try:
            text = lock.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            text = ""
        if text.isdigit():
            return f"pid {text}"
        if time.monotonic() >= deadline:
            return "pid unknown"
        time.sleep(0.02)
