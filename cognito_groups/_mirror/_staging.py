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
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_groups._durable._digest import canonical_digest
from cognito_groups._errors import LIST_USERS_IN_GROUP, MalformedResponseError
from cognito_groups._listing._checkpoint import decode_checkpoint, encode_checkpoint
from cognito_groups._mirror import _staged_digest
from cognito_groups._mirror._dialect import NOT_TEXT, to_json
from cognito_groups._mirror._errors import NotAMirrorError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from cognito_groups._mirror._database import Database
    from cognito_groups._models import Group, User

__all__ = [
    "RunningSync",
    "abandon",
    "check_listed_username",
    "clear_finished",
    "clear_staging",
    "cursor_digest",
    "drop_group",
    "resumable",
    "stage",
    "start",
    "storable",
    "user_row",
]

_RESUMABLE = """
SELECT id, group_names, attributes, listing_checkpoint, memberships, requests, throttled,
       started, cursor_digest, staged_digest
FROM syncs WHERE pool_id = ? AND status <> 'complete' AND finished IS NULL
ORDER BY id DESC
"""
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
_LOG = logging.getLogger("cognito_groups.mirror")


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


def resumable(db: Database, user_pool_id: str) -> list[RunningSync]:
    """The pool's syncs that can be continued, newest first (one, unless a bug left more)."""
    found: list[RunningSync] = []
    for row in list(db.rows(_RESUMABLE, (user_pool_id,))):
        sync_id = int(row[0])
        names, attributes, checkpoint, memberships, requests, throttled, started, digest = row[1:9]
        staged = row[9]
        scope = kept = saved = None
        counts = (0, 0, 0)
        damaged: str | None = None
        column = ""
        try:
            # Every value is read as the rest of the run uses it (the record at its end reads
            # `started`): one no sync writes makes the sync damaged, not a crash.
            column = "group_names"
            scope = db.read_names(names, "syncs.group_names")
            column = "attributes"
            kept = db.read_names(attributes, "syncs.attributes")
            column = "started"
            db.read_time(started, "syncs.started")
            for column, value in (
                ("memberships", memberships),
                ("requests", requests),
                ("throttled", throttled),
            ):
                db.read_int(value, f"syncs.{column}")
            counts = (memberships, requests, throttled)
            column = "listing_checkpoint"
            # The listing continues with the groups of its checkpoint, in its order; before
            # the first commit, with the sync's groups (a new listing: any order).
            if checkpoint is not None:
                if not isinstance(checkpoint, str):
                    raise TypeError(type(checkpoint).__name__)
                saved = decode_checkpoint(checkpoint).groups
        except (NotAMirrorError, ValueError, TypeError):
            damaged = f"its syncs.{column}"
        else:
            expected = cursor_digest(sync_id, user_pool_id, scope, kept, checkpoint, counts[0])
            if digest != expected:  # a well-formed edit (or a damaged digest)
                damaged = "its row in syncs"
            elif _staged_digest.of_staged(db, sync_id) != staged:  # a row staged, edited
                damaged = "its staged rows (sync_groups, sync_memberships, sync_users)"
        if damaged is not None:  # only abandoning helps
            scope = kept = saved = None
        groups = (
            saved
            if saved is not None
            else tuple(
                name
                for (name,) in db.rows(
                    "SELECT group_name FROM sync_groups WHERE sync_id = ? AND present = ? "
                    "ORDER BY group_name",
                    (sync_id, True),
                )
            )
        )
        found.append(
            RunningSync(
                sync_id,
                user_pool_id,
                scope,
                kept,
                checkpoint,
                groups,
                *counts,
                damaged,
            )
        )
    return found


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
        rows: list[tuple[object, ...]] = []
        for name in scope:
            group = by_name.get(name)
            _check_name("group name", name)
            if group is None:
                rows.append((sync_id, name, False, None, None, None, None, None))
                continue
            rows.append(
                (
                    sync_id,
                    name,
                    True,
                    storable(group.description, "Description", name),
                    _precedence(group.precedence, name),
                    storable(group.role_arn, "RoleArn", name),
                    _time(db, group.creation_date),
                    _time(db, group.last_modified_date),
                )
            )
        db.executemany(_STAGE_GROUP, rows)
        staged = _staged_digest.added(
            _staged_digest.EMPTY,
            [_staged_digest.group_row(str(row[1]), bool(row[2])) for row in rows],
        )
        db.execute("UPDATE syncs SET staged_digest = ? WHERE id = ?", (staged, sync_id))
    present = tuple(name for name in scope if name in by_name)
    return RunningSync(sync_id, user_pool_id, group_names, attributes, None, present, 0, 0, 0)


def _time(db: Database, moment: datetime | None) -> object:
    return None if moment is None else db.dialect.bind_time(moment)


def user_row(
    db: Database, sync_id: int, user: User, attributes: tuple[str, ...] | None
) -> tuple[Any, ...]:
    """The ``sync_users`` row of ``user``: its attributes those kept (all for ``None``).

    The attributes by name: the same record in another order is the same text (unchanged).
    Its ``sub`` is kept whatever ``attributes`` says: it tells one account from another of
    the same username (deleted and created again).
    """
    kept = dict(
        sorted(
            (attribute.name, attribute.value)
            for attribute in user.attributes
            if attributes is None or attribute.name in attributes
        )
    )
    return (
        sync_id,
        user.username,
        None if user.user_status is None else storable(user.user_status.value, "UserStatus"),
        user.enabled,
        _time(db, user.user_create_date),
        _time(db, user.user_last_modified_date),
        to_json(kept),
        _text_or_none(user.sub),
    )


def storable(value: str | None, field: str, group_name: str | None = None) -> str | None:
    r"""``value`` as a database stores it: a NUL or lone surrogate written as its escape.

    Only a broken or hostile endpoint sends one in a group's ``Description`` or ``RoleArn`` or
    a user's ``UserStatus`` (anyone who may edit a group can set its description): the sync
    goes on with the text escaped (``\u0000``, ``\ud800``, as in the mirror's JSON), and says
    so at WARNING, naming the field and the group (never the value), rather than fail the
    mirror of the whole pool for ever.
    """
    if value is None or NOT_TEXT.search(value) is None:
        return value
    _LOG.warning(
        "the service sent a %s%s that no database stores as text (a NUL or a lone surrogate): "
        "mirrored with those characters escaped",
        field,
        "" if group_name is None else f" of group {group_name!r}",
    )
    return NOT_TEXT.sub(lambda found: f"\\u{ord(found.group()):04x}", value)


def _precedence(value: int | None, group_name: str) -> int | None:
    """A group's ``Precedence`` if a 64-bit column holds it, else ``None`` (said at WARNING)."""
    if value is None or -(2**63) <= value < 2**63:
        return value
    _LOG.warning(
        "the service sent a Precedence of group %r beyond a 64-bit integer: mirrored as none",
        group_name,
    )
    return None


def _text_or_none(value: str | None) -> str | None:
    """A value a database stores as text: ``None`` for what is not text (a NUL, a surrogate).

    Only a broken or hostile endpoint sends a ``sub`` that is not a UUID; such a one is kept as
    unknown (the account is then taken as the same), never a failed sync.
    """
    return None if value is None or NOT_TEXT.search(value) is not None else value


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


def check_listed_username(username: str, group_name: str) -> str:
    """Return a username ``ListUsersInGroup`` sent in ``group_name``, if a database stores it.

    A NUL or a lone surrogate is no text a database stores; the service model allows neither,
    so only a broken or hostile endpoint sends one (the username is not shown: personal data).

    Raises:
        MalformedResponseError: naming ``ListUsersInGroup`` and the group.
    """
    if NOT_TEXT.search(username) is not None:
        error = MalformedResponseError(
            f"ListUsersInGroup sent a username in group {group_name!r} that is not valid text "
            "(a NUL or a lone surrogate): it cannot be mirrored",
            operation=LIST_USERS_IN_GROUP,
        )
        error.group_name = group_name
        raise error
    return username


def _check_name(what: str, name: str) -> None:
    """Refuse a name no database stores as text: a NUL or a lone surrogate.

    The service model allows neither in group names; only a broken or hostile endpoint sends
    one (and `check_listed_group_name()` refuses it first).
    """
    if NOT_TEXT.search(name) is not None:
        raise MalformedResponseError(
            f"the service sent a {what} that is not valid text (a NUL or a lone surrogate): "
            "it cannot be mirrored"
        )
