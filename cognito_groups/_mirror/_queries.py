"""What readers ask the mirror: members, groups of a user, changes, syncs; and deleting a pool.

Only committed rows are read: what the last complete sync of each group swapped in. Each
function runs one statement and reads it whole (`Database.all()`): a reader holds no snapshot
beyond the call. The changes are read a page at a time (`changes_page()`), by id: ids follow
the order in which the syncs' completions were committed (`_swap.complete()`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from cognito_groups._mirror._records import MembershipChange, SyncRecord
from cognito_groups._models import Attribute, Group, User, UserStatus

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from cognito_groups._mirror._database import Database
    from cognito_groups._mirror._records import ChangeKind, SyncStatus

__all__ = [
    "changes_page",
    "delete_pool",
    "groups",
    "groups_of",
    "members",
    "sync_record",
    "syncs",
]

_SYNC_COLUMNS = (
    "id, pool_id, started, finished, status, requests, throttled, memberships, joined, "
    "left_count, baseline, group_names, attributes, error"
)


def members(db: Database, user_pool_id: str, group_name: str) -> list[User]:
    """The members of a group, by username, as the last complete sync saw them."""
    rows = db.all(
        "SELECT u.username, u.user_status, u.enabled, u.user_create_date, "
        "u.user_last_modified_date, u.attributes, COALESCE(m.sub, u.sub) "
        "FROM memberships m JOIN users u ON u.pool_id = m.pool_id AND u.username = m.username "
        "WHERE m.pool_id = ? AND m.group_name = ? ORDER BY m.username",
        (user_pool_id, group_name),
    )
    return [_user(db, row) for row in rows]


def _user(db: Database, row: Sequence[Any]) -> User:
    username, status, enabled, created, modified, attributes, sub = row
    document: object = db.read_json(attributes, "users.attributes")
    if not isinstance(document, dict) or not all(
        isinstance(value, str | None) for value in cast("dict[str, object]", document).values()
    ):
        raise db.damaged("users.attributes", None, "an object of texts")
    kept = cast("dict[str, str | None]", document)
    if sub is not None:  # every user's sub is kept, whatever the attributes kept
        kept = {**kept, "sub": db.read_text(sub, "users.sub")}
    return User(
        username,
        attributes=tuple(Attribute(name, value) for name, value in kept.items()),
        user_create_date=_moment(db, created, "users.user_create_date"),
        user_last_modified_date=_moment(db, modified, "users.user_last_modified_date"),
        enabled=None if enabled is None else db.read_bool(enabled, "users.enabled"),
        user_status=None if status is None else UserStatus(status),
    )


def _moment(db: Database, value: object, column: str, row: str | None = None) -> datetime | None:
    """A moment column that may be null."""
    return None if value is None else db.read_time(value, column, row)


def groups_of(db: Database, user_pool_id: str, username: str) -> frozenset[str]:
    """The mirrored groups a user is in."""
    rows = db.all(
        "SELECT group_name FROM memberships WHERE pool_id = ? AND username = ?",
        (user_pool_id, username),
    )
    return frozenset(name for (name,) in rows)


def groups(db: Database, user_pool_id: str) -> list[Group]:
    """The mirrored groups of a pool, by name, as ``ListGroups`` described them."""
    rows = db.all(
        "SELECT group_name, description, role_arn, precedence, last_modified_date, "
        "creation_date FROM groups WHERE pool_id = ? ORDER BY group_name",
        (user_pool_id,),
    )
    return [
        Group(
            name,
            user_pool_id,
            description,
            role_arn,
            None if precedence is None else db.read_int(precedence, "groups.precedence"),
            _moment(db, modified, "groups.last_modified_date"),
            _moment(db, created, "groups.creation_date"),
        )
        for name, description, role_arn, precedence, modified, created in rows
    ]


def changes_page(
    db: Database,
    user_pool_id: str | None,
    *,
    since: datetime | None,
    group_names: Sequence[str] | None,
    after: int,
    upto: int | None,
    limit: int,
) -> tuple[int, list[tuple[int, MembershipChange]]]:
    """Up to ``limit`` changes with an id above ``after``, oldest first, each with its id.

    ``upto``: the last id to read (``None``: the last one committed now, returned with the
    page, in the same statement). Changes committed after that are not read: a reader that
    pages through them sees exactly those committed when its first page was read.
    """
    where: list[str] = ["id > ?"]
    params: list[object] = [after]
    if upto is not None:
        where.append("id <= ?")
        params.append(upto)
    if user_pool_id is not None:
        where.append("pool_id = ?")
        params.append(user_pool_id)
    if since is not None:
        where.append("observed_at >= ?")
        params.append(db.dialect.bind_time(since))
    if group_names is not None:
        where.append(f"group_name IN ({', '.join('?' for _ in group_names) or 'NULL'})")
        params.extend(group_names)
    last = "?" if upto is not None else "(SELECT COALESCE(MAX(id), 0) FROM membership_changes)"
    rows = db.all(
        f"SELECT {last}, id, pool_id, group_name, username, sub, change, sync_id, "  # noqa: S608
        f"observed_at FROM membership_changes WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
        [*([upto] if upto is not None else []), *params, limit],
    )
    page: list[tuple[int, MembershipChange]] = []
    for _, change_id, pool, group_name, username, sub, change, sync_id, observed_at in rows:
        page.append(
            (
                db.read_int(change_id, "membership_changes.id", minimum=1),
                MembershipChange(
                    pool,
                    group_name,
                    username,
                    cast("ChangeKind", change),
                    db.read_int(sync_id, "membership_changes.sync_id", minimum=1),
                    db.read_time(observed_at, "membership_changes.observed_at"),
                    None if sub is None else db.read_text(sub, "membership_changes.sub"),
                ),
            )
        )
    if upto is None:
        upto = db.read_int(rows[0][0], "membership_changes.id") if rows else after
    return upto, page


def syncs(db: Database, user_pool_id: str | None) -> list[SyncRecord]:
    """The syncs, oldest first (of one pool, or of all)."""
    if user_pool_id is None:
        rows = db.all(f"SELECT {_SYNC_COLUMNS} FROM syncs ORDER BY id")  # noqa: S608
    else:
        rows = db.all(
            f"SELECT {_SYNC_COLUMNS} FROM syncs WHERE pool_id = ? ORDER BY id",  # noqa: S608
            (user_pool_id,),
        )
    return [_sync(db, row) for row in rows]


def sync_record(db: Database, sync_id: int) -> SyncRecord:
    """One sync's record."""
    row = db.one(f"SELECT {_SYNC_COLUMNS} FROM syncs WHERE id = ?", (sync_id,))  # noqa: S608
    if row is None:
        raise LookupError(f"no sync {sync_id} in {db.shown}")
    return _sync(db, row)


def _sync(db: Database, row: Sequence[Any]) -> SyncRecord:
    (
        sync_id,
        pool,
        started,
        finished,
        status,
        requests,
        throttled,
        memberships,
        joined,
        left,
        baseline,
        names,
        attributes,
        error,
    ) = row
    number = db.read_int(sync_id, "syncs.id", minimum=1)
    row_name = f"sync {number}"

    def count(value: object, column: str) -> int:
        return db.read_int(value, f"syncs.{column}", row_name)

    return SyncRecord(
        id=number,
        user_pool_id=pool,
        started=db.read_time(started, "syncs.started", row_name),
        finished=_moment(db, finished, "syncs.finished", row_name),
        status=cast("SyncStatus", status),
        requests=count(requests, "requests"),
        throttled=count(throttled, "throttled"),
        memberships=count(memberships, "memberships"),
        joined=None if joined is None else count(joined, "joined"),
        left=None if left is None else count(left, "left_count"),
        baseline=db.read_bool(baseline, "syncs.baseline", row_name),
        group_names=db.read_names(names, "syncs.group_names", row_name),
        attributes=db.read_names(attributes, "syncs.attributes", row_name),
        error=error,
    )


#: What `delete_pool()` removes, in this order (changes name their syncs).
_POOL_TABLES = ("membership_changes", "memberships", "users", "groups")


def delete_pool(db: Database, user_pool_id: str) -> int:
    """Remove every row of a pool from the mirror, in one transaction; how many went.

    Its syncs and their staged rows too.
    """
    removed = 0
    with db.transaction(durable=True):
        for table in ("sync_memberships", "sync_users", "sync_groups"):
            db.execute(
                f"DELETE FROM {table} WHERE sync_id IN (SELECT id FROM syncs WHERE pool_id = ?)",  # noqa: S608
                (user_pool_id,),
            )
        for table in _POOL_TABLES:
            removed += int(
                db.execute(
                    f"DELETE FROM {table} WHERE pool_id = ?",  # noqa: S608 (fixed names)
                    (user_pool_id,),
                ).rowcount
            )
        removed += int(db.execute("DELETE FROM syncs WHERE pool_id = ?", (user_pool_id,)).rowcount)
    return removed
