"""`Mirror`: a database mirror of user pools' groups and members, with who joined and who left."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from cognito_groups._client._closing import Closing
from cognito_groups._listing._validate import (
    DEFAULT_CONCURRENCY,
    check_concurrency,
    check_flag,
    check_group_names,
    check_user_pool_id,
    fail,
)
from cognito_groups._mirror import _job, _queries, _resume
from cognito_groups._mirror._database import DEFAULT_DATABASE, Database, dialect_for
from cognito_groups._mirror._readers import Readers, check_version
from cognito_groups._mirror._reads import Reads
from cognito_groups._mirror._records import SyncOptions
from cognito_groups._mirror._snapshot import MirrorSnapshot, snapshot_of

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from contextlib import AbstractContextManager

    from cognito_groups._client._sync import CognitoGroups
    from cognito_groups._mirror._records import SyncProgress, SyncRecord

__all__ = ["DEFAULT_ATTRIBUTES", "Mirror"]

#: The attributes a sync keeps by default: only ``email`` (privacy: keep what you need).
DEFAULT_ATTRIBUTES: tuple[str, ...] = ("email",)


class Mirror(Reads, Closing):
    """A database that mirrors user pools' groups and members, with the history of changes.

    The database is a SQLite file (a path, or ``sqlite:///PATH``; created with mode 0600) or
    a PostgreSQL database (``postgresql://...``; needs the ``postgres`` extra). Its tables are
    a stable interface for SQL (see the mirror's documentation); this class reads and writes
    them for you. The mirror is synchronous (database drivers are).

    Each read (`members`, `groups_of`, `groups`, `syncs`, `changes`) answers from the latest
    complete sync, in a short query of its own; `snapshot()` answers several from one state.
    One `Mirror` may be shared by threads (an application keeps one, at module level): each
    read borrows a connection of its own from a small pool, made as needed and closed by
    `close()`. Use it with ``with``, or call `close()`.

    Args:
        database: Where the mirror is (default ``cognito-groups.db`` in the working folder).

    Raises:
        NotAMirrorError: ``database`` names a kind of database the mirror does not support.

    Example:
        ```python
        from cognito_groups import CognitoGroups, Mirror

        with Mirror("cognito-groups.db") as mirror:
            mirror.sync(CognitoGroups(), "us-east-1_AbC123")
            admins = mirror.members("us-east-1_AbC123", "admins")
        ```
    """

    __slots__ = ("_dialect", "_readers")

    def __init__(self, database: str | os.PathLike[str] = DEFAULT_DATABASE) -> None:
        self._dialect = dialect_for(_check_database(database))
        self._readers = Readers(self._dialect)

    @property
    def database(self) -> str:
        """The database, as messages name it (a PostgreSQL URL without its password)."""
        return self._dialect.shown

    def sync(
        self,
        cognito: CognitoGroups,
        user_pool_id: str,
        group_names: Iterable[str] | None = None,
        *,
        attributes: Iterable[str] | None = DEFAULT_ATTRIBUTES,
        concurrency: int = DEFAULT_CONCURRENCY,
        wait: bool = False,
        restart: bool = False,
        progress: Callable[[SyncProgress], object] | None = None,
        waiting: Callable[[str], object] | None = None,
    ) -> SyncRecord:
        """Sync a pool's groups and members into the mirror; the record of the sync.

        The listing is ``cognito.iter_memberships`` (its budget: ``max_rps``), staged as it
        goes and committed with its cursor; the mirror's tables change only when the sync
        completes, in one transaction with the changes it saw. A sync that stopped (an
        error, Ctrl-C, ``kill -9``) is continued by the next sync of the pool, exactly. The
        pool's first complete sync is its baseline: it records no change.

        Args:
            cognito: The facade to list with (its client, its budget).
            user_pool_id: The pool.
            group_names: Sync only these groups (default: every group of the pool). A group
                named that is gone from the pool has its members ``left``.
            attributes: The attributes to keep of each user (default: ``email`` only;
                ``None``: all of them; ``()``: none).
            concurrency: Groups listed at once, 1 to 32.
            wait: When another sync of the pool runs, wait for it (else
                `SyncInProgressError`).
            restart: Abandon an interrupted sync of the pool instead of continuing it (needed
                when it was started with other ``group_names`` or ``attributes``).
            progress: Called with a [`SyncProgress`][cognito_groups.SyncProgress] after each
                commit (every quarter of a second or 1,000 memberships, and at the end).
            waiting: Called with who holds the pool's lock, when ``wait`` waits for it.

        Raises:
            InvalidParameterError: a parameter breaks a rule (nothing is written).
            SyncInProgressError: another sync of the pool into this database is running.
            InterruptedSyncError: an interrupted sync of the pool had other options.
            UnknownGroupError: a group named is neither in the pool nor in the mirror.
            CognitoGroupsError: the listing failed (the next sync continues from there).
            MirrorError: the database failed (the next sync continues from its last commit).
        """
        pool = check_user_pool_id(user_pool_id)
        # By name: the same groups or attributes in another order are the same sync.
        names = _resume.by_name(check_group_names(group_names))
        kept = _resume.by_name(_check_attributes(attributes))
        options = SyncOptions(
            pool,
            names,
            kept,
            check_concurrency(concurrency),
            check_flag("wait", wait),
            check_flag("restart", restart),
            progress,
            waiting,
        )
        db = Database(self._dialect, create=True, reader=False)
        try:
            return _job.run(db, cognito, options)
        finally:
            db.close()

    @contextmanager
    def snapshot(self) -> Generator[MirrorSnapshot, None, None]:
        """Every read inside the block from one state of the mirror: one read transaction.

        `Mirror`'s own reads each answer from the latest complete sync, which may change
        between two calls; a [`MirrorSnapshot`][cognito_groups.MirrorSnapshot] answers
        `groups`, `members`, `groups_of`, `syncs` and `changes` from the same complete syncs,
        whatever completes meanwhile. Keep the block short: the snapshot holds its connection
        (and, in SQLite, the WAL pages it reads) until it ends.
        """
        with self._readers.borrowed() as db, snapshot_of(db) as snapshot:
            yield snapshot

    def _reading(self) -> AbstractContextManager[Database]:
        return self._readers.borrowed()

    def delete_pool(self, user_pool_id: str) -> int:
        """Remove everything the mirror holds of a pool, its history too; the rows removed.

        Refused while a sync of the pool runs (`SyncInProgressError`).
        """
        pool = check_user_pool_id(user_pool_id)
        db = Database(self._dialect, create=False, reader=False)
        try:
            check_version(db)
            with db.dialect.pool_lock(db.connection, pool, wait=False, waiting=lambda _: None):
                return _queries.delete_pool(db, pool)
        finally:
            db.close()

    def close(self) -> None:
        """Close the connections readers use (a sync opens and closes its own).

        Those in use by other threads are closed when their read ends; a read after this
        opens a connection again.
        """
        self._readers.close()


def _check_attributes(value: object) -> tuple[str, ...] | None:
    """The attributes to keep: a tuple of distinct names, or ``None`` for all."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise fail("attributes", "must be a list of attribute names, or None for all")
    names: dict[str, None] = {}
    for item in cast("Iterable[object]", value):
        if not isinstance(item, str) or not item or len(item) > 32:
            raise fail("attributes", f"{item!r} is not an attribute name (1 to 32 characters)")
        names[item] = None
    return tuple(names)


def _check_database(value: object) -> str:
    """The database named: a path or a URL."""
    if not isinstance(value, str | os.PathLike):
        raise fail("database", f"must be a path or a URL, got {type(value).__name__}")
    return os.fspath(cast("str | os.PathLike[str]", value))
