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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cognito_groups._client._counting import RequestCounter
from cognito_groups._durable._cadence import Cadence
from cognito_groups._errors import (
    CognitoGroupsError,
    InvalidParameterError,
    ResourceNotFoundError,
)
from cognito_groups._listing._checkpoint import decode_checkpoint
from cognito_groups._mirror._errors import MirrorError
from cognito_groups._mirror._queries import sync_record
from cognito_groups._mirror._records import SyncOptions, SyncProgress
from cognito_groups._mirror._resume import damaged, started
from cognito_groups._mirror._rows import check_listed_username, user_row
from cognito_groups._mirror._schema import ensure_schema
from cognito_groups._mirror._staging import drop_group, restart_group, stage
from cognito_groups._mirror._swap import complete

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cognito_groups._client._iterators import MembershipIterator
    from cognito_groups._client._sync import CognitoGroups
    from cognito_groups._mirror._database import Database
    from cognito_groups._mirror._records import SyncRecord
    from cognito_groups._mirror._staging import RunningSync

__all__ = [
    "LOGGER",
    "run",
]

#: Where a sync says how long its swap took (DEBUG; no name of a user or group).
LOGGER = logging.getLogger("cognito_groups.mirror")


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
            running, continued = started(db, cognito, options)
            return _Run(db, cognito, options, running, counter, continued).finish()
        finally:
            counter.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(eq=False)
class _Run:
    """This run of a sync: the listing, the batch not yet committed, the counts."""

    db: Database
    cognito: CognitoGroups
    options: SyncOptions
    running: RunningSync
    counter: RequestCounter
    continued: bool
    listed: int = field(default=0, init=False)  # by this run, committed or not
    committed: int = field(default=0, init=False)  # by this run, committed
    memberships: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]], init=False)
    users: dict[str, tuple[Any, ...]] = field(
        default_factory=dict[str, tuple[Any, ...]], init=False
    )
    cadence: Cadence = field(default_factory=Cadence, init=False)
    #: The error of a membership listed that cannot be mirrored (not staged), if any.
    unmirrorable: CognitoGroupsError | None = field(default=None, init=False)

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
                raise damaged(self.db, self.running) from err
            try:
                with listing:
                    self._list(listing)
                self._commit(listing)
                break
            except CognitoGroupsError as err:
                if self._goes_on_without(listing, err, saved):
                    continue
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

    def _goes_on_without(
        self, listing: MembershipIterator, err: CognitoGroupsError, saved: set[str]
    ) -> bool:
        """Whether the sync goes on after ``err``, its group dropped or listed again.

        A group deleted while the sync ran leaves it; a group whose position, saved by an
        earlier run, the service refused (an expired or changed token) is listed again from
        its start, once. Either way what was listed is committed first and the rest goes on.
        """
        name = err.group_name
        if name is None:
            return False
        if isinstance(err, ResourceNotFoundError):
            if name not in self.running.groups or _pool_is_gone(err):
                return False
            self._commit(listing)
            self.running = drop_group(self.db, self.running, name, listing.checkpoint)
            return True
        if isinstance(err, InvalidParameterError) and err.parameter is None and name in saved:
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
            return True
        return False

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
            if self.cadence.added(time.monotonic()):
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
        self.cadence.committed()
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
