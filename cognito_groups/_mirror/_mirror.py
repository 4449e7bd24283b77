"""`Mirror`: a database mirror of user pools' groups and members, with who joined and who left."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

from cognito_groups._closing import Closing
from cognito_groups._mirror import _job, _queries
from cognito_groups._mirror._database import DEFAULT_DATABASE, Database, dialect_for
from cognito_groups._mirror._errors import NotAMirrorError
from cognito_groups._mirror._schema import SCHEMA_VERSION, check_schema
from cognito_groups._validate import (
    DEFAULT_CONCURRENCY,
    check_concurrency,
    check_flag,
    check_group_name,
    check_group_names,
    check_user_pool_id,
    fail,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from cognito_groups._client import CognitoGroups
    from cognito_groups._mirror._job import SyncProgress
    from cognito_groups._mirror._records import MembershipChange, SyncRecord
    from cognito_groups._models import Group, User

__all__ = ["DEFAULT_ATTRIBUTES", "Mirror"]

#: The attributes a sync keeps by default: only ``email`` (privacy: keep what you need).
DEFAULT_ATTRIBUTES: tuple[str, ...] = ("email",)


class Mirror(Closing):
    """A database that mirrors user pools' groups and members, with the history of changes.

    The database is a SQLite file (a path, or ``sqlite:///PATH``; created with mode 0600) or
    a PostgreSQL database (``postgresql://...``; needs the ``postgres`` extra). Its tables are
    a stable interface for SQL (see the mirror's documentation); this class reads and writes
    them for you. The mirror is synchronous (database drivers are): give each thread its own
    ``Mirror``. Use it with ``with``, or call `close()`.

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

    __slots__ = ("_db", "_dialect", "_ready")

    def __init__(self, database: str | os.PathLike[str] = DEFAULT_DATABASE) -> None:
        self._dialect = dialect_for(_check_database(database))
        self._db: Database | None = None
        self._ready = False

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
        names = _job.by_name(check_group_names(group_names))
        kept = _job.by_name(_check_attributes(attributes))
        options = _job.SyncOptions(
            pool,
            names,
            kept,
            check_concurrency(concurrency),
            check_flag("wait", wait),
            check_flag("restart", restart),
            progress,
            waiting,
        )
        db = Database(self._dialect, create=True)
        try:
            return _job.run(db, cognito, options)
        finally:
            db.close()

    def members(self, user_pool_id: str, group_name: str) -> list[User]:
        """The members of a group, by username, as the last complete sync saw them.

        Each `User` has the attributes the sync kept (no MFA options).
        """
        pool, group = check_user_pool_id(user_pool_id), check_group_name(group_name)
        return _queries.members(self._reader(), pool, group)

    def groups_of(self, user_pool_id: str, username: str) -> frozenset[str]:
        """The names of the mirrored groups ``username`` is in (empty if none)."""
        pool = check_user_pool_id(user_pool_id)
        return _queries.groups_of(self._reader(), pool, _check_username(username))

    def groups(self, user_pool_id: str) -> list[Group]:
        """The mirrored groups of a pool, by name."""
        return _queries.groups(self._reader(), check_user_pool_id(user_pool_id))

    def changes(
        self,
        user_pool_id: str | None = None,
        *,
        since: datetime | None = None,
        group_names: Iterable[str] | None = None,
    ) -> Iterator[MembershipChange]:
        """Who joined and who left, oldest first, as complete syncs observed it.

        Args:
            user_pool_id: One pool's changes (default: every pool's).
            since: Only changes observed at or after this moment (an aware datetime).
            group_names: Only these groups' changes.
        """
        pool = None if user_pool_id is None else check_user_pool_id(user_pool_id)
        if since is not None and (
            not hasattr(since, "tzinfo") or since.tzinfo is None or since.utcoffset() is None
        ):
            raise fail("since", "must be an aware datetime (with a time zone)")
        names = check_group_names(group_names)
        return _queries.changes(self._reader(), pool, since=since, group_names=names)

    def syncs(self, user_pool_id: str | None = None) -> list[SyncRecord]:
        """The syncs, oldest first: of one pool, or of every pool."""
        pool = None if user_pool_id is None else check_user_pool_id(user_pool_id)
        return _queries.syncs(self._reader(), pool)

    def delete_pool(self, user_pool_id: str) -> int:
        """Remove everything the mirror holds of a pool, its history too; the rows removed.

        Refused while a sync of the pool runs (`SyncInProgressError`).
        """
        pool = check_user_pool_id(user_pool_id)
        db = self._reader()
        with db.dialect.pool_lock(db.connection, pool, wait=False, waiting=lambda _: None):
            return _queries.delete_pool(db, pool)

    def _reader(self) -> Database:
        """The connection readers use, to a mirror of this release's schema."""
        if self._db is None:
            self._db = Database(self._dialect, create=False)
        if not self._ready:
            version = check_schema(self._db)
            if version != SCHEMA_VERSION:
                where = self._db.shown
                raise NotAMirrorError(
                    where,
                    f"{where} holds no mirror yet (run cognito-groups sync first)"
                    if version == 0
                    else f"{where} is a mirror of an older schema (version {version}): a "
                    "sync upgrades it",
                )
            self._ready = True
        return self._db

    def close(self) -> None:
        """Close the connection readers use (a sync opens and closes its own)."""
        if self._db is not None:
            self._db.close()
            self._db = None
            self._ready = False


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


def _check_username(value: object) -> str:
    """A username to look up (any text: the mirror holds what the service sent)."""
    if not isinstance(value, str):
        raise fail("username", f"must be a str, got {type(value).__name__}")
    return value
