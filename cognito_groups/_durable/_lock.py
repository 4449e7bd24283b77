"""Lock files: one process at a time does what a lock file stands for.

Export takes one beside each file it writes (`_cli._lock`); the mirror one per pool beside a
SQLite database (`_mirror._database`). Each wraps these functions' errors in its own words.

A lock file is ``.<name>.cognito-groups.lock`` beside what it guards (`lock_beside()`; a
name too long to take that prefix and suffix becomes a hash of it, `stem()`), mode 0600,
holding the pid of the process that has it. `take()` opens it without following a symbolic
link and takes an exclusive ``flock``; the kernel lets go of that when its holder dies,
however it dies, so a killed run never leaves a lock that blocks the next one. Before its
content is replaced by this process's pid, the file is checked to be a lock file (a regular
file of one name, of the user running, empty or holding a pid): a file planted there, or a
hard link to another, is left as it is (`NotALockFileError`). `release()` removes the file,
then lets go of it; a process that took the lock on a file just removed (it opened the old
file before the removal, and got the lock after) sees that the path no longer names the
file it holds, and takes it again.

``fcntl`` is imported where a lock is taken: the package imports on Windows, which has no
``flock`` (`take()` then raises ``OSError(ENOTSUP)``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from contextlib import suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "LOCK_SUFFIX",
    "LONGEST_NAME",
    "LockHeldError",
    "NotALockFileError",
    "lock_beside",
    "release",
    "stem",
    "take",
]

_MODE = 0o600
#: The end of every lock file's name.
LOCK_SUFFIX = ".cognito-groups.lock"
#: The longest name kept in the names made from it (file systems allow 255 bytes).
LONGEST_NAME = 200
#: How long to wait for another process to write its pid into a lock file it has just made.
_PID_WAIT_SECONDS = 0.5


class LockHeldError(Exception):
    """Another process holds the lock.

    Attributes:
        holder: ``pid N``, as its lock file says, or ``None`` (it has not said yet).
    """

    def __init__(self, holder: str | None) -> None:
        super().__init__(f"the lock is held ({holder or 'pid unknown'})")
        self.holder = holder


class NotALockFileError(Exception):
    """A file is in the place of the lock file, but is not one: it is left as it is."""


def stem(name: str) -> str:
    """``name``, or for a name too long to take our prefix and suffix, a hash of it."""
    encoded = os.fsencode(name)
    if len(encoded) <= LONGEST_NAME:
        return name
    return hashlib.sha256(encoded).hexdigest()[:32]


def lock_beside(path: Path, name: str | None = None) -> Path:
    """The lock file ``.<name>.cognito-groups.lock`` beside ``path`` (``name``: its own)."""
    return path.with_name(f".{stem(path.name if name is None else name)}{LOCK_SUFFIX}")


def take(lock: Path, *, wait: bool = False, waiting: Callable[[str], object] | None = None) -> int:
    """The descriptor of ``lock``, ``flock``-ed, holding this process's pid.

    With ``wait``, a lock another process holds is waited for (``waiting`` is told who
    holds it first).

    Raises:
        LockHeldError: another process holds it (and not ``wait``).
        NotALockFileError: a file that is not a lock file is at ``lock``.
        OSError: it cannot be made or opened (``ELOOP``: a symbolic link is in its place;
            ``ENOTSUP``: this system has no ``flock``).
    """
    try:
        import fcntl  # POSIX only: imported here, so that the package imports on Windows
    except ImportError as err:
        raise OSError(
            errno.ENOTSUP, "a lock file needs flock, which this system (Windows) does not have"
        ) from err
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, _MODE)
        ours = False  # locked, named by ``lock`` and a lock file: removed if it fails now
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                if err.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                holder = _holder(descriptor)
                if not wait:
                    raise LockHeldError(holder) from err
                if waiting is not None:
                    waiting(holder or "pid unknown")
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            named = _names(lock, descriptor)
            if named:
                _check_ours(descriptor)
                ours = True
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            # A pid that cannot be written (a file size limit, a full disk): the lock file is
            # ours, so it goes, as `release()` would remove it; a file not ours is left.
            if ours:
                with suppress(OSError):  # the error to report is the one raised
                    lock.unlink(missing_ok=True)
            os.close(descriptor)
            raise
        if named:
            return descriptor
        os.close(descriptor)  # removed by the process that held it: take the new one


def release(lock: Path, descriptor: int) -> None:
    """Remove ``lock`` (still ours), then let go of it."""
    try:
        lock.unlink(missing_ok=True)
    finally:
        os.close(descriptor)


def _check_ours(descriptor: int) -> None:
    """Refuse a file that is not a lock file (its content would be overwritten).

    Ours is a regular file of one name, of the user running, empty or holding a pid.
    Anything else (a hard link planted to another file, a file of the user's) is left.
    """
    found = os.fstat(descriptor)
    text = os.pread(descriptor, 64, 0)
    if (
        not stat.S_ISREG(found.st_mode)
        or found.st_nlink != 1
        or found.st_uid != os.geteuid()
        or not (text == b"" or (text.endswith(b"\n") and text[:-1].isdigit()))
    ):
        raise NotALockFileError("a file that is not a lock file is in its place")


def _names(lock: Path, descriptor: int) -> bool:
    """Whether ``lock`` still names the file open at ``descriptor``."""
    try:
        now = os.stat(lock, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _holder(descriptor: int) -> str | None:
    """``pid N`` of the holder of a lock file, as it says (it may not have said yet)."""
    deadline = time.monotonic() + _PID_WAIT_SECONDS
    while True:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return f"pid {text}"
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)
