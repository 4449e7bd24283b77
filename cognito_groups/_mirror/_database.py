"""A connection to the mirror's database, SQLite or PostgreSQL, whichever `dialect_for` names.

`Database` runs the mirror's statements (written once, with ``?`` placeholders) through its
`Dialect` (``_dialect``, ``_sqlite``, ``_postgres``), reads its columns with checks, and holds
its transactions, every driver error translated. A reader's statements are short: each query
is read whole before it returns (`Database.all()`), so no reader keeps the database in the
past; `Dialect.read_transaction()` holds one snapshot for the span of a `Mirror.snapshot()`.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cognito_groups._mirror._dialect import Dialect, from_json
from cognito_groups._mirror._errors import (
    DatabaseUnavailableError,
    DatabaseWriteError,
    NotAMirrorError,
)
from cognito_groups._mirror._postgres import PostgresDialect
from cognito_groups._mirror._sqlite import SQLiteDialect

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Sequence
    from datetime import datetime

__all__ = ["DEFAULT_DATABASE", "Database", "dialect_for"]

#: The database of the command line when ``--db`` is not given: a SQLite file here.
DEFAULT_DATABASE = "cognito-groups.db"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SCHEME = "sqlite:///"
#: A libpq ``key=value`` connection string, which must not become a file of that name.
_CONNINFO = re.compile(
    r"\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|options|"
    r"connect_timeout|application_name|target_session_attrs)\s*=",
    re.IGNORECASE,
)


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
