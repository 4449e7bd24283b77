"""Prefetching pages: request page k+1 in a background thread while the caller uses page k.

The page loop is the sync one (:class:`~cognito_groups._client.PageIterator`), run one page ahead
on a single worker thread. What the caller sees is unchanged: the same pages in the same order,
errors raised at the same place in the stream with the same ``next_token``, and ``next_token``
on the iterator pointing after the pages actually returned. Never more than one request is in
flight or ahead; with ``max_users`` nothing beyond the last wanted page is requested.

The thread never outlives the iterator: it stops when the listing ends or fails, on
``close()`` (waiting for a request in flight, which botocore's timeouts bound), and when an
abandoned iterator is garbage-collected.
"""

from __future__ import annotations

import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from cognito_groups._client import PageIterator

if TYPE_CHECKING:
    from collections.abc import Callable

    from cognito_groups._models import Page
    from cognito_groups._paginate import PageLoop

__all__ = ["PrefetchPageIterator"]


class PrefetchPageIterator(PageIterator):
    """A :class:`~cognito_groups.PageIterator` that fetches one page ahead in a thread."""

    __slots__ = ("__weakref__", "_delivered", "_executor", "_finalizer", "_future")

    def __init__(self, call: Callable[..., Any], loop: PageLoop) -> None:
        super().__init__(call, loop)
        self._delivered: str | None = loop.next_token
        self._future: Future[Page | None] | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="cognito-groups-prefetch"
        )
        # Abandoned without close(): shut the worker down when the iterator is collected.
        self._finalizer = weakref.finalize(
            self, self._executor.shutdown, wait=False, cancel_futures=True
        )

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues after the pages returned so far (not those fetched)."""
        return self._delivered

    def __next__(self) -> Page:
        future, self._future = self._future, None
        try:
            page = self._fetch() if future is None else future.result()
        except BaseException:
            self.close()
            raise
        if page is None:
            self.close()
            raise StopIteration
        self._delivered = page.next_token
        if self._loop.done:
            self.close()
        else:
            self._future = self._executor.submit(self._fetch)
        return page

    def close(self) -> None:
        """Stop prefetching: drop a page fetched ahead, and end the worker thread."""
        future, self._future = self._future, None
        if future is not None:
            future.cancel()
        self._finalizer.detach()
        self._executor.shutdown(wait=True, cancel_futures=True)
