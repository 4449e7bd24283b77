"""Listing a pool's groups (``ListGroups``), without I/O: what to send, what came back.

The same rules as for members: ``Limit`` on every request (60, the service maximum, by
default), the listing goes on until a response has no ``NextToken``, a token sent back
unchanged raises `PaginationError`, and a body without ``Groups`` over HTTP raises
`MalformedResponseError`. `GroupIteratorBase` is what the group iterators (sync and async)
share.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cognito_groups._errors import (
    CONVERSION_ERRORS,
    LIST_GROUPS,
    MalformedResponseError,
    PaginationError,
    came_over_http,
)
from cognito_groups._listing._validate import check_page_size, check_user_pool_id
from cognito_groups._models import Group

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GroupIteratorBase", "GroupRequestPlan"]

_CallT = TypeVar("_CallT")


class GroupRequestPlan:
    """The state of one listing of a pool's groups: the next request, the groups to hand out."""

    __slots__ = ("_over", "_pending", "_token", "page_size", "user_pool_id")

    def __init__(self, user_pool_id: object, page_size: object) -> None:
        self.user_pool_id = check_user_pool_id(user_pool_id)
        self.page_size = check_page_size(page_size)
        self._token: str | None = None
        self._over = False
        self._pending: deque[Group] = deque()

    def take(self) -> Group | None:
        """The next group of the pages received, or ``None`` when none is left to hand out."""
        return self._pending.popleft() if self._pending else None

    def next_params(self) -> dict[str, Any] | None:
        """The parameters of the next ``ListGroups`` request, or ``None`` once over."""
        if self._over:
            return None
        params: dict[str, Any] = {"UserPoolId": self.user_pool_id, "Limit": self.page_size}
        if self._token is not None:
            params["NextToken"] = self._token
        return params

    def accept(self, response: Mapping[str, Any]) -> None:
        """Take the groups of a response to the last `next_params()`; move on to the next page."""
        if "Groups" not in response and came_over_http(response):
            raise MalformedResponseError(
                "the ListGroups response had no Groups member (its body was empty or not JSON)",
                operation=LIST_GROUPS,
            )
        try:
            groups = [Group._from_wire(wire) for wire in response.get("Groups", ())]
        except CONVERSION_ERRORS as err:
            raise MalformedResponseError(
                f"the ListGroups response could not be converted ({type(err).__name__})",
                operation=LIST_GROUPS,
            ) from err
        token = response.get("NextToken") or None
        if token is not None and token == self._token:
            raise PaginationError(
                "ListGroups returned the same NextToken it was sent; stopping instead of "
                "looping forever",
                operation=LIST_GROUPS,
            )
        self._token = token
        self._over = token is None
        self._pending.extend(groups)

    def stop(self) -> None:
        """Hand out no more groups and send no more requests (the iterator was closed)."""
        self._over = True
        self._pending.clear()


class GroupIteratorBase(Generic[_CallT]):
    """What the group iterators (sync and async) share: the call and the plan."""

    __slots__ = ("_call", "_plan")

    def __init__(self, call: _CallT, plan: GroupRequestPlan) -> None:
        self._call = call
        self._plan = plan
