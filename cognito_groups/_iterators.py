"""The synchronous iterators: pages and users, fetched one request at a time or one page ahead.

The paging rules are `_paginate`'s; these classes only wait for responses.
`PrefetchPageIterator` runs the same plan one page ahead on a single worker thread. What
the caller sees is unchanged: the same pages in the same order, errors raised at the same place
in the stream with the same ``next_token``, and ``next_token`` and ``exhausted`` following the
pages actually returned. Never more than one request is in flight or ahead; with ``max_users``
nothing beyond the last wanted page is requested.

An iterator ends on the last page, on an error and on ``close()``; then it closes what it owns
(the client [`iter_users_in_group()`][cognito_groups.iter_users_in_group] built for it, a
prefetching thread). A prefetching thread also stops when an abandoned iterator is
garbage-collected.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from cognito_groups._closing import Closing
from cognito_groups._paginate import PageRequestPlan, PageSlice, PageTracker, UserTracker

if TYPE_CHECKING:
    from typing_extensions import Self

    from cognito_groups._models import Page, User

__all__ = ["ListCall", "PageIterator", "PrefetchPageIterator", "UserIterator"]

#: The request: ``client.list_users_in_group``.
ListCall = Callable[..., Mapping[str, Any]]


class PageIterator(PageTracker, Closing, Iterator["Page"]):
    """The pages of a group, fetched one request at a time as they are asked for.

    Attributes:
        next_token: Where a new listing continues after the pages returned so far: the
            service's token at a page boundary, a resume token of ours inside a page (after
            ``max_users`` on a page longer than asked). ``None`` once ``exhausted``, and before
            the first page of a listing that started at the beginning.
        exhausted: Whether the last page of the group has been returned.
    """

    __slots__ = ("_call", "_closed", "_owner", "_plan")

    def __init__(self, call: ListCall, plan: PageRequestPlan, owner: Closing | None = None) -> None:
        super().__init__(plan)
        self._call = call
        self._plan = plan
        self._owner = owner
        self._closed = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Page:
        return self._next_slice().page

    def _next_slice(self) -> PageSlice:
        """The next page slice handed to the caller; the iterator ends after the last one."""
        if self._closed:
            raise StopIteration
        try:
            page_slice = self._advance()
        except BaseException:
            self.close()
            raise
        if page_slice is None:
            self.close()
            raise StopIteration
        return self._returned(page_slice)

    def _advance(self) -> PageSlice | None:
        """The next page slice (``None`` once the listing is over)."""
        return self._fetch()

    def _fetch(self) -> PageSlice | None:
        """Send the next request and wait for it (``None`` once the listing is over)."""
        plan = self._plan
        params = plan.next_params()
        if params is None:
            return None
        with plan.translating():
            response = self._call(**params)
        return plan.accept(response)

    def close(self) -> None:
        """Stop the listing; close the client it built for itself, if any (idempotent)."""
        self._closed = True
        owner, self._owner = self._owner, None
        if owner is not None:
            owner.close()


class PrefetchPageIterator(PageIterator):
    """A `PageIterator` that fetches the next page in a thread while this one is used."""

    __slots__ = ("__weakref__", "_executor", "_finalizer", "_future")

    def __init__(self, call: ListCall, plan: PageRequestPlan, owner: Closing | None = None) -> None:
        super().__init__(call, plan, owner)
        self._future: Future[PageSlice | None] | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="cognito-groups-prefetch"
        )
        # Abandoned without close(): shut the worker down when the iterator is collected.
        self._finalizer = weakref.finalize(
            self, self._executor.shutdown, wait=False, cancel_futures=True
        )

    def _advance(self) -> PageSlice | None:
        future, self._future = self._future, None
        page_slice = self._fetch() if future is None else future.result()
        if page_slice is None or self._plan.over:
            self._stop_worker()  # nothing left to fetch: the thread ends now
        else:
            self._future = self._executor.submit(self._fetch)
        return page_slice

    def _stop_worker(self) -> None:
        future, self._future = self._future, None
        if future is not None:
            future.cancel()
        self._finalizer.detach()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stop prefetching: drop a page fetched ahead, end the worker thread, close the rest."""
        self._stop_worker()
        super().close()


class UserIterator(UserTracker, Closing, Iterator["User"]):
    """The users of a group, one at a time, fetched a page at a time as they are asked for.

    Attributes:
        next_token: Where a new listing continues right after the last user returned, exact
            to the user (after a ``break``, ``max_users`` or an error). ``None`` once
            ``exhausted``, and before the first user of a listing that started at the
            beginning.
        exhausted: Whether the last user of the group has been returned (or the group was
            empty).
    """

    __slots__ = ("_pages",)

    def __init__(self, pages: PageIterator) -> None:
        super().__init__(pages.next_token)
        self._pages = pages

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> User:
        cursor = self._cursor
        user = cursor.take()
        while user is None:
            cursor.load(self._pages._next_slice())
            user = cursor.take()
        return user

    def close(self) -> None:
        """Stop the listing early (frees a prefetching thread, closes a client built for it)."""
        self._cursor.stop()
        self._pages.close()
