"""The synchronous facade: :class:`CognitoGroups` and :func:`iter_users_in_group`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.session import Session as _BotocoreSession
from botocore.session import get_session as get_botocore_session

from cognito_groups._closing import Closing
from cognito_groups._errors import (
    BOTOCORE_ERRORS,
    ClientSetupError,
    InvalidParameterError,
    translate_error,
)
from cognito_groups._models import Page, User, parse_utc_timestamp
from cognito_groups._paginate import PageLoop, PageStream, UserStream
from cognito_groups._validate import (
    check_endpoint_url,
    check_flag,
    check_list_request,
    check_region_name,
)

if TYPE_CHECKING:
    from cognito_groups._validate import ListRequest
from cognito_groups._version import __version__

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from typing_extensions import Self

__all__ = ["CognitoGroups", "PageIterator", "UserIterator", "iter_users_in_group"]

DEFAULT_PAGE_SIZE = 60

#: The library's own client options; a caller's ``config`` is merged over them.
USER_AGENT_EXTRA = f"cognito-groups/{__version__}"
DEFAULT_RETRY_MODE = "standard"

_ListCall = Callable[..., Mapping[str, Any]]


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


def new_cognito_client(
    session: boto3.Session | None = None, **options: Any
) -> CognitoIdentityProviderClient:
    """A new boto3 ``cognito-idp`` client from ``session``.

    Without a session, it builds one of its own whose parser gives UTC datetimes directly (the
    fast path); a given session is used as it is.
    """
    if session is None:
        session = boto3.Session(botocore_session=with_utc_timestamps(get_botocore_session()))
    # boto3-stubs types `client` for every service; only cognito-idp's stubs are installed.
    make_client: Callable[..., CognitoIdentityProviderClient] = session.client  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return make_client("cognito-idp", **options)


def _build_client(
    session: boto3.Session | None,
    region_name: str | None,
    endpoint_url: str | None,
    config: Config | None,
) -> CognitoIdentityProviderClient:
    try:
        return new_cognito_client(
            session,
            region_name=region_name,
            endpoint_url=endpoint_url,
            config=merge_config(config),
        )
    except BOTOCORE_ERRORS as err:
        raise translate_error(err, next_token=None, fallback=ClientSetupError) from err


class PageIterator(PageStream, Closing, Iterator[Page]):
    """The pages of a group, fetched one request at a time as they are asked for.

    Attributes:
        next_token: The token a new listing would start from to continue after the pages
            already returned (``None`` once the group is exhausted).
    """

    __slots__ = ()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Page:
        page = self._fetch()
        if page is None:
            raise StopIteration
        return page

    def _fetch(self) -> Page | None:
        """Request the next page (``None`` once the listing is over)."""
        loop = self._loop
        params = loop.next_params()
        if params is None:
            return None
        with loop.translating():
            response = self._call(**params)
        return loop.accept(response)


class UserIterator(UserStream[PageIterator], Closing, Iterator[User]):
    """The users of a group, one at a time, fetched a page at a time as they are asked for.

    Attributes:
        next_token: After the iterator stopped at ``max_users``, exactly where a new listing
            continues (no user skipped or repeated); ``None`` once the group is exhausted.
    """

    __slots__ = ()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> User:
        cursor = self._cursor
        user = cursor.take()
        while user is None:
            cursor.load(next(self._pages))
            user = cursor.take()
        return user

    def close(self) -> None:
        """Stop the listing early (frees a prefetching iterator's thread)."""
        self._pages.close()


class CognitoGroups(Closing):
    """Lists the members of Cognito user-pool groups as typed :class:`User` objects.

    Args:
        client: An existing boto3 ``cognito-idp`` client, used as it is (never changed).
        session: A ``boto3.Session`` to build the client from (default: a new one).
        region_name: The AWS Region, e.g. ``"us-east-1"`` (default: from the environment).
        endpoint_url: Another endpoint, e.g. moto's or cognito-local's.
        config: A ``botocore.config.Config`` merged over the library's default, which retries
            in botocore's standard mode (it retries ``TooManyRequestsException``).

    Raises:
        InvalidParameterError: an option has the wrong type, or ``client`` is combined with
            the options that build one.
        ClientSetupError: the client could not be built (e.g. :class:`RegionError`).

    Example:
        >>> groups = CognitoGroups(region_name="us-east-1")  # doctest: +SKIP
        >>> for user in groups.iter_users("us-east-1_AbC123", "admins"):  # doctest: +SKIP
        ...     print(user.username, user.user_status, user.email)
    """

    __slots__ = ("_call", "_client", "_owns_client")

    def __init__(
        self,
        client: CognitoIdentityProviderClient | None = None,
        *,
        session: boto3.Session | None = None,
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
            session_type=boto3.Session,
            client_method="list_users_in_group",
        )
        self._owns_client = client is None
        if client is None:
            client = _build_client(session, region_name, endpoint_url, config)
        self._client = client
        self._call: _ListCall = client.list_users_in_group

    @property
    def client(self) -> CognitoIdentityProviderClient:
        """The boto3 client requests go through."""
        return self._client

    def iter_pages(
        self,
        user_pool_id: str,
        group_name: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_users: int | None = None,
        next_token: str | None = None,
        prefetch: bool = False,
    ) -> PageIterator:
        """Iterate over the group's pages: one request per page, sent when the page is asked for.

        Takes the same parameters as :meth:`iter_users`; with ``max_users`` the pages hold at
        most that many users in all, and the iterator's ``next_token`` resumes after them.
        With ``prefetch``, the next page is requested in a background thread while the current
        one is being used.

        Raises:
            InvalidParameterError: at once, before any request, if a parameter breaks a rule.
        """
        request = check_list_request(
            user_pool_id,
            group_name,
            page_size=page_size,
            max_users=max_users,
            next_token=next_token,
        )
        return self._pages(request, prefetch=check_flag("prefetch", prefetch))

    def _pages(self, request: ListRequest, *, prefetch: bool) -> PageIterator:
        """The page iterator of an already validated request."""
        if prefetch:
            from cognito_groups._prefetch import PrefetchPageIterator

            return PrefetchPageIterator(self._call, PageLoop(request))
        return PageIterator(self._call, PageLoop(request))

    def iter_users(
        self,
        user_pool_id: str,
        group_name: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_users: int | None = None,
        next_token: str | None = None,
        prefetch: bool = False,
    ) -> UserIterator:
        """Iterate over the group's members, each exactly once, fetching pages on demand.

        Args:
            user_pool_id: The user pool's id, e.g. ``"us-east-1_AbC123"``.
            group_name: The group's name.
            page_size: Users per request, 1 to 60 (the service maximum, and the default).
            max_users: Stop after this many users; the iterator's ``next_token`` then resumes
                exactly after them.
            next_token: Resume from this token (``iterator.next_token`` or ``err.next_token``).
            prefetch: Request the next page in a background thread while the current one is
                used; errors still come at the same place in the stream. Call ``close()`` (or
                use ``with``) to stop early; an abandoned iterator stops its thread too.

        Returns:
            An iterator of :class:`User` with a ``next_token`` attribute.

        Raises:
            InvalidParameterError: at once, before any request, if a parameter breaks a rule.
            CognitoGroupsError: while iterating, a subclass for each failure, with ``next_token``
                set to resume from.
        """
        pages = self.iter_pages(
            user_pool_id,
            group_name,
            page_size=page_size,
            max_users=max_users,
            next_token=next_token,
            prefetch=prefetch,
        )
        return UserIterator(pages)

    def close(self) -> None:
        """Close the client's connections if this object built the client; else do nothing."""
        if self._owns_client:
            self._client.close()


def iter_users_in_group(
    user_pool_id: str,
    group_name: str,
    *,
    client: CognitoIdentityProviderClient | CognitoGroups | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_users: int | None = None,
    next_token: str | None = None,
    prefetch: bool = False,
) -> UserIterator:
    """Iterate over the members of a group: :meth:`CognitoGroups.iter_users` in one call.

    Args:
        user_pool_id: The user pool's id, e.g. ``"us-east-1_AbC123"``.
        group_name: The group's name.
        client: A boto3 ``cognito-idp`` client or a :class:`CognitoGroups`; by default a
            :class:`CognitoGroups` built from the environment.
        page_size: Users per request, 1 to 60 (default 60).
        max_users: Stop after this many users.
        next_token: Resume from this token.
        prefetch: Request the next page in the background (see :meth:`CognitoGroups.iter_users`).

    Example:
        >>> import cognito_groups
        >>> for user in cognito_groups.iter_users_in_group(  # doctest: +SKIP
        ...     "us-east-1_AbC123", "admins"
        ... ):
        ...     print(user.username, user.user_status, user.get_attribute("email"))
    """
    # Validated once, before a default client is built (which may need a Region).
    request = check_list_request(
        user_pool_id, group_name, page_size=page_size, max_users=max_users, next_token=next_token
    )
    check_flag("prefetch", prefetch)
    groups = client if isinstance(client, CognitoGroups) else CognitoGroups(client)
    return UserIterator(groups._pages(request, prefetch=prefetch))
