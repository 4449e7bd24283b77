"""Many groups at once, without I/O: which group to fetch next, what to yield, the checkpoint.

A `MembershipPlan` is what a membership iterator (threads or tasks) knows and decides.
The driver asks it for the requests to send (`jobs()`), tells it what came
back (`arrived()`, `failed()`) and takes memberships from
it (`take()`) in arrival order, one page at a time.

Bounded memory: a group holds one of ``concurrency`` slots from its first request until its last
page has started being yielded, and it has at most one request in flight or one page waiting,
plus the page being yielded. The next page of a group is requested when its previous one starts
being yielded.

Exact checkpoints: each group's position is a `UserCursor` that moves only as its users are
yielded, so `checkpoint` is exact at every moment (after a ``break``, after
an error), mid-page positions included: a page that arrived but was not yielded is fetched again.
Its text is ``cgm1:`` and URL-safe base64 of a small JSON document: the pool, the groups (and
whether they came from ``ListGroups``), the finished ones, and the exact token of the others.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from cognito_groups._models import Membership
from cognito_groups._paginate import PageRequestPlan, UserCursor
from cognito_groups._validate import (
    ListRequest,
    check_concurrency,
    check_group_name,
    check_next_token,
    check_page_size,
    check_user_pool_id,
    fail,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from cognito_groups._errors import CognitoGroupsError
    from cognito_groups._models import User
    from cognito_groups._paginate import PageSlice

__all__ = [
    "CHECKPOINT_PREFIX",
    "CONCURRENCY_MAX",
    "DEFAULT_CONCURRENCY",
    "GroupTable",
    "MembershipPlan",
    "MembershipRequest",
    "MembershipTracker",
    "check_membership_request",
]

CHECKPOINT_PREFIX = "cgm1:"
CONCURRENCY_MAX = 32
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class _Saved:
    """A decoded checkpoint."""

    groups: tuple[str, ...] | None
    listed: bool
    done: frozenset[str]
    at: dict[str, str]


@dataclass(frozen=True, slots=True)
class MembershipRequest:
    """A validated request to list the members of many groups."""

    user_pool_id: str
    group_names: tuple[str, ...] | None
    concurrency: int
    page_size: int
    saved: _Saved | None


def check_membership_request(
    user_pool_id: object,
    group_names: object,
    *,
    concurrency: object,
    page_size: object,
    checkpoint: object,
) -> MembershipRequest:
    """Validate the parameters of ``iter_memberships``, in signature order."""
    pool = check_user_pool_id(user_pool_id)
    names = _check_group_names(group_names)
    checked_concurrency = check_concurrency(concurrency, CONCURRENCY_MAX)
    size = check_page_size(page_size)
    saved = None if checkpoint is None else _decode(checkpoint, pool)
    if saved is not None and names is not None and saved.groups != names:
        raise fail("checkpoint", "was made for other groups than group_names")
    return MembershipRequest(pool, names, checked_concurrency, size, saved)


def _check_group_names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise fail(
            "group_names",
            f"must be a list of group names or None, got {type(value).__name__}",
        )
    names: dict[str, None] = {}  # in order, each once
    for item in cast("Iterable[object]", value):
        name = check_group_name(item)
        if name in names:
            raise fail("group_names", f"{name!r} is listed twice")
        names[name] = None
    return tuple(names)


def _decode(checkpoint: object, user_pool_id: str) -> _Saved:
    if not isinstance(checkpoint, str) or not checkpoint.startswith(CHECKPOINT_PREFIX):
        raise fail("checkpoint", f"must be a checkpoint string starting with {CHECKPOINT_PREFIX}")
    body = checkpoint.removeprefix(CHECKPOINT_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        document: Any = json.loads(raw)
        pool = document["pool"]
        groups = document["groups"]
        listed = document["listed"]
        done = document["done"]
        at = document["at"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise fail("checkpoint", "is not a checkpoint of this library (damaged or cut?)") from None
    if pool != user_pool_id:
        raise fail("checkpoint", "was made for another user pool")
    if not isinstance(listed, bool) or not isinstance(done, list) or not isinstance(at, dict):
        raise fail("checkpoint", "is not a checkpoint of this library (damaged or cut?)")
    names = None if groups is None else _check_group_names(groups)
    known = set(names or ())
    positions: dict[str, str] = {}
    for name, token in at.items():  # pyright: ignore[reportUnknownVariableType]
        if name not in known or not isinstance(token, str):
            raise fail("checkpoint", "is not a checkpoint of this library (damaged or cut?)")
        check_next_token(token)
        positions[name] = token
    if not all(isinstance(name, str) and name in known for name in done):  # pyright: ignore[reportUnknownVariableType]
        raise fail("checkpoint", "is not a checkpoint of this library (damaged or cut?)")
    return _Saved(names, listed, frozenset(done), positions)  # pyright: ignore[reportUnknownArgumentType]


class _Group:
    """One group's state: its request plan, its cursor, and where it is in the pipeline."""

    __slots__ = ("cursor", "done", "in_flight", "name", "plan", "started", "waiting")

    def __init__(self, name: str, request: ListRequest, done: bool) -> None:
        self.name = name
        self.plan = PageRequestPlan(request)
        self.cursor = UserCursor(request.start.to_token())
        self.done = done  # finished before the checkpoint it resumes from
        self.started = False
        self.in_flight = False
        self.waiting = False  # a page arrived and was not started yet

    @property
    def finished(self) -> bool:
        """Whether every user of the group has been yielded (or was, before a checkpoint)."""
        return self.done or self.cursor.exhausted


def _holds_slot(group: _Group) -> bool:
    """Whether ``group`` takes one of the ``concurrency`` slots.

    It does from its first request until its last page has started being yielded.
    """
    if not group.started or group.finished:
        return False
    return group.in_flight or group.waiting or not group.plan.over


class MembershipPlan:
    """The state of one ``iter_memberships`` listing (see the module's docstring)."""

    def __init__(self, request: MembershipRequest) -> None:
        self._request = request
        saved = request.saved
        names = request.group_names if saved is None else saved.groups
        self._listed = saved.listed if saved is not None else request.group_names is None
        self._groups: dict[str, _Group] = {}
        self._order: tuple[str, ...] | None = None
        self._ready: deque[tuple[_Group, PageSlice]] = deque()
        self._unstarted: deque[_Group] = deque()  # in the pool's order
        self._started: list[_Group] = []  # started and not finished
        self._current: _Group | None = None
        self._error: CognitoGroupsError | None = None
        self._stopped = False
        if names is not None:
            self._set_groups(names)

    @property
    def user_pool_id(self) -> str:
        """The pool listed."""
        return self._request.user_pool_id

    @property
    def needs_group_names(self) -> bool:
        """Whether the groups must first be listed with ``ListGroups``."""
        return self._order is None

    def set_group_names(self, names: Sequence[str]) -> None:
        """The pool's groups, as ``ListGroups`` gave them."""
        self._set_groups(tuple(names))

    def _set_groups(self, names: tuple[str, ...]) -> None:
        saved = self._request.saved
        done: frozenset[str] = saved.done if saved is not None else frozenset()
        at = saved.at if saved is not None else {}
        self._order = names
        for name in names:
            request = ListRequest(
                self._request.user_pool_id,
                name,
                self._request.page_size,
                None,
                check_next_token(at.get(name)),
            )
            self._groups[name] = _Group(name, request, name in done)
        self._unstarted = deque(group for group in self._groups.values() if not group.done)

    def jobs(self) -> list[tuple[str, PageRequestPlan]]:
        """The requests to send now, at most one per group (each is marked in flight).

        It looks only at the groups started and not finished (about ``concurrency`` of them)
        and at the head of the queue of groups not started: a pool of 10,000 groups costs no
        more per call than one of ten.
        """
        if self._error is not None or self._stopped or self._order is None:
            return []
        jobs: list[tuple[str, PageRequestPlan]] = []
        started: list[_Group] = []
        for group in self._started:
            if group.finished:
                continue
            if not (group.in_flight or group.waiting or group.plan.over):
                group.in_flight = True
                jobs.append((group.name, group.plan))
            started.append(group)
        active = sum(1 for group in started if _holds_slot(group))
        while active < self._request.concurrency and self._unstarted:
            group = self._unstarted.popleft()
            group.started = group.in_flight = True
            jobs.append((group.name, group.plan))
            started.append(group)
            active += 1
        self._started = started
        return jobs

    def arrived(self, name: str, page_slice: PageSlice) -> None:
        """A page of ``name`` came back."""
        group = self._groups[name]
        group.in_flight = False
        group.waiting = True
        self._ready.append((group, page_slice))

    def failed(self, name: str, error: CognitoGroupsError) -> None:
        """A request of ``name`` failed: send no more; raise the first error after the pages.

        The pages already received (from other groups) are yielded first, so that a resume loop
        always makes progress.
        """
        group = self._groups[name]
        group.in_flight = False
        if self._error is None:
            error.group_name = name
            self._error = error

    def cancelled(self, name: str) -> None:
        """A request of ``name`` was cancelled (the iterator was closed): nothing came back."""
        self._groups[name].in_flight = False

    def stop(self) -> None:
        """Yield no more (the iterator was closed); the checkpoint stays exact."""
        self._stopped = True
        self._ready.clear()
        current = self._current
        if current is not None:
            current.cursor.stop()

    def take(self) -> Membership | None:
        """The next membership of the pages received, or ``None`` when none is left to yield."""
        while True:
            current = self._current
            if current is not None:
                user: User | None = current.cursor.take()
                if user is not None:
                    return Membership(current.name, user)
                self._current = None
            if self._stopped or not self._ready:
                return None
            group, page_slice = self._ready.popleft()
            group.waiting = False
            group.cursor.load(page_slice)
            self._current = group

    @property
    def error(self) -> CognitoGroupsError | None:
        """The error to raise once `take()` gives ``None``."""
        return self._error

    @property
    def groups_total(self) -> int | None:
        """How many groups the listing covers (``None`` until ``ListGroups`` has answered)."""
        return None if self._order is None else len(self._order)

    @property
    def groups_done(self) -> int:
        """How many groups have had every member yielded."""
        return sum(1 for group in self._groups.values() if group.finished)

    @property
    def exhausted(self) -> bool:
        """Whether every membership of every group has been yielded."""
        return self._order is not None and all(g.finished for g in self._groups.values())

    @property
    def checkpoint(self) -> str:
        """Where a new listing continues, exactly (pass it as ``checkpoint=``)."""
        done: list[str] = []
        at: dict[str, str] = {}
        for name, group in self._groups.items():
            if group.finished:
                done.append(name)
                continue
            token = group.cursor.next_token
            if token is not None:
                at[name] = token
        document = {
            "pool": self._request.user_pool_id,
            "groups": None if self._order is None else list(self._order),
            "listed": self._listed,
            "done": done,
            "at": at,
        }
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        return CHECKPOINT_PREFIX + base64.urlsafe_b64encode(text).decode().rstrip("=")


class MembershipTracker:
    """What a membership iterator (sync or async) tells of itself: its plan's position."""

    __slots__ = ()

    _plan: MembershipPlan

    @property
    def checkpoint(self) -> str:
        """Where a new listing continues, exactly, at every moment: pass it as ``checkpoint=``.

        Exact after a ``break``, after ``close()`` and after an error, mid-page included.
        """
        return self._plan.checkpoint

    @property
    def exhausted(self) -> bool:
        """Whether every membership of every group has been yielded."""
        return self._plan.exhausted

    @property
    def groups_total(self) -> int | None:
        """How many groups the listing covers (``None`` until the pool's groups are listed)."""
        return self._plan.groups_total

    @property
    def groups_done(self) -> int:
        """How many groups have had every member yielded (for progress reports)."""
        return self._plan.groups_done


class GroupTable:
    """``groups_by_user``'s table, built one membership at a time."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: dict[str, set[str]] = {}

    def add(self, membership: Membership) -> None:
        """Count ``membership``."""
        self._found.setdefault(membership.user.username, set()).add(membership.group_name)

    def result(self) -> dict[str, frozenset[str]]:
        """Username -> the names of its groups."""
        return {username: frozenset(names) for username, names in self._found.items()}
