"""How a run of a sync begins: the pool's interrupted sync continued, or a new one started.

An interrupted sync (`resumable()`) is continued when it was started with this run's
groups and attributes and reads back as written (its digests); with other options it is
refused (`InterruptedSyncError`), unless ``--restart`` abandons it. A new sync lists the pool's
groups first (``ListGroups``), and checks those it will list.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from cognito_groups._listing._checkpoint import decode_checkpoint
from cognito_groups._listing._validate import check_listed_group_name
from cognito_groups._mirror import _staged_digest
from cognito_groups._mirror._errors import InterruptedSyncError, NotAMirrorError, UnknownGroupError
from cognito_groups._mirror._staging import (
    RunningSync,
    abandon,
    clear_finished,
    cursor_digest,
    start,
)

if TYPE_CHECKING:
    from cognito_groups._client._sync import CognitoGroups
    from cognito_groups._mirror._database import Database
    from cognito_groups._mirror._records import SyncOptions
    from cognito_groups._models import Group

__all__ = ["by_name", "damaged", "resumable", "started"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def started(db: Database, cognito: CognitoGroups, options: SyncOptions) -> tuple[RunningSync, bool]:
    """The pool's sync to continue, or a new one (its groups listed); whether it continues."""
    pool = options.user_pool_id
    clear_finished(db, pool)
    found = resumable(db, pool)
    for extra in found[1:]:  # pragma: no cover (the pool's lock allows one at a time)
        abandon(db, extra.id, _now(), "abandoned: a newer sync of the pool was continued")
    if found:
        if _continues(db, found[0], options):
            return found[0], True
        abandon(db, found[0].id, _now(), "abandoned: restarted")
    listed = _listed(db, cognito, options)
    baseline = db.one(
        "SELECT COUNT(*) FROM syncs WHERE pool_id = ? AND status = 'complete'", (pool,)
    )
    return (
        start(
            db,
            pool,
            group_names=options.group_names,
            attributes=options.attributes,
            listed=listed,
            now=_now(),
            baseline=baseline is not None and baseline[0] == 0,
        ),
        False,
    )


def _continues(db: Database, running: RunningSync, options: SyncOptions) -> bool:
    """Whether the pool's interrupted sync is continued (``False``: it is to be abandoned).

    Raises:
        InterruptedSyncError: it cannot be read, or was started with other options (and not
            ``restart``).
    """
    if options.restart:
        return False
    if running.damaged:
        raise damaged(db, running)
    # A sync stores its groups and attributes sorted by name (`Mirror.sync()` sorts them).
    if (running.group_names, running.attributes) == (
        by_name(options.group_names),
        by_name(options.attributes),
    ):
        return True
    pool = options.user_pool_id
    raise InterruptedSyncError(
        db.shown,
        f"sync {running.id} of {pool} in {db.shown} was interrupted, and was started "
        f"for {_scope(running.group_names, running.attributes)}; this one is for "
        f"{_scope(options.group_names, options.attributes)}: run it with the same "
        "options to continue it, or restart it (--restart)",
    )


def _listed(db: Database, cognito: CognitoGroups, options: SyncOptions) -> list[Group]:
    """The pool's groups (``ListGroups``), those to be listed checked, named ones found.

    Raises:
        UnknownGroupError: a group named by ``options`` is neither in the pool nor mirrored.
    """
    pool = options.user_pool_id
    listed = list(cognito.iter_groups(pool))
    names = options.group_names
    for group in listed:  # those to be listed (another group's bad name is not this sync's)
        if names is None or group.group_name in names:
            check_listed_group_name(group.group_name)
    if names is not None:
        present = {group.group_name for group in listed}
        known = {
            name for (name,) in db.rows("SELECT group_name FROM groups WHERE pool_id = ?", (pool,))
        }
        for name in names:
            if name not in present and name not in known:
                raise UnknownGroupError(
                    db.shown,
                    f"group {name!r} not found in user pool {pool} (nor in {db.shown})",
                    group_name=name,
                )
    return listed


def by_name(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``names`` sorted, as a sync stores its groups and attributes (``None``: every one)."""
    return None if names is None else tuple(sorted(names))


def damaged(db: Database, running: RunningSync) -> InterruptedSyncError:
    what = running.damaged or "its row in syncs"
    verb = "were" if "rows" in what else "was"
    return InterruptedSyncError(
        db.shown,
        f"sync {running.id} of {running.user_pool_id} in {db.shown} cannot be continued: "
        f"{what} {verb} changed by hand or damaged; restart it (--restart)",
    )


def _scope(group_names: tuple[str, ...] | None, attributes: tuple[str, ...] | None) -> str:
    groups = "every group" if group_names is None else "groups " + ", ".join(group_names)
    if attributes is None:
        kept = "all attributes"
    elif attributes:
        kept = "attributes " + ", ".join(attributes)
    else:
        kept = "no attribute"
    return f"{groups} with {kept}"


_RESUMABLE = """
SELECT id, group_names, attributes, listing_checkpoint, memberships, requests, throttled,
       started, cursor_digest, staged_digest
FROM syncs WHERE pool_id = ? AND status <> 'complete' AND finished IS NULL
ORDER BY id DESC
"""


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
