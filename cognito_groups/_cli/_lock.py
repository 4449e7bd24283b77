"""One export per file: an exclusive lock beside each file an export writes, held for the run.

Two runs writing one output (a cron job overlapping a manual run) would interleave their rows
and each other's checkpoints. So before anything is opened for writing, `locked()` takes, for
each path the export writes (its ``--output`` and its ``--checkpoint``), an exclusive
``flock`` on a lock file beside it, ``.<name>.cognito-groups.lock`` (mode 0600, holding the
pid of the run that has it). A second run finds the lock taken and is refused at once
(`UsageError`, exit 2), naming the first run's pid; it has written nothing.

The lock files are those of `cognito_groups._durable._lock` (the mirror's pool locks are too): the
kernel releases a ``flock`` when its holder dies, however it dies, so a killed run never
leaves a lock that blocks the next one; the lock file is removed when the run ends; a file in
its place that is not one is left as it is, and the run refused.
"""

from __future__ import annotations

import errno
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from cognito_groups._cli._files import FileError, about, lock_path
from cognito_groups._cli._report import UsageError
from cognito_groups._durable._lock import LockHeldError, NotALockFileError, release, take

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable
    from pathlib import Path

__all__ = ["locked"]


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
            descriptor = take(lock)
    except LockHeldError as err:
        raise UsageError(
            f"{name} is being written by another cognito-groups export "
            f"({err.holder or 'pid unknown'}): wait for it to end, or stop it"
        ) from err
    except NotALockFileError as err:
        raise UsageError(
            f"{lock} is in the place of the export's lock file, but is not one (another file, "
            "or a link to one): move it away, then run the command again"
        ) from err
    except FileError as err:
        if isinstance(err.__cause__, OSError) and err.__cause__.errno == errno.ELOOP:
            raise UsageError(
                f"{lock} is a symlink in the place of the export's lock file: remove it, then "
                "run the command again"
            ) from err
        raise FileError(name, f"its lock file {lock.name} cannot be made: {err.reason}") from err
    try:
        yield
    finally:
        release(lock, descriptor)  # still ours: removed before the lock is let go
