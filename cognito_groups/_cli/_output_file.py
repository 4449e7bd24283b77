"""The output file of ``export``: created 0600, or checked against its checkpoint and continued.

The output is created, or cut back to the length its checkpoint recorded (a partial last line,
and rows written after the last commit, go) and continued from there, once it is known to be
the file the checkpoint was made for (its device, inode and the SHA-256 of its committed
bytes).

A checkpoint that covers none of the output's bytes (a run killed before its first commit) has
no bytes to check them by. So an output's first bytes are held back until the checkpoint that
covers them is saved (`OutputFile.commit()`): under a checkpoint of none, our output is empty,
and a file that holds something there is someone else's, refused.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import stat
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cognito_groups._cli._files import about, is_special
from cognito_groups._cli._report import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from _typeshed import ReadableBuffer

    from cognito_groups._cli._checkpoint_file import ExportCheckpoint

__all__ = ["Committed", "OutputFile"]

_MODE = 0o600
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Committed:
    """The output at a commit: its length, the file it is, and the SHA-256 of its bytes.

    For ``--by-user``'s spill: its device and inode, no hash (SQLite's file changes in place).
    """

    offset: int
    device: int | None = None
    inode: int | None = None
    sha256: str | None = None


class OutputFile:
    """The output file: created 0600, or checked against its checkpoint, cut back and continued.

    Every byte written goes through a SHA-256, so that each commit can record the hash of the
    file's content (`Committed`) for nothing more than the hashing. A run that continues the
    file first checks that it is the one the checkpoint was made for: the same file (device
    and inode), at least as long, and with the same first ``offset`` bytes (read and hashed
    once); under a checkpoint of no bytes, empty. Anything else (another export without
    ``--checkpoint`` at that path, a file the user put there, an edit) is refused: the file is
    left as it is.

    ``hold``: a new output with a checkpoint keeps its first bytes in memory until `commit()`
    saves the checkpoint that covers them (see the module's docstring).
    """

    def __init__(self, path: Path, saved: ExportCheckpoint | None, *, hold: bool = False) -> None:
        self.path = path
        with about(path):
            self._open(path, saved, hold=hold)

    def _open(self, path: Path, saved: ExportCheckpoint | None, *, hold: bool) -> None:
        digest = hashlib.sha256()
        if is_special(path):  # appended to, as the shell opened it (see is_special())
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
        elif saved is None:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, _MODE)
            try:
                _hold(descriptor, path)
                os.ftruncate(descriptor, 0)
                with suppress(PermissionError):  # another's file we may write: its mode stays
                    os.fchmod(descriptor, _MODE)
            except BaseException:
                os.close(descriptor)
                raise
        else:
            descriptor = _continued(path, saved, digest)
        self._regular = stat.S_ISREG(os.fstat(descriptor).st_mode) and not is_special(path)
        offset = 0 if saved is None else saved.offset
        self._raw = _HashedWrites(descriptor, digest, offset, hold=hold and offset == 0)
        self.text = io.TextIOWrapper(io.BufferedWriter(self._raw), encoding="utf-8", newline="")

    def sync(self) -> Committed:
        """Flush and ``fsync`` what was written (held bytes too); return what the file then is.

        A device or a pipe (see `is_special()`) is only flushed.
        """
        raw = self._raw
        with about(self.path):
            self.text.flush()
            raw.write_held()
            descriptor = raw.fileno()
            if self._regular:
                os.fsync(descriptor)
            found = os.fstat(descriptor)
        self._check_length(found.st_size, raw.length)
        return Committed(raw.length, found.st_dev, found.st_ino, raw.digest.hexdigest())

    def commit(self, save: Callable[[Committed], object]) -> None:
        """`sync()`, then ``save`` the checkpoint of it; an output's first bytes the other way.

        While the output's bytes are held (``hold``), its checkpoint is saved first, covering
        them, and only then are they written and synced: a run killed in between leaves the
        output empty (the next one starts it afresh), never holding bytes that a checkpoint
        of none would have to take for its own.
        """
        raw = self._raw
        if raw.held is None:
            save(self.sync())
            return
        with about(self.path):
            self.text.flush()
            found = os.fstat(raw.fileno())
        self._check_length(found.st_size, 0)
        save(Committed(raw.length, found.st_dev, found.st_ino, raw.digest.hexdigest()))
        if raw.held:
            self.sync()

    def _check_length(self, found: int, expected: int) -> None:
        """Refuse a file another program wrote to since we opened it."""
        if self._regular and found != expected:
            raise UsageError(
                f"{self.path} was written to by another program during the export (it is "
                f"{found} bytes long, the export wrote {expected})"
            )

    def close(self) -> None:
        """Close the file (what is still buffered is written first)."""
        with about(self.path):
            self.text.close()


def _hold(descriptor: int, path: Path) -> None:
    """Lock the output itself, before it is cut: one export per file, whatever its name.

    The lock file (`_lock`) is per name (a symlink resolved); this ``flock`` on the file
    refuses a run writing it under another name (a hard link), before it truncates anything.
    """
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(
            f"{path} is being written by another cognito-groups export, under another name "
            "for the same file (a link to it): wait for it to end, or stop it"
        ) from None


def _continued(path: Path, saved: ExportCheckpoint, digest: hashlib._Hash) -> int:
    """The output a checkpoint continues, checked, cut back to its offset and ``digest`` fed."""
    start_over = "remove the checkpoint to start over (the export then replaces it)"
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise UsageError(
            f"{path} is missing: the checkpoint continues that file (remove the checkpoint to "
            "start over)"
        ) from None
    try:
        _hold(descriptor, path)
        found = os.fstat(descriptor)
        if (found.st_dev, found.st_ino) != (saved.output_device, saved.output_inode):
            raise UsageError(
                f"{path} is not the file its checkpoint was made for (it was replaced since "
                f"by another file): {start_over}"
            )
        if saved.offset == 0 and found.st_size > 0:
            # Our output stays empty until a checkpoint covers its bytes (OutputFile.commit):
            # these are another file's, put there since (written again in place, or another
            # file given the same inode).
            raise UsageError(
                f"{path} is not the file its checkpoint was made for: it holds "
                f"{found.st_size} bytes, and the checkpoint covers none (nothing was "
                f"committed before the run stopped; another file was put there since): "
                f"{start_over}"
            )
        if found.st_size < saved.offset:
            raise UsageError(
                f"{path} is shorter than its checkpoint says ({found.st_size} bytes, the "
                f"checkpoint covers {saved.offset}): it was changed since; {start_over}"
            )
        _hash_prefix(descriptor, saved.offset, digest)
        if digest.hexdigest() != saved.output_sha256:
            raise UsageError(
                f"{path} was changed since its checkpoint was made (its first {saved.offset} "
                f"bytes are not those the export wrote): {start_over}"
            )
        os.ftruncate(descriptor, saved.offset)
        os.lseek(descriptor, saved.offset, os.SEEK_SET)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _hash_prefix(descriptor: int, length: int, digest: hashlib._Hash) -> None:
    """Feed ``digest`` the first ``length`` bytes of the file at ``descriptor``."""
    position = 0
    while position < length:
        block = os.pread(descriptor, min(_BLOCK, length - position), position)
        if not block:
            break
        digest.update(block)
        position += len(block)


class _HashedWrites(io.RawIOBase):
    """A file descriptor to write to, with the SHA-256 and the length of all written to it.

    With ``hold``, what is written is kept in ``held`` (the file is empty) until
    `write_held()`; from then on it goes straight to the file.
    """

    def __init__(
        self, descriptor: int, digest: hashlib._Hash, length: int, *, hold: bool = False
    ) -> None:
        self._descriptor = descriptor
        self.digest = digest
        self.length = length
        #: The bytes held back (``None``: none are, writes go to the file).
        self.held: bytearray | None = bytearray() if hold else None

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._descriptor

    def isatty(self) -> bool:
        return os.isatty(self._descriptor)

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data).cast("B")
        if self.held is None:
            written = os.write(self._descriptor, view)
        else:
            self.held += view
            written = len(view)
        self.digest.update(view[:written])
        self.length += written
        return written

    def write_held(self) -> None:
        """Write the bytes held back, if any (the file is empty); write straight on after."""
        if not self.held:
            return
        view = memoryview(self.held)
        while view:
            view = view[os.write(self._descriptor, view) :]
        self.held = None

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self._descriptor)
            finally:
                super().close()
