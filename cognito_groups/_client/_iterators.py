"""The synchronous iterators: pages, users, groups and memberships, waiting in threads.

The rules are the plans' (`_paginate`, `_groups`, `_memberships`); the calls come from the
facade already paced and translated (`_paced.paced()`). These classes only send and wait.
[`_async_iterators`][cognito_groups._client._async_iterators] holds their twins, class for class.

With ``prefetch``, a `PageIterator` runs the same plan one page ahead on a single worker
thread. What the caller sees is unchanged: the same pages in the same order, errors raised at
the same place in the stream with the same ``next_token``, and ``next_token`` and
``exhausted`` following the pages actually returned. Never more than one request is in flight
or ahead; with ``max_users`` nothing beyond the last wanted page is requested.

`MembershipIterator` sends each group's requests on a pool of ``concurrency`` worker
threads; the caller's thread takes the answers as they arrive. After an error in one group no
new request is sent; the requests already in flight are waited for (a thread cannot abandon an
HTTP request; the timeouts bound it) and their pages are yielded before the error is raised.

An iterator ends on its last item, on an error and on ``close()``; then it closes what it owns
(the client [`iter_users_in_group()`][cognito_groups.iter_users_in_group] built for it, its
threads). Threads also stop when an abandoned iterator is garbage-collected.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from cognito_groups._client._closing import Closing
from cognito_groups._errors import CognitoGroupsError
from cognito_groups._listing._groups import GroupIteratorBase
from cognito_groups._listing._memberships import MembershipIteratorBase
from cognito_groups._listing._paginate import PageIteratorBase, UserIteratorBase
from cognito_groups._pacing._budget import Stopped

if TYPE_CHECKING:
    from typing_extensions import Self

    from cognito_groups._listing._memberships import MembershipPlan
    from cognito_groups._listing._paginate import PageRequestPlan, PageSlice
    from cognito_groups._models import Group, Membership, Page, User
    from cognito_groups._pacing._paced import PacedCall

__all__ = ["GroupIterator", "MembershipIterator", "PageIterator", "UserIterator"]


def _fetch_page(call: PacedCall, plan: PageRequestPlan) -> PageSlice | None:
    """Send the plan's next request and wait for it (``None`` once the listing is over)."""
    params = plan.next_params()
    if params is None:
        return None
    with plan.resuming():
        response = call(**params)
    return plan.accept(response)


class PageIterator(PageIteratorBase["PacedCall", Closing], Closing, Iterator["Page"]):
    """The pages of a group, fetched one request at a time as they are asked for.

    Attributes:
        next_token: Where a new listing continues after the pages returned so far: the
            service's token at a page boundary, a resume token of ours inside a page (after
            ``max_users`` on a page longer than asked). ``None`` once ``exhausted``, and before
            the first page of a listing that started at the beginning.
        exhausted: Whether the last page of the group has been returned.
    """

    __slots__ = ("__weakref__", "_ahead")

    def __init__(
        self,
        call: PacedCall,
        plan: PageRequestPlan,
        owner: Closing | None = None,
        *,
        prefetch: bool = False,
    ) -> None:
        super().__init__(call, plan, owner)
        self._ahead = _PageAhead(self, call) if prefetch else None

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Page:
        return self._next_slice().page

    def _next_slice(self) -> PageSlice:
        """The next page slice handed to the caller; the iterator ends after the last one."""
        if self._closed:
            raise StopIteration
        try:
            ahead = self._ahead
            if ahead is None:
                page_slice = _fetch_page(self._call, self._plan)
            else:
                page_slice = ahead.next(self._call, self._plan)
        except BaseException:
            self.close()
            raise
        if page_slice is None:
            self.close()
            raise StopIteration
        return self._returned(page_slice)

    def close(self) -> None:
        """Stop the listing: drop a page fetched ahead, close what it owns (idempotent)."""
        if self._ahead is not None:
            self._call.cancel()  # a request waiting in the thread is not sent
            self._ahead.stop()
        owner = self._release_owner()
        if owner is not None:
            owner.close()


class _PageAhead:
    """A `PageIterator`'s prefetching: the next page, fetched on one worker thread."""

    __slots__ = ("_executor", "_finalizer", "_future")

    def __init__(self, iterator: PageIterator, call: PacedCall) -> None:
        self._future: Future[PageSlice | None] | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="cognito-groups-prefetch"
        )
        # Abandoned without close(): shut the worker down when the iterator is collected.
        self._finalizer = weakref.finalize(iterator, _abandon, call, self._executor)

    def next(self, call: PacedCall, plan: PageRequestPlan) -> PageSlice | None:
        """The page fetched ahead (or fetched now); the one after it starts in the thread."""
        future, self._future = self._future, None
        page_slice = _fetch_page(call, plan) if future is None else future.result()
        if page_slice is None or plan.over:
            self.stop()  # nothing left to fetch: the thread ends now
        else:
            self._future = self._executor.submit(_fetch_page, call, plan)
        return page_slice

    def stop(self) -> None:
        """Drop the page fetched ahead and end the worker thread (idempotent)."""
        future, self._future = self._future, None
        if future is not None:
            future.cancel()
        self._finalizer.detach()
        self._executor.shutdown(wait=True, cancel_futures=True)


class UserIterator(UserIteratorBase[PageIterator], Closing, Iterator["User"]):
    """The users of a group, one at a time, fetched a page at a time as they are asked for.

    Attributes:
        next_token: Where a new listing continues right after the last user returned, exact
            to the user (after a ``break``, ``max_users`` or an error). ``None`` once
            ``exhausted``, and before the first user of a listing that started at the
            beginning.
        exhausted: Whether the last user of the group has been returned (or the group was
            empty).
    """

    __slots__ = ()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> User:
        cursor = self._cursor
        while (user := cursor.take()) is None:
            cursor.load(self._pages._next_slice())
        return user

    def close(self) -> None:
        """Stop the listing early (frees a prefetching thread, closes a client built for it)."""
        self._cursor.stop()
        self._pages.close()


class GroupIterator(GroupIteratorBase["PacedCall"], Closing, Iterator["Group"]):
    """The groups of a pool, one ``ListGroups`` request per page, as they are asked for."""

    __slots__ = ()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Group:
        plan = self._plan
        try:
            while (group := plan.take()) is None and (params := plan.next_params()) is not None:
                plan.accept(self._call(**params))
        except BaseException:
            self.close()
            raise
        if group is None:
            raise StopIteration
        return group

    def close(self) -> None:
        """Stop the listing (idempotent)."""
        self._plan.stop()


class MembershipIterator(
    MembershipIteratorBase["PacedCall", "GroupIterator"], Closing, Iterator["Membership"]
):
    """Every member of every group, listed ``concurrency`` groups at a time.

    Attributes:
        checkpoint: Where a new listing continues, exactly, at every moment (after a ``break``,
            after an error): pass it as ``checkpoint=``.
        exhausted: Whether every membership has been yielded.
    """

    __slots__ = (
        "__weakref__",
        "_closed",
        "_executor",
        "_finalizer",
        "_futures",
    )

    def __init__(
        self,
        plan: MembershipPlan,
        concurrency: int,
        list_users: PacedCall,
        list_groups: Callable[[], GroupIterator],
    ) -> None:
        super().__init__(plan, list_users, list_groups)
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="cognito-groups")
        self._futures: dict[Future[PageSlice | None], str] = {}
        self._closed = False
        # An iterator dropped without close() stops its workers when it is collected.
        self._finalizer = weakref.finalize(self, _abandon, list_users, self._executor)

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
                    with self._list_groups() as groups:
                        plan.set_group_names([group.group_name for group in groups])
                for name, page_plan in plan.jobs():
                    future = self._executor.submit(_fetch_page, self._list_users, page_plan)
                    self._futures[future] = name
                if not self._futures:
                    plan.finish()
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
                # No new request: those still waiting for a token are not sent (a request in
                # flight is answered; throttled, it is not sent again).
                self._list_users.cancel()
            except Stopped:
                self._plan.cancelled(name)

    def close(self) -> None:
        """Stop: no more memberships, the workers stopped (idempotent); checkpoint stays exact."""
        if self._closed:
            return
        self._closed = True
        self._plan.stop()
        self._list_users.cancel()  # requests waiting for a token, or throttled, stop there
        for future in self._futures:
            future.cancel()
        self._futures.clear()
        self._finalizer.detach()
        self._executor.shutdown(wait=True, cancel_futures=True)


def _abandon(call: PacedCall, executor: ThreadPoolExecutor) -> None:
    """An iterator dropped without ``close()``: its requests' waits end, its workers stop."""
    call.cancel()
    executor.shutdown(wait=False, cancel_futures=True)
