"""The page loop's rules, written once, without I/O, for every client (sync, async, CLI).

A :class:`PageLoop` says what to send next (:meth:`PageLoop.next_params`), turns each response
into a :class:`Page` (:meth:`PageLoop.accept`) and each failure into our error
(:meth:`PageLoop.translating`). A :class:`UserCursor` hands out the users of those pages one at a
time and keeps the token to resume from. The clients only do the waiting.

Rules:

* every request sends ``Limit``: ``page_size``, or the users still wanted under ``max_users``
  when that is fewer, so nothing is fetched to be thrown away and the listing stops exactly on a
  page boundary;
* the listing goes on until a response has no ``NextToken`` (absent or empty), whatever the
  size of its page: a short page, even an empty one, is not the end;
* a response that gives back the token it was sent raises :class:`PaginationError` rather than
  loop forever;
* a response over HTTP without ``Users`` raises :class:`MalformedResponseError`: it is what
  botocore makes of a body that is empty, cut short or not JSON, and taking it as the last page
  would lose the rest of the group silently;
* every error carries the token of the request that failed, to resume from.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cognito_groups._errors import (
    BOTOCORE_ERRORS,
    MalformedResponseError,
    PaginationError,
    translate_error,
)
from cognito_groups._models import Page, User

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from cognito_groups._validate import ListRequest

_log = logging.getLogger("cognito_groups")

# What converting a response of the wrong shape raises; see `PageLoop.accept`.
_CONVERSION_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


class PageLoop:
    """The state of one listing: where it is, and how much is still wanted."""

    __slots__ = ("_done", "_limit", "_remaining", "_request", "next_token")

    def __init__(self, request: ListRequest) -> None:
        self._request = request
        self._remaining = request.max_users
        self._limit = request.page_size
        self._done = False
        #: The token the next request sends: where the listing stands.
        self.next_token: str | None = request.next_token

    @property
    def done(self) -> bool:
        """Whether the listing is over: no more pages, or ``max_users`` reached."""
        return self._done

    def next_params(self) -> dict[str, Any] | None:
        """The parameters of the next request, or ``None`` if the listing is over."""
        if self._done:
            return None
        request = self._request
        remaining = self._remaining
        limit = request.page_size if remaining is None else min(request.page_size, remaining)
        self._limit = limit
        params: dict[str, Any] = {
            "UserPoolId": request.user_pool_id,
            "GroupName": request.group_name,
            "Limit": limit,
        }
        if self.next_token is not None:
            params["NextToken"] = self.next_token
        return params

    def accept(self, response: Mapping[str, Any]) -> Page:
        """Turn the response to the last :meth:`next_params` into a page and move on.

        Raises:
            MalformedResponseError: the response does not have the model's shape.
            PaginationError: the service broke the paging contract.
        """
        sent = self.next_token
        if "Users" not in response and _came_over_http(response):
            # botocore parses a 2xx body that is not JSON (malformed, truncated, empty) as {}:
            # taken at its word, that is an empty last page and the rest of the group is lost.
            raise MalformedResponseError(
                "the ListUsersInGroup response had no Users member (its body was empty or not "
                "JSON)",
                next_token=sent,
            )
        try:
            page = Page._from_wire(response)
        except _CONVERSION_ERRORS as err:
            raise MalformedResponseError(
                f"the ListUsersInGroup response could not be converted ({type(err).__name__})",
                next_token=sent,
            ) from err
        if page.next_token is not None and page.next_token == sent:
            raise PaginationError(
                "the service returned the same NextToken it was sent; stopping instead of "
                "looping forever",
                next_token=sent,
            )
        count = len(page.users)
        if self._remaining is not None:
            if count > self._remaining:
                raise PaginationError(
                    f"the service returned {count} users for Limit={self._limit}, so the "
                    "listing cannot stop exactly at max_users with a token to resume from; "
                    "list without max_users",
                    next_token=sent,
                )
            self._remaining -= count
        self.next_token = page.next_token
        self._done = page.next_token is None or self._remaining == 0
        _log.debug("ListUsersInGroup page: %d users, last=%s", count, self._done)
        return page

    @contextmanager
    def translating(self) -> Generator[None, None, None]:
        """Around a request: a botocore error inside becomes ours, raised ``from`` it."""
        try:
            yield
        except BOTOCORE_ERRORS as err:
            error = translate_error(err, next_token=self.next_token)
            _log.debug("ListUsersInGroup failed: %s", type(error).__name__)
            raise error from err


def _came_over_http(response: Mapping[str, Any]) -> bool:
    """Whether botocore parsed ``response`` from HTTP (a stub's responses have no headers)."""
    metadata = response.get("ResponseMetadata")
    return isinstance(metadata, dict) and "HTTPHeaders" in metadata


class PageStream:
    """What the sync and async page iterators share: the request to make and the loop state."""

    __slots__ = ("_call", "_loop")

    def __init__(self, call: Callable[..., Any], loop: PageLoop) -> None:
        self._call = call
        self._loop = loop

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues after the pages returned so far."""
        return self._loop.next_token


_Pages = TypeVar("_Pages", bound=PageStream)


class UserStream(Generic[_Pages]):
    """What the sync and async user iterators share: their pages and a :class:`UserCursor`.

    ``next_token``: after the iterator stopped at ``max_users``, exactly where a new listing
    continues (no user skipped or repeated); ``None`` once the group is exhausted.
    """

    __slots__ = ("_cursor", "_pages")

    def __init__(self, pages: _Pages) -> None:
        self._pages = pages
        self._cursor = UserCursor(pages.next_token)

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues after the users returned so far."""
        return self._cursor.next_token


class UserCursor:
    """Hands out the users of successive pages, and knows where to resume.

    ``next_token`` is the token that continues right after the last user handed out, once that
    user ended its page (it is the token the current page's request was sent while a page is
    being handed out). After ``max_users`` it is exactly where a new listing continues; ``None``
    once the group is exhausted.
    """

    __slots__ = ("_index", "_page_token", "_users", "next_token")

    def __init__(self, next_token: str | None) -> None:
        self._users: tuple[User, ...] = ()
        self._index = 0
        self._page_token: str | None = None
        self.next_token: str | None = next_token

    def take(self) -> User | None:
        """The next user of the current page, or ``None`` when the page is used up."""
        index = self._index
        users = self._users
        if index >= len(users):
            return None
        self._index = index + 1
        if index + 1 == len(users):
            self.next_token = self._page_token
        return users[index]

    def load(self, page: Page) -> None:
        """Start handing out ``page`` (an empty page moves the resume token on at once)."""
        self._users = page.users
        self._index = 0
        self._page_token = page.next_token
        if not page.users:
            self.next_token = page.next_token
