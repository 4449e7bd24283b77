"""The memberships of ``export --by-user``, spilled to SQLite and read back grouped by user.

A user's row needs every group listed first. Instead of holding every user in memory, each
membership goes into a SQLite file as it comes (`MembershipSpill.write()`), and the rows are
read back grouped (`MembershipSpill.users()`): users in the order they were first seen, each
with its group names sorted, one user at a time from a cursor. Memory stays within SQLite's
page cache and one batch of rows, whatever the size of the pool.

Two tables. ``users(username, first_seq, user)``: the user as JSON, from the first
membership it came in (``INSERT OR IGNORE``: the first seen wins). ``memberships(seq,
username, group_name)``: ``seq`` numbers the memberships in the order they were listed (1,
2, ...), which is what a checkpoint's ``written`` counts; a membership listed twice is kept
once. Names are stored as UTF-8 bytes (lone surrogates kept, ``surrogatepass``), so that any
name the service sends fits, and SQLite's byte order is the code point order ``sorted()``
gives.

A user is stored as JSON of its wire shape (`User._to_wire()`), dates in ISO 8601 with their
microseconds, ``ensure_ascii`` so that a lone surrogate survives (as a JSON escape). It is never
pickled: the file sits in the user's folder, and unpickling an edited one would run its code.

Two kinds of spill:

- `MembershipSpill.temporary()` (no ``--checkpoint``), without a journal (nothing in it has to
  survive a crash). Beside the output (on its file system), a file made by ``mkstemp`` (mode
  0600), ``.<output>.cognito-groups-XXXXXXXX.tmp``, removed whenever the process exits on its
  own, and by the next run to that output after a ``kill -9`` (`_files.remove_orphans()`). For
  stdout or a device, SQLite's own temporary database (the file name ``""``): its file, in
  SQLite's temporary folder (``$SQLITE_TMPDIR``, ``$TMPDIR``, else ``/var/tmp``, ``/usr/tmp``
  or ``/tmp``), is made 0600 and unlinked as soon as it is opened, so that no name of it is
  left for a ``kill -9`` to leave behind (in a folder no later run would look in).
- `MembershipSpill.beside_checkpoint()`: ``.<checkpoint>.cognito-groups.sqlite`` beside the
  checkpoint, mode 0600, durable (rollback journal, ``synchronous=FULL``). `sync()` commits;
  only then does the export save the checkpoint that counts those memberships. A resumed run
  first deletes the memberships (and users) numbered after the checkpoint's count: the run
  that died had committed them, but not saved the checkpoint that covers them.

Every SQLite error (a full disk, a file that is not a database) and every ``OSError`` is a
`FileError` naming the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cognito_groups._cli._files import FileError, about
from cognito_groups._cli._output_file import Committed
from cognito_groups._cli._report import UsageError
from cognito_groups._models import User
from cognito_groups._models._time import format_moment, parse_moment

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Mapping

    from cognito_groups._cli._checkpoint_file import ExportCheckpoint

__all__ = ["SIDE_FILES", "SPILL_SUFFIX", "MembershipSpill", "spill_path"]

_MODE = 0o600
#: Rows held in memory before they are inserted (one ``executemany`` each).
_BATCH = 1000
#: What SQLite may leave beside a database.
SIDE_FILES = ("-journal", "-wal", "-shm")
#: The end of every spill's name.
SPILL_SUFFIX = ".cognito-groups.sqlite"
_DATES = ("UserCreateDate", "UserLastModifiedDate")

_SCHEMA = """
CREATE TABLE users (username BLOB PRIMARY KEY, first_seq INTEGER NOT NULL, user TEXT NOT NULL);
CREATE INDEX users_by_first_seq ON users (first_seq);
CREATE TABLE memberships (
    seq INTEGER PRIMARY KEY, username BLOB NOT NULL, group_name BLOB NOT NULL
);
CREATE UNIQUE INDEX memberships_by_user ON memberships (username, group_name);
"""
# Read along users_by_first_seq and memberships_by_user: already in order, no sort.
_GROUPED = """
SELECT users.first_seq, users.user, memberships.group_name
FROM users JOIN memberships ON memberships.username = users.username
ORDER BY users.first_seq, memberships.group_name
"""


def spill_path(checkpoint: Path) -> Path:
    """Where the spill of ``--by-user --checkpoint C`` lives: ``.<C>.cognito-groups.sqlite``."""
    return checkpoint.with_name(f".{checkpoint.name}{SPILL_SUFFIX}")


class MembershipSpill:
    """The memberships listed so far, in SQLite (see the module's docstring).

    Use `temporary()` or `beside_checkpoint()`, and ``with``: leaving it closes the database
    (and removes a temporary one).
    """

    def __init__(self, path: Path | None, *, durable: bool, written: int) -> None:
        """A spill in the file ``path`` (``None``: SQLite's own temporary database)."""
        self.path = path
        #: The file, as messages name it.
        self.name = str(path) if path is not None else _temporary_name()
        self._durable = durable
        #: Memberships written (numbered), those of the run a checkpoint continues included.
        self.written = written
        #: Memberships covered by the last `sync()`.
        self.committed = written
        self._users: list[tuple[bytes, int, str]] = []
        self._memberships: list[tuple[int, bytes, bytes]] = []
        with self._about():
            self._db = sqlite3.connect("" if path is None else path, isolation_level=None)
        try:
            with self._about():
                self._open()
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def temporary(cls, output: Path | None) -> MembershipSpill:
        """A new spill in a temporary file beside ``output`` (for stdout, SQLite's own)."""
        if output is None:
            return cls(None, durable=False, written=0)
        with about(output.parent):
            descriptor, name = tempfile.mkstemp(
                prefix=f".{output.name}.cognito-groups-", suffix=".tmp", dir=output.parent
            )
            os.close(descriptor)
        try:
            return cls(Path(name), durable=False, written=0)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    @classmethod
    def beside_checkpoint(cls, checkpoint: Path, saved: ExportCheckpoint | None) -> MembershipSpill:
        """The spill of ``checkpoint``: continued after the ``saved`` checkpoint's count, or new.

        ``saved`` is the checkpoint read (``None``: no checkpoint, a new spill, whatever a run
        killed before its first checkpoint left there). A spill continued must be the file the
        checkpoint was made for (its device and inode), not a symlink.

        Raises:
            UsageError: the checkpoint continues a spill that is missing, or another file.
        """
        path = spill_path(checkpoint)
        start_over = f"remove the checkpoint {checkpoint} to start over"
        with about(path):
            if saved is None:
                _remove(path)
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, _MODE))
            elif not path.exists():
                raise UsageError(
                    f"{path} is missing: the checkpoint {checkpoint} continues it (remove the "
                    "checkpoint to start over)"
                )
            else:
                found = os.stat(path, follow_symlinks=False)
                if (found.st_dev, found.st_ino) != (saved.output_device, saved.output_inode):
                    raise UsageError(
                        f"{path} is not the file its checkpoint was made for (it was replaced "
                        f"since): {start_over}"
                    )
        return cls(path, durable=True, written=0 if saved is None else saved.written)

    def __enter__(self) -> MembershipSpill:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.close()
        finally:
            if not self._durable:
                self.remove()

    def _open(self) -> None:
        db = self._db
        if self._durable:
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("PRAGMA synchronous = FULL")
        else:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
        if db.execute("SELECT name FROM sqlite_master WHERE name = 'users'").fetchone() is None:
            db.executescript(f"BEGIN; {_SCHEMA} COMMIT;")
        else:
            # Committed to SQLite by a run that died before its checkpoint covered them.
            db.execute("BEGIN")
            db.execute("DELETE FROM memberships WHERE seq > ?", (self.written,))
            db.execute("DELETE FROM users WHERE first_seq > ?", (self.written,))
            db.execute("COMMIT")
        db.execute("BEGIN")

    def write(self, user: User, lead: Mapping[str, str]) -> None:
        """Add the membership of ``user`` in the group ``lead["group_name"]``."""
        self.written += 1
        username = _key(user.username)
        self._users.append((username, self.written, _encode(user)))
        self._memberships.append((self.written, username, _key(lead["group_name"])))
        if len(self._memberships) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Insert the memberships held in memory (in the open transaction)."""
        with self._about():
            self._db.executemany(
                "INSERT OR IGNORE INTO users (username, first_seq, user) VALUES (?, ?, ?)",
                self._users,
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO memberships (seq, username, group_name) VALUES (?, ?, ?)",
                self._memberships,
            )
        self._users.clear()
        self._memberships.clear()

    def sync(self) -> Committed:
        """Commit every membership written (durably, for a checkpoint's spill).

        The file a checkpoint then records is the spill (``--by-user`` writes its output whole,
        at the end), of offset 0.
        """
        self.flush()
        with self._about():
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
        self.committed = self.written
        if self.path is None:  # no checkpoint records it
            return Committed(0)
        with about(self.path):
            found = os.stat(self.path)
        return Committed(0, found.st_dev, found.st_ino)

    def commit(self, save: Callable[[Committed], object]) -> None:
        """`sync()`, then ``save`` the checkpoint of what it committed."""
        save(self.sync())

    def users(self) -> Iterator[tuple[User, list[str]]]:
        """Every user once, in the order first seen, with its group names sorted.

        Streamed from one cursor: one user's rows in memory at a time.
        """
        self.sync()
        with self._about():
            rows = self._db.execute(_GROUPED)
            for (_, text), memberships in groupby(rows, key=itemgetter(0, 1)):
                names = [name.decode("utf-8", "surrogatepass") for _, _, name in memberships]
                yield _decode(text), names

    def close(self) -> None:
        """Close the database (what was not committed is rolled back)."""
        with self._about():
            self._db.close()

    def remove(self) -> None:
        """Remove the file and what SQLite keeps beside it (close first).

        SQLite's own temporary database has no name left to remove: it goes when closed.
        """
        if self.path is not None:
            with about(self.path):
                _remove(self.path)

    @contextmanager
    def _about(self) -> Generator[None, None, None]:
        """An ``OSError`` or SQLite error here becomes a `FileError` naming the file."""
        try:
            with about(self.name):
                yield
        except sqlite3.Error as err:
            raise FileError(self.name, str(err)) from err


def _temporary_name() -> str:
    """SQLite's own temporary database, as messages name it: where SQLite puts it."""
    folder = os.environ.get("SQLITE_TMPDIR") or os.environ.get("TMPDIR")
    where = f"in {folder}" if folder else "in the system's temporary folder"
    return f"--by-user's temporary spill ({where})"


def _remove(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        name.unlink(missing_ok=True)


def _key(name: str) -> bytes:
    """A name as stored: UTF-8, lone surrogates kept (their bytes sort as their code points)."""
    return name.encode("utf-8", "surrogatepass")


def _encode(user: User) -> str:
    """``user`` as ASCII JSON of its wire shape, dates as the library writes moments."""
    wire = user._to_wire()
    for key in _DATES:
        if key in wire:
            wire[key] = format_moment(wire[key])
    return json.dumps(wire, separators=(",", ":"))


def _decode(text: str) -> User:
    """The inverse of `_encode()`."""
    wire: dict[str, Any] = json.loads(text)
    for key in _DATES:
        if key in wire:
            wire[key] = parse_moment(wire[key])
    return User._from_wire(wire)
