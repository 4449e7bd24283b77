"""One listing, sync or async, reported the same way: what it returned and where it stopped."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from botocore.config import Config

from cognito_groups import AsyncCognitoGroups, AsyncUserIterator, CognitoGroups, CognitoGroupsError

#: One attempt per request: an injected error is seen, not retried away.
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass
class Outcome:
    """What one listing returned, and where its iterator said it stopped."""

    names: list[str]
    next_token: str | None
    exhausted: bool
    error: CognitoGroupsError | None = None


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


def sync_take(groups: CognitoGroups, pool: str, group: str) -> Take:
    def take(
        *,
        page_size: int,
        next_token: str | None = None,
        max_users: int | None = None,
        stop_after: int | None = None,
    ) -> Outcome:
        iterator = groups.iter_users(
            pool, group, page_size=page_size, next_token=next_token, max_users=max_users
        )
        if stop_after == 0:
            return Outcome([], iterator.next_token, iterator.exhausted)
        names: list[str] = []
        error = None
        try:
            for user in iterator:
                names.append(user.username)
                if len(names) == stop_after:
                    break
        except CognitoGroupsError as err:
            error = err
        return Outcome(names, iterator.next_token, iterator.exhausted, error)

    return take


def async_take(url: str, pool: str, group: str) -> Take:
    def take(
        *,
        page_size: int,
        next_token: str | None = None,
        max_users: int | None = None,
        stop_after: int | None = None,
    ) -> Outcome:
        async def run() -> Outcome:
            async with AsyncCognitoGroups(
                region_name="us-east-1", endpoint_url=url, config=NO_RETRIES
            ) as groups:
                iterator = groups.iter_users(
                    pool, group, page_size=page_size, next_token=next_token, max_users=max_users
                )
                return await collect(iterator, stop_after)

        return asyncio.run(run())

    return take


class KeptAsyncClient:
    """One event loop and one entered AsyncCognitoGroups, reused by many listings."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.groups = AsyncCognitoGroups(
            region_name="us-east-1", endpoint_url=url, config=NO_RETRIES
        )
        self.loop.run_until_complete(self.groups.__aenter__())

    def take(self, pool: str, group: str) -> Take:
        def take(
            *,
            page_size: int,
            next_token: str | None = None,
            max_users: int | None = None,
            stop_after: int | None = None,
        ) -> Outcome:
            iterator = self.groups.iter_users(
                pool, group, page_size=page_size, next_token=next_token, max_users=max_users
            )
            return self.loop.run_until_complete(collect(iterator, stop_after))

        return take

    def close(self) -> None:
        self.loop.run_until_complete(self.groups.aclose())
        self.loop.close()


async def collect(iterator: AsyncUserIterator, stop_after: int | None) -> Outcome:
    """Take users from ``iterator`` as the sync take does."""
    names: list[str] = []
    error = None
    if stop_after != 0:
        try:
            async for user in iterator:
                names.append(user.username)
                if len(names) == stop_after:
                    break
        except CognitoGroupsError as err:
            error = err
    return Outcome(names, iterator.next_token, iterator.exhausted, error)


def url_take(url: str, pool: str, group: str, flavour: str) -> Take:
    if flavour == "async":
        return async_take(url, pool, group)
    groups = CognitoGroups(region_name="us-east-1", endpoint_url=url, config=NO_RETRIES)
    return sync_take(groups, pool, group)
