"""The synchronous facade: :class:`CognitoGroups` and :func:`iter_users_in_group`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from cognito_groups._closing import Closing
from cognito_groups._config import build_client, check_client_options
from cognito_groups._iterators import PageIterator, PrefetchPageIterator, UserIterator
from cognito_groups._paginate import PageRequestPlan
from cognito_groups._validate import DEFAULT_PAGE_SIZE, check_flag, check_list_request

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from cognito_groups._iterators import ListCall
    from cognito_groups._validate import ListRequest

__all__ = ["CognitoGroups", "iter_users_in_group"]


def _check_options(
    client: object, session: object, region_name: object, endpoint_url: object, config: object
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
        _check_options(client, session, region_name, endpoint_url, config)
        self._owns_client = client is None
        if client is None:
            client = build_client(session, region_name, endpoint_url, config)
        self._client = client
        self._call: ListCall = client.list_users_in_group

    @classmethod
    def _for_pool(
        cls,
        user_pool_id: str,
        *,
        session: boto3.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> CognitoGroups:
        """A facade with a client of its own, in the pool's Region when none is configured."""
        _check_options(None, session, region_name, endpoint_url, config)
        client = build_client(session, region_name, endpoint_url, config, user_pool_id=user_pool_id)
        groups = cls(client)
        groups._owns_client = True
        return groups

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
        most that many users in all (a page longer than asked is cut), and the iterator's
        ``next_token`` resumes exactly after them. With ``prefetch``, the next page is
        requested in a background thread while the current one is being used.

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

    def _pages(
        self, request: ListRequest, *, prefetch: bool, owner: Closing | None = None
    ) -> PageIterator:
        """The page iterator of an already validated request (closing ``owner`` at its end)."""
        iterator = PrefetchPageIterator if prefetch else PageIterator
        return iterator(self._call, PageRequestPlan(request), owner)

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
                exactly after them (also on a server that ignores ``Limit``).
            next_token: Resume from this token (``iterator.next_token``, ``page.next_token``
                or ``err.next_token``): the listing continues right after the last user
                returned, none skipped or repeated.
            prefetch: Request the next page in a background thread while the current one is
                used; errors still come at the same place in the stream. Call ``close()`` (or
                use ``with``) to stop early; an abandoned iterator stops its thread too.

        Returns:
            An iterator of :class:`User` with ``next_token`` (where a new listing continues,
            exact to the user, at every moment) and ``exhausted`` (whether the group is
            finished).

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

    Without ``client``, it builds one from the environment, in the Region the pool id names
    (``us-east-1_AbC123``: ``us-east-1``) when no Region is configured; that client is closed
    when the listing ends, fails or is closed (``iterator.close()`` or ``with``).

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
    if isinstance(client, CognitoGroups):
        return UserIterator(client._pages(request, prefetch=prefetch))
    if client is None:
        groups = CognitoGroups._for_pool(request.user_pool_id)
        return UserIterator(groups._pages(request, prefetch=prefetch, owner=groups))
    groups = CognitoGroups(client)
    return UserIterator(groups._pages(request, prefetch=prefetch))
