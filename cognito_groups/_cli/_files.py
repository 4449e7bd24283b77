"""The files ``export`` writes: replaced atomically, or continued where a checkpoint says.

A file is replaced atomically (`replace_atomically()`): a new file made with ``mkstemp`` beside
it, synced, then ``os.replace``-d over the old one, and the folder synced, so that no planted
symlink is ever followed and a crash leaves either the old file or the new one. The checkpoint
file (`CheckpointFile`) is always written so. The output (`OutputFile`) is created, or cut
back to the length its checkpoint recorded (a partial last line, and rows written after the
last commit, go) and continued from there, once it is known to be the file the checkpoint was
made for (its device, inode and the SHA-256 of its committed bytes). A checkpoint carries a
digest of its own content: an edited one is refused.

A checkpoint that covers none of the output's bytes (a run killed before its first commit) has
no bytes to check them by. So an output's first bytes are held back until the checkpoint that
covers them is saved (`OutputFile.commit()`): under a checkpoint of none, our output is empty,
and a file that holds something there is someone else's, refused.

Temporary files are named ``.<name>.cognito-groups-<random>.tmp`` beside the file they
replace, and removed on every exit the process survives; those a killed run left are removed
by the next run (`remove_orphans()`), under the file's lock (`_lock`).

Every file made here (the output, the checkpoint and their temporary files) is created with
mode 0600: they hold personal data.

Every ``OSError`` on these files is a `FileError` naming the path (`about()`): a full disk, a
folder without write permission or a file too large for its file system is the user's to
mend, never "a bug". `check_writable()` refuses, before anything is created, a path that is
a folder or whose folder does not exist.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import io
import json
import os
import stat
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cognito_groups._cli._report import UsageError
from cognito_groups._durable._digest import canonical_digest
from cognito_groups._durable._lock import lock_beside, stem

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping
    from typing import TextIO

    from _typeshed import ReadableBuffer

__all__ = [
    "CHECKPOINT_MAX_BYTES",
    "CheckpointFile",
    "Committed",
    "ExportCheckpoint",
    "FileError",
    "OutputFile",
    "about",
    "check_writable",
    "is_special",
    "lock_path",
    "named_as_temporary",
    "real",
    "remove_orphans",
    "replace_atomically",
]

_VERSION = 2
#: The most a checkpoint is read of: far more than one holds (about 1.4 kB a group of the
#: pool, and at most 32 tokens of 131,072 characters), far less than a file taken for one
#: by mistake (an old export, a dump) that would otherwise be read whole into memory.
CHECKPOINT_MAX_BYTES = 256 << 20
_MODE = 0o600
_TEMPORARY_SUFFIX = ".tmp"
#: Where a path names the process's own streams or a device, whatever file it reaches.
_SPECIAL_FOLDERS = ("/dev/", "/proc/")
_BLOCK = 1 << 20


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
    return f".{stem(path.name)}.cognito-groups-"


def named_as_temporary(name: str, path: Path) -> bool:
    """Whether a file called ``name`` beside ``path`` is named as one of its temporary files."""
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
    ``fsync``. A path in ``/dev`` or ``/proc`` is one, even when it reaches a regular file
    (``-o /dev/stdout >> log``: the shell's file, appended to as the shell opened it).
    """
    if str(path.absolute()).startswith(_SPECIAL_FOLDERS):
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
    #: The file it continues (`Committed`): the output, or ``--by-user``'s spill (its output
    #: is written whole at the end).
    output_device: int | None
    output_inode: int | None
    #: The SHA-256 of the output's first ``offset`` bytes.
    output_sha256: str | None
    version: int = _VERSION
    #: Made by ``--by-user`` (its rows are in the spill beside it; ``offset`` is 0).
    by_user: bool = False
    #: CSV cells written exactly (``--csv-raw``), not guarded against formulas.
    csv_raw: bool = False


#: What each field of a checkpoint may hold, by its annotation.
_KINDS: dict[str, Callable[[object], bool]] = {
    "str": lambda value: isinstance(value, str),
    "str | None": lambda value: value is None or isinstance(value, str),
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
    "int | None": lambda value: value is None or _KINDS["int"](value),
    "bool": lambda value: isinstance(value, bool),
    "list[str] | None": lambda value: value is None or _is_texts(value),
}


def _is_texts(value: object) -> bool:
    """Whether ``value`` is a list of texts."""
    if not isinstance(value, list):
        return False
    items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
    return all(isinstance(item, str) for item in items)


class CheckpointFile:
    """The checkpoint at ``path``: read, replaced atomically, removed after success.

    The file is JSON: the fields of `ExportCheckpoint`, and ``digest``, the SHA-256 of the
    others (`canonical_digest()`). A file whose digest does not match was changed by hand (or by
    a disk's fault) and is refused, never applied: a number edited in it would make the output
    hold a row twice, or miss one. The digest finds edits, it is no signature: whoever can
    write the checkpoint's folder can write a valid one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> ExportCheckpoint | None:
        """The checkpoint, or ``None`` when there is no file (a first run)."""
        try:
            with about(self.path), self.path.open("rb") as file:
                data = file.read(CHECKPOINT_MAX_BYTES + 1)
        except FileError as err:
            if isinstance(err.__cause__, FileNotFoundError):
                return None
            raise
        if len(data) > CHECKPOINT_MAX_BYTES:
            raise UsageError(
                f"{self.path} is not a checkpoint of cognito-groups export (it is larger than "
                f"{CHECKPOINT_MAX_BYTES >> 20} MiB; a checkpoint is far smaller)"
            )
        try:
            document: object = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested without end
            document = None
        if not isinstance(document, dict) or "version" not in document:
            raise UsageError(f"{self.path} is not a checkpoint of cognito-groups export")
        fields: dict[str, object] = document  # pyright: ignore[reportUnknownVariableType]
        if fields["version"] != _VERSION:
            raise UsageError(
                f"{self.path} was written by another version of cognito-groups (checkpoint "
                f"format {fields['version']!r}; this one reads {_VERSION}): finish it with "
                "that version, or remove it to start over"
            )
        digest = fields.pop("digest", None)
        if digest != canonical_digest(fields) or not _well_formed(fields):
            raise UsageError(
                f"{self.path} was changed since cognito-groups wrote it (its digest does not "
                "match its content), so it cannot say where the output stopped: remove it to "
                "start over"
            )
        return ExportCheckpoint(**fields)  # type: ignore[arg-type]

    def save(self, saved: ExportCheckpoint) -> None:
        """Replace the checkpoint atomically (see `replace_atomically()`)."""
        fields = asdict(saved)
        document = {**fields, "digest": canonical_digest(fields)}
        with about(self.path):
            replace_atomically(self.path, lambda out: json.dump(document, out))

    def remove(self) -> None:
        """Remove the file (the export is complete)."""
        with about(self.path):
            self.path.unlink(missing_ok=True)


def _well_formed(fields: Mapping[str, object]) -> bool:
    """Whether ``fields`` are exactly `ExportCheckpoint`'s, each of its kind."""
    kinds = {field.name: _KINDS[str(field.type)] for field in dataclasses.fields(ExportCheckpoint)}
    return fields.keys() == kinds.keys() and all(
        kinds[name](value) for name, value in fields.items()
    )


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
