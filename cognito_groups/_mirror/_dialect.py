"""What differs between SQLite and PostgreSQL: the `Dialect`, and the JSON and time helpers.

The SQL of the mirror is written once, with ``?`` placeholders; every value is a bound
parameter, never formatted into the text. What differs between the two back ends lives in a
`Dialect` (``_sqlite``, ``_postgres``): how to connect, the placeholder, the column types of the
schema, how a write transaction begins, how timestamps and JSON are bound and read, which errors
mean what, and how one sync of a pool is kept from running twice at once (a ``flock`` beside a
SQLite file, an advisory lock in PostgreSQL, both let go by the system when their holder dies).

Every error of the driver becomes a `MirrorError` naming the database (`Dialect.translated()`);
a PostgreSQL URL is shown without its password.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cognito_groups._mirror._errors import SyncInProgressError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

__all__ = ["NOT_TEXT", "Dialect", "from_json", "to_json"]

_SURROGATE = re.compile("[\ud800-\udfff]")
#: What no database of the mirror stores in a text column: a NUL (PostgreSQL), a lone
#: surrogate (no UTF-8 text holds one).
NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def to_json(document: object) -> str:
    r"""JSON text of ``document`` that any database stores exactly.

    Readable (non-ASCII kept), every control character escaped (``\\u0000`` too), and a lone
    surrogate, which no UTF-8 text can hold, written as its escape.
    """
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


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
    #: The statement that begins a `read_transaction()`.
    begin_read: str
    #: What a message says of a pool lock's holder that cannot be named.
    unknown_holder: str

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

    @contextmanager
    def read_transaction(self, connection: Any) -> Generator[None, None, None]:
        """One read-only transaction: every query in the block sees the same committed state."""
        with self.translated():
            connection.execute(self.begin_read)
        try:
            yield
        finally:
            if self.can_commit(connection):
                with self.translated():
                    connection.execute("COMMIT")

    @abstractmethod
    def can_commit(self, connection: Any) -> bool:
        """Whether a transaction the connection began is still there to commit.

        Not when the connection was lost, or an error already ended the transaction.
        """

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

    def sync_in_progress(self, user_pool_id: str, holder: str | None) -> SyncInProgressError:
        """The error of a pool whose lock another sync holds (``holder``: who, if known)."""
        return SyncInProgressError(
            self.shown,
            f"another cognito-groups sync of {user_pool_id} into {self.shown} is running "
            f"({holder or self.unknown_holder}): wait for it to end (or pass --wait), or stop it",
            user_pool_id=user_pool_id,
            holder=holder,
        )

    @abstractmethod
    @contextmanager
    def schema_lock(self, connection: Any) -> Generator[None, None, None]:
        """One process at a time creates or migrates the schema (inside its transaction)."""
