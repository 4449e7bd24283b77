"""The asynchronous twin: `AsyncCognitoGroups` and its iterators, on aiobotocore.

Everything but the waiting is shared with the sync client: validation (``_validate``), the
paging rules, resume tokens and error translation (``_paginate``), conversion (``_models``) and
the client options (``_config``). It never imports the sync facade.

aiobotocore is the ``async`` extra (``pip install 'cognito-groups[async]'``). This module
imports without it, so that ``from cognito_groups import *`` works everywhere; building a
facade or a listing without it raises `ImportError` with the install hint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError

from cognito_groups._async_multi import AsyncGroupIterator, AsyncMembershipIterator
from cognito_groups._budget import (
    DEFAULT_MEMBERSHIP_RPS,
    RequestBudget,
    pace_async_client,
    pacing,
)
from cognito_groups._config import check_client_options, merge_config, with_utc_timestamps
from cognito_groups._errors import ClientSetupError, translate_error
from cognito_groups._groups import GroupRequestPlan
from cognito_groups._memberships import (
    DEFAULT_CONCURRENCY,
    GroupTable,
    MembershipPlan,
    check_membership_request,
)
from cognito_groups._paginate import PageRequestPlan, PageSlice, PageTracker, UserTracker
from cognito_groups._validate import DEFAULT_PAGE_SIZE, check_list_request, check_max_rps

if TYPE_CHECKING:
    from types import TracebackType

    from aiobotocore.session import AioSession
    from botocore.config import Config
    from types_aiobotocore_cognito_idp import CognitoIdentityProviderClient
    from typing_extensions import Self

    from cognito_groups._models import Page, User
    from cognito_groups._validate import ListRequest

__all__ = ["AsyncCognitoGroups", "AsyncPageIterator", "AsyncUserIterator", "aiter_users_in_group"]

_AsyncListCall = Callable[..., Awaitable[Mapping[str, Any]]]
_INSTALL_HINT = "AsyncCognitoGroups needs aiobotocore: pip install 'cognito-groups[async]'"


def _aio_session_type() -> type[AioSession]:
    """The session class of aiobotocore, or the install hint if the ``async`` extra is missing."""
    try:
        from aiobotocore.session import AioSession
    except ImportError as err:
        raise ImportError(_INSTALL_HINT, name=err.name) from err
    return AioSession


class AsyncPageIterator(PageTracker, AsyncIterator["Page"]):
    """The pages of a group, one request per page, awaited as they are asked for.

    ``next_token`` and ``exhausted`` have the meaning they have on
    [`PageIterator`][cognito_groups.PageIterator].
    """

    __slots__ = ("_call", "_closed", "_owner", "_plan")

    def __init__(
        self, call: _AsyncListCall, plan: PageRequestPlan, owner: AsyncExitStack | None = None
    ) -> None:
        super().__init__(plan)
        self._call = call
        self._plan = plan
        self._owner = owner
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Page:
        return (await self._next_slice()).page

    async def _next_slice(self) -> PageSlice:
        """The next page slice handed to the caller; the iterator ends after the last one."""
        if self._closed:
            raise StopAsyncIteration
        plan = self._plan
        params = plan.next_params()
        if params is None:
            await self.aclose()
            raise StopAsyncIteration
        try:
            with plan.translating():
                response = await self._call(**params)
            page_slice = plan.accept(response)
        except BaseException:
            await self.aclose()
            raise
        return self._returned(page_slice)

    async def aclose(self) -> None:
        """Stop the listing; close the client it created for itself, if any (idempotent)."""
        self._closed = True
        owner, self._owner = self._owner, None
        if owner is not None:
            await owner.aclose()


class AsyncUserIterator(UserTracker, AsyncIterator["User"]):
    """The users of a group, one at a time, a page fetched whenever one is used up.

    ``next_token`` and ``exhausted`` have the meaning they have on
    [`UserIterator`][cognito_groups.UserIterator].
    """

    __slots__ = ("_pages",)

    def __init__(self, pages: AsyncPageIterator) -> None:
        super().__init__(pages.next_token)
        self._pages = pages

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> User:
        cursor = self._cursor
        user = cursor.take()
        while user is None:
            cursor.load(await self._pages._next_slice())
            user = cursor.take()
        return user

    async def aclose(self) -> None:
        """Stop early, closing the client the listing created for itself, if any."""
        self._cursor.stop()
        await self._pages.aclose()


class AsyncCognitoGroups:
    """Lists group members with aiobotocore: `CognitoGroups`, awaited.

    Args:
        client: An aiobotocore ``cognito-idp`` client (already entered), used as it is.
        session: An ``aiobotocore.session.AioSession`` to build the client from.
        region_name: The AWS Region.
        endpoint_url: Another endpoint, e.g. a moto server.
        config: A ``botocore.config.Config`` merged over the default (standard retries).
        max_rps: A request budget shared by every request of this object, from any task,
            retries included (see [`CognitoGroups`][cognito_groups.CognitoGroups]); its wait never
            blocks the event loop.

    Without ``client``, use it as an async context manager (or call `aclose()`): the client
    is created on entry and closed on exit. A client you pass is never closed.

    Raises:
        ImportError: aiobotocore is not installed (the ``async`` extra).

    Example:
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async with AsyncCognitoGroups(region_name="us-east-1") as groups:
        ...         async for user in groups.iter_users("us-east-1_AbC123", "admins"):
        ...             print(user.username)
    """

    __slots__ = ("_budget", "_client", "_options", "_stack")

    def __init__(
        self,
        client: CognitoIdentityProviderClient | None = None,
        *,
        session: AioSession | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
        max_rps: float | None = None,
    ) -> None:
        check_client_options(
            client,
            session,
            region_name,
            endpoint_url,
            config,
            session_type=_aio_session_type(),
            client_method="list_users_in_group",
        )
        rate = check_max_rps(max_rps)
        self._budget = None if rate is None else RequestBudget(rate)
        self._client = client
        self._stack: AsyncExitStack | None = None
        self._options = (session, region_name, endpoint_url, config)

    @property
    def max_rps(self) -> float | None:
        """The request budget in requests per second (``None``: no pacing)."""
        return None if self._budget is None else self._budget.rate

    def _paced(self, budget: RequestBudget | None) -> CognitoIdentityProviderClient:
        """The client, with the pacing handler registered when there is a ``budget``."""
        client = self.client
        if budget is not None:
            pace_async_client(client)
        return client

    @property
    def client(self) -> CognitoIdentityProviderClient:
        """The aiobotocore client requests go through.

        Raises:
            ClientSetupError: the client is built on ``async with`` and that has not happened.
        """
        if self._client is None:
            raise ClientSetupError(
                "AsyncCognitoGroups builds its client in `async with AsyncCognitoGroups(...) as "
                "groups:`; enter it first, or pass client="
            )
        return self._client

    async def __aenter__(self) -> Self:
        if self._client is None:
            stack = AsyncExitStack()
            self._client = await _open_client(stack, *self._options)
            self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client if this object built it (on ``async with``); else do nothing."""
        stack, self._stack = self._stack, None
        if stack is not None:
            self._client = None
            await stack.aclose()

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

    def _pages(self, request: ListRequest) -> AsyncPageIterator:
        """The page iterator of an already validated request."""
        budget = self._budget
        unpaced: _AsyncListCall = self._paced(budget).list_users_in_group

        async def paced(**params: Any) -> Mapping[str, Any]:
            with pacing(budget):
                return await unpaced(**params)

        call = unpaced if budget is None else paced
        return AsyncPageIterator(call, PageRequestPlan(request))

    def iter_groups(
        self, user_pool_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncGroupIterator:
        """``async for`` over the pool's groups; see `CognitoGroups.iter_groups()`."""
        plan = GroupRequestPlan(user_pool_id, page_size)
        return AsyncGroupIterator(self._paced(self._budget).list_groups, plan, self._budget)

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
        budget = self._budget or RequestBudget(DEFAULT_MEMBERSHIP_RPS)
        client = self._paced(budget)
        pool = request.user_pool_id
        return AsyncMembershipIterator(
            MembershipPlan(request),
            client.list_users_in_group,
            lambda: AsyncGroupIterator(client.list_groups, GroupRequestPlan(pool, 60), budget),
            budget,
        )

    async def groups_by_user(
        self,
        user_pool_id: str,
        group_names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> dict[str, frozenset[str]]:
        """Each member's groups; see `CognitoGroups.groups_by_user()`."""
        table = GroupTable()
        memberships = self.iter_memberships(user_pool_id, group_names, concurrency=concurrency)
        try:
            async for membership in memberships:
                table.add(membership)
        finally:
            await memberships.aclose()
        return table.result()

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


async def _open_client(
    stack: AsyncExitStack,
    session: AioSession | None,
    region_name: str | None,
    endpoint_url: str | None,
    config: Config | None,
) -> CognitoIdentityProviderClient:
    """Create an aiobotocore client inside ``stack`` (closed with it); failures are ours.

    Raises:
        ClientSetupError: botocore could not build the client, as the sync facade says it.
    """
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    try:
        try:
            session = with_utc_timestamps(get_session()) if session is None else session
            # Same options as the sync client; AioConfig.merge reads any Config's options.
            aio_config = AioConfig().merge(cast("AioConfig", merge_config(config)))
            # types-aiobotocore types `create_client` for every service; only cognito-idp's
            # stubs are installed.
            create: Callable[..., Any] = session.create_client  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            creator = create(
                "cognito-idp",
                region_name=region_name,
                endpoint_url=endpoint_url,
                config=aio_config,
            )
            client: CognitoIdentityProviderClient = await stack.enter_async_context(creator)
        except BaseException:
            await stack.aclose()
            raise
    except BotoCoreError as err:
        raise translate_error(err, next_token=None, fallback=ClientSetupError) from err
    return client


def aiter_users_in_group(
    user_pool_id: str,
    group_name: str,
    *,
    client: CognitoIdentityProviderClient | AsyncCognitoGroups | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_users: int | None = None,
    next_token: str | None = None,
) -> AsyncUserIterator:
    """``async for`` over a group's members: `iter_users_in_group()`, awaited.

    Without ``client`` it creates an aiobotocore client from the environment and closes it when
    the iteration ends (exhausted, failed, or ``await iterator.aclose()``).

    Example:
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async for user in aiter_users_in_group("us-east-1_AbC123", "admins"):
        ...         print(user.username)
    """
    request = check_list_request(
        user_pool_id, group_name, page_size=page_size, max_users=max_users, next_token=next_token
    )
    if client is not None:
        groups = client if isinstance(client, AsyncCognitoGroups) else AsyncCognitoGroups(client)
        return AsyncUserIterator(groups._pages(request))
    _aio_session_type()  # the install hint now, not on the first request
    lazy = _LazyClient()
    return AsyncUserIterator(
        AsyncPageIterator(lazy.list_users_in_group, PageRequestPlan(request), owner=lazy.stack)
    )


class _LazyClient:
    """A default client opened on the first request and closed with ``stack``."""

    def __init__(self) -> None:
        self.stack = AsyncExitStack()
        self._client: CognitoIdentityProviderClient | None = None

    async def list_users_in_group(self, **params: Any) -> Mapping[str, Any]:
        if self._client is None:
            self._client = await _open_client(self.stack, None, None, None, None)
        response: Mapping[str, Any] = await self._client.list_users_in_group(**params)
        return response
