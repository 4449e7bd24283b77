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
Its text is `_checkpoint`'s.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Generic, TypeVar

from cognito_groups._listing._checkpoint import MembershipCheckpoint, encode_checkpoint
from cognito_groups._listing._paginate import PageRequestPlan, UserCursor
from cognito_groups._listing._validate import ListRequest, check_listed_group_name, check_next_token
from cognito_groups._models import Membership

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from cognito_groups._errors import CognitoGroupsError
    from cognito_groups._listing._paginate import PageSlice
    from cognito_groups._listing._validate import MembershipRequest
    from cognito_groups._models import User

__all__ = ["MembershipIteratorBase", "MembershipPlan"]

_CallT = TypeVar("_CallT")
_GroupsT = TypeVar("_GroupsT")


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
        """The pool's groups, as ``ListGroups`` gave them (a name it cannot have is refused)."""
        self._set_groups(tuple(check_listed_group_name(name) for name in names))

    def _set_groups(self, names: tuple[str, ...]) -> None:
        saved = self._request.saved
        done: frozenset[str] = saved.done if saved is not None else frozenset()
        at: Mapping[str, str] = saved.at if saved is not None else {}
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

    def arrived(self, name: str, page_slice: PageSlice | None) -> None:
        """A page of ``name`` came back."""
        if page_slice is None:  # pragma: no cover (jobs() hands out only groups with more)
            raise RuntimeError(f"no request was left to send for group {name!r}")
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

    def finish(self) -> None:
        """Nothing is left to yield or wait for: raise the first group's error, if any."""
        if self._error is not None:
            raise self._error

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
        groups = self._groups.values()
        return encode_checkpoint(
            MembershipCheckpoint(
                self._request.user_pool_id,
                self._order,
                self._listed,
                frozenset(group.name for group in groups if group.finished),
                {
                    group.name: token
                    for group in groups
                    if not group.finished and (token := group.cursor.next_token) is not None
                },
            )
        )


class MembershipIteratorBase(Generic[_CallT, _GroupsT]):
    """What the membership iterators (sync and async) share: the plan, and what it tells.

    ``list_users`` sends one ``ListUsersInGroup`` request (paced and translated);
    ``list_groups`` makes the iterator of the pool's groups, used once, when the plan needs
    their names.
    """

    __slots__ = ("_list_groups", "_list_users", "_plan")

    def __init__(
        self, plan: MembershipPlan, list_users: _CallT, list_groups: Callable[[], _GroupsT]
    ) -> None:
        self._plan = plan
        self._list_users = list_users
        self._list_groups = list_groups

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
