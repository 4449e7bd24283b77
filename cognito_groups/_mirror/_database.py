"""A connection to the mirror's database, SQLite or PostgreSQL, and the one place they differ.

The SQL of the mirror is written once, with ``?`` placeholders; every value is a bound
parameter, never formatted into the text. What differs between the two back ends lives in a
`Dialect`: how to connect, the placeholder, the column types of the schema, how a write
transaction begins, how timestamps and JSON are bound and read, which errors mean what, and
how one sync of a pool is kept from running twice at once (a ``flock`` beside a SQLite file,
an advisory lock in PostgreSQL, both let go by the system when their holder dies).

SQLite runs in WAL mode, so readers never block the writer nor the writer them, with a busy
timeout of 30 s for two writers (syncs of two pools). Durability is chosen per transaction:
``synchronous = NORMAL`` while a sync stages its pages (a power cut may lose the last commits,
never the database's consistency: the next sync lists them again from the cursor committed
with them), ``FULL`` for the transaction that completes a sync, so that a change once seen
by a reader is on disk. The file is created with mode 0600.

Readers write no row (``query_only``) and follow every commit of the syncs through SQLite's
WAL index (the ``-shm`` file), which a reader must be able to write, with the ``-wal`` and
``-shm`` files it may have to make beside the database: a reader without those rights is
refused when it connects (`SQLiteDialect.connect()`), never served a frozen copy. A reader's
statements are short: each query is read whole before it returns (`Database.all()`), so no
reader keeps the database in the past; `Dialect.read_transaction()` holds one snapshot for
the span of a `Mirror.snapshot()`.

Every error of the driver becomes a `MirrorError` naming the database (`translated()`); a
PostgreSQL URL is shown without its password.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import socket
import sqlite3
import stat
from abc import ABC, abstractmethod
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cognito_groups._client._install import install_hint
from cognito_groups._durable._lock import (
    LockHeldError,
    NotALockFileError,
    lock_beside,
    release,
    take,
)
from cognito_groups._mirror._errors import (
    DatabaseAuthenticationError,
    DatabaseUnavailableError,
    DatabaseWriteError,
    MirrorError,
    NotAMirrorError,
    SyncInProgressError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Mapping, Sequence

__all__ = [
    "DEFAULT_DATABASE",
    "SQLITE_MINIMUM",
    "Database",
    "Dialect",
    "PostgresDialect",
    "SQLiteDialect",
    "as_utc",
    "dialect_for",
    "from_json",
    "to_json",
]

#: The database of the command line when ``--db`` is not given: a SQLite file here.
DEFAULT_DATABASE = "cognito-groups.db"
_MODE = 0o600
#: How long a SQLite writer waits for another's transaction before giving up.
_BUSY_SECONDS = 30.0
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SCHEME = "sqlite:///"
#: The oldest SQLite the mirror's SQL runs on (``INSERT ... RETURNING``: 3.35.0).
SQLITE_MINIMUM = (3, 35, 0)
#: The first key of the mirror's PostgreSQL advisory locks ("cgm1" as a 32-bit number); the
#: second is a pool's (`_pool_key`), or 0 for migrations.
_LOCK_SPACE = 0x63676D31
#: What a PostgreSQL connection says it is (``pg_stat_activity.application_name``).
_APPLICATION = "cognito-groups"
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A moment in a SQLite column: always this shape, UTC (`SQLiteDialect.bind_time()`).
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
#: A libpq ``key=value`` connection string, which must not become a file of that name.
_CONNINFO = re.compile(
    r"\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|options|"
    r"connect_timeout|application_name|target_session_attrs)\s*=",
    re.IGNORECASE,
)


def to_json(document: object) -> str:
    r"""JSON text of ``document`` that any database stores exactly.

    Readable (non-ASCII kept), every control character escaped (``\\u0000`` too), and a lone
    surrogate, which no UTF-8 text can hold, written as its escape.
    """
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; within a day of year 1 or 9999, the calendar's first or last moment."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=timezone.utc)


def from_json(value: object) -> Any:
    """The document of a JSON column (a text; PostgreSQL's driver may have parsed it)."""
    return json.loads(value) if isinstance(value, str) else value


class Dialect(ABC):
    """What differs between SQLite and PostgreSQL (see the module's docstring)."""

    #: ``sqlite`` or ``postgresql``.
    name: str
    #: The column types the schema's text names: ``{id}`` (a key that is never reused),
    #: ``{int}``, ``{ts}`` (a moment), ``{json}``, ``{bool}``; ``{rowid}`` ends a table whose
    #: primary key is all it is looked up by. And ``{same}``: equality that holds for two
    #: nulls.
    types: Mapping[str, str]
    #: Whether the database may hold tables other than the mirror's.
    shares_database: bool

    def __init__(self, location: str) -> None:
        self.location = location

    @property
    @abstractmethod
    def shown(self) -> str:
        """The database as messages name it (never with a password)."""

    @abstractmethod
    def connect(self, *, create: bool, reader: bool) -> Any:
        """A new connection (the file made, 0600, when ``create``); errors translated.

        ``reader``: a connection that only reads (and follows the syncs' commits).
        """

    def sql(self, text: str) -> str:
        """The driver's form of a statement written with ``?`` placeholders."""
        return text

    @abstractmethod
    @contextmanager
    def transaction(self, connection: Any, *, durable: bool) -> Generator[None, None, None]:
        """One write transaction: committed when the block ends, rolled back on an error."""

    @abstractmethod
    @contextmanager
    def read_transaction(self, connection: Any) -> Generator[None, None, None]:
        """One read-only transaction: every query in the block sees the same committed state."""

    def identity(self) -> tuple[int, int] | None:
        """Which file the database is now (its device and inode), or ``None`` (none, or a server).

        A sync compares it before each of its transactions with the file it opened: a mirror
        moved, replaced or deleted while it runs must not take its commits with it unseen.
        """
        return None

    def prepare_to_write(self, connection: Any) -> None:  # noqa: B027 (PostgreSQL: nothing)
        """Once the database is known to be a mirror (or empty): set it up for the sync.

        Not before: a database that is not a mirror is refused as it is, unchanged.
        """

    def completion_lock(self, connection: Any) -> None:  # noqa: B027 (SQLite: nothing)
        """Inside a write transaction: wait until no other sync completes (of any pool).

        So that the changes' ids are in the order their transactions commit. Nothing in
        SQLite: its write transaction (``BEGIN IMMEDIATE``) already holds its one write lock.
        """

    @abstractmethod
    def tables(self, connection: Any) -> set[str]:
        """The names of the tables the database (its current schema) holds."""

    @abstractmethod
    def settle(self, connection: Any) -> None:
        """Before a swap: make the staged pages cheap to read."""

    def bind_time(self, moment: datetime) -> object:
        """A moment as bound to a ``{ts}`` column."""
        return moment

    def read_time(self, value: object) -> datetime:
        """A ``{ts}`` column's value as an aware UTC datetime."""
        if not isinstance(value, datetime):
            raise TypeError(f"a moment column held {type(value).__name__}")
        return value.astimezone(timezone.utc)

    @abstractmethod
    @contextmanager
    def translated(self) -> Generator[None, None, None]:
        """Around every use of the driver: its errors become `MirrorError`s."""

    @abstractmethod
    @contextmanager
    def pool_lock(
        self, connection: Any, user_pool_id: str, *, wait: bool, waiting: Callable[[str], None]
    ) -> Generator[None, None, None]:
        """Hold the pool's sync lock for the block.

        Raises:
            SyncInProgressError: another sync of the pool holds it (and not ``wait``).
        """

    @abstractmethod
    @contextmanager
    def schema_lock(self, connection: Any) -> Generator[None, None, None]:
        """One process at a time creates or migrates the schema (inside its transaction)."""


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

    def __init__(self, location: str) -> None:
        super().__init__(location)
        # Made absolute once: a relative path names the same file after a chdir, for every
        # connection of a `Mirror`.
        self.path = Path(location).absolute()

    @property
    def shown(self) -> str:
        return self.location

    def connect(self, *, create: bool, reader: bool) -> Any:
        if sqlite3.sqlite_version_info < SQLITE_MINIMUM:
            needed = ".".join(map(str, SQLITE_MINIMUM))
            raise MirrorError(
                self.shown,
                f"a SQLite mirror needs SQLite {needed} or newer; this Python's sqlite3 module "
                f"has SQLite {sqlite3.sqlite_version}: use a Python built with a newer SQLite, "
                "or a PostgreSQL database",
            )
        path = self.path
        with self.translated():
            if path.is_dir():
                raise NotAMirrorError(self.shown, f"{self.shown} is a folder, not a database")
            if path.exists():
                found = path.stat()
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
                    path.chmod(_MODE)  # an empty file made for us: private, as a new one
            if not path.exists():
                if not create:
                    raise NotAMirrorError(
                        self.shown, f"{self.shown}: no such mirror (run cognito-groups sync first)"
                    )
                real = Path(os.path.realpath(path))  # a symbolic link to a file still to make
                if not real.parent.is_dir():
                    raise DatabaseWriteError(self.shown, f"{self.shown}: its folder does not exist")
                with suppress(FileExistsError):  # made meanwhile by another run: use it
                    os.close(os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE))
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

    @contextmanager
    def read_transaction(self, connection: Any) -> Generator[None, None, None]:
        with self.translated():
            connection.execute("BEGIN")  # deferred: the snapshot is taken by the first read
        try:
            yield
        finally:
            if connection.in_transaction:
                with self.translated():
                    connection.execute("COMMIT")

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
        utc = as_utc(moment)
        # The year in 4 digits, as the column's text order needs (strftime("%Y") gives "999").
        return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"

    def read_time(self, value: object) -> datetime:
        if not isinstance(value, str):
            raise TypeError(f"a moment column held {type(value).__name__}")
        # The one shape bind_time() writes, checked, then parsed by fromisoformat (strptime
        # took most of the time of a members() call).
        if _MOMENT.fullmatch(value) is None:
            raise ValueError(f"not a moment of the mirror: {value!r}")
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)

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
        if name == "SQLITE_NOTADB" or "file is not a database" in text:
            return NotAMirrorError(where, f"{where} is not a SQLite database")
        if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
            return NotAMirrorError(where, f"{where} is damaged (SQLite: {text})")
        if name.startswith("SQLITE_BUSY") or "database is locked" in text:
            return DatabaseUnavailableError(
                where,
                f"{where} is busy: another program kept it locked for more than "
                f"{_BUSY_SECONDS:g} s",
            )
        if name.startswith("SQLITE_READONLY") or "readonly" in text:
            return DatabaseWriteError(where, f"{where} is read-only: {text}")
        if name == "SQLITE_FULL" or "disk is full" in text:
            return DatabaseWriteError(where, f"{where}: the disk is full ({text})")
        if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
            return DatabaseWriteError(
                where, f"{where} cannot be written: {text} (a full disk, or a file size limit?)"
            )
        if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM")) or isinstance(
            err, sqlite3.OperationalError
        ):
            return DatabaseWriteError(where, f"{where} cannot be written or read: {text}")
        raise err  # a programming error of ours: not the user's to mend

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
            raise self._busy(user_pool_id, err.holder) from err
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

    def _busy(self, user_pool_id: str, holder: str | None) -> SyncInProgressError:
        return SyncInProgressError(
            self.shown,
            f"another cognito-groups sync of {user_pool_id} into {self.shown} is running "
            f"({holder or 'pid unknown'}): wait for it to end (or pass --wait), or stop it",
            user_pool_id=user_pool_id,
            holder=holder,
        )

    @contextmanager
    def schema_lock(self, connection: Any) -> Generator[None, None, None]:
        yield  # BEGIN IMMEDIATE already holds SQLite's one write lock


#: What PostgreSQL (in English, its default) and libpq say when they refuse a connection's
#: credentials: libpq gives no SQLSTATE (28P01, 28000) for an error while connecting.
_REFUSED_CREDENTIALS = re.compile(
    r'authentication failed for user|role "[^"]*" does not exist|pg_hba\.conf|'
    r"no password supplied"
)


def _refused_credentials(err: Exception) -> bool:
    """Whether connecting failed because the server refused the credentials."""
    from psycopg import errors

    if isinstance(err, errors.InvalidPassword | errors.InvalidAuthorizationSpecification):
        return True
    return _REFUSED_CREDENTIALS.search(str(err)) is not None


class PostgresDialect(Dialect):
    """PostgreSQL, through psycopg 3 (the ``postgres`` extra): advisory locks for the pools."""

    name = "postgresql"
    types: Mapping[str, str] = {
        "id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "int": "BIGINT",
        "ts": "TIMESTAMPTZ",
        # json, not jsonb: it keeps any value exactly (jsonb refuses \u0000 and lone surrogates).
        "json": "JSON",
        "bool": "BOOLEAN",
        "rowid": "",
        "same": "IS NOT DISTINCT FROM",
    }
    shares_database = True

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self._shown = _without_password(location)

    @property
    def shown(self) -> str:
        return self._shown

    def connect(self, *, create: bool, reader: bool) -> Any:
        try:
            import psycopg
        except ImportError as err:
            raise ImportError(
                "a PostgreSQL mirror needs psycopg: " + install_hint("postgres"), name=err.name
            ) from err
        with self.translated():
            try:
                return psycopg.connect(
                    self.location,
                    autocommit=True,
                    application_name=f"{_APPLICATION} (pid {os.getpid()} on "
                    f"{socket.gethostname()})",
                    connect_timeout=10,
                )
            except psycopg.OperationalError as err:
                if not _refused_credentials(err):
                    raise
                text = " ".join(str(err).split())
                raise DatabaseAuthenticationError(
                    self.shown, f"PostgreSQL {self.shown} refused the credentials: {text}"
                ) from err
            except psycopg.ProgrammingError as err:  # libpq could not parse the URL
                said = " ".join(str(err).split()).replace(self.location, self.shown)
                password = _password_of(self.location)
                if password:
                    said = said.replace(password, "***")
                raise NotAMirrorError(
                    self.shown, f"{self.shown} is not a PostgreSQL URL libpq reads: {said}"
                ) from None

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def settle(self, connection: Any) -> None:
        """Nothing: PostgreSQL reads what it wrote as it is."""

    @contextmanager
    def transaction(self, connection: Any, *, durable: bool) -> Generator[None, None, None]:
        with self.translated(), connection.transaction():
            yield

    @contextmanager
    def read_transaction(self, connection: Any) -> Generator[None, None, None]:
        with self.translated():
            connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            if not connection.closed and not connection.broken:
                with self.translated():
                    connection.execute("COMMIT")

    def completion_lock(self, connection: Any) -> None:
        with self.translated():
            connection.execute("SELECT pg_advisory_xact_lock(%s, -1)", (_LOCK_SPACE,))

    def tables(self, connection: Any) -> set[str]:
        # The catalog, not information_schema: it lists the tables a role may not read too,
        # so a reader without the rights is told so, not that there is no mirror.
        rows = connection.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        )
        return {name for (name,) in rows}

    @contextmanager
    def translated(self) -> Generator[None, None, None]:
        import psycopg

        try:
            yield
        except psycopg.Error as err:
            raise self._error(err) from err

    def _error(self, err: Exception) -> MirrorError:
        import psycopg
        from psycopg import errors

        where = self.shown
        text = " ".join(str(err).split()) or type(err).__name__
        if isinstance(err, errors.DiskFull | errors.IoError):
            return DatabaseWriteError(where, f"{where}: {text}")
        if isinstance(err, errors.InsufficientPrivilege):
            return DatabaseWriteError(
                where,
                f"{where}: {text}: a reader's role needs SELECT on the mirror's tables, the "
                "role that syncs needs to create and write them (the mirror's docs: readers of "
                "another user)",
            )
        if isinstance(err, errors.ReadOnlySqlTransaction):
            return DatabaseWriteError(where, f"{where} cannot be written: {text}")
        if isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
            return DatabaseUnavailableError(where, f"PostgreSQL {where}: {text}")
        raise err  # a programming error of ours: not the user's to mend

    @contextmanager
    def pool_lock(
        self, connection: Any, user_pool_id: str, *, wait: bool, waiting: Callable[[str], None]
    ) -> Generator[None, None, None]:
        key = (_LOCK_SPACE, _pool_key(user_pool_id))
        with self.translated():
            (taken,) = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
            if not taken:
                holder = self._holder(connection, key)
                if not wait:
                    raise SyncInProgressError(
                        where := self.shown,
                        f"another cognito-groups sync of {user_pool_id} into {where} is "
                        f"running ({holder or 'holder unknown'}): wait for it to end (or pass "
                        "--wait), or stop it",
                        user_pool_id=user_pool_id,
                        holder=holder,
                    )
                waiting(holder or "holder unknown")
                connection.execute("SELECT pg_advisory_lock(%s, %s)", key)
        try:
            yield
        finally:
            if not connection.closed and not connection.broken:
                with self.translated():
                    connection.execute("SELECT pg_advisory_unlock(%s, %s)", key)

    @staticmethod
    def _holder(connection: Any, key: tuple[int, int]) -> str | None:
        row = connection.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (key[0] & 0xFFFFFFFF, key[1] & 0xFFFFFFFF),
        ).fetchone()
        return None if row is None or not row[0] else str(row[0])

    @contextmanager
    def schema_lock(self, connection: Any) -> Generator[None, None, None]:
        with self.translated():
            connection.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_SPACE,))
        yield


def _pool_key(user_pool_id: str) -> int:
    """A pool's advisory lock key: 31 bits of its SHA-256 (never 0, the schema's)."""
    digest = hashlib.sha256(user_pool_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2**31 - 1) + 1


def _password_of(url: str) -> str:
    """The password a PostgreSQL URL holds, as written ("" if none)."""
    authority = url.partition("://")[2].partition("/")[0]
    return authority.rpartition("@")[0].partition(":")[2]


def _without_password(url: str) -> str:
    """A PostgreSQL URL with its password (and any query) left out, to be shown."""
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    user = credentials.partition(":")[0]
    shown_path = path.partition("?")[0]
    return f"{scheme}://{user}{at}{host}{slash}{shown_path}"


def dialect_for(database: str | os.PathLike[str], parameter: str = "database") -> Dialect:
    """The dialect of ``database``: a ``postgresql://`` URL, ``sqlite:///PATH`` or a path.

    ``parameter``: what the caller named it (``database``; the command line's ``--db``), for
    the messages.

    Raises:
        NotAMirrorError: another URL scheme (``mysql://`` ...), or an empty name.
    """
    location = os.fspath(database)
    if location.startswith(_POSTGRES_SCHEMES):
        return PostgresDialect(location)
    if location.startswith(_SQLITE_SCHEME):
        location = location.removeprefix(_SQLITE_SCHEME)
    elif "://" in location or location.startswith("sqlite:"):
        scheme = location.partition(":")[0]
        raise NotAMirrorError(
            scheme,
            f"{parameter} {scheme}:... is not a database the mirror supports: give a file path, "
            "sqlite:///PATH or postgresql://...",
        )
    if not location or location == ":memory:":
        raise NotAMirrorError(location, f"{parameter} needs a file (or a postgresql:// URL)")
    if _CONNINFO.match(location):
        raise NotAMirrorError(
            parameter,
            f"{parameter} looks like a PostgreSQL connection string (key=value ...): give a "
            "postgresql:// URL (and the password in PGPASSWORD or ~/.pgpass), or a file path",
        )
    return SQLiteDialect(location)


class Database:
    """A connection and its dialect: statements, rows and transactions, errors translated."""

    def __init__(self, dialect: Dialect, *, create: bool, reader: bool) -> None:
        self.dialect = dialect
        self.shown = dialect.shown
        self.connection = dialect.connect(create=create, reader=reader)
        #: The file it opened (`Dialect.identity()`): checked before each write transaction,
        #: and before a reader's connection is used again (`Readers.borrowed()`).
        self.identity = dialect.identity()
        self.reader = reader

    def execute(self, sql: str, params: Sequence[object] = ()) -> Any:
        """Run one statement; its cursor (for ``rowcount``)."""
        with self.dialect.translated():
            return self.connection.execute(self.dialect.sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement for each of ``rows`` (nothing for none)."""
        if not rows:
            return
        with self.dialect.translated():
            self.connection.cursor().executemany(self.dialect.sql(sql), rows)

    def one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or ``None``."""
        with self.dialect.translated():
            row: tuple[Any, ...] | None = self.connection.execute(
                self.dialect.sql(sql), tuple(params)
            ).fetchone()
        return row

    def all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query, read whole: the statement holds no snapshot once it returns."""
        with self.dialect.translated():
            cursor = self.connection.execute(self.dialect.sql(sql), tuple(params))
            try:
                rows: list[tuple[Any, ...]] = cursor.fetchall()
            finally:
                cursor.close()
        return rows

    def rows(self, sql: str, params: Sequence[object] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, streamed (the sync's own reads; readers use `all()`)."""
        with self.dialect.translated():
            cursor = self.connection.execute(self.dialect.sql(sql), tuple(params))
            while batch := cursor.fetchmany(500):
                yield from batch

    # What is read back from the tables is checked where it is read, by these: a value a
    # person edited into something no mirror writes is a NotAMirrorError naming its column,
    # never a TypeError deep in the code. ``column`` is ``table.column``; ``row`` names the
    # row when that helps (``sync 3``).

    def read_time(self, value: object, column: str, row: str | None = None) -> datetime:
        """A moment column's value, as an aware UTC datetime (see `Dialect.read_time()`)."""
        try:
            return self.dialect.read_time(value)
        except (TypeError, ValueError):
            raise self.damaged(column, row, "a moment") from None

    def read_int(
        self, value: object, column: str, row: str | None = None, *, minimum: int = 0
    ) -> int:
        """A number column's value: an integer of at least ``minimum``."""
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.damaged(column, row, f"a whole number of at least {minimum}")
        return value

    def read_text(self, value: object, column: str, row: str | None = None) -> str:
        """A text column's value."""
        if not isinstance(value, str):
            raise self.damaged(column, row, "a text")
        return value

    def read_bool(self, value: object, column: str, row: str | None = None) -> bool:
        """A boolean column's value (SQLite: 0 or 1)."""
        if not isinstance(value, int) or value not in (0, 1):
            raise self.damaged(column, row, "true or false")
        return bool(value)

    def read_json(self, value: object, column: str, row: str | None = None) -> Any:
        """A JSON column's document (a text; PostgreSQL's driver may have parsed it)."""
        try:
            return from_json(value)
        except (TypeError, ValueError, RecursionError):
            raise self.damaged(column, row, "JSON") from None

    def read_names(
        self, value: object, column: str, row: str | None = None
    ) -> tuple[str, ...] | None:
        """A JSON list of names (``null``, or SQL ``NULL``: ``None``)."""
        document = None if value is None else self.read_json(value, column, row)
        if document is None:
            return None
        if not isinstance(document, list):
            raise self.damaged(column, row, "a list of names")
        names: list[object] = document  # pyright: ignore[reportUnknownVariableType]
        if not all(isinstance(name, str) for name in names):
            raise self.damaged(column, row, "a list of names")
        return tuple(str(name) for name in names)

    def damaged(self, column: str, row: str | None, kind: str) -> NotAMirrorError:
        """The error of a value that no mirror writes in ``column``."""
        where = self.shown
        of = "" if row is None else f" of {row}"
        return NotAMirrorError(
            where, f"{where}: {column}{of} is not {kind}: it was changed by hand or damaged"
        )

    def tables(self) -> set[str]:
        """The names of the tables the database (its current schema) holds."""
        with self.dialect.translated():
            return self.dialect.tables(self.connection)

    @contextmanager
    def transaction(self, *, durable: bool = False) -> Generator[None, None, None]:
        """A write transaction (see `Dialect.transaction()`).

        Refused before it begins if the database's path no longer names the file this
        connection opened; and, for a durable one (a sync's completion), checked again after it.

        Raises:
            DatabaseWriteError: the file was moved, replaced or deleted meanwhile.
        """
        self._check_in_place()
        with self.dialect.transaction(self.connection, durable=durable):
            yield
        if durable:
            self._check_in_place()

    def in_place(self) -> bool:
        """Whether the database's path still names the file this connection opened."""
        return self.identity is None or self.dialect.identity() == self.identity

    def _check_in_place(self) -> None:
        if self.in_place():
            return
        where = self.shown
        raise DatabaseWriteError(
            where,
            f"{where} was moved, replaced or deleted while this sync ran: its commits went to "
            f"the file that was at {where} when it started. Put that file back at {where} and "
            "run the sync again to continue it (or give a new file to start over)",
        )

    def close(self) -> None:
        """Close the connection (what was not committed is rolled back)."""
        try:
            with self.dialect.translated():
                self.connection.close()
        except DatabaseUnavailableError:
            pass  # already gone
