"""`MirrorSnapshot`: the mirror's read methods, every answer from one state of the database.

One read transaction (SQLite's deferred ``BEGIN``, PostgreSQL's ``REPEATABLE READ READ
ONLY``) on one connection borrowed from the `Mirror`'s readers: the groups, their members,
a user's groups, the syncs and the changes are those of the same complete syncs, whatever
syncs complete meanwhile. Ended (committed, the connection given back) when its ``with``
block ends; reading it after that is an error.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cognito_groups._mirror._reads import Reads

if TYPE_CHECKING:
    from collections.abc import Generator

    from cognito_groups._mirror._database import Database

__all__ = ["MirrorSnapshot", "snapshot_of"]


class MirrorSnapshot(Reads):
    """The mirror as one state: every read method answers from the same complete syncs.

    Made by [`Mirror.snapshot()`][cognito_groups.Mirror.snapshot], for its ``with`` block
    only. Its methods are `Mirror`'s read methods (`members`, `groups_of`, `groups`,
    `syncs`, `changes`); threads may share it (their reads take turns).

    Example:
        ```python
        with mirror.snapshot() as snapshot:
            everyone = {group.group_name: snapshot.members(user_pool_id, group.group_name)
                        for group in snapshot.groups(user_pool_id)}
            history = list(snapshot.changes(user_pool_id))  # the changes of that same state
        ```
    """

    __slots__ = ("_db", "_lock", "_open")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._open = True

    @contextmanager
    def _reading(self) -> Generator[Database, None, None]:
        with self._lock:
            if not self._open:
                raise RuntimeError(
                    "this MirrorSnapshot has ended: read it inside its `with mirror.snapshot()` "
                    "block"
                )
            yield self._db


@contextmanager
def snapshot_of(db: Database) -> Generator[MirrorSnapshot, None, None]:
    """A snapshot reading ``db`` in one read transaction, ended with the block."""
    with db.dialect.read_transaction(db.connection):
        snapshot = MirrorSnapshot(db)
        try:
            yield snapshot
        finally:
            with snapshot._lock:
                snapshot._open = False
