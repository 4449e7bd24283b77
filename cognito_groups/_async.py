"""The asynchronous twin: :class:`AsyncCognitoGroups` on aiobotocore.

Everything but the waiting is shared with the sync client: validation (``_validate``), the
page loop and its error translation (``_paginate``), conversion (``_models``) and the client
options (``_client``). Needs the ``async`` extra (``pip install 'cognito-groups[async]'``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, cast

try:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession, get_session
except ImportError as err:  # pragma: no cover - exercised in a subprocess-free way by a test
    raise ImportError(
        "AsyncCognitoGroups needs aiobotocore: pip install 'cognito-groups[async]'",
        name=err.name,
    ) from err

from cognito_groups._client import (
    DEFAULT_PAGE_SIZE,
    check_client_options,
    merge_config,
    with_utc_timestamps,
)
from cognito_groups._errors import ClientSetupError, translate_error
from cognito_groups._paginate import PageLoop, PageStream, UserStream
from cognito_groups._validate import check_list_request

if TYPE_CHECKING:
    from types import TracebackType

    from botocore.config import Config
    from types_aiobotocore_cognito_idp import CognitoIdentityProviderClient
    from typing_extensions import Self

    from cognito_groups._models import Page, User
    from cognito_groups._validate import ListRequest

__all__ = ["AsyncCognitoGroups", "AsyncPageIterator", "AsyncUserIterator", "aiter_users_in_group"]

_AsyncListCall = Callable[..., Awaitable[Mapping[str, Any]]]


class AsyncPageIterator(PageStream, AsyncIterator["Page"]):
    """The pages of a group, one request per page, awaited as they are asked for.

    ``next_token`` has the meaning it has on :class:`cognito_groups.PageIterator`.
    """

    __slots__ = ("_owner",)

    def __init__(
        self, call: _AsyncListCall, loop: PageLoop, owner: AsyncExitStack | None = None
    ) -> None:
        super().__init__(call, loop)
        self._owner = owner

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Page:
        loop = self._loop
        params = loop.next_params()
        if params is None:
            await self.aclose()
            raise StopAsyncIteration
        try:
            with loop.translating():
                response = await self._call(**params)
        except BaseException:
            await self.aclose()
            raise
        return loop.accept(response)

    async def aclose(self) -> None:
        """Close the client this iterator created for itself, if any (idempotent)."""
        owner, self._owner = self._owner, None
        if owner is not None:
            await owner.aclose()


class AsyncUserIterator(UserStream[AsyncPageIterator], AsyncIterator["User"]):
    """The users of a group, one at a time, a page fetched whenever one is used up.

    ``next_token`` has the meaning it has on :class:`cognito_groups.UserIterator`.
    """

    __slots__ = ()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> User:
        cursor = self._cursor
        user = cursor.take()
        while user is None:
            cursor.load(await self._pages.__anext__())
            user = cursor.take()
        return user

    async def aclose(self) -> None:
        """Stop early, closing the client the listing created for itself, if any."""
        await self._pages.aclose()


class AsyncCognitoGroups:
    """Lists group members with aiobotocore: :class:`cognito_groups.CognitoGroups`, awaited.

    Args:
        client: An aiobotocore ``cognito-idp`` client (already entered), used as it is.
        session: An ``aiobotocore.session.AioSession`` to build the client from.
        region_name: The AWS Region.
        endpoint_url: Another endpoint, e.g. a moto server.
        config: A ``botocore.config.Config`` merged over the default (standard retries).

    Without ``client``, use it as an async context manager: the client is created on entry and
    closed on exit (a client you pass is never closed).

    Example:
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async with AsyncCognitoGroups(region_name="us-east-1") as groups:
        ...         async for user in groups.iter_users("us-east-1_AbC123", "admins"):
        ...             print(user.username)
    """

    __slots__ = ("_client", "_options", "_stack")

    def __init__(
        self,
        client: CognitoIdentityProviderClient | None = None,
        *,
        session: AioSession | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> None:
        check_client_options(
            client,
            session,
            region_name,
            endpoint_url,
            config,
            session_type=AioSession,
            client_method="list_users_in_group",
        )
        self._client = client
        self._stack: AsyncExitStack | None = None
        self._options = (session, region_name, endpoint_url, config)

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
        """``async for`` over the group's pages; see :meth:`CognitoGroups.iter_pages`."""
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
        return AsyncPageIterator(self.client.list_users_in_group, PageLoop(request))

    def iter_users(
        self,
        user_pool_id: str,
        group_name: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_users: int | None = None,
        next_token: str | None = None,
    ) -> AsyncUserIterator:
        """``async for`` over the group's members; see :meth:`CognitoGroups.iter_users`."""
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
    """Create an aiobotocore client inside ``stack`` (closed with it)."""
    try:
        session = with_utc_timestamps(get_session()) if session is None else session
        # Same options as the sync client; AioConfig.merge reads any Config's options.
        aio_config = AioConfig().merge(cast("AioConfig", merge_config(config)))
        # types-aiobotocore types `create_client` for every service; only cognito-idp's stubs
        # are installed.
        create: Callable[..., Any] = session.create_client  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        creator = create(
            "cognito-idp", region_name=region_name, endpoint_url=endpoint_url, config=aio_config
        )
        client: CognitoIdentityProviderClient = await stack.enter_async_context(creator)
    except BaseException as err:
        await stack.aclose()
        if isinstance(err, Exception):
            raise translate_error(err, next_token=None, fallback=ClientSetupError) from err
        raise
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
    """``async for`` over a group's members: :func:`cognito_groups.iter_users_in_group`, awaited.

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
    lazy = _LazyClient()
    return AsyncUserIterator(
        AsyncPageIterator(lazy.list_users_in_group, PageLoop(request), owner=lazy.stack)
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
