"""The files of ``export``: named in every error, replaced atomically, temporaries removed.

A file is replaced atomically (`replace_atomically()`): a new file made with ``mkstemp`` beside
it, synced, then ``os.replace``-d over the old one, and the folder synced, so that no planted
symlink is ever followed and a crash leaves either the old file or the new one. The checkpoint
(``_checkpoint_file``) is always written so; the output (``_output_file``) is continued in place.

Temporary files are named ``.<name>.cognito-groups-<random>.tmp`` beside the file they
replace, and removed on every exit the process survives; those a killed run left are removed
by the next run (`remove_orphans()`), under the file's lock (`_lock`).

Every file made by ``export`` (the output, the checkpoint and their temporary files) is created
with mode 0600: they hold personal data.

Every ``OSError`` on these files is a `FileError` naming the path (`about()`): a full disk, a
folder without write permission or a file too large for its file system is the user's to
mend, never "a bug". `check_writable()` refuses, before anything is created, a path that is
a folder or whose folder does not exist.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from cognito_groups._durable._lock import lock_beside, stem

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import TextIO


__all__ = [
    "FileError",
    "about",
    "check_writable",
    "is_special",
    "lock_path",
    "named_as_temporary",
    "real",
    "remove_orphans",
    "replace_atomically",
]

_TEMPORARY_SUFFIX = ".tmp"
_TEMPORARY_MARK = ".cognito-groups-"
#: The paths of the process's own streams, whatever file they reach.
_STREAMS = re.compile(r"/dev/(?:stdin|stdout|stderr|fd/\d+)|/proc/(?:self|thread-self|\d+)/fd/\d+")


class FileError(Exception):
    """One of the export's files could not be read or written: its path, and why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@contextmanager
def about(path: Path | str) -> Generator[None, None, None]:
    """Around work on the file at ``path``: an ``OSError`` becomes a `FileError` naming it."""
    try:
        yield
    except OSError as err:
        raise FileError(path, err.strerror or str(err)) from err


def real(path: Path) -> Path:
    """``path`` with its symlinks resolved: the file it names, whatever it is called here."""
    return Path(os.path.realpath(path))


def lock_path(path: Path) -> Path:
    """The lock file of ``path`` (see `_lock`): ``.<name>.cognito-groups.lock`` beside it."""
    return lock_beside(path)


def _temporary_prefix(path: Path) -> str:
    """The start of the name of every temporary file made for ``path``."""
    return f".{stem(path.name)}{_TEMPORARY_MARK}"


def named_as_temporary(name: str, path: Path | None = None) -> bool:
    """Whether a file called ``name`` is named as a temporary file of ``path`` (or of any)."""
    if path is None:
        start, mark = name.startswith("."), _TEMPORARY_MARK in name[1:]
        return start and mark and name.endswith(_TEMPORARY_SUFFIX)
    return name.startswith(_temporary_prefix(path)) and name.endswith(_TEMPORARY_SUFFIX)


def remove_orphans(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` that a killed run left; return them.

    Only this module's own pattern (``.<name>.cognito-groups-*.tmp``, beside ``path``), only
    regular files (a symlink is left alone) and only those the user running the export owns.
    Call it holding ``path``'s lock: then no other export is writing them.
    """
    removed: list[Path] = []
    with about(path.parent):
        for entry in os.scandir(path.parent):
            if not named_as_temporary(entry.name, path):
                continue
            found = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid():
                Path(entry.path).unlink(missing_ok=True)
                removed.append(Path(entry.path))
    return removed


def is_special(path: Path) -> bool:
    """Whether ``path`` is a device, a pipe or a socket (``/dev/null``, ``/dev/stdout``).

    Such a file is written straight through, appended to: it has no folder of its own to hold
    a lock, a temporary file or a replacement, no length to cut back to, and nothing to
    ``fsync``. A stream of the process (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``)
    is one, even when it reaches a regular file (``-o /dev/stdout >> log``: the shell's file,
    appended to as the shell opened it). Any other path that reaches a regular file, or none
    yet, is a file (``/dev/shm/out``, ``/proc/self/cwd/out``).
    """
    if _STREAMS.fullmatch(os.path.abspath(path)):
        return True
    try:
        found = path.stat()
    except OSError:
        return False
    return not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode)


def check_writable(path: Path) -> None:
    """Refuse, before anything is created, a path that cannot become a file we write."""
    if path.is_dir():
        raise FileError(path, "is a folder, not a file")
    if not path.parent.is_dir():
        raise FileError(path, "its folder does not exist")


def replace_atomically(target: Path, write: Callable[[TextIO], object]) -> None:
    """Write a new file (0600, a random name beside ``target``), sync it, rename it over.

    ``mkstemp`` never follows a planted symlink, and the rename replaces a link at ``target``
    instead of writing through it. A failure removes the new file and leaves ``target`` as it
    was.
    """
    folder = target.parent
    descriptor, temporary = tempfile.mkstemp(
        prefix=_temporary_prefix(target), suffix=_TEMPORARY_SUFFIX, dir=folder
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
