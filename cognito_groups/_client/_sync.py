"""The synchronous facade: `CognitoGroups`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import boto3

from cognito_groups._client._closing import Closing
from cognito_groups._client._config import build_client, check_client_options
from cognito_groups._client._iterators import (
    GroupIterator,
    MembershipIterator,
    PageIterator,
    UserIterator,
)
from cognito_groups._client._region import PoolRegion, configured_region
from cognito_groups._client._session import own_session
from cognito_groups._errors import LIST_GROUPS, LIST_USERS_IN_GROUP, RegionError
from cognito_groups._listing._groups import GroupRequestPlan
from cognito_groups._listing._memberships import MembershipPlan
from cognito_groups._listing._paginate import PageRequestPlan
from cognito_groups._listing._validate import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    check_flag,
    check_list_request,
    check_membership_request,
    check_user_pool_id,
)
from cognito_groups._pacing._paced import DEFAULT_PATIENCE, FacadeBudgets, paced

if TYPE_CHECKING:
    from collections.abc import Iterable

    from botocore.config import Config
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from cognito_groups._listing._validate import ListRequest

__all__ = ["CognitoGroups"]


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


class CognitoGroups(FacadeBudgets, Closing):
    """Lists the members of Cognito user-pool groups as typed [`User`][cognito_groups.User] objects.

    Args:
        client: An existing boto3 ``cognito-idp`` client, used as it is (never changed).
        session: A ``boto3.Session`` to build the client from (default: a new one).
        region_name: The AWS Region, e.g. ``"us-east-1"`` (default: the one configured in the
            environment or the profile; when there is none, the Region the first listed
            pool's id names, ``us-east-1_AbC123``: ``us-east-1``, the client being built
            then, and a pool of another Region refused).
        endpoint_url: Another endpoint, e.g. moto's or cognito-local's.
        config: A ``botocore.config.Config`` merged over the library's default, which retries
            in botocore's standard mode (it retries ``TooManyRequestsException``).
        max_rps: The ceiling of the ``ListUsersInGroup`` budget (Cognito's UserList quota
            category), in requests per second; also paces `iter_users()` and `iter_pages()`.
            Default ``None``: the quota, 30, and only the listings of many groups
            (`iter_memberships()`, `groups_by_user()`) are paced. The budget is adaptive: it
            goes up to its ceiling, cuts its rate as soon as the service throttles, and
            settles just below the rate where it was throttled (other callers share the
            quota). ``ListGroups`` (the UserPoolResourceRead category) has an adaptive budget
            of its own, whatever ``max_rps``: 5 requests per second per pool, 20 in all.
            Every attempt of a request takes a token, retries included, from any thread.
        patience: Seconds a paced request goes on being throttled, with no request of its
            budget succeeding meanwhile, before it raises `TooManyRequestsError` (default
            120; ``math.inf``: never). While the service throttles, paced requests are sent
            again at the budget's pace, not by botocore's retries.
        shared_budget: Whether the budgets are shared with the machine's other processes that
            list the same account and Region (default ``True``): their state is kept in a
            small file under the user's cache folder (``COGNITO_GROUPS_BUDGET_DIR``, or
            ``off``), and this process's budgets alone are used when that file cannot be.

    Raises:
        InvalidParameterError: an option has the wrong type, or ``client`` is combined with
            the options that build one.
        ClientSetupError: the client could not be built (e.g. `RegionError`); without a
            Region given or configured, on the first listing, if its pool's id names none.

    Example:
        ```python
        cognito = CognitoGroups(region_name="us-east-1")
        for user in cognito.iter_users("us-east-1_AbC123", "admins"):
            print(user.username, user.user_status, user.email)
        ```
    """

    __slots__ = ("_client", "_lock", "_options", "_owns_client", "_region")

    def __init__(
        self,
        client: CognitoIdentityProviderClient | None = None,
        *,
        session: boto3.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
        max_rps: float | None = None,
        patience: float = DEFAULT_PATIENCE,
        shared_budget: bool = True,
    ) -> None:
        _check_options(client, session, region_name, endpoint_url, config)
        super().__init__(max_rps, patience, shared_budget)
        self._owns_client = client is None
        self._region = PoolRegion()
        self._lock = threading.Lock()
        self._client: CognitoIdentityProviderClient | None = None
        self._options: tuple[boto3.Session, str | None, Config | None] | None = None
        if client is None:
            session = own_session(session)
            if configured_region(session, region_name) is None:
                # No Region: the client is built by the first listing, in its pool's Region.
                self._options = (session, endpoint_url, config)
                return
            client = build_client(session, region_name, endpoint_url, config)
        self._use(client)

    def _use(self, client: CognitoIdentityProviderClient) -> None:
        """Make ``client`` the one requests go through."""
        # With max_rps, the pacing handlers are registered now, so that they come before any
        # the caller adds later. Each listing has a call of its own (its cancel() is its own);
        # a facade that only lists users leaves a client without max_rps unchanged.
        paced(client, LIST_USERS_IN_GROUP, self._users_pacer())
        self._client = client

    def _client_for(self, user_pool_id: str) -> CognitoIdentityProviderClient:
        """The client to list ``user_pool_id`` with, built now if none was yet (see `PoolRegion`).

        Raises:
            InvalidParameterError: the client was built in another pool's Region.
            ClientSetupError: the client could not be built (e.g. the pool names no Region).
        """
        with self._lock:
            client = self._client
            if client is not None:
                self._region.check(user_pool_id)
                return client
            assert self._options is not None  # noqa: S101 (a facade without a client has them)
            session, endpoint_url, config = self._options
            client = build_client(session, None, endpoint_url, config, user_pool_id=user_pool_id)
            self._use(client)
            self._region.built(user_pool_id, client.meta.region_name)
            return client

    @classmethod
    def _for_pool(
        cls,
        user_pool_id: str,
        *,
        session: boto3.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
        max_rps: float | None = None,
        patience: float = DEFAULT_PATIENCE,
        shared_budget: bool = True,
    ) -> CognitoGroups:
        """A facade with its own client, built now: in the pool's Region when none is configured.

        Raises:
            InvalidParameterError: ``user_pool_id`` breaks a rule (before anything is built).
        """
        user_pool_id = check_user_pool_id(user_pool_id)
        cognito = cls(
            session=session,
            region_name=region_name,
            endpoint_url=endpoint_url,
            config=config,
            max_rps=max_rps,
            patience=patience,
            shared_budget=shared_budget,
        )
        cognito._client_for(user_pool_id)
        return cognito

    @property
    def client(self) -> CognitoIdentityProviderClient:
        """The boto3 client requests go through.

        Raises:
            RegionError: no Region was given or configured and nothing was listed yet: the
                client is built by the first listing, in the Region its pool id names.
        """
        client = self._client
        if client is None:
            raise RegionError(
                "no Region was given or configured: this CognitoGroups builds its client on its "
                "first listing, in the Region the pool id names (region_name= builds it now)"
            )
        return client

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

        Takes the same parameters as `iter_users()`; with ``max_users`` the pages hold at
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
        client = self._client_for(request.user_pool_id)
        call = paced(client, LIST_USERS_IN_GROUP, self._users_pacer())  # its own: cancel()
        return PageIterator(call, PageRequestPlan(request), owner, prefetch=prefetch)

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
            An iterator of [`User`][cognito_groups.User] with ``next_token`` (where a new
            listing continues, exact to the user, at every moment) and ``exhausted`` (whether
            the group is
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

    def iter_groups(
        self, user_pool_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> GroupIterator:
        """Iterate over the pool's groups (``ListGroups``), a page fetched as needed.

        Requests are paced by the ``ListGroups`` budget (adaptive, up to 5 per second per pool,
        the quota of ``ListGroups`` on one pool), whatever ``max_rps``.

        Args:
            user_pool_id: The user pool's id.
            page_size: Groups per request, 1 to 60 (the service maximum, and the default).

        Raises:
            InvalidParameterError: at once, before any request, if a parameter breaks a rule.
            CognitoGroupsError: while iterating, a subclass for each failure.
        """
        plan = GroupRequestPlan(user_pool_id, page_size)
        client = self._client_for(plan.user_pool_id)
        return GroupIterator(paced(client, LIST_GROUPS, self._groups_pacer()), plan)

    def iter_memberships(
        self,
        user_pool_id: str,
        group_names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        page_size: int = DEFAULT_PAGE_SIZE,
        checkpoint: str | None = None,
    ) -> MembershipIterator:
        """Iterate over every member of every group, listing several groups at once.

        Memberships stream as pages arrive, in arrival order; at most about ``concurrency``
        pages are held. ``ListUsersInGroup`` requests are paced by the facade's adaptive budget
        (up to ``max_rps``, or the quota of 30; see `CognitoGroups`), and a throttled request
        is sent again at its pace for as long as ``patience`` allows; ``ListGroups`` requests
        by their own budget, as in `iter_groups()`, so that listing the groups takes no
        ``ListUsersInGroup`` token.

        Args:
            user_pool_id: The user pool's id.
            group_names: The groups to list (default: every group of the pool, from
                ``ListGroups``, listed once at the start).
            concurrency: Groups listed at once, 1 to 32 (default 4).
            page_size: Users per request, 1 to 60 (default 60).
            checkpoint: Continue where an iterator's ``checkpoint`` said: every membership not
                yet yielded is yielded once, none already yielded again.

        Returns:
            An iterator of [`Membership`][cognito_groups.Membership] with ``checkpoint`` and
            ``exhausted``. Close it (or use ``with``) to stop early.

        Raises:
            InvalidParameterError: at once, before any request, if a parameter breaks a rule
                (a checkpoint of another pool or a damaged one names ``checkpoint``).
            CognitoGroupsError: while iterating, the first failing group's error (its
                ``group_name`` says which), after the pages already received are yielded.
        """
        request = check_membership_request(
            user_pool_id,
            group_names,
            concurrency=concurrency,
            page_size=page_size,
            checkpoint=checkpoint,
        )
        pool = request.user_pool_id
        client = self._client_for(pool)
        list_groups = paced(client, LIST_GROUPS, self._groups_pacer())
        return MembershipIterator(
            MembershipPlan(request),
            request.concurrency,
            paced(client, LIST_USERS_IN_GROUP, self._pacer()),
            lambda: GroupIterator(list_groups, GroupRequestPlan(pool, DEFAULT_PAGE_SIZE)),
        )

    def groups_by_user(
        self,
        user_pool_id: str,
        group_names: Iterable[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> dict[str, frozenset[str]]:
        """Each member's groups: username -> the names of the groups it is in.

        Built from `iter_memberships()`: one request per page of each group, never one per
        user. Users in no group are not in it (that needs ``ListUsers``).
        """
        found: dict[str, set[str]] = {}
        with self.iter_memberships(user_pool_id, group_names, concurrency=concurrency) as it:
            for membership in it:
                found.setdefault(membership.user.username, set()).add(membership.group_name)
        return {username: frozenset(names) for username, names in found.items()}

    def close(self) -> None:
        """Close the client's connections if this object built the client; else do nothing."""
        if self._owns_client and self._client is not None:
            self._client.close()
