"""What the mirror returns: frozen dataclasses, names as the rest of the library spells them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

__all__ = [
    "ChangeKind",
    "MembershipChange",
    "SyncOptions",
    "SyncProgress",
    "SyncRecord",
    "SyncStatus",
]

#: A sync's status: ``running`` (or killed: the next sync of the pool continues it),
#: ``failed`` (stopped by an error; continued by the next sync unless ``finished`` is set,
#: which means it was abandoned), ``complete``.
SyncStatus = Literal["running", "complete", "failed"]
#: What a change says about a membership.
ChangeKind = Literal["joined", "left"]


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """One sync of a pool into the mirror (a row of the ``syncs`` table).

    Attributes:
        id: Its number, unique in the database, never reused.
        user_pool_id: The pool synced.
        started: When it started (UTC).
        finished: When it completed, or was abandoned (``None`` while it can be continued).
        status: ``running``, ``failed`` or ``complete`` (see `SyncStatus`).
        requests: Requests sent by every run of it (each retry counts).
        throttled: Throttled answers among them (retried).
        memberships: Memberships listed so far (all of them once complete).
        joined: Memberships that appeared (``None`` until complete; 0 for a baseline).
        left: Memberships that disappeared (``None`` until complete; 0 for a baseline).
        baseline: Whether it was the pool's first complete sync, which records no change.
        group_names: The groups it covers, by name, or ``None`` for every group of the pool.
        attributes: The attributes it keeps, or ``None`` for all of them.
        error: Why it stopped, when it did.
    """

    id: int
    user_pool_id: str
    started: datetime
    finished: datetime | None
    status: SyncStatus
    requests: int
    throttled: int
    memberships: int
    joined: int | None
    left: int | None
    baseline: bool
    group_names: tuple[str, ...] | None
    attributes: tuple[str, ...] | None
    error: str | None


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """A user who joined or left a group, as a complete sync observed it.

    Attributes:
        user_pool_id: The pool.
        group_name: The group.
        username: The user.
        change: ``joined`` or ``left``.
        sync_id: The sync that observed it.
        observed_at: When that sync completed (UTC): the change happened between the group's
            previous complete sync and this moment.
        sub: The account's ``sub`` (Cognito's id of a user, never reused): a username deleted
            and created again is another account, and a membership it holds again is a
            ``left`` of the old ``sub`` and a ``joined`` of the new one. ``None`` where the
            service sent none.
    """

    user_pool_id: str
    group_name: str
    username: str
    change: ChangeKind
    sync_id: int
    observed_at: datetime
    sub: str | None = None


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
