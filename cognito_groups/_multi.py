"""The synchronous iterators over many groups: groups, and memberships listed concurrently.

The decisions are `_memberships`' and `_groups`'; these classes only send requests and wait.
[`MembershipIterator`][cognito_groups.MembershipIterator] sends each group's requests on a
pool of ``concurrency`` worker threads; the caller's thread takes the answers as they arrive.
The request budget (``max_rps``) paces every attempt of every request, in every thread.

After an error in one group no new request is sent; the requests already in flight are waited
for (a thread cannot abandon an HTTP request; the timeouts bound it) and their pages are yielded
before the error is raised. ``close()``, and the garbage collection of an abandoned iterator,
stop the workers: no thread is left running.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from cognito_groups._budget import pacing
from cognito_groups._closing import Closing
from cognito_groups._errors import CognitoGroupsError
from cognito_groups._memberships import MembershipTracker

if TYPE_CHECKING:
    from typing_extensions import Self

    from cognito_groups._budget import RequestBudget
    from cognito_groups._groups import GroupRequestPlan
    from cognito_groups._memberships import MembershipPlan
    from cognito_groups._models import Group, Membership
    from cognito_groups._paginate import PageRequestPlan, PageSlice

__all__ = ["GroupIterator", "MembershipIterator"]

_Call = Callable[..., Mapping[str, Any]]


class GroupIterator(Closing, Iterator["Group"]):
    """The groups of a pool, one ``ListGroups`` request per page, as they are asked for."""

    __slots__ = ("_budget", "_call", "_closed", "_groups", "_plan")

    def __init__(self, call: _Call, plan: GroupRequestPlan, budget: RequestBudget | None) -> None:
        self._call = call
        self._plan = plan
        self._budget = budget
        self._groups: Iterator[Group] = iter(())
        self._closed = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Group:
        while not self._closed:
            group = next(self._groups, None)
            if group is not None:
                return group
            params = self._plan.next_params()
            if params is None:
                break
            try:
                with pacing(self._budget), self._plan.translating():
                    response = self._call(**params)
                self._groups = iter(self._plan.accept(response))
            except BaseException:
                self.close()
                raise
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Stop the listing (idempotent)."""
        self._closed = True


def _fetch(call: _Call, plan: PageRequestPlan, budget: RequestBudget | None) -> PageSlice:
    """One page of one group (in a worker thread): the request, paced and translated."""
    params = plan.next_params()
    if params is None:  # pragma: no cover (the plan only hands out groups with more to fetch)
        raise RuntimeError("no request left to send")
    with pacing(budget), plan.translating():
        response = call(**params)
    return plan.accept(response)


class MembershipIterator(MembershipTracker, Closing, Iterator["Membership"]):
    """Every member of every group, listed ``concurrency`` groups at a time.

    Attributes:
        checkpoint: Where a new listing continues, exactly, at every moment (after a ``break``,
            after an error): pass it as ``checkpoint=``.
        exhausted: Whether every membership has been yielded.
    """

    __slots__ = (
        "__weakref__",
        "_budget",
        "_closed",
        "_executor",
        "_finalizer",
        "_futures",
        "_list_groups",
        "_list_users",
        "_plan",
    )

    def __init__(
        self,
        plan: MembershipPlan,
        concurrency: int,
        list_users: _Call,
        list_groups: Callable[[], Iterator[Group]],
        budget: RequestBudget | None,
    ) -> None:
        self._plan = plan
        self._list_users = list_users
        self._list_groups = list_groups
        self._budget = budget
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="cognito-groups")
        self._futures: dict[Future[PageSlice], str] = {}
        self._closed = False
        # An iterator dropped without close() stops its workers when it is collected.
        self._finalizer = weakref.finalize(self, _shut_down, self._executor, wait=False)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Membership:
        plan = self._plan
        try:
            while not self._closed:
                membership = plan.take()
                if membership is not None:
                    return membership
                if plan.needs_group_names:
                    plan.set_group_names([group.group_name for group in self._list_groups()])
                for name, page_plan in plan.jobs():
                    future = self._executor.submit(
                        _fetch, self._list_users, page_plan, self._budget
                    )
                    self._futures[future] = name
                if not self._futures:
                    if plan.error is not None:
                        raise plan.error
                    break
                self._collect()
        except BaseException:
            self.close()
            raise
        self.close()
        raise StopIteration

    def _collect(self) -> None:
        """Wait for at least one answer, and hand every answer that came to the plan."""
        finished, _ = wait(self._futures, return_when=FIRST_COMPLETED)
        for future in finished:
            name = self._futures.pop(future)
            try:
                self._plan.arrived(name, future.result())
            except CognitoGroupsError as err:
                self._plan.failed(name, err)

    def close(self) -> None:
        """Stop: no more memberships, the workers stopped (idempotent); checkpoint stays exact."""
        if self._closed:
            return
        self._closed = True
        self._plan.stop()
        for future in self._futures:
            future.cancel()
        self._futures.clear()
        self._finalizer.detach()
        _shut_down(self._executor, wait=True)


def _shut_down(executor: ThreadPoolExecutor, *, wait: bool) -> None:
    executor.shutdown(wait=wait, cancel_futures=True)
