"""The connections a `Mirror` reads through: a small pool that threads share.

A reader borrows a connection for one call (or for the span of a snapshot) and gives it back;
no two threads use one connection at once. A connection is made when none is idle (so there
are as many as threads that read at the same moment), the mirror's schema is checked on the
first, and `close()` closes the idle ones at once and those in use when they come back. A
connection whose use raised is closed rather than reused: it may be in a transaction, or
broken. A connection whose file is no longer the one at the database's path (deleted, moved,
replaced: `Database.in_place()`) is closed when it is borrowed, and a new one opened: a
reader follows the file now there, or is refused.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cognito_groups._mirror._database import Database
from cognito_groups._mirror._errors import NotAMirrorError
from cognito_groups._mirror._schema import SCHEMA_VERSION, check_schema

if TYPE_CHECKING:
    from collections.abc import Generator

    from cognito_groups._mirror._database import Dialect

__all__ = ["Readers", "check_version"]


class Readers:
    """The reader connections of one `Mirror` (see the module's docstring)."""

    __slots__ = ("_dialect", "_generation", "_idle", "_lock", "_ready")

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._idle: list[Database] = []
        self._lock = threading.Lock()
        #: Bumped by `close()`: a connection of an earlier generation is closed when given back.
        self._generation = 0
        self._ready = False

    @contextmanager
    def borrowed(self) -> Generator[Database, None, None]:
        """A connection of this thread's alone until the block ends."""
        with self._lock:
            db = self._idle.pop() if self._idle else None
            generation = self._generation
        if db is not None and not db.in_place():
            # The file was deleted, moved or replaced: this connection reads the old one.
            db.close()
            db = None
        if db is None:
            db = Database(self._dialect, create=False, reader=True)
        try:
            if not self._ready:
                check_version(db)
                self._ready = True
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
            self._ready = False
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
