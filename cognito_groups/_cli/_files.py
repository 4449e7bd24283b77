"""The files ``export`` writes: replaced atomically, or continued where a checkpoint says.

A file is replaced atomically (`replace_atomically()`): a new file made with ``mkstemp`` beside
it, synced, then ``os.replace``-d over the old one, and the folder synced, so that no planted
symlink is ever followed and a crash leaves either the old file or the new one. The checkpoint
file (`CheckpointFile`) is always written so. The output (`OutputFile`) is created, or cut
back to the length its checkpoint recorded (a partial last line, and rows written after the
last commit, go) and continued from there.

Every file made here (the output, the checkpoint and their temporary files) is created with
mode 0600: they hold personal data.

Every ``OSError`` on these files is a `FileError` naming the path (`about()`): a full disk, a
folder without write permission or a file too large for its file system is the user's to
mend, never "a bug". `check_writable()` refuses, before anything is created, a path that is
a folder or whose folder does not exist.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cognito_groups._cli._report import ExportError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import TextIO

__all__ = [
    "CheckpointFile",
    "ExportCheckpoint",
    "FileError",
    "OutputFile",
    "about",
    "check_writable",
    "replace_atomically",
]

_VERSION = 1
_MODE = 0o600


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


def check_writable(path: Path) -> None:
    """Refuse, before anything is created, a path that cannot become a file we write."""
    if path.is_dir():
        raise FileError(path, "is a folder, not a file")
    if not path.parent.is_dir():
        raise FileError(path, "its folder does not exist")


@dataclass(frozen=True)
class ExportCheckpoint:
    """The checkpoint file's content: what the export was, and how far its output got."""

    pool: str
    groups: list[str] | None
    format: str
    attributes: list[str] | None
    #: The output's length at the commit, and the rows it then held.
    offset: int
    written: int
    #: The library's membership checkpoint of those rows.
    memberships: str | None
    version: int = _VERSION
    #: Made by ``--by-user`` (its rows are in the spill beside it; ``offset`` is 0).
    by_user: bool = False


class CheckpointFile:
    """The checkpoint at ``path``: read, replaced atomically, removed after success."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> ExportCheckpoint | None:
        """The checkpoint, or ``None`` when there is no file (a first run)."""
        try:
            with about(self.path):
                text = self.path.read_text()
        except FileError as err:
            if isinstance(err.__cause__, FileNotFoundError):
                return None
            raise
        try:
            document: Any = json.loads(text)
            saved = ExportCheckpoint(**document)
        except (ValueError, TypeError):
            raise ExportError(f"{self.path} is not a checkpoint of cognito-groups export") from None
        if saved.version != _VERSION:
            raise ExportError(f"{self.path} was written by another version of cognito-groups")
        return saved

    def save(self, saved: ExportCheckpoint) -> None:
        """Replace the checkpoint atomically (see `replace_atomically()`)."""
        with about(self.path):
            replace_atomically(self.path, lambda out: json.dump(asdict(saved), out))

    def remove(self) -> None:
        """Remove the file (the export is complete)."""
        with about(self.path):
            self.path.unlink(missing_ok=True)


def replace_atomically(target: Path, write: Callable[[TextIO], object]) -> None:
    """Write a new file (0600, a random name beside ``target``), sync it, rename it over.

    ``mkstemp`` never follows a planted symlink, and the rename replaces a link at ``target``
    instead of writing through it. A failure removes the new file and leaves ``target`` as it
    was.
    """
    folder = target.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
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


class OutputFile:
    """The output file: created 0600, or cut back to a checkpoint's ``offset`` and continued."""

    def __init__(self, path: Path, offset: int | None) -> None:
        self.path = path
        with about(path):
            self._open(path, offset)

    def _open(self, path: Path, offset: int | None) -> None:
        if offset is None:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _MODE)
        else:
            try:
                descriptor = os.open(path, os.O_WRONLY)
            except FileNotFoundError:
                raise ExportError(
                    f"{path} is missing: the checkpoint continues that file (remove the "
                    "checkpoint to start over)"
                ) from None
            if os.fstat(descriptor).st_size < offset:
                os.close(descriptor)
                raise ExportError(
                    f"{path} is shorter than its checkpoint says: it was changed since "
                    "(remove the checkpoint to start over)"
                )
            os.ftruncate(descriptor, offset)
            os.lseek(descriptor, offset, os.SEEK_SET)
        self._descriptor = descriptor
        self.text = io.TextIOWrapper(os.fdopen(descriptor, "wb"), encoding="utf-8", newline="")

    def sync(self) -> int:
        """Flush and ``fsync`` what was written; return the file's length."""
        with about(self.path):
            self.text.flush()
            os.fsync(self._descriptor)
            return os.fstat(self._descriptor).st_size

    def close(self) -> None:
        """Close the file (what is still buffered is written first)."""
        with about(self.path):
            self.text.close()
