"""One listing, sync or async, reported the same way: what it returned and where it stopped.

Every test that lists a group "once with the sync client, once with the async one" goes
through `list_once()` (or, to reuse one facade, `sync_take()` / `KeptAsyncClient`), so the
two flavours are always driven and reported alike.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.config import Config

from cognito_groups import AsyncCognitoGroups, CognitoGroups, CognitoGroupsError

if TYPE_CHECKING:
    from cognito_groups import AsyncUserIterator, User, UserIterator

#: One attempt per request: an injected error is seen, not retried away.
NO_RETRIES = Config(retries={"total_max_attempts": 1})
#: The two flavours of every listing.
FLAVOURS = ("async", "sync")


@dataclass
class Outcome:
    """What one listing returned, where its iterator said it stopped, and how it ended."""

    users: list[User]
    next_token: str | None
    exhausted: bool
    error: CognitoGroupsError | None = None

    @property
    def names(self) -> list[str]:
        """The usernames returned, in order."""
        return [user.username for user in self.users]


def take(iterator: UserIterator, stop_after: int | None = None) -> Outcome:
    """Take users from ``iterator`` until it ends, fails or ``stop_after`` users came."""
    users: list[User] = []
    error = None
    if stop_after != 0:
        try:
            for user in iterator:
                users.append(user)
                if len(users) == stop_after:
                    break
        except CognitoGroupsError as err:
            error = err
    return Outcome(users, iterator.next_token, iterator.exhausted, error)


async def atake(iterator: AsyncUserIterator, stop_after: int | None = None) -> Outcome:
    """`take()`, awaited."""
    users: list[User] = []
    error = None
    if stop_after != 0:
        try:
            async for user in iterator:
                users.append(user)
                if len(users) == stop_after:
                    break
        except CognitoGroupsError as err:
            error = err
    return Outcome(users, iterator.next_token, iterator.exhausted, error)


def list_once(
    flavour: str,
    url: str,
    pool: str,
    group: str,
    *,
    config: Config = NO_RETRIES,
    stop_after: int | None = None,
    **options: Any,
) -> Outcome:
    """List ``group`` once at ``url`` with a new facade of ``flavour`` (``sync``/``async``)."""
    if flavour == "sync":
        with CognitoGroups(region_name="us-east-1", endpoint_url=url, config=config) as cognito:
            return take(cognito.iter_users(pool, group, **options), stop_after)

    async def run() -> Outcome:
        async with AsyncCognitoGroups(
            region_name="us-east-1", endpoint_url=url, config=config
        ) as cognito:
            return await atake(cognito.iter_users(pool, group, **options), stop_after)

    return asyncio.run(run())


class Take(Protocol):
    """One listing: from ``next_token``, stopping after ``stop_after`` users if given."""

    def __call__(
        self,
        *,
        page_size: int,
        next_token: str | None = None,
        max_users: int | None = None,
        stop_after: int | None = None,
    ) -> Outcome: ...


def sync_take(cognito: CognitoGroups, pool: str, group: str) -> Take:
    """Listings of ``group`` through one sync facade."""

    def listing(*, stop_after: int | None = None, **options: Any) -> Outcome:
        return take(cognito.iter_users(pool, group, **options), stop_after)

    return listing


class KeptAsyncClient:
    """One event loop and one entered AsyncCognitoGroups, reused by many listings."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.cognito = AsyncCognitoGroups(
            region_name="us-east-1", endpoint_url=url, config=NO_RETRIES
        )
        self.loop.run_until_complete(self.cognito.__aenter__())

    def take(self, pool: str, group: str) -> Take:
        """Listings of ``group`` through this facade, each run on the kept loop."""

        def listing(*, stop_after: int | None = None, **options: Any) -> Outcome:
            iterator = self.cognito.iter_users(pool, group, **options)
            return self.loop.run_until_complete(atake(iterator, stop_after))

        return listing

    def close(self) -> None:
        """Close the facade's client and the loop."""
        self.loop.run_until_complete(self.cognito.aclose())
        self.loop.close()


def url_take(url: str, pool: str, group: str, flavour: str) -> Take:
    """Listings of ``group`` at ``url``, each with a new facade of ``flavour``."""

    def listing(**options: Any) -> Outcome:
        return list_once(flavour, url, pool, group, **options)

    return listing
