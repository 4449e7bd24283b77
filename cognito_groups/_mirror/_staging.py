"""A sync in progress: started, staged batch by batch with its cursor, continued, or abandoned.

A sync stages what it lists in ``sync_groups``, ``sync_memberships`` and ``sync_users``;
readers never see those tables' rows as the mirror (`_swap` moves them in at the end). Each
batch is committed in one transaction with the listing's checkpoint that covers exactly its
rows (``syncs.listing_checkpoint``), so after a ``kill -9`` at any moment the next sync of
the pool continues from the last commit: no membership is staged twice or lost.

With the cursor, the same transaction writes ``syncs.cursor_digest`` (`cursor_digest()`): the
SHA-256 of what decides how the sync goes on (its id and pool, its groups and attributes, the
cursor, the memberships counted). A sync whose row no longer matches its digest, or holds a
value no sync writes, was changed by hand or damaged: it is not continued (``damaged``), only
abandoned. The digest finds edits and damage; it is no signature against a deliberate forger.

A group that disappears while its sync runs (``ResourceNotFoundException`` for it) is
dropped from the sync (`drop_group()`): its staged rows go, and the checkpoint is rewritten
without it; the swap then treats it as a group gone from the pool.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_groups._durable._digest import canonical_digest
from cognito_groups._listing._checkpoint import decode_checkpoint, encode_checkpoint
from cognito_groups._mirror import _staged_digest
from cognito_groups._mirror._dialect import to_json
from cognito_groups._mirror._rows import group_row

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from cognito_groups._mirror._database import Database
    from cognito_groups._models import Group

__all__ = [
    "RunningSync",
    "abandon",
    "clear_finished",
    "clear_staging",
    "cursor_digest",
    "drop_group",
    "stage",
    "start",
]

_STAGE_MEMBERSHIP = """
INSERT INTO sync_memberships (sync_id, group_name, username, sub) VALUES (?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""
_STAGE_USER = """
INSERT INTO sync_users (sync_id, username, user_status, enabled, user_create_date,
                        user_last_modified_date, attributes, sub)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (sync_id, username) DO UPDATE SET
    user_status = excluded.user_status, enabled = excluded.enabled,
    user_create_date = excluded.user_create_date,
    user_last_modified_date = excluded.user_last_modified_date,
    attributes = excluded.attributes, sub = excluded.sub
"""
_STAGE_GROUP = """
INSERT INTO sync_groups (sync_id, group_name, present, description, precedence, role_arn,
                         creation_date, last_modified_date)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
# One pass over the sync's staged memberships (EXCEPT), not one per user of the group.
_UNSTAGE_USERS = """
DELETE FROM sync_users WHERE sync_id = ? AND username IN (
    SELECT username FROM sync_memberships WHERE sync_id = ? AND group_name = ?
    EXCEPT
    SELECT username FROM sync_memberships WHERE sync_id = ? AND group_name <> ?)
RETURNING username
"""
_STAGING_TABLES = ("sync_memberships", "sync_users", "sync_groups")
#: Where a sync says what it stored otherwise than it was sent (no value: names only).


@dataclass(frozen=True)
class RunningSync:
    """A sync that stages rows: its row of ``syncs``, as this run knows it.

    ``groups``: the groups it lists (those of its scope present in the pool when it started,
    less those that disappeared since). ``memberships``, ``requests``, ``throttled``: the
    counts committed so far, by every run of it. ``damaged``: its row cannot be continued,
    and what of it says so (``its row in syncs``, ``its syncs.started``), else ``None``.
    """

    id: int
    user_pool_id: str
    group_names: tuple[str, ...] | None
    attributes: tuple[str, ...] | None
    checkpoint: str | None
    groups: tuple[str, ...]
    memberships: int
    requests: int
    throttled: int
    #: Its row was changed by hand or damaged (its cursor, its groups or attributes ...).
    damaged: str | None = None


def cursor_digest(
    sync_id: int,
    user_pool_id: str,
    group_names: tuple[str, ...] | None,
    attributes: tuple[str, ...] | None,
    checkpoint: str | None,
    memberships: int,
) -> str:
    """``syncs.cursor_digest``: the SHA-256 of what decides how a continued sync goes."""
    return canonical_digest(
        {
            "id": sync_id,
            "pool_id": user_pool_id,
            "group_names": None if group_names is None else list(group_names),
            "attributes": None if attributes is None else list(attributes),
            "listing_checkpoint": checkpoint,
            "memberships": memberships,
        }
    )


def start(
    db: Database,
    user_pool_id: str,
    *,
    group_names: tuple[str, ...] | None,
    attributes: tuple[str, ...] | None,
    listed: Sequence[Group],
    now: datetime,
    baseline: bool,
) -> RunningSync:
    """A new sync of the pool, with the groups of its scope as ``ListGroups`` gave them.

    With ``group_names``, the scope is those groups, each staged present or not (a named
    group gone from the pool); else every group listed.
    """
    by_name = {group.group_name: group for group in listed}
    scope = list(by_name) if group_names is None else list(group_names)
    dialect = db.dialect
    with db.transaction():
        row = db.one(
            "INSERT INTO syncs (pool_id, started, status, baseline, group_names, attributes) "
            "VALUES (?, ?, 'running', ?, ?, ?) RETURNING id",
            (
                user_pool_id,
                dialect.bind_time(now),
                baseline,
                None if group_names is None else to_json(list(group_names)),
                None if attributes is None else to_json(list(attributes)),
            ),
        )
        if row is None:
            raise LookupError("INSERT ... RETURNING gave no row")
        sync_id = int(row[0])
        db.execute(
            "UPDATE syncs SET cursor_digest = ? WHERE id = ?",
            (cursor_digest(sync_id, user_pool_id, group_names, attributes, None, 0), sync_id),
        )
        rows = [group_row(db, sync_id, name, by_name.get(name)) for name in scope]
        db.executemany(_STAGE_GROUP, rows)
        staged = _staged_digest.added(
            _staged_digest.EMPTY,
            [_staged_digest.group_row(str(row[1]), bool(row[2])) for row in rows],
        )
        db.execute("UPDATE syncs SET staged_digest = ? WHERE id = ?", (staged, sync_id))
    present = tuple(name for name in scope if name in by_name)
    return RunningSync(sync_id, user_pool_id, group_names, attributes, None, present, 0, 0, 0)


def stage(
    db: Database,
    sync: RunningSync,
    memberships: Iterable[tuple[str, str]],
    users: Iterable[tuple[Any, ...]],
    *,
    checkpoint: str,
    listed: int,
    requests: int,
    throttled: int,
    error: str | None = None,
) -> RunningSync:
    """Commit a batch with the checkpoint that covers it, and the counts so far.

    ``memberships``: (group name, username); ``users``: their `user_row()`s; ``listed``,
    ``requests``, ``throttled``: this run's counts since it started, added to those the
    sync had. With ``error``, the sync is marked ``failed`` (the next sync continues it).
    """
    pairs = list(dict.fromkeys(memberships))
    user_rows = list(users)
    counted = sync.memberships + listed
    with db.transaction():
        # The rows this batch stages anew (each once) go into the staged rows' digest.
        new_pairs, new_users = _staged_digest.not_staged(
            db, sync.id, pairs, list(dict.fromkeys(str(row[1]) for row in user_rows))
        )
        # Each membership with the sub of the account listed in it (its user's row's last).
        subs = {str(row[1]): row[-1] for row in user_rows}
        db.executemany(
            _STAGE_MEMBERSHIP, [(sync.id, group, user, subs.get(user)) for group, user in pairs]
        )
        db.executemany(_STAGE_USER, user_rows)
        staged = _staged_digest.added(
            _staged_of(db, sync.id),
            [_staged_digest.membership_row(*pair, subs.get(pair[1])) for pair in new_pairs]
            + [_staged_digest.user_row(user) for user in new_users],
        )
        db.execute(
            "UPDATE syncs SET listing_checkpoint = ?, cursor_digest = ?, staged_digest = ?, "
            "memberships = ?, requests = ?, throttled = ?, status = ?, error = ? WHERE id = ?",
            (
                checkpoint,
                _digest_of(sync, checkpoint, counted),
                staged,
                counted,
                sync.requests + requests,
                sync.throttled + throttled,
                "running" if error is None else "failed",
                error,
                sync.id,
            ),
        )
    return sync


def drop_group(db: Database, sync: RunningSync, group_name: str, checkpoint: str) -> RunningSync:
    """Take a group that disappeared out of the sync: its staged rows, and its checkpoint part.

    ``checkpoint``: the listing's (exact for what was staged); the one committed is the same
    without the group.
    """
    return _unstage_group(db, sync, group_name, checkpoint, keep=False)


def restart_group(db: Database, sync: RunningSync, group_name: str, checkpoint: str) -> RunningSync:
    """List a group of the sync again from its start: its staged rows go, its place is reset.

    For a saved position the service no longer takes (its token was refused).
    """
    return _unstage_group(db, sync, group_name, checkpoint, keep=True)


def _unstage_group(
    db: Database, sync: RunningSync, group_name: str, checkpoint: str, *, keep: bool
) -> RunningSync:
    saved = decode_checkpoint(checkpoint)
    groups = tuple(name for name in (saved.groups or sync.groups) if keep or name != group_name)
    edited = encode_checkpoint(
        dataclasses.replace(
            saved,
            groups=groups,
            done=saved.done - {group_name},
            at={name: token for name, token in saved.at.items() if name != group_name},
        )
    )
    with db.transaction():
        # Its users staged in no other group go too: the swap writes every staged user.
        gone = [
            _staged_digest.user_row(str(user))
            for (user,) in db.all(
                _UNSTAGE_USERS, (sync.id, sync.id, group_name, sync.id, group_name)
            )
        ]
        gone += [
            _staged_digest.membership_row(str(group), str(user), None if sub is None else str(sub))
            for group, user, sub in db.all(
                "DELETE FROM sync_memberships WHERE sync_id = ? AND group_name = ? "
                "RETURNING group_name, username, sub",
                (sync.id, group_name),
            )
        ]
        now: list[int] = []
        if not keep:
            db.execute(
                "UPDATE sync_groups SET present = ? WHERE sync_id = ? AND group_name = ?",
                (False, sync.id, group_name),
            )
            gone.append(_staged_digest.group_row(group_name, True))
            now.append(_staged_digest.group_row(group_name, False))
        # The memberships counted stay those of the last commit (the caller's just now).
        (counted,) = db.one("SELECT memberships FROM syncs WHERE id = ?", (sync.id,)) or (0,)
        db.execute(
            "UPDATE syncs SET listing_checkpoint = ?, cursor_digest = ?, staged_digest = ? "
            "WHERE id = ?",
            (
                edited,
                _digest_of(sync, edited, counted),
                _staged_digest.added(_staged_of(db, sync.id), now, gone),
                sync.id,
            ),
        )
    return dataclasses.replace(sync, checkpoint=edited, groups=groups)


def _staged_of(db: Database, sync_id: int) -> str | None:
    """The staged rows' digest the sync committed last."""
    row = db.one("SELECT staged_digest FROM syncs WHERE id = ?", (sync_id,))
    return None if row is None or row[0] is None else str(row[0])


def _digest_of(sync: RunningSync, checkpoint: str | None, memberships: int) -> str:
    return cursor_digest(
        sync.id, sync.user_pool_id, sync.group_names, sync.attributes, checkpoint, memberships
    )


def abandon(db: Database, sync_id: int, now: datetime, reason: str) -> None:
    """End a sync that will not be continued: ``failed``, ``finished`` set, staging removed."""
    with db.transaction():
        db.execute(
            "UPDATE syncs SET status = 'failed', finished = ?, error = ?, "
            "listing_checkpoint = NULL, cursor_digest = NULL, staged_digest = NULL WHERE id = ?",
            (db.dialect.bind_time(now), reason, sync_id),
        )
        clear_staging(db, sync_id)


def clear_finished(db: Database, user_pool_id: str) -> None:
    """Remove the staged rows that syncs of the pool left once complete or abandoned.

    A kill between a swap and the removal of its staged rows leaves them.
    """
    finished = [
        sync_id
        for (sync_id,) in db.rows(
            "SELECT id FROM syncs WHERE pool_id = ? AND finished IS NOT NULL "
            "AND id IN (SELECT sync_id FROM sync_groups)",
            (user_pool_id,),
        )
    ]
    for sync_id in finished:
        with db.transaction():
            clear_staging(db, sync_id)


def clear_staging(db: Database, sync_id: int) -> None:
    """Remove a sync's staged rows (inside the caller's transaction)."""
    for table in _STAGING_TABLES:
        db.execute(f"DELETE FROM {table} WHERE sync_id = ?", (sync_id,))  # noqa: S608 (fixed names)
