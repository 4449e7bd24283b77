"""The paging rules, written once, without I/O, for every iterator (sync, prefetching, async).

A `PageRequestPlan` says what to send next (`next_params()`), turns each response into a
`PageSlice` (`accept()`) and gives each failure the resume token of where it happened
(`resuming()`). A `PageIteratorBase` is what page iterators know of the pages they returned;
a `UserCursor` hands out the users of those pages one at a time (for the user iterators'
`UserIteratorBase`, and for each group of ``iter_memberships``). Both say, at every moment,
where a new listing continues (``next_token``) and whether the group is finished
(``exhausted``). The iterators only do the waiting.

Rules:

* every request sends ``Limit``: ``page_size``, or the users still wanted under ``max_users``
  when that is fewer, plus the users a resume token says to skip (at most 60 in all), so
  nothing is fetched to be thrown away but those;
* the listing goes on until a response has no ``NextToken`` (absent or empty), whatever the
  size of its page: a short page, even an empty one, is not the end;
* a page longer than asked (a server that ignores ``Limit``) is cut to the users still wanted,
  and the listing stops there with a resume token inside that page;
* a response that gives back the token it was sent raises `PaginationError` rather than
  loop forever;
* a response over HTTP without ``Users`` raises `MalformedResponseError`: it is what
  botocore makes of a body that is empty, cut short or not JSON, and taking it as the last page
  would lose the rest of the group silently;
* every error carries the resume token of the position the listing had reached, exact to the
  user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cognito_groups._errors import (
    CONVERSION_ERRORS,
    LIST_USERS_IN_GROUP,
    MalformedResponseError,
    PaginationError,
    came_over_http,
    resuming_at,
)
from cognito_groups._listing._position import Position
from cognito_groups._listing._validate import PAGE_SIZE_MAX
from cognito_groups._models import Page

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractContextManager

    from cognito_groups._listing._validate import ListRequest
    from cognito_groups._models import User

__all__ = [
    "PageIteratorBase",
    "PageRequestPlan",
    "PageSlice",
    "UserCursor",
    "UserIteratorBase",
]

_log = logging.getLogger("cognito_groups")

_CallT = TypeVar("_CallT")
_OwnerT = TypeVar("_OwnerT")
_PagesT = TypeVar("_PagesT", bound="PageIteratorBase[Any, Any]")


@dataclass(frozen=True, slots=True)
class PageSlice:
    """A page as handed to the caller, and where it stands in the group.

    Attributes:
        page: The users handed out (the response's, less any skipped or cut), and as
            ``next_token`` the resume token right after them (``None`` once exhausted).
        start: The position of the page's first user.
        exhausted: Whether the group ends with this page.
    """

    page: Page
    start: Position
    exhausted: bool


class PageRequestPlan:
    """The state of one listing: where the next request starts, and how much is still wanted."""

    __slots__ = ("_over", "_position", "_remaining", "_request")

    def __init__(self, request: ListRequest) -> None:
        self._request = request
        self._position = request.start
        self._remaining = request.max_users
        self._over = False

    @property
    def over(self) -> bool:
        """Whether no request is left to send: the group is exhausted or ``max_users`` reached."""
        return self._over

    @property
    def resume_token(self) -> str | None:
        """The resume token of where the next request starts."""
        return self._position.to_token()

    def next_params(self) -> dict[str, Any] | None:
        """The parameters of the next request, or ``None`` if the listing is over."""
        if self._over:
            return None
        request = self._request
        remaining = self._remaining
        position = self._position
        wanted = request.page_size if remaining is None else min(request.page_size, remaining)
        params: dict[str, Any] = {
            "UserPoolId": request.user_pool_id,
            "GroupName": request.group_name,
            "Limit": min(PAGE_SIZE_MAX, position.skip + wanted),
        }
        if position.token is not None:
            params["NextToken"] = position.token
        return params

    def accept(self, response: Mapping[str, Any]) -> PageSlice:
        """Turn the response to the last `next_params()` into a page slice and move on.

        Raises:
            MalformedResponseError: the response does not have the model's shape.
            PaginationError: the service broke the paging contract.
        """
        with resuming_at(self._position.to_token(), self._request.group_name):
            return self._accept(response)

    def _accept(self, response: Mapping[str, Any]) -> PageSlice:
        """`accept()`; its errors get the token of where the page started from `accept()`."""
        start = self._position
        page = _checked_page(response, start)
        service_token = page.next_token
        users = page.users
        skipped = min(start.skip, len(users))
        if skipped:
            users = users[skipped:]
        remaining = self._remaining
        if remaining is not None and len(users) > remaining:
            # Longer than asked (the server ignores Limit): stop inside the page, exactly.
            users = users[:remaining]
            end: Position | None = Position(start.token, skipped + remaining)
            remaining = 0
        elif service_token is None:
            end = None  # the group ends here (also if it ended before the users to skip)
            remaining = None if remaining is None else remaining - len(users)
        else:
            # Users still to skip after a page shorter than the skip carry over to the next.
            end = Position(service_token, start.skip - skipped)
            remaining = None if remaining is None else remaining - len(users)
        self._remaining = remaining
        self._over = end is None or remaining == 0
        if end is not None:
            self._position = end
        next_token = None if end is None else end.to_token()
        if users is not page.users or next_token != service_token:
            page = Page(users, next_token)
        _log.debug("ListUsersInGroup page: %d users, last=%s", len(users), end is None)
        return PageSlice(page, Position(start.token, skipped), end is None)

    def resuming(self) -> AbstractContextManager[None]:
        """Around a request: an error of ours leaves with the resume token of where it started.

        And with the group's name (``err.group_name``).
        """
        return resuming_at(self._position.to_token(), self._request.group_name)


def _checked_page(response: Mapping[str, Any], start: Position) -> Page:
    """The page of a ``ListUsersInGroup`` response sent from ``start``, or what is wrong with it.

    Raises:
        MalformedResponseError: no ``Users`` in a body that came over HTTP, or a page that does
            not convert.
        PaginationError: the service sent back the token it was sent.
    """
    if "Users" not in response and came_over_http(response):
        # botocore parses a 2xx body that is not JSON (malformed, truncated, empty) as {}:
        # taken at its word, that is an empty last page and the rest of the group is lost.
        raise MalformedResponseError(
            "the ListUsersInGroup response had no Users member (its body was empty or not JSON)",
            operation=LIST_USERS_IN_GROUP,
        )
    try:
        page = Page._from_wire(response)
    except CONVERSION_ERRORS as err:
        raise MalformedResponseError(
            f"the ListUsersInGroup response could not be converted ({type(err).__name__})",
            operation=LIST_USERS_IN_GROUP,
        ) from err
    service_token = page.next_token
    if service_token is not None and service_token == start.token:
        raise PaginationError(
            "the service returned the same NextToken it was sent; stopping instead of "
            "looping forever",
            operation=LIST_USERS_IN_GROUP,
        )
    return page


class PageIteratorBase(Generic[_CallT, _OwnerT]):
    """What the page iterators (sync and async) share: all but the waiting.

    The call (already paced and translated), the plan, what closes with the iterator, and
    what the iterator knows of the pages it returned. The plan may run ahead (a prefetching
    iterator fetches one page early); ``next_token`` and ``exhausted`` follow the pages
    handed to the caller, never those fetched.
    """

    __slots__ = ("_call", "_closed", "_initial", "_last", "_owner", "_plan")

    def __init__(self, call: _CallT, plan: PageRequestPlan, owner: _OwnerT | None) -> None:
        self._call = call
        self._plan = plan
        self._owner = owner
        self._closed = False
        self._initial = plan.resume_token
        self._last: PageSlice | None = None

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues after the pages returned so far (see the guide).

        ``None`` when the group is exhausted, and before the first page of a listing that
        started at the beginning; ``exhausted`` tells the two apart.
        """
        last = self._last
        return self._initial if last is None else last.page.next_token

    @property
    def exhausted(self) -> bool:
        """Whether the last page of the group has been returned."""
        last = self._last
        return last is not None and last.exhausted

    def _returned(self, page_slice: PageSlice) -> PageSlice:
        """Record that ``page_slice`` is handed to the caller, and return it."""
        self._last = page_slice
        return page_slice

    def _release_owner(self) -> _OwnerT | None:
        """Mark the iterator closed; what it must close now, once (``None`` after that)."""
        self._closed = True
        owner, self._owner = self._owner, None
        return owner


class UserCursor:
    """Hands out the users of successive page slices, and knows where to resume, exactly."""

    __slots__ = ("_index", "_initial", "_slice", "_users")

    def __init__(self, initial_token: str | None) -> None:
        self._initial = initial_token
        self._slice: PageSlice | None = None
        self._users: tuple[User, ...] = ()
        self._index = 0

    def take(self) -> User | None:
        """The next user of the current page, or ``None`` when the page is used up."""
        index = self._index
        users = self._users
        if index >= len(users):
            return None
        self._index = index + 1
        return users[index]

    def stop(self) -> None:
        """Hand out no more users (the iterator was closed); ``next_token`` stays exact."""
        self._users = self._users[: self._index]

    def load(self, page_slice: PageSlice) -> None:
        """Start handing out the users of ``page_slice``."""
        self._slice = page_slice
        self._users = page_slice.page.users
        self._index = 0

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues right after the last user handed out.

        ``None`` when the group is exhausted, and before the first user of a listing that
        started at the beginning; ``exhausted`` tells the two apart.
        """
        page_slice = self._slice
        if page_slice is None:
            return self._initial
        index = self._index
        if index < len(page_slice.page.users):
            start = page_slice.start
            return Position(start.token, start.skip + index).to_token()
        return page_slice.page.next_token

    @property
    def exhausted(self) -> bool:
        """Whether the last user of the group has been handed out (or the group was empty)."""
        page_slice = self._slice
        return (
            page_slice is not None
            and page_slice.exhausted
            and self._index >= len(page_slice.page.users)
        )


class UserIteratorBase(Generic[_PagesT]):
    """What the user iterators (sync and async) share: their pages and their cursor."""

    __slots__ = ("_cursor", "_pages")

    def __init__(self, pages: _PagesT) -> None:
        self._pages = pages
        self._cursor = UserCursor(pages.next_token)

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues right after the last user returned (see the guide)."""
        return self._cursor.next_token

    @property
    def exhausted(self) -> bool:
        """Whether the last user of the group has been returned (or the group was empty)."""
        return self._cursor.exhausted
