"""One run of a sync: hold the pool's lock, start or continue its sync, list, stage, complete.

The listing is the facade's ``iter_memberships`` (its budget, its exact checkpoints): its
worker threads fetch the next pages while this thread writes the last ones, so the database
never holds the listing up. Every quarter of a second (or 1,000 memberships) the memberships
listed since the last commit are committed with the listing's checkpoint (`_staging`); when
the listing is exhausted, `_swap` completes the sync.

How a run ends without completing:

* an error of the listing (throttled, a connection lost ...): what was listed is committed
  with its checkpoint, the sync is marked ``failed``, and the error is raised; the next run
  continues it;
* a username no database stores (a NUL, a lone surrogate; `check_listed_username()`): the
  sync is marked ``failed`` with nothing more committed (the listing's cursor is past that
  membership), and the error is raised; the next run meets it again;
* Ctrl-C or a signal: the sync is marked ``failed`` (nothing more committed: the last commit
  stands, exact), and the interruption goes on;
* ``kill -9``, a crash, the database gone: nothing more; the last commit stands, the sync
  stays ``running`` and the next run continues it.
"""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cognito_groups._client._counting import RequestCounter
from cognito_groups._errors import (
    CognitoGroupsError,
    InvalidParameterError,
    ResourceNotFoundError,
)
from cognito_groups._listing._checkpoint import decode_checkpoint
from cognito_groups._listing._validate import check_listed_group_name
from cognito_groups._mirror._errors import InterruptedSyncError, MirrorError, UnknownGroupError
from cognito_groups._mirror._queries import sync_record
from cognito_groups._mirror._schema import ensure_schema
from cognito_groups._mirror._staging import (
    abandon,
    check_listed_username,
    clear_finished,
    drop_group,
    restart_group,
    resumable,
    stage,
    start,
    user_row,
)
from cognito_groups._mirror._swap import complete

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from cognito_groups._client._iterators import MembershipIterator
    from cognito_groups._client._sync import CognitoGroups
    from cognito_groups._mirror._database import Database
    from cognito_groups._mirror._records import SyncRecord
    from cognito_groups._mirror._staging import RunningSync

__all__ = [
    "COMMIT_ROWS",
    "COMMIT_SECONDS",
    "LOGGER",
    "SyncOptions",
    "SyncProgress",
    "by_name",
    "run",
]

COMMIT_SECONDS = 0.25
COMMIT_ROWS = 1000
#: Where a sync says how long its swap took (DEBUG; no name of a user or group).
LOGGER = logging.getLogger("cognito_groups.mirror")


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """How far a sync has got, as a progress callback is told.

    Attributes:
        sync_id: The sync (continued ones keep their number).
        continued: Whether this run continues a sync an earlier run started.
        memberships: Memberships listed, by every run of the sync.
        listed_by_this_run: Of them, listed by this run.
        groups_done: Groups whose every member was listed (by this run's listing).
        groups_total: Groups this run lists (``None`` until known).
        requests: Requests this run sent (each retry counts).
        throttled: Throttled answers among them (retried).
    """

    sync_id: int
    continued: bool
    memberships: int
    listed_by_this_run: int
    groups_done: int
    groups_total: int | None
    requests: int
    throttled: int


@dataclass(frozen=True)
class SyncOptions:
    """What a sync covers and how it runs (checked by `Mirror.sync()`)."""

    user_pool_id: str
    group_names: tuple[str, ...] | None
    attributes: tuple[str, ...] | None
    concurrency: int
    wait: bool
    restart: bool
    progress: Callable[[SyncProgress], object] | None
    waiting: Callable[[str], object] | None


def run(db: Database, cognito: CognitoGroups, options: SyncOptions) -> SyncRecord:
    """Run the sync (see the module's docstring); the record of the complete sync."""
    ensure_schema(db)
    pool = options.user_pool_id

    def waiting(holder: str) -> None:
        if options.waiting is not None:
            options.waiting(holder)

    with db.dialect.pool_lock(db.connection, pool, wait=options.wait, waiting=waiting):
        counter = RequestCounter(cognito, pool)
        try:
            running, continued = _started(db, cognito, options)
            return _Run(db, cognito, options, running, counter, continued).finish()
        finally:
            counter.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _started(
    db: Database, cognito: CognitoGroups, options: SyncOptions
) -> tuple[RunningSync, bool]:
    """The pool's sync to continue, or a new one (its groups listed); whether it continues."""
    pool = options.user_pool_id
    clear_finished(db, pool)
    found = resumable(db, pool)
    for extra in found[1:]:  # pragma: no cover (the pool's lock allows one at a time)
        abandon(db, extra.id, _now(), "abandoned: a newer sync of the pool was continued")
    if found:
        running = found[0]
        if running.damaged and not options.restart:
            raise _damaged(db, running)
        # Compared by name: a sync started by an earlier release stored them as given.
        same = not running.damaged and (
            by_name(running.group_names),
            by_name(running.attributes),
        ) == (by_name(options.group_names), by_name(options.attributes))
        if same and not options.restart:
            return running, True
        if not options.restart:
            raise InterruptedSyncError(
                db.shown,
                f"sync {running.id} of {pool} in {db.shown} was interrupted, and was started "
                f"for {_scope(running.group_names, running.attributes)}; this one is for "
                f"{_scope(options.group_names, options.attributes)}: run it with the same "
                "options to continue it, or restart it (--restart)",
            )
        abandon(db, running.id, _now(), "abandoned: restarted")
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
    baseline = db.one(
        "SELECT COUNT(*) FROM syncs WHERE pool_id = ? AND status = 'complete'", (pool,)
    )
    return (
        start(
            db,
            pool,
            group_names=names,
            attributes=options.attributes,
            listed=listed,
            now=_now(),
            baseline=baseline is not None and baseline[0] == 0,
        ),
        False,
    )


def by_name(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``names`` sorted, as a sync stores its groups and attributes (``None``: every one)."""
    return None if names is None else tuple(sorted(names))


def _damaged(db: Database, running: RunningSync) -> InterruptedSyncError:
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


class _Run:
    """This run of a sync: the listing, the batch not yet committed, the counts."""

    def __init__(
        self,
        db: Database,
        cognito: CognitoGroups,
        options: SyncOptions,
        running: RunningSync,
        counter: RequestCounter,
        continued: bool,
    ) -> None:
        self.db = db
        self.cognito = cognito
        self.options = options
        self.running = running
        self.counter = counter
        self.continued = continued
        self.listed = 0  # by this run, committed or not
        self.committed = 0  # by this run, committed
        self.memberships: list[tuple[str, str]] = []
        self.users: dict[str, tuple[Any, ...]] = {}
        self.last_commit = time.monotonic()
        #: The error of a membership listed that cannot be mirrored (not staged), if any.
        self.unmirrorable: CognitoGroupsError | None = None

    def finish(self) -> SyncRecord:
        """List what is left, then complete the sync; its record."""
        # The groups whose place an earlier run saved (a token the service may refuse).
        saved = set(_saved_positions(self.running.checkpoint))
        while True:
            try:
                listing = self.cognito.iter_memberships(
                    self.options.user_pool_id,
                    self.running.groups,
                    concurrency=self.options.concurrency,
                    checkpoint=self.running.checkpoint,
                )
            except InvalidParameterError as err:
                # The pool and the options were checked by sync(), the groups when listed: the
                # cursor or the groups read back from the sync's rows are not what was written.
                raise _damaged(self.db, self.running) from err
            try:
                with listing:
                    self._list(listing)
                self._commit(listing)
                break
            except ResourceNotFoundError as err:
                name = err.group_name
                if name is None or name not in self.running.groups or _pool_is_gone(err):
                    self._failed(listing, err)
                    raise
                # The group was deleted while the sync ran: it leaves the sync, the rest goes on.
                self._commit(listing)
                self.running = drop_group(self.db, self.running, name, listing.checkpoint)
            except InvalidParameterError as err:
                name = err.group_name
                if err.parameter is not None or name is None or name not in saved:
                    self._failed(listing, err)
                    raise
                # The service refused a position saved by an earlier run (an expired or changed
                # token): that group is listed again from its start, once; the rest goes on.
                saved.discard(name)
                self._commit(listing)
                self.running = restart_group(self.db, self.running, name, listing.checkpoint)
                LOGGER.info(
                    "sync %d of %s: the service refused the saved position in group %r (%s); "
                    "listing that group again from its start",
                    self.running.id,
                    self.options.user_pool_id,
                    name,
                    err.error_code,
                )
            except CognitoGroupsError as err:
                if err is self.unmirrorable:
                    # The listing's cursor is past that membership: the last commit stands
                    # (exact), and the next run meets it again.
                    self._mark_failed(f"{type(err).__name__}: {err}"[:500])
                else:
                    self._failed(listing, err)
                raise
            except MirrorError:
                raise
            except BaseException as err:  # Ctrl-C, a signal: the last commit stands
                self._interrupted(err)
                raise
        started = time.perf_counter()
        self.db.dialect.settle(self.db.connection)
        settled = time.perf_counter()
        joined, left, _ = complete(self.db, self.running, _now)
        LOGGER.debug(
            "sync %d of %s swapped in: %d joined, %d left; %.3f s to settle, then %.3f s",
            self.running.id,
            self.options.user_pool_id,
            joined,
            left,
            settled - started,
            time.perf_counter() - settled,
        )
        return sync_record(self.db, self.running.id)

    def _list(self, listing: MembershipIterator) -> None:
        options = self.options
        attributes = options.attributes
        sync_id = self.running.id
        for membership in listing:
            user = membership.user
            try:
                check_listed_username(user.username, membership.group_name)
            except CognitoGroupsError as err:
                self.unmirrorable = err
                raise
            self.memberships.append((membership.group_name, user.username))
            self.users[user.username] = user_row(self.db, sync_id, user, attributes)
            self.listed += 1
            now = time.monotonic()
            if now - self.last_commit >= COMMIT_SECONDS or len(self.memberships) >= COMMIT_ROWS:
                self._commit(listing)

    def _progress(self, listing: MembershipIterator) -> SyncProgress:
        return SyncProgress(
            sync_id=self.running.id,
            continued=self.continued,
            memberships=self.running.memberships + self.listed,
            listed_by_this_run=self.listed,
            groups_done=listing.groups_done,
            groups_total=listing.groups_total,
            requests=self.counter.requests,
            throttled=self.counter.throttled,
        )

    def _commit(self, listing: MembershipIterator, *, error: str | None = None) -> None:
        """Commit the batch with the listing's checkpoint (exact for every membership listed)."""
        stage(
            self.db,
            self.running,
            self.memberships,
            self.users.values(),
            checkpoint=listing.checkpoint,
            listed=self.listed,
            requests=self.counter.requests,
            throttled=self.counter.throttled,
            error=error,
        )
        self.memberships.clear()
        self.users.clear()
        self.committed = self.listed
        self.last_commit = time.monotonic()
        if self.options.progress is not None:
            self.options.progress(self._progress(listing))

    def _failed(self, listing: MembershipIterator, err: CognitoGroupsError) -> None:
        """Keep what was listed before the error, with its checkpoint; mark the sync failed."""
        self._commit(listing, error=f"{type(err).__name__}: {err}"[:500])

    def _interrupted(self, err: BaseException) -> None:
        """Mark the sync failed, without committing the batch (the last commit stands)."""
        # If the database is what stopped it, the sync stays running, as after a kill.
        with suppress(MirrorError):
            self._mark_failed(f"interrupted ({_named(err)})")

    def _mark_failed(self, error: str) -> None:
        """Mark the sync failed with ``error``, committing nothing else."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE syncs SET status = 'failed', error = ? WHERE id = ?",
                (error, self.running.id),
            )


def _named(err: BaseException) -> str:
    """``KeyboardInterrupt``, or with what it says: ``Terminated: SIGHUP``."""
    said = str(err)
    return f"{type(err).__name__}: {said}" if said else type(err).__name__


def _saved_positions(checkpoint: str | None) -> Iterable[str]:
    """The groups a sync's cursor holds a token of (none if the cursor cannot be read)."""
    try:
        return () if checkpoint is None else decode_checkpoint(checkpoint).at.keys()
    except ValueError:
        return ()  # refused as damaged when the listing starts


def _pool_is_gone(err: ResourceNotFoundError) -> bool:
    """Whether the service said the pool (not a group) does not exist."""
    return "user pool" in err.message.lower()
