"""The connections a `Mirror` reads through: a small pool that threads share.

A reader borrows a connection for one call (or for the span of a snapshot) and gives it back;
no two threads use one connection at once. A connection is made when none is idle (so there
are as many as threads that read at the same moment), the mirror's schema is checked on each
new one, and `close()` closes the idle ones at once and those in use when they come back. A
connection whose use raised is closed rather than reused: it may be in a transaction, or
broken. A connection whose file is no longer the one at the database's path (deleted, moved,
replaced: `Database.in_place()`) is closed when it is borrowed, and a new one opened (and its
schema checked): a reader follows the file now there, or is refused as any new reader is.

A process forked after a read (a web server's workers forked from a master that read) does not
use the connections it inherited: SQLite's locks and a PostgreSQL session do not survive a
fork. It opens its own, and keeps the inherited ones unused and unclosed (closing one could end
the parent's PostgreSQL session).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cognito_groups._mirror._database import Database
from cognito_groups._mirror._errors import NotAMirrorError
from cognito_groups._mirror._schema import SCHEMA_VERSION, check_schema

if TYPE_CHECKING:
    from collections.abc import Generator

    from cognito_groups._mirror._dialect import Dialect

__all__ = ["Readers", "check_version"]


class Readers:
    """The reader connections of one `Mirror` (see the module's docstring)."""

    __slots__ = ("_dialect", "_generation", "_idle", "_inherited", "_lock", "_pid")

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._idle: list[Database] = []
        self._lock = threading.Lock()
        #: Bumped by `close()`: a connection of an earlier generation is closed when given back.
        self._generation = 0
        self._pid = os.getpid()
        #: Connections a forked process inherited: never used, never closed (see above).
        self._inherited: list[Database] = []

    @contextmanager
    def borrowed(self) -> Generator[Database, None, None]:
        """A connection of this thread's alone until the block ends."""
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours
                self._inherited += self._idle
                self._idle = []
                self._pid = os.getpid()
                self._generation += 1
            db = self._idle.pop() if self._idle else None
            generation = self._generation
        if db is not None and not db.in_place():
            # The file was deleted, moved or replaced: this connection reads the old one.
            db.close()
            db = None
        new = db is None
        if db is None:
            db = Database(self._dialect, create=False, reader=True)
        try:
            if new:
                check_version(db)
            yield db
        except BaseException:
            db.close()
            raise
        with self._lock:
            if generation == self._generation:
                self._idle.append(db)
                return
        db.close()

    def close(self) -> None:
        """Close the idle connections now, and those in use when they are given back."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for db in idle:
            db.close()


def check_version(db: Database) -> None:
    """Refuse a database that holds no mirror of this release's schema."""
    version = check_schema(db)
    if version != SCHEMA_VERSION:
        where = db.shown
        raise NotAMirrorError(
            where,
            f"{where} holds no mirror yet (run cognito-groups sync first)"
            if version == 0
            else f"{where} is a mirror of an older schema (version {version}): a sync upgrades it",
        )
