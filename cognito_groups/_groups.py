"""Listing a pool's groups (``ListGroups``), without I/O: what to send, what came back.

The same rules as for members: ``Limit`` on every request (60, the service maximum, by
default), the listing goes on until a response has no ``NextToken``, a token sent back
unchanged raises `PaginationError`, a body without ``Groups`` over HTTP raises
`MalformedResponseError`, and errors are translated as for ``ListUsersInGroup``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_groups._errors import MalformedResponseError, PaginationError
from cognito_groups._models import Group
from cognito_groups._paginate import CONVERSION_ERRORS, came_over_http, translated
from cognito_groups._validate import check_page_size, check_user_pool_id

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractContextManager

__all__ = ["GroupRequestPlan"]


class GroupRequestPlan:
    """The state of one listing of a pool's groups."""

    __slots__ = ("_over", "_token", "page_size", "user_pool_id")

    def __init__(self, user_pool_id: object, page_size: object) -> None:
        self.user_pool_id = check_user_pool_id(user_pool_id)
        self.page_size = check_page_size(page_size)
        self._token: str | None = None
        self._over = False

    def next_params(self) -> dict[str, Any] | None:
        """The parameters of the next ``ListGroups`` request, or ``None`` once over."""
        if self._over:
            return None
        params: dict[str, Any] = {"UserPoolId": self.user_pool_id, "Limit": self.page_size}
        if self._token is not None:
            params["NextToken"] = self._token
        return params

    def accept(self, response: Mapping[str, Any]) -> tuple[Group, ...]:
        """The groups of a response to the last `next_params()`; moves on to the next page."""
        if "Groups" not in response and came_over_http(response):
            raise MalformedResponseError(
                "the ListGroups response had no Groups member (its body was empty or not JSON)"
            )
        try:
            groups = tuple(Group._from_wire(wire) for wire in response.get("Groups", ()))
        except CONVERSION_ERRORS as err:
            raise MalformedResponseError(
                f"the ListGroups response could not be converted ({type(err).__name__})"
            ) from err
        token = response.get("NextToken") or None
        if token is not None and token == self._token:
            raise PaginationError(
                "ListGroups returned the same NextToken it was sent; stopping instead of "
                "looping forever"
            )
        self._token = token
        self._over = token is None
        return groups

    def translating(self) -> AbstractContextManager[None]:
        """Around a ``ListGroups`` request: botocore errors become ours."""
        return translated(None, "ListGroups")
