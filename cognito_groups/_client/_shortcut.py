"""`iter_users_in_group()`: a group's members in one call, on a facade of its own or yours."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_groups._client._iterators import UserIterator
from cognito_groups._client._sync import CognitoGroups
from cognito_groups._listing._validate import (
    DEFAULT_PAGE_SIZE,
    check_flag,
    check_list_request,
    check_own_client_options,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

__all__ = ["iter_users_in_group"]


def iter_users_in_group(
    user_pool_id: str,
    group_name: str,
    *,
    client: CognitoIdentityProviderClient | CognitoGroups | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_users: int | None = None,
    next_token: str | None = None,
    prefetch: bool = False,
) -> UserIterator:
    """Iterate over the members of a group: `CognitoGroups.iter_users()` in one call.

    Args:
        user_pool_id: The user pool's id, e.g. ``"us-east-1_AbC123"``.
        group_name: The group's name.
        client: A boto3 ``cognito-idp`` client or a
            [`CognitoGroups`][cognito_groups.CognitoGroups]; by default a ``CognitoGroups``
            built from the environment.
        region_name: The Region of the client it builds (not with ``client``).
        endpoint_url: Another endpoint for the client it builds, e.g. an emulator's (not with
            ``client``).
        page_size: Users per request, 1 to 60 (default 60).
        max_users: Stop after this many users.
        next_token: Resume from this token.
        prefetch: Request the next page in the background (see
            [`CognitoGroups.iter_users()`][cognito_groups.CognitoGroups.iter_users]).

    Without ``client``, it builds one from the environment, in the Region the pool id names
    (``us-east-1_AbC123``: ``us-east-1``) when no Region is configured; that client is closed
    when the listing ends, fails or is closed (``iterator.close()`` or ``with``).

    Example:
        ```python
        import cognito_groups

        for user in cognito_groups.iter_users_in_group("us-east-1_AbC123", "admins"):
            print(user.username, user.user_status, user.get_attribute("email"))
        ```
    """
    # Validated once, before a default client is built (which may need a Region).
    request = check_list_request(
        user_pool_id, group_name, page_size=page_size, max_users=max_users, next_token=next_token
    )
    check_flag("prefetch", prefetch)
    region, endpoint = check_own_client_options(client, region_name, endpoint_url)
    if isinstance(client, CognitoGroups):
        return UserIterator(client._pages(request, prefetch=prefetch))
    if client is None:
        cognito = CognitoGroups._for_pool(
            request.user_pool_id, region_name=region, endpoint_url=endpoint
        )
        return UserIterator(cognito._pages(request, prefetch=prefetch, owner=cognito))
    return UserIterator(CognitoGroups(client)._pages(request, prefetch=prefetch))
