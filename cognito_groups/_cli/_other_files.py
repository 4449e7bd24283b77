"""Files an output must not replace: those cognito-groups keeps for any run, and databases.

``export -o`` replaces the file it names, as a shell's ``>`` does. A file the tool keeps for
another run (its lock, its ``--by-user`` spill and SQLite's files beside it, a temporary file)
would be replaced under that run; a checkpoint of another export would leave that export
unable to continue; a SQLite database (a mirror), or a file SQLite keeps beside one (its
write-ahead log, shared memory or rollback journal: replacing one while a sync runs damages
the mirror for good), is never an export. Each is refused before anything is written, by its
name, by its first and last bytes (an output of any size is never read whole), or by the
database beside it. The run's own files are `_export_checks`' (its words name the option).
"""

from __future__ import annotations

import os
import re
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
#: The first bytes of SQLite's write-ahead log (either byte order) and rollback journal.
_SQLITE_SIDE_HEADERS = (
    b"\x37\x7f\x06\x82",
    b"\x37\x7f\x06\x83",
    b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7",
)
#: How a checkpoint of export begins, and how it ends: its digest, last, and no newline.
_CHECKPOINT_START = b'{"pool": '
_CHECKPOINT_END = re.compile(rb'"digest": "[0-9a-f]{64}"}\Z')
_CHECKPOINT_TAIL = 128
_HEAD = len(_SQLITE_HEADER)


def kept_or_foreign(path: Path) -> str | None:
    """What ``path`` is, in words, if an output must not replace it; ``None`` if it may.

    By its name, or the name of the file it links to; then, if it is a regular file, by its
    first and last bytes; then, named as SQLite names the files beside a database, by that
    database. A file that cannot be read is left to the output's own checks.
    """
    for name in dict.fromkeys((path.name, real(path).name)):
        what = _named_as_kept(name)
        if what is not None:
            return what
    return _what_is_inside(path) or _beside_a_database(real(path))


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
    """What the regular file at ``path`` is, by its first and last bytes (``None``: an output)."""
    head, tail = _ends(path)
    if head == _SQLITE_HEADER:
        return "a SQLite database (a mirror, or a spill of --by-user)"
    if head.startswith(_SQLITE_SIDE_HEADERS):
        return "a file SQLite keeps beside a database (its write-ahead log or its journal)"
    if head.startswith(_CHECKPOINT_START) and _CHECKPOINT_END.search(tail):
        return "a checkpoint of cognito-groups export"
    return None


def _beside_a_database(path: Path) -> str | None:
    """Whether ``path`` is named as SQLite names a file beside a database that is there."""
    for side in SIDE_FILES:
        if path.name.endswith(side) and len(path.name) > len(side):
            database = path.with_name(path.name.removesuffix(side))
            if _ends(database)[0] == _SQLITE_HEADER:
                return f"a file SQLite keeps beside the database {database.name}"
    return None


def _ends(path: Path) -> tuple[bytes, bytes]:
    """The first bytes and the last bytes of the regular file at ``path`` (empty: none)."""
    try:
        # Not blocking: a FIFO put there meanwhile is not waited on, only found not regular.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return b"", b""
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):  # a folder, a device: the output's checks say
            return b"", b""
        tail_at = max(0, status.st_size - _CHECKPOINT_TAIL)
        return os.pread(descriptor, _HEAD, 0), os.pread(descriptor, _CHECKPOINT_TAIL, tail_at)
    except OSError:
        return b"", b""
    finally:
        os.close(descriptor)
