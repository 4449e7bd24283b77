"""Building clients, sync and async: the ``Config``, the options' checks, the client itself.

Shared by the sync facade, the async facade, [`testing`][cognito_groups.testing] and the demo, so
that every client the library builds has the same defaults (standard retries, our user agent),
the same session (`_session`) and Region rule (`_region`), and every facade checks its options
the same way.

aiobotocore is the ``async`` extra: it is imported only when an async client is built, and its
absence is an `ImportError` with the install hint (`_session.aio_session_type()`).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from cognito_groups._client._region import region_for
from cognito_groups._client._session import open_aio_session, own_session
from cognito_groups._errors import ClientSetupError, InvalidParameterError, translate_error
from cognito_groups._listing._validate import check_endpoint_url, check_region_name
from cognito_groups._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import boto3
    from aiobotocore.session import AioSession
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from types_aiobotocore_cognito_idp import (
        CognitoIdentityProviderClient as AsyncCognitoIdentityProviderClient,
    )

__all__ = [
    "DEFAULT_RETRY_MODE",
    "USER_AGENT_EXTRA",
    "LazyAsyncClient",
    "build_client",
    "check_client_options",
    "merge_config",
    "new_cognito_client",
    "open_async_client",
]

#: The library's own client options; a caller's ``config`` is merged over them.
USER_AGENT_EXTRA = f"cognito-groups/{__version__}"
DEFAULT_RETRY_MODE = "standard"


def merge_config(config: object) -> Config:
    """A new client config: the library's defaults with the caller's ``config`` merged over.

    Retries default to botocore's standard mode; a caller's ``retries`` without a ``mode``
    keeps it (botocore's own merge would replace the whole dict and fall back to legacy). The
    result always holds a ``retries`` dict of its own: botocore writes into that dict while it
    builds a client, and neither the caller's config nor the next client may see that.
    """
    if config is not None and not isinstance(config, Config):
        raise InvalidParameterError._local(
            "config", f"must be a botocore.config.Config or None, got {type(config).__name__}"
        )
    merged = Config(user_agent_extra=USER_AGENT_EXTRA)
    retries: dict[str, Any] = {"mode": DEFAULT_RETRY_MODE}
    if config is not None:
        merged = merged.merge(config)
        given: object = getattr(config, "retries", None)
        if isinstance(given, dict):
            retries.update(cast("dict[str, Any]", given))
    options: dict[str, Any] = {"retries": retries}
    return merged.merge(Config(**options))


def check_client_options(
    client: object,
    session: object,
    region_name: object,
    endpoint_url: object,
    config: object,
    *,
    session_type: type,
    client_method: str,
) -> None:
    """Check the constructor's options of a facade (sync or async); raise on the first bad one."""
    if client is not None:
        if not callable(getattr(client, client_method, None)):
            raise InvalidParameterError._local(
                "client", f"must be a cognito-idp client (with {client_method}), or None"
            )
        given = [
            name
            for name, value in (
                ("session", session),
                ("region_name", region_name),
                ("endpoint_url", endpoint_url),
                ("config", config),
            )
            if value is not None
        ]
        if given:
            raise InvalidParameterError._local(
                given[0], "cannot be combined with client: the client is used as it is"
            )
        return
    if session is not None and not isinstance(session, session_type):
        raise InvalidParameterError._local(
            "session",
            f"must be a {session_type.__module__}.{session_type.__qualname__} or None, "
            f"got {type(session).__name__}",
        )
    check_region_name(region_name)
    check_endpoint_url(endpoint_url)
    merge_config(config)


def new_cognito_client(
    session: boto3.Session | None = None,
    *,
    user_pool_id: str | None = None,
    **options: Any,
) -> CognitoIdentityProviderClient:
    """A new boto3 ``cognito-idp`` client from ``session``.

    Without a session, it builds one of its own whose parser gives UTC datetimes directly (the
    fast path); a given session is used as it is. When no Region is given or configured (no
    ``region_name``, nothing in the environment or the profile), the Region that
    ``user_pool_id`` names is used, if botocore knows it.
    """
    session = own_session(session)
    configured = cast("str | None", session.region_name)  # None when nothing is configured
    options["region_name"] = region_for(options.get("region_name"), configured, user_pool_id)
    # boto3-stubs types `client` for every service; only cognito-idp's stubs are installed.
    make_client: Callable[..., CognitoIdentityProviderClient] = session.client  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return make_client("cognito-idp", **options)


def build_client(
    session: boto3.Session | None,
    region_name: str | None,
    endpoint_url: str | None,
    config: Config | None,
    *,
    user_pool_id: str | None = None,
) -> CognitoIdentityProviderClient:
    """The sync facade's own client, with the library's defaults; failures are ours.

    ``user_pool_id``, when the client is built for one pool, names the Region to use when none
    is configured (see `new_cognito_client()`).

    Raises:
        ClientSetupError: botocore could not build the client (e.g. `RegionError`).
    """
    try:
        return new_cognito_client(
            session,
            user_pool_id=user_pool_id,
            region_name=region_name,
            endpoint_url=endpoint_url,
            config=merge_config(config),
        )
    except BotoCoreError as err:
        raise translate_error(err, fallback=ClientSetupError) from err


async def open_async_client(
    stack: AsyncExitStack,
    session: AioSession | None,
    region_name: str | None,
    endpoint_url: str | None,
    config: Config | None,
    *,
    user_pool_id: str | None = None,
) -> AsyncCognitoIdentityProviderClient:
    """An aiobotocore client, entered in ``stack`` (closed with it), as `build_client()` builds.

    Raises:
        ClientSetupError: botocore could not build the client, as the sync facade says it.
    """
    from aiobotocore.config import AioConfig

    try:
        try:
            session = open_aio_session(session)
            configured = cast("str | None", session.get_config_variable("region"))
            # Same options as the sync client; AioConfig.merge reads any Config's options.
            aio_config = AioConfig().merge(cast("AioConfig", merge_config(config)))
            # types-aiobotocore types `create_client` for every service; only cognito-idp's
            # stubs are installed.
            create: Callable[..., Any] = session.create_client  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            creator = create(
                "cognito-idp",
                region_name=region_for(region_name, configured, user_pool_id),
                endpoint_url=endpoint_url,
                config=aio_config,
            )
            client: AsyncCognitoIdentityProviderClient = await stack.enter_async_context(creator)
        except BaseException:
            await stack.aclose()
            raise
    except BotoCoreError as err:
        raise translate_error(err, fallback=ClientSetupError) from err
    return client


class LazyAsyncClient:
    """A default aiobotocore client for one pool, opened on the first request.

    What ``aiter_users_in_group()`` lists with when it is given no client: building a client
    needs a running loop, and the iterator is made outside one. ``stack`` closes it.
    """

    __slots__ = ("_client", "_endpoint_url", "_region_name", "_user_pool_id", "stack")

    def __init__(
        self, user_pool_id: str, region_name: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self.stack = AsyncExitStack()
        self._user_pool_id = user_pool_id
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._client: AsyncCognitoIdentityProviderClient | None = None

    async def list_users_in_group(self, **params: Any) -> Mapping[str, Any]:
        """Open the client if it is not open yet, and send the request through it."""
        if self._client is None:
            self._client = await open_async_client(
                self.stack,
                None,
                self._region_name,
                self._endpoint_url,
                None,
                user_pool_id=self._user_pool_id,
            )
        response: Mapping[str, Any] = await self._client.list_users_in_group(**params)
        return response
