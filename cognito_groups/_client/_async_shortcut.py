"""`aiter_users_in_group()`: `iter_users_in_group()`'s twin, on aiobotocore."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_groups._client._async import AsyncCognitoGroups
from cognito_groups._client._async_iterators import AsyncUserIterator
from cognito_groups._listing._validate import (
    DEFAULT_PAGE_SIZE,
    check_list_request,
    check_own_client_options,
)

if TYPE_CHECKING:
    from types_aiobotocore_cognito_idp import CognitoIdentityProviderClient

__all__ = ["aiter_users_in_group"]


def aiter_users_in_group(
    user_pool_id: str,
    group_name: str,
    *,
    client: CognitoIdentityProviderClient | AsyncCognitoGroups | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_users: int | None = None,
    next_token: str | None = None,
) -> AsyncUserIterator:
    """``async for`` over a group's members: `iter_users_in_group()`, awaited.

    ``region_name`` and ``endpoint_url`` are those of the client it creates (not with
    ``client``). Without ``client`` it creates an aiobotocore client from the environment, in
    the Region the pool id names when no Region is configured (as `iter_users_in_group()`
    does), and closes it
    when the iteration ends (exhausted, failed, or ``await iterator.aclose()`` / ``async
    with``).

    Example:
        ```python
        async def main() -> None:
            async for user in aiter_users_in_group("us-east-1_AbC123", "admins"):
                print(user.username)
        ```
    """
    request = check_list_request(
        user_pool_id, group_name, page_size=page_size, max_users=max_users, next_token=next_token
    )
    region, endpoint = check_own_client_options(client, region_name, endpoint_url)
    if isinstance(client, AsyncCognitoGroups):
        return AsyncUserIterator(client._pages(request))
    if client is None:
        cognito = AsyncCognitoGroups._for_pool(request.user_pool_id, region, endpoint)
        return AsyncUserIterator(cognito._pages(request, owner=cognito))
    return AsyncUserIterator(AsyncCognitoGroups(client)._pages(request))
