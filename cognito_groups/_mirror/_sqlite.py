"""SQLite, through the standard library: a file, WAL, and ``flock`` for the pool locks.

SQLite runs in WAL mode, so readers never block the writer nor the writer them, with a busy
timeout of 30 s for two writers (syncs of two pools). Durability is chosen per transaction:
``synchronous = NORMAL`` while a sync stages its pages (a power cut may lose the last commits,
never the database's consistency: the next sync lists them again from the cursor committed
with them), ``FULL`` for the transaction that completes a sync, so that a change once seen
by a reader is on disk. The file is created with mode 0600.

Readers write no row (``query_only``) and follow every commit of the syncs through SQLite's
WAL index (the ``-shm`` file), which a reader must be able to write, with the ``-wal`` and
``-shm`` files it may have to make beside the database: a reader without those rights is
refused when it connects (`SQLiteDialect.connect()`), never served a frozen copy.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cognito_groups._durable._lock import (
    LockHeldError,
    NotALockFileError,
    lock_beside,
    release,
    take,
)
from cognito_groups._mirror._dialect import Dialect
from cognito_groups._mirror._errors import (
    DatabaseUnavailableError,
    DatabaseWriteError,
    MirrorError,
    NotAMirrorError,
)
from cognito_groups._models._time import format_moment, parse_moment

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping
    from datetime import datetime

__all__ = ["SQLITE_MINIMUM", "SQLiteDialect"]

_MODE = 0o600
#: How long a SQLite writer waits for another's transaction before giving up.
_BUSY_SECONDS = 30.0
#: The oldest SQLite the mirror's SQL runs on (``INSERT ... RETURNING``: 3.35.0).
SQLITE_MINIMUM = (3, 35, 0)
#: A moment in a SQLite column: always this shape, UTC (`SQLiteDialect.bind_time()`).


#: SQLite's errors as the mirror says them, in this order: by the start of the error's name,
#: or by words of its message (a SQLite before 3.38 names none); each made of where and text.
_ERRORS: tuple[tuple[str, str, Callable[[str, str], MirrorError]], ...] = (
    (
        "SQLITE_NOTADB",
        "file is not a database",
        lambda where, _: NotAMirrorError(where, f"{where} is not a SQLite database"),
    ),
    (
        "SQLITE_CORRUPT",
        "malformed",
        lambda where, text: NotAMirrorError(where, f"{where} is damaged (SQLite: {text})"),
    ),
    (
        "SQLITE_BUSY",
        "database is locked",
        lambda where, _: DatabaseUnavailableError(
            where,
            f"{where} is busy: another program kept it locked for more than {_BUSY_SECONDS:g} s",
        ),
    ),
    (
        "SQLITE_READONLY",
        "readonly",
        lambda where, text: DatabaseWriteError(where, f"{where} is read-only: {text}"),
    ),
    (
        "SQLITE_FULL",
        "disk is full",
        lambda where, text: DatabaseWriteError(where, f"{where}: the disk is full ({text})"),
    ),
    (
        "SQLITE_IOERR",
        "disk I/O error",
        lambda where, text: DatabaseWriteError(
            where, f"{where} cannot be written: {text} (a full disk, or a file size limit?)"
        ),
    ),
)


def _check_version(shown: str) -> None:
    """Refuse a SQLite older than `SQLITE_MINIMUM`, naming both versions."""
    if sqlite3.sqlite_version_info < SQLITE_MINIMUM:
        needed = ".".join(map(str, SQLITE_MINIMUM))
        raise MirrorError(
            shown,
            f"a SQLite mirror needs SQLite {needed} or newer; this Python's sqlite3 module "
            f"has SQLite {sqlite3.sqlite_version}: use a Python built with a newer SQLite, "
            "or a PostgreSQL database",
        )


class SQLiteDialect(Dialect):
    """SQLite, through the standard library: a file, WAL, and ``flock`` for the pool locks."""

    name = "sqlite"
    types: Mapping[str, str] = {
        "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "int": "INTEGER",
        "ts": "TEXT",
        "json": "TEXT",
        "bool": "INTEGER",
        "rowid": " WITHOUT ROWID",
        "same": "IS",
    }
    shares_database = False
    begin_read = "BEGIN"  # deferred: the snapshot is taken by the first read
    unknown_holder = "pid unknown"

    def __init__(self, location: str) -> None:
        super().__init__(location)
        # Made absolute once: a relative path names the same file after a chdir, for every
        # connection of a `Mirror`.
        self.path = Path(location).absolute()

    @property
    def shown(self) -> str:
        return self.location

    def connect(self, *, create: bool, reader: bool) -> Any:
        _check_version(self.shown)
        path = self.path
        with self.translated():
            if path.is_dir():
                raise NotAMirrorError(self.shown, f"{self.shown} is a folder, not a database")
            if path.exists():
                self._check_file(path.stat(), create=create)
            if not path.exists():
                self._make(create=create)
            if reader:
                self._check_follows()
            connection = self._open("mode=rw")
            try:
                connection.execute("PRAGMA foreign_keys = OFF")
                if reader:
                    # It refuses every write; SQLite itself still updates the -shm index and,
                    # as the last connection to close, merges the WAL into the file and
                    # removes the -wal and -shm (a read-only one would leave them behind).
                    connection.execute("PRAGMA query_only = ON")
                    self._first_read(connection)
                connection.execute("PRAGMA synchronous = NORMAL")
            except BaseException:
                connection.close()
                raise
        return connection

    def _open(self, mode: str) -> Any:
        uri = f"file:{quote(str(self.path.absolute()))}?{mode}"
        # Any thread may use it, one at a time (a `Mirror`'s readers are shared by threads).
        return sqlite3.connect(
            uri,
            uri=True,
            timeout=_BUSY_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )

    def _check_follows(self) -> None:
        """Refuse a reader that could not follow the syncs' commits, naming what it needs.

        In WAL mode a reader finds the commits through the ``-shm`` index, which it writes,
        and makes ``-wal`` and ``-shm`` beside the database when no other connection has them
        open. A reader without those rights would fail later, or (made ``immutable``) read a
        frozen copy for ever; a reader that could make them but not write the database would
        make files with the database's mode that the user who syncs could not write. So a
        reader needs to read and write the file (and its ``-wal`` and ``-shm``, when there)
        and to write its folder: as the user that syncs, or through a group shared with it.
        """
        file = Path(os.path.realpath(self.path))
        wanted = [(file, os.R_OK | os.W_OK, "read and write")]
        wanted += [
            (journal, os.R_OK | os.W_OK, "read and write")
            for journal in (Path(f"{file}-wal"), Path(f"{file}-shm"))
            if journal.exists()
        ]
        wanted.append((file.parent, os.W_OK | os.X_OK, "make files in"))
        effective = os.access in os.supports_effective_ids
        for path, mode, verb in wanted:
            if not os.access(path, mode, effective_ids=effective):
                raise DatabaseWriteError(self.shown, self._cannot_follow(f"cannot {verb} {path}"))

    def _first_read(self, connection: Any) -> None:
        """Open the WAL index now, so a reader that cannot is refused when it connects."""
        try:
            connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as err:
            name = getattr(err, "sqlite_errorname", "") or ""
            if not name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
                raise
            raise DatabaseWriteError(
                self.shown, self._cannot_follow(f"SQLite says: {err}")
            ) from err

    def _cannot_follow(self, why: str) -> str:
        return (
            f"{self.shown} cannot be read by this user: it {why}. A reader follows the syncs "
            "through SQLite's WAL index, so it needs to read and write the database file (and "
            "its -wal and -shm files) and to make files in its folder; a reader writes no row. "
            "Read it as the user that syncs, or give this user "
            "those rights through a group shared with that user (the mirror's docs: readers of "
            "another user)"
        )

    @contextmanager
    def transaction(self, connection: Any, *, durable: bool) -> Generator[None, None, None]:
        with self.translated():
            if durable:
                connection.execute("PRAGMA synchronous = FULL")
            connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            with self.translated():
                connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            if durable:
                with self.translated():
                    connection.execute("PRAGMA synchronous = NORMAL")

    def identity(self) -> tuple[int, int] | None:
        try:
            found = self.path.stat()  # through a symbolic link, as SQLite opens it
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def prepare_to_write(self, connection: Any) -> None:
        with self.translated():
            connection.execute("PRAGMA journal_mode = WAL")  # kept by the file

    def can_commit(self, connection: Any) -> bool:
        return bool(connection.in_transaction)

    def settle(self, connection: Any) -> None:
        """Copy the WAL's pages into the file, without waiting for readers.

        The swap then reads the staged rows from the file, not through a long WAL.
        """
        with self.translated():
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def tables(self, connection: Any) -> set[str]:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows if not name.startswith("sqlite_")}

    def bind_time(self, moment: datetime) -> object:
        return format_moment(moment)  # its text order is time order, as the column needs

    def read_time(self, value: object) -> datetime:
        if not isinstance(value, str):
            raise TypeError(f"a moment column held {type(value).__name__}")
        return parse_moment(value)

    @contextmanager
    def translated(self) -> Generator[None, None, None]:
        try:
            yield
        except sqlite3.Error as err:
            raise self._error(err) from err
        except OSError as err:
            raise DatabaseWriteError(self.shown, f"{self.shown}: {err.strerror or err}") from err

    def _error(self, err: sqlite3.Error) -> MirrorError:
        name = getattr(err, "sqlite_errorname", "") or ""
        text = str(err)
        where = self.shown
        for names, words, made in _ERRORS:
            if name.startswith(names) or words in text:
                return made(where, text)
        if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM")) or isinstance(
            err, sqlite3.OperationalError
        ):
            return DatabaseWriteError(where, f"{where} cannot be written or read: {text}")
        raise err  # a programming error of ours: not the user's to mend

    def _check_file(self, found: os.stat_result, *, create: bool) -> None:
        """Refuse a file no mirror can be: not a file, of two names, an empty one of another."""
        if not stat.S_ISREG(found.st_mode):
            # /dev/null, a pipe: SQLite would make its journal beside it, in /dev.
            raise NotAMirrorError(
                self.shown, f"{self.shown} is a device or a pipe, not a database file"
            )
        if found.st_nlink != 1:
            # SQLite names its -wal and -shm after the name it opens, and our pool
            # locks are named after the file's real path: two names, two of each.
            raise NotAMirrorError(
                self.shown,
                f"{self.shown} has {found.st_nlink} names (hard links): SQLite keeps a "
                "journal per name, so syncs through two names would damage it; give "
                "it one name (a symbolic link to it is fine)",
            )
        if create and found.st_size == 0:
            if found.st_uid != os.geteuid():
                # Its owner would read the personal data the mirror writes in it.
                raise NotAMirrorError(
                    self.shown,
                    f"{self.shown} is an empty file of another user: a mirror holds "
                    "personal data, so it is made in a file of yours (remove it, or "
                    "give another path)",
                )
            self.path.chmod(_MODE)  # an empty file made for us: private, as a new one

    def _make(self, *, create: bool) -> None:
        """Make the database's file, private (0600), when a sync may; else no mirror is here."""
        if not create:
            raise NotAMirrorError(
                self.shown, f"{self.shown}: no such mirror (run cognito-groups sync first)"
            )
        real = Path(os.path.realpath(self.path))  # a symbolic link to a file still to make
        if not real.parent.is_dir():
            raise DatabaseWriteError(self.shown, f"{self.shown}: its folder does not exist")
        with suppress(FileExistsError):  # made meanwhile by another run: use it
            os.close(os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE))

    def lock_path(self, user_pool_id: str) -> Path:
        """The lock file of the pool's syncs into this database, beside it.

        Named after the file's real path: a symbolic link to the database, or a path through
        a linked folder, names the same lock (and `connect()` refuses a second hard link).
        A name too long for the file system is hashed (`_lock.lock_beside()`).
        """
        real = Path(os.path.realpath(self.path))
        return lock_beside(real, f"{real.name}.{user_pool_id}")

    @contextmanager
    def pool_lock(
        self, connection: Any, user_pool_id: str, *, wait: bool, waiting: Callable[[str], None]
    ) -> Generator[None, None, None]:
        lock = self.lock_path(user_pool_id)
        of = f"the lock file of {user_pool_id}'s syncs into {self.shown} cannot be taken"
        try:
            descriptor = take(lock, wait=wait, waiting=waiting)
        except LockHeldError as err:
            raise self.sync_in_progress(user_pool_id, err.holder) from err
        except NotALockFileError as err:
            raise DatabaseWriteError(
                self.shown, f"{lock}: it is in the place of a lock file, but is not one ({of})"
            ) from err
        except OSError as err:
            reason = "it is a symbolic link" if err.errno == errno.ELOOP else err.strerror or err
            if err.errno == errno.ENOTSUP:
                reason = f"{reason}: sync into a PostgreSQL database instead"
            raise DatabaseWriteError(self.shown, f"{lock}: {reason} ({of})") from err
        try:
            yield
        finally:
            release(lock, descriptor)  # still ours: removed before it is let go

    @contextmanager
    def schema_lock(self, connection: Any) -> Generator[None, None, None]:
        yield  # BEGIN IMMEDIATE already holds SQLite's one write lock
