"""Files an output must not replace: those cognito-groups keeps for any run, and databases.

``export -o`` replaces the file it names, as a shell's ``>`` does. A file the tool keeps for
another run (its lock, its ``--by-user`` spill and SQLite's files beside it, a temporary file)
would be replaced under that run; a checkpoint of another export would leave that export
unable to continue; a SQLite database (a mirror) is never an export. Each is refused before
anything is written, by its name or by its first and last bytes (an output of any size is
never read whole). The run's own files are `_export_checks`' (its words name the option).
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from cognito_groups._cli._files import named_as_temporary, real
from cognito_groups._cli._spill import SIDE_FILES, SPILL_SUFFIX
from cognito_groups._durable._lock import LOCK_SUFFIX

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["kept_or_foreign"]

#: The first bytes of every SQLite database (a mirror, a spill).
_SQLITE_HEADER = b"SQLite format 3\x00"
#: How a checkpoint of export begins and what its last bytes hold (`_checkpoint_file`).
_CHECKPOINT_START = b'{"pool": '
_CHECKPOINT_END = b'"digest": "'
_CHECKPOINT_TAIL = 128


def kept_or_foreign(path: Path) -> str | None:
    """What ``path`` is, in words, if an output must not replace it; ``None`` if it may.

    By its name, or the name of the file it links to; then, if it is a regular file, by its
    first and last bytes. A file that cannot be read is left to the output's own checks.
    """
    for name in dict.fromkeys((path.name, real(path).name)):
        what = _named_as_kept(name)
        if what is not None:
            return what
    return _what_is_inside(path)


def _named_as_kept(name: str) -> str | None:
    if name.endswith(LOCK_SUFFIX):
        return "named as the lock file of a run of cognito-groups"
    if any(name.endswith(SPILL_SUFFIX + side) for side in ("", *SIDE_FILES)):
        return (
            "named as the spill of a --by-user run of cognito-groups, or a file SQLite keeps "
            "beside one"
        )
    if named_as_temporary(name):
        return "named as a temporary file of a run of cognito-groups"
    return None


def _what_is_inside(path: Path) -> str | None:
    try:
        # Not blocking: a FIFO put there meanwhile is not waited on, only found not regular.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):  # a folder, a device: the output's checks say
            return None
        head = os.pread(descriptor, len(_SQLITE_HEADER), 0)
        if head == _SQLITE_HEADER:
            return "a SQLite database (a mirror, or a spill of --by-user)"
        if not head.startswith(_CHECKPOINT_START):
            return None
        tail = max(0, status.st_size - _CHECKPOINT_TAIL)
        if _CHECKPOINT_END in os.pread(descriptor, _CHECKPOINT_TAIL, tail):
            return "a checkpoint of cognito-groups export"
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return None
