"""Building clients, sync and async: the ``Config``, the session, the Region, the checks.

Shared by the sync facade, the async facade, [`testing`][cognito_groups.testing] and the demo, so
that every client the library builds has the same defaults (standard retries, our user agent),
the same Region rule (the pool's Region when none is configured, see `region_for()`), and
every facade checks its options the same way.

aiobotocore is the ``async`` extra: it is imported only when an async client is built, and its
absence is an `ImportError` with the install hint (`aio_session_type()`).
"""

from __future__ import annotations

import functools
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.session import Session as _BotocoreSession
from botocore.session import get_session as get_botocore_session

from cognito_groups._client._install import install_hint
from cognito_groups._errors import ClientSetupError, InvalidParameterError, translate_error
from cognito_groups._listing._validate import check_endpoint_url, check_region_name
from cognito_groups._models import parse_utc_timestamp
from cognito_groups._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiobotocore.session import AioSession
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from types_aiobotocore_cognito_idp import (
        CognitoIdentityProviderClient as AsyncCognitoIdentityProviderClient,
    )

__all__ = [
    "DEFAULT_RETRY_MODE",
    "USER_AGENT_EXTRA",
    "LazyAsyncClient",
    "PoolRegion",
    "aio_configured_region",
    "aio_session_type",
    "build_client",
    "check_client_options",
    "configured_region",
    "merge_config",
    "new_cognito_client",
    "open_aio_session",
    "open_async_client",
    "own_session",
    "region_for",
    "region_from_pool_id",
    "with_utc_timestamps",
]

#: The library's own client options; a caller's ``config`` is merged over them.
USER_AGENT_EXTRA = f"cognito-groups/{__version__}"
DEFAULT_RETRY_MODE = "standard"
_INSTALL_HINT = "AsyncCognitoGroups needs aiobotocore: " + install_hint("async")


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


_AnySession = TypeVar("_AnySession", bound=_BotocoreSession)


def with_utc_timestamps(session: _AnySession) -> _AnySession:
    """Make a botocore session the library created parse timestamps straight to UTC.

    Only ever applied to sessions the library creates itself: a caller's session or client is
    never changed (their clients take the conversion path in ``_models._to_utc`` instead).
    """
    factory = session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_utc_timestamp)
    return session


@functools.cache
def _cognito_regions() -> frozenset[str]:
    """Every Region botocore knows Cognito user pools in, across all partitions."""
    session = get_botocore_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("cognito-idp", partition_name=partition)
    )


def region_from_pool_id(user_pool_id: str | None) -> str | None:
    """The Region a pool id names (``us-east-1_AbC123`` -> ``us-east-1``), if botocore knows it.

    A pool id is ``<region>_<id>``, the id being letters and digits only; a prefix that is not
    a Region botocore knows for Cognito (an emulator's ``local_...``) gives ``None``.
    """
    if user_pool_id is None:
        return None
    prefix, underscore, _ = user_pool_id.rpartition("_")
    return prefix if underscore and prefix in _cognito_regions() else None


def region_for(
    region_name: str | None, configured: str | None, user_pool_id: str | None
) -> str | None:
    """The Region to build a client with, sync or async: one rule for both.

    The one given; else, when nothing is configured either, the one ``user_pool_id`` names
    (``None`` leaves it to botocore, which then raises ``NoRegionError``).
    """
    if region_name is not None or configured is not None:
        return region_name
    return region_from_pool_id(user_pool_id)


class PoolRegion:
    """The Region of a facade that has none given or configured: the one its first pool names.

    Its client is built for the first pool it lists, in that pool's Region (see
    `region_for()`); a facade has one client and one set of budgets, of one account and Region,
    so a pool whose id names another Region is refused, naming both, rather than listed in
    the wrong one (where it would not be found).
    """

    __slots__ = ("pool", "region")

    def __init__(self) -> None:
        self.pool: str | None = None
        self.region: str | None = None

    def check(self, user_pool_id: str) -> None:
        """Refuse a pool whose id names another Region than the one the client was built in.

        Raises:
            InvalidParameterError: naming ``user_pool_id``.
        """
        region = region_from_pool_id(user_pool_id)
        if self.region is not None and region is not None and region != self.region:
            raise InvalidParameterError._local(
                "user_pool_id",
                f"user_pool_id: {user_pool_id!r} is in {region}, and this facade's client is in "
                f"{self.region}, the Region of the first pool it listed ({self.pool!r}; none was "
                "given or configured): pass region_name=, or use one facade per Region",
            )

    def built(self, user_pool_id: str, region: str | None) -> None:
        """The client was built for ``user_pool_id``, in ``region``."""
        self.pool, self.region = user_pool_id, region


def own_session(session: boto3.Session | None) -> boto3.Session:
    """``session``, or a new one whose parser gives UTC datetimes directly (the fast path).

    Raises:
        ClientSetupError: botocore could not make one (e.g. ``AWS_PROFILE`` names no profile).
    """
    if session is not None:
        return session
    try:
        return boto3.Session(botocore_session=with_utc_timestamps(get_botocore_session()))
    except BotoCoreError as err:
        raise translate_error(err, fallback=ClientSetupError) from err


def configured_region(session: boto3.Session, region_name: str | None) -> str | None:
    """The Region given, else the one configured for ``session`` (``None``: neither).

    A boto3 session reads its configuration when it is made (`own_session()` translates what
    goes wrong then), so reading its Region cannot fail.
    """
    if region_name is not None:
        return region_name
    return cast("str | None", session.region_name)


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


def aio_session_type() -> type[AioSession]:
    """The session class of aiobotocore, or the install hint if the ``async`` extra is missing."""
    try:
        from aiobotocore.session import AioSession
    except ImportError as err:
        raise ImportError(_INSTALL_HINT, name=err.name) from err
    return AioSession


def open_aio_session(session: AioSession | None) -> AioSession:
    """``session``, or a new aiobotocore one whose parser gives UTC datetimes directly."""
    from aiobotocore.session import get_session

    return with_utc_timestamps(get_session()) if session is None else session


def aio_configured_region(session: AioSession, region_name: str | None) -> str | None:
    """`configured_region()` for an aiobotocore session.

    Raises:
        ClientSetupError: botocore could not read the configuration (e.g. a missing profile).
    """
    if region_name is not None:
        return region_name
    try:
        return cast("str | None", session.get_config_variable("region"))
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
