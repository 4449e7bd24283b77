"""The asynchronous iterators: `_iterators`, class for class, awaited on the running loop.

The rules are the same plans'; the calls come from the async facade already paced and
translated (`_paced.apaced()`, whose wait is ``asyncio.sleep``). Each iterator supports
``async with`` and ``aclose()``, as its sync twin supports ``with`` and ``close()``.

`AsyncMembershipIterator` runs each group's requests as tasks. After an error in one group
the other groups' requests in flight are cancelled (the pages already received are yielded
first, then the error is raised). ``aclose()``, and the garbage collection of an abandoned
iterator, cancel every task.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from cognito_groups._client._closing import AsyncClosing
from cognito_groups._errors import CognitoGroupsError
from cognito_groups._listing._groups import GroupIteratorBase
from cognito_groups._listing._memberships import MembershipIteratorBase
from cognito_groups._listing._paginate import PageIteratorBase, UserIteratorBase

if TYPE_CHECKING:
    from typing_extensions import Self

    from cognito_groups._listing._memberships import MembershipPlan
    from cognito_groups._listing._paginate import PageRequestPlan, PageSlice
    from cognito_groups._models import Group, Membership, Page, User
    from cognito_groups._pacing._paced import AsyncCall

__all__ = [
    "AsyncGroupIterator",
    "AsyncMembershipIterator",
    "AsyncPageIterator",
    "AsyncUserIterator",
]


async def _fetch_page(call: AsyncCall, plan: PageRequestPlan) -> PageSlice | None:
    """Send the plan's next request and await it (``None`` once the listing is over)."""
    params = plan.next_params()
    if params is None:
        return None
    with plan.resuming():
        response = await call(**params)
    return plan.accept(response)


class AsyncPageIterator(
    PageIteratorBase["AsyncCall", AsyncClosing], AsyncClosing, AsyncIterator["Page"]
):
    """The pages of a group, one request per page, awaited as they are asked for.

    ``next_token`` and ``exhausted`` have the meaning they have on
    [`PageIterator`][cognito_groups.PageIterator].
    """

    __slots__ = ()

    def __init__(
        self, call: AsyncCall, plan: PageRequestPlan, owner: AsyncClosing | None = None
    ) -> None:
        super().__init__(call, plan, owner)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Page:
        return (await self._next_slice()).page

    async def _next_slice(self) -> PageSlice:
        """The next page slice handed to the caller; the iterator ends after the last one."""
        if self._closed:
            raise StopAsyncIteration
        try:
            page_slice = await _fetch_page(self._call, self._plan)
        except BaseException:
            await self.aclose()
            raise
        if page_slice is None:
            await self.aclose()
            raise StopAsyncIteration
        return self._returned(page_slice)

    async def aclose(self) -> None:
        """Stop the listing; close the client it created for itself, if any (idempotent)."""
        owner = self._release_owner()
        if owner is not None:
            await owner.aclose()


class AsyncUserIterator(UserIteratorBase[AsyncPageIterator], AsyncClosing, AsyncIterator["User"]):
    """The users of a group, one at a time, a page fetched whenever one is used up.

    ``next_token`` and ``exhausted`` have the meaning they have on
    [`UserIterator`][cognito_groups.UserIterator].
    """

    __slots__ = ()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> User:
        cursor = self._cursor
        while (user := cursor.take()) is None:
            cursor.load(await self._pages._next_slice())
        return user

    async def aclose(self) -> None:
        """Stop early, closing the client the listing created for itself, if any."""
        self._cursor.stop()
        await self._pages.aclose()


class AsyncGroupIterator(GroupIteratorBase["AsyncCall"], AsyncClosing, AsyncIterator["Group"]):
    """The groups of a pool: [`GroupIterator`][cognito_groups.GroupIterator], awaited."""

    __slots__ = ()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Group:
        plan = self._plan
        try:
            while (group := plan.take()) is None and (params := plan.next_params()) is not None:
                plan.accept(await self._call(**params))
        except BaseException:
            await self.aclose()
            raise
        if group is None:
            raise StopAsyncIteration
        return group

    async def aclose(self) -> None:
        """Stop the listing (idempotent)."""
        self._plan.stop()


class AsyncMembershipIterator(
    MembershipIteratorBase["AsyncCall", "AsyncGroupIterator"],
    AsyncClosing,
    AsyncIterator["Membership"],
):
    """Every member of every group: `MembershipIterator`, awaited.

    Its requests are tasks, and ``aclose()`` cancels them. ``checkpoint`` and ``exhausted``
    have the meaning they have on [`MembershipIterator`][cognito_groups.MembershipIterator].
    """

    __slots__ = ("__weakref__", "_closed", "_finalizer", "_tasks")

    def __init__(
        self,
        plan: MembershipPlan,
        list_users: AsyncCall,
        list_groups: Callable[[], AsyncGroupIterator],
    ) -> None:
        super().__init__(plan, list_users, list_groups)
        self._tasks: dict[asyncio.Task[PageSlice | None], str] = {}
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
                    async with self._list_groups() as groups:
                        plan.set_group_names([group.group_name async for group in groups])
                for name, page_plan in plan.jobs():
                    task = asyncio.ensure_future(_fetch_page(self._list_users, page_plan))
                    self._tasks[task] = name
                if not self._tasks:
                    plan.finish()
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

    def _collect(self, finished: set[asyncio.Task[PageSlice | None]]) -> None:
        """Hand every answer that came to the plan (a cancelled request brought nothing)."""
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


def _cancel(tasks: dict[asyncio.Task[PageSlice | None], str]) -> None:
    for task in list(tasks):
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            task.cancel()
