"""The end of a sync: who joined and who left, and the staged rows swapped in, in one transaction.

Readers never see half a sync: ``memberships``, ``users``, ``groups`` and the sync's
``membership_changes`` change together, when the sync completes, in this one transaction
(synced to disk before it returns). The differences are SQL over indexed tables (the primary
keys of ``memberships`` and ``sync_memberships``), never sets in Python memory.

Which groups record changes (``sync_groups.record_changes``):

* a group the mirror holds (``groups``): its members who joined and left;
* a group the mirror does not hold, when the pool had a complete sync of every group before:
  a new group, its members ``joined``;
* any other group (the pool's first complete sync, its baseline, or a group named for the
  first time when only named groups were synced before): its members are taken as they are,
  no change recorded.

A group of the sync's scope that is gone from the pool (deleted before or during the sync)
has its members ``left`` and leaves ``groups``. The scope is every group of the pool, or the
groups named (``group_names``). Users in no mirrored group any more leave ``users`` (their
usernames stay in ``membership_changes``); a user's row is rewritten only when its record
changed (``updated``).

The work is proportional to the pool for the two anti-joins that find who joined and who left,
and the memberships listed (new ones inserted, the others' ``last_seen``); the rest (memberships
and users that left, users whose record changed) touches only the rows that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_groups._mirror._staging import clear_staging

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from cognito_groups._mirror._database import Database
    from cognito_groups._mirror._staging import RunningSync

__all__ = ["complete"]

# `{scope}` is one of two fixed texts (every group of the pool, or the sync's groups); every
# value is a bound parameter.
_EVERY_GROUP = ""
_THE_SYNCS_GROUPS = (
    " AND {table}.group_name IN (SELECT group_name FROM sync_groups WHERE sync_id = ?)"
)

_RECORDING = """
UPDATE sync_groups SET record_changes = CASE
    WHEN EXISTS (SELECT 1 FROM groups g
                 WHERE g.pool_id = ? AND g.group_name = sync_groups.group_name)
    THEN ? ELSE ? END
WHERE sync_id = ?
"""
# A membership held now by another account of its username than before (deleted and created
# again: another ``sub``) is the old account's `left` and the new one's `joined`: a staged row
# "matches" a mirrored one only with the same sub, or where either is unknown (the listing gave
# none). So the two scans below find both, with no pass of their own; lefts come first.
_LEFT = """
INSERT INTO membership_changes (pool_id, group_name, username, sub, change, sync_id, observed_at)
SELECT pool_id, group_name, username, sub, 'left', ?, ?
FROM memberships
WHERE pool_id = ?{scope} AND NOT EXISTS (SELECT 1 FROM sync_memberships sm WHERE sm.sync_id = ?
    AND sm.group_name = memberships.group_name AND sm.username = memberships.username
    AND (memberships.sub IS NULL OR sm.sub IS NULL OR memberships.sub = sm.sub))
ORDER BY group_name, username
"""
_JOINED = """
INSERT INTO membership_changes (pool_id, group_name, username, sub, change, sync_id, observed_at)
SELECT ?, sm.group_name, sm.username, sm.sub, 'joined', ?, ?
FROM sync_memberships sm
WHERE sm.sync_id = ?
  AND sm.group_name IN (SELECT group_name FROM sync_groups
                        WHERE sync_id = ? AND record_changes = ?)
  AND NOT EXISTS (SELECT 1 FROM memberships m
                  WHERE m.pool_id = ? AND m.group_name = sm.group_name AND m.username = sm.username
                    AND (m.sub IS NULL OR sm.sub IS NULL OR m.sub = sm.sub))
ORDER BY sm.group_name, sm.username
"""
# The sync's changes are those numbered after the last one before it (its pool is locked).
_GONE = """
DELETE FROM memberships WHERE pool_id = ? AND (group_name, username) IN (
    SELECT group_name, username FROM membership_changes
    WHERE id > ? AND sync_id = ? AND change = 'left')
"""
# Every membership listed: new ones inserted, the others seen again. (One held by another
# account of the username was deleted with its `left` above: it is new again.)
_LISTED = """
INSERT INTO memberships (pool_id, group_name, username, sub, first_seen, last_seen,
                         first_sync_id, last_sync_id)
SELECT ?, sm.group_name, sm.username, sm.sub, ?, ?, ?, ?
FROM sync_memberships sm
WHERE sm.sync_id = ?
ON CONFLICT (pool_id, group_name, username) DO UPDATE SET
    sub = COALESCE(excluded.sub, memberships.sub),
    last_seen = excluded.last_seen, last_sync_id = excluded.last_sync_id
"""
# Only the users whose record changed (or is new) are written.
_USERS = """
INSERT INTO users (pool_id, username, user_status, enabled, user_create_date,
                   user_last_modified_date, attributes, sub, first_seen, updated, updated_sync_id)
SELECT ?, su.username, su.user_status, su.enabled, su.user_create_date,
       su.user_last_modified_date, su.attributes, su.sub, ?, ?, ?
FROM sync_users su
WHERE su.sync_id = ? AND NOT EXISTS (
    SELECT 1 FROM users u
    WHERE u.pool_id = ? AND u.username = su.username
      AND u.user_status {same} su.user_status AND u.enabled {same} su.enabled
      AND u.user_create_date {same} su.user_create_date
      AND u.user_last_modified_date {same} su.user_last_modified_date
      AND CAST(u.attributes AS TEXT) = CAST(su.attributes AS TEXT)
      AND (su.sub IS NULL OR u.sub {same} su.sub))
ON CONFLICT (pool_id, username) DO UPDATE SET
    first_seen = CASE WHEN users.sub IS NOT NULL AND excluded.sub IS NOT NULL
                           AND users.sub <> excluded.sub
                      THEN excluded.first_seen ELSE users.first_seen END,
    sub = COALESCE(excluded.sub, users.sub),
    user_status = excluded.user_status, enabled = excluded.enabled,
    user_create_date = excluded.user_create_date,
    user_last_modified_date = excluded.user_last_modified_date,
    attributes = excluded.attributes, updated = excluded.updated,
    updated_sync_id = excluded.updated_sync_id
"""
# Who may have left their last group: those who left one in this sync; or, when a group was
# dropped during the sync (its staged users may be in no group), anyone.
_USERS_GONE = """
DELETE FROM users WHERE pool_id = ? AND username IN (
        SELECT username FROM membership_changes WHERE id > ? AND sync_id = ? AND change = 'left')
    AND NOT EXISTS (SELECT 1 FROM memberships m
                    WHERE m.pool_id = users.pool_id AND m.username = users.username)
"""
_ANY_USER_GONE = """
DELETE FROM users WHERE pool_id = ? AND NOT EXISTS (
    SELECT 1 FROM memberships m WHERE m.pool_id = users.pool_id AND m.username = users.username)
"""
_GROUPS = """
INSERT INTO groups (pool_id, group_name, description, precedence, role_arn, creation_date,
                    last_modified_date, first_seen, last_seen, first_sync_id, last_sync_id)
SELECT ?, group_name, description, precedence, role_arn, creation_date, last_modified_date,
       ?, ?, ?, ?
FROM sync_groups WHERE sync_id = ? AND present = ?
ON CONFLICT (pool_id, group_name) DO UPDATE SET
    description = excluded.description, precedence = excluded.precedence,
    role_arn = excluded.role_arn, creation_date = excluded.creation_date,
    last_modified_date = excluded.last_modified_date, last_seen = excluded.last_seen,
    last_sync_id = excluded.last_sync_id
"""
_GROUPS_GONE = """
DELETE FROM groups WHERE pool_id = ?{scope} AND NOT EXISTS (
    SELECT 1 FROM sync_groups sg
    WHERE sg.sync_id = ? AND sg.group_name = groups.group_name AND sg.present = ?)
"""


def complete(
    db: Database, sync: RunningSync, clock: Callable[[], datetime]
) -> tuple[int, int, bool]:
    """Swap the sync's staged rows in and record its changes; (joined, left, baseline).

    One transaction, made durable before it returns; then the staged rows are removed. The
    caller holds the pool's lock. Completions of every pool are one at a time (SQLite's one
    writer; a PostgreSQL lock), and ``clock`` is read once that turn has come: the changes'
    ids and their ``observed_at`` both follow the order they were committed in, so a reader
    that pages through the changes by id misses none committed after it began.
    """
    pool, sync_id = sync.user_pool_id, sync.id
    every = sync.group_names is None

    def scoped(sql: str, table: str) -> tuple[str, tuple[object, ...]]:
        if every:
            return sql.format(scope=_EVERY_GROUP), ()
        return sql.format(scope=_THE_SYNCS_GROUPS.format(table=table)), (sync_id,)

    with db.transaction(durable=True):
        db.dialect.completion_lock(db.connection)
        at = db.dialect.bind_time(clock())
        before = db.one(
            "SELECT COUNT(*), COUNT(group_names), "
            "(SELECT COALESCE(MAX(id), 0) FROM membership_changes), "
            "(SELECT COUNT(*) FROM sync_groups WHERE sync_id = ? AND present = ?) "
            "FROM syncs WHERE pool_id = ? AND status = 'complete'",
            (sync_id, False, pool),
        )
        if before is None:
            raise LookupError("SELECT COUNT(*) gave no row")
        complete_before, named_before, last_change, absent = before
        baseline = complete_before == 0
        every_group_before = complete_before > named_before
        db.execute(_RECORDING, (pool, True, every_group_before, sync_id))
        sql, extra = scoped(_LEFT, "memberships")
        left = db.execute(sql, (sync_id, at, pool, *extra, sync_id)).rowcount
        joined = db.execute(_JOINED, (pool, sync_id, at, sync_id, sync_id, True, pool)).rowcount
        db.execute(_GONE, (pool, last_change, sync_id))
        db.execute(_LISTED, (pool, at, at, sync_id, sync_id, sync_id))
        db.execute(_USERS.format_map(db.dialect.types), (pool, at, at, sync_id, sync_id, pool))
        if absent:
            db.execute(_ANY_USER_GONE, (pool,))
        else:
            db.execute(_USERS_GONE, (pool, last_change, sync_id))
        db.execute(_GROUPS, (pool, at, at, sync_id, sync_id, sync_id, True))
        sql, extra = scoped(_GROUPS_GONE, "groups")
        db.execute(sql, (pool, *extra, sync_id, True))
        db.execute(
            "UPDATE syncs SET status = 'complete', finished = ?, joined = ?, left_count = ?, "
            "baseline = ?, listing_checkpoint = NULL, cursor_digest = NULL, staged_digest = NULL, "
            "error = NULL, "
            "memberships = "
            "(SELECT COUNT(*) FROM sync_memberships WHERE sync_id = ?) WHERE id = ?",
            (at, joined, left, baseline, sync_id, sync_id),
        )
    # The staged rows of a complete sync are no reader's: removed after the swap, in a
    # transaction of their own (if a kill comes first, the next sync removes them).
    with db.transaction():
        clear_staging(db, sync_id)
    return joined, left, baseline
