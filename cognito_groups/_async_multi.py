"""The asynchronous iterators over many groups: `_multi`, awaited.

The decisions are the same shared plans'; requests run as tasks on the running loop, and the
budget's wait is ``asyncio.sleep``. After an error in one group the other groups' requests in
flight are cancelled (the pages already received are yielded first, then the error is raised).
``aclose()``, and the garbage collection of an abandoned iterator, cancel every task.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from cognito_groups._budget import pacing
from cognito_groups._errors import CognitoGroupsError
from cognito_groups._memberships import MembershipTracker

if TYPE_CHECKING:
    from typing_extensions import Self

    from cognito_groups._budget import RequestBudget
    from cognito_groups._groups import GroupRequestPlan
    from cognito_groups._memberships import MembershipPlan
    from cognito_groups._models import Group, Membership
    from cognito_groups._paginate import PageRequestPlan, PageSlice

__all__ = ["AsyncGroupIterator", "AsyncMembershipIterator"]

_AsyncCall = Callable[..., Awaitable[Mapping[str, Any]]]


class AsyncGroupIterator(AsyncIterator["Group"]):
    """The groups of a pool: [`GroupIterator`][cognito_groups.GroupIterator], awaited."""

    __slots__ = ("_budget", "_call", "_closed", "_groups", "_plan")

    def __init__(
        self, call: _AsyncCall, plan: GroupRequestPlan, budget: RequestBudget | None
    ) -> None:
        self._call = call
        self._plan = plan
        self._budget = budget
        self._groups: list[Group] = []
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Group:
        while not self._closed:
            if self._groups:
                return self._groups.pop(0)
            params = self._plan.next_params()
            if params is None:
                break
            try:
                with pacing(self._budget), self._plan.translating():
                    response = await self._call(**params)
                self._groups = list(self._plan.accept(response))
            except BaseException:
                await self.aclose()
                raise
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop the listing (idempotent)."""
        self._closed = True


async def _fetch(
    call: _AsyncCall, plan: PageRequestPlan, budget: RequestBudget | None
) -> PageSlice:
    """One page of one group (in its own task): the request, paced and translated."""
    params = plan.next_params()
    if params is None:  # pragma: no cover (the plan only hands out groups with more to fetch)
        raise RuntimeError("no request left to send")
    with pacing(budget), plan.translating():
        response = await call(**params)
    return plan.accept(response)


class AsyncMembershipIterator(MembershipTracker, AsyncIterator["Membership"]):
    """Every member of every group: `MembershipIterator`, awaited."""

    __slots__ = (
        "__weakref__",
        "_budget",
        "_closed",
        "_finalizer",
        "_list_groups",
        "_list_users",
        "_plan",
        "_tasks",
    )

    def __init__(
        self,
        plan: MembershipPlan,
        list_users: _AsyncCall,
        list_groups: Callable[[], AsyncIterator[Group]],
        budget: RequestBudget | None,
    ) -> None:
        self._plan = plan
        self._list_users = list_users
        self._list_groups = list_groups
        self._budget = budget
        self._tasks: dict[asyncio.Task[PageSlice], str] = {}
        self._closed = False
        # An iterator dropped without aclose() cancels its tasks when it is collected.
        self._finalizer = weakref.finalize(self, _cancel, self._tasks)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Membership:
        plan = self._plan
        try:
            while not self._closed:
                membership = plan.take()
                if membership is not None:
                    return membership
                if plan.needs_group_names:
                    plan.set_group_names([group.group_name async for group in self._list_groups()])
                for name, page_plan in plan.jobs():
                    task = asyncio.ensure_future(_fetch(self._list_users, page_plan, self._budget))
                    self._tasks[task] = name
                if not self._tasks:
                    if plan.error is not None:
                        raise plan.error
                    break
                finished, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
                self._collect(finished)
                if plan.error is not None:  # cancel the others; keep what already came
                    await self._cancel_in_flight()
        except BaseException:
            await self.aclose()
            raise
        await self.aclose()
        raise StopAsyncIteration

    def _collect(self, finished: set[asyncio.Task[PageSlice]]) -> None:
        for task in finished:
            name = self._tasks.pop(task)
            if task.cancelled():
                self._plan.cancelled(name)
                continue
            try:
                self._plan.arrived(name, task.result())
            except CognitoGroupsError as err:
                self._plan.failed(name, err)

    async def _cancel_in_flight(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._collect(set(tasks))

    async def aclose(self) -> None:
        """Stop: no more memberships, every task cancelled (idempotent); checkpoint stays exact."""
        if self._closed:
            return
        self._closed = True
        self._plan.stop()
        tasks = list(self._tasks)
        self._tasks.clear()
        self._finalizer.detach()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _cancel(tasks: dict[asyncio.Task[PageSlice], str]) -> None:
    for task in list(tasks):
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            task.cancel()
