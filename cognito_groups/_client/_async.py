"""The asynchronous facade: `AsyncCognitoGroups`, on aiobotocore.

The twin of ``_sync``, method for method. Everything but the waiting is shared with the sync
facade: validation (``_validate``), the plans (``_paginate``, ``_groups``, ``_memberships``),
pacing (``_paced``), error translation (``_errors``), conversion (``_models``), client
building (``_config``) and the Region rule (``_region``). It never imports the sync facade.

aiobotocore is the ``async`` extra (``pip install '/path/to/cognito-groups[async]'``). This module
imports without it, so that ``from cognito_groups import *`` works everywhere; building a
facade or a listing without it raises `ImportError` with the install hint.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, cast

from cognito_groups._client._async_iterators import (
    AsyncGroupIterator,
    AsyncMembershipIterator,
    AsyncPageIterator,
    AsyncUserIterator,
)
from cognito_groups._client._closing import AsyncClosing
from cognito_groups._client._config import (
    LazyAsyncClient,
    check_client_options,
    open_async_client,
)
from cognito_groups._client._region import PoolRegion, aio_configured_region
from cognito_groups._client._session import aio_session_type, open_aio_session
from cognito_groups._errors import LIST_GROUPS, LIST_USERS_IN_GROUP, ClientSetupError, RegionError
from cognito_groups._listing._groups import GroupRequestPlan
from cognito_groups._listing._memberships import MembershipPlan
from cognito_groups._listing._paginate import PageRequestPlan
from cognito_groups._listing._validate import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    check_list_request,
    check_membership_request,
)
from cognito_groups._pacing._paced import DEFAULT_PATIENCE, FacadeBudgets, apaced

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from aiobotocore.session import AioSession
    from botocore.config import Config
    from types_aiobotocore_cognito_idp import CognitoIdentityProviderClient
    from typing_extensions import Self

    from cognito_groups._listing._validate import ListRequest
    from cognito_groups._pacing._paced import AsyncCall

__all__ = ["AsyncCognitoGroups"]


class AsyncCognitoGroups(FacadeBudgets, AsyncClosing):
    """Lists group members with aiobotocore: `CognitoGroups`, awaited.

    Args:
        client: An aiobotocore ``cognito-idp`` client (already entered), used as it is.
        session: An ``aiobotocore.session.AioSession`` to build the client from.
        region_name: The AWS Region (default: the one configured; when there is none, the
            Region the first listed pool's id names, as `CognitoGroups` does: the client is
            then created by the first request, and a pool of another Region is refused).
        endpoint_url: Another endpoint, e.g. a moto server.
        config: A ``botocore.config.Config`` merged over the default (standard retries).
        max_rps: The ceiling of the adaptive ``ListUsersInGroup`` budget, shared by every
            such request of this object, from any task, retries included (and the pacing of
            `iter_users()` and `iter_pages()`); ``ListGroups`` has its own budget, up to 5
            requests per second per pool (see [`CognitoGroups`][cognito_groups.CognitoGroups]).
            The budgets' waits never block the event loop.
        patience: Seconds a paced request may stay throttled, with no request of its budget
            succeeding, before it raises `TooManyRequestsError` (default 120).
        shared_budget: Share the budgets with the machine's other processes that list the
            same account and Region (default ``True``; see `CognitoGroups`).

    Without ``client``, use it as an async context manager (or call `aclose()`): the client
    is created on entry and closed on exit. A client you pass is never closed.

    Raises:
        ImportError: aiobotocore is not installed (the ``async`` extra).

    Example:
        ```python
        async def main() -> None:
            async with AsyncCognitoGroups(region_name="us-east-1") as cognito:
                async for user in cognito.iter_users("us-east-1_AbC123", "admins"):
                    print(user.username)
        ```
    """

    __slots__ = ("_client", "_lock", "_options", "_region", "_stack")

    def __init__(
        self,
        client: CognitoIdentityProviderClient | None = None,
        *,
        session: AioSession | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
        max_rps: float | None = None,
        patience: float = DEFAULT_PATIENCE,
        shared_budget: bool = True,
    ) -> None:
        check_client_options(
            client,
            session,
            region_name,
            endpoint_url,
            config,
            session_type=aio_session_type(),
            client_method="list_users_in_group",
        )
        super().__init__(max_rps, patience, shared_budget)
        self._client = client
        self._stack: AsyncExitStack | None = None
        self._options = (session, region_name, endpoint_url, config)
        self._region = PoolRegion()
        self._lock = asyncio.Lock()

    @classmethod
    def _for_pool(
        cls, user_pool_id: str, region_name: str | None = None, endpoint_url: str | None = None
    ) -> AsyncCognitoGroups:
        """A facade with a client of its own, opened on the first request, closed by `aclose()`.

        The client is in the pool's Region when none is configured (see `_config.region_for`).
        """
        aio_session_type()  # the install hint now, not on the first request
        lazy = LazyAsyncClient(user_pool_id, region_name, endpoint_url)
        cognito = cls(cast("CognitoIdentityProviderClient", lazy))
        cognito._stack = lazy.stack
        return cognito

    @property
    def client(self) -> CognitoIdentityProviderClient:
        """The aiobotocore client requests go through.

        Raises:
            ClientSetupError: the client is built on ``async with`` and that has not happened;
                `RegionError` when no Region was given or configured and nothing was listed
                yet (the first request creates it, in the Region its pool id names).
        """
        if self._client is None:
            raise self._no_client()
        return self._client

    def _no_client(self) -> ClientSetupError:
        """Why there is no client: not entered, or entered without a Region."""
        if self._stack is not None:
            return RegionError(
                "no Region was given or configured: this AsyncCognitoGroups creates its "
                "client on its first request, in the Region the pool id names "
                "(region_name= creates it on entering)"
            )
        return ClientSetupError(
            "AsyncCognitoGroups builds its client in `async with AsyncCognitoGroups(...) as "
            "cognito:`; enter it first, or pass client="
        )

    async def __aenter__(self) -> Self:
        if self._client is None:
            session, region_name, endpoint_url, config = self._options
            session = open_aio_session(session)
            self._options = (session, region_name, endpoint_url, config)
            stack = AsyncExitStack()
            if aio_configured_region(session, region_name) is not None:
                self._client = await open_async_client(stack, *self._options)
            # Else no Region: the first request creates the client, in its pool's Region.
            self._stack = stack
        return self

    async def aclose(self) -> None:
        """Close the client if this object built it (on ``async with``); else do nothing."""
        stack, self._stack = self._stack, None
        if stack is not None:
            self._client = None
            self._region = PoolRegion()
            await stack.aclose()

    def _call(self, user_pool_id: str, make: Callable[[Any], AsyncCall]) -> AsyncCall:
        """``make(client)``, the paced call of an operation, on the client for ``user_pool_id``.

        Without a client yet (no Region given or configured), the first request creates it,
        in the Region the pool's id names (`PoolRegion`), and makes the call then.
        """
        client = self._client
        if client is not None:
            self._region.check(user_pool_id)
            return make(client)
        if self._stack is None:
            raise self._no_client()
        made: AsyncCall | None = None

        async def call(**params: Any) -> Mapping[str, Any]:
            nonlocal made
            if made is None:
                made = make(await self._client_for(user_pool_id))
            return await made(**params)

        return call

    async def _client_for(self, user_pool_id: str) -> CognitoIdentityProviderClient:
        """The client to list ``user_pool_id`` with, created now if none was yet."""
        async with self._lock:
            client = self._client
            if client is not None:
                self._region.check(user_pool_id)
                return client
            stack = self._stack
            if stack is None:  # closed since the listing began
                raise self._no_client()
            session, _, endpoint_url, config = self._options
            client = await open_async_client(
                stack, session, None, endpoint_url, config, user_pool_id=user_pool_id
            )
            self._client = client
            self._region.built(user_pool_id, client.meta.region_name)
            return client

    def iter_pages(
        self,
        user_pool_id: str,
        group_name: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_users: int | None = None,
        next_token: str | None = None,
    ) -> AsyncPageIterator:
        """``async for`` over the group's pages; see `CognitoGroups.iter_pages()`."""
        request = check_list_request(
            user_pool_id,
            group_name,
            page_size=page_size,
            max_users=max_users,
            next_token=next_token,
        )
        return self._pages(request)

    def _pages(self, request: ListRequest, owner: AsyncClosing | None = None) -> AsyncPageIterator:
        """The page iterator of an already validated request (closing ``owner`` at its end)."""
        pacer = self._users_pacer()
        call = self._call(
            request.user_pool_id, lambda client: apaced(client, LIST_USERS_IN_GROUP, pacer)
        )
        return AsyncPageIterator(call, PageRequestPlan(request), owner)

    def iter_users(
        self,
        user_pool_id: str,
        group_name: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_users: int | None = None,
        next_token: str | None = None,
    ) -> AsyncUserIterator:
        """``async for`` over the group's members; see `CognitoGroups.iter_users()`."""
        pages = self.iter_pages(
            user_pool_id,
            group_name,
            page_size=page_size,
            max_users=max_users,
            next_token=next_token,
        )
        return AsyncUserIterator(pages)

    def iter_groups(
        self, user_pool_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncGroupIterator:
        """``async for`` over the pool's groups; see `CognitoGroups.iter_groups()`."""
        plan = GroupRequestPlan(user_pool_id, page_size)
        pacer = self._groups_pacer()
        call = self._call(plan.user_pool_id, lambda client: apaced(client, LIST_GROUPS, pacer))
        return AsyncGroupIterator(call, plan)

    def iter_memberships(
        self,
        user_pool_id: str,
        group_names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        page_size: int = DEFAULT_PAGE_SIZE,
        checkpoint: str | None = None,
    ) -> AsyncMembershipIterator:
        """``async for`` over every member of every group, ``concurrency`` groups at a time.

        See [`CognitoGroups.iter_memberships()`][cognito_groups.CognitoGroups.iter_memberships]:
        the same parameters, checkpoints, budget and errors; the requests are tasks, and
        ``aclose()`` cancels them.
        """
        request = check_membership_request(
            user_pool_id,
            group_names,
            concurrency=concurrency,
            page_size=page_size,
            checkpoint=checkpoint,
        )
        pool = request.user_pool_id
        groups_pacer, users_pacer = self._groups_pacer(), self._pacer()
        list_groups = self._call(pool, lambda client: apaced(client, LIST_GROUPS, groups_pacer))
        return AsyncMembershipIterator(
            MembershipPlan(request),
            self._call(pool, lambda client: apaced(client, LIST_USERS_IN_GROUP, users_pacer)),
            lambda: AsyncGroupIterator(list_groups, GroupRequestPlan(pool, DEFAULT_PAGE_SIZE)),
        )

    async def groups_by_user(
        self,
        user_pool_id: str,
        group_names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> dict[str, frozenset[str]]:
        """Each member's groups; see `CognitoGroups.groups_by_user()`."""
        found: dict[str, set[str]] = {}
        async with self.iter_memberships(user_pool_id, group_names, concurrency=concurrency) as it:
            async for membership in it:
                found.setdefault(membership.user.username, set()).add(membership.group_name)
        return {username: frozenset(names) for username, names in found.items()}
