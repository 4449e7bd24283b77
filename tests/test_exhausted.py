"""The `exhausted` / `next_token` table of the guide: one test per row, sync and async.

On the fault server (page size 7, real paging). Each row: how the listing was consumed, then
what the iterator says.
"""

from __future__ import annotations

import asyncio

import pytest

from cognito_groups import AsyncCognitoGroups, CognitoGroups

from .fault_server import GROUP, POOL, Fault, FaultServer
from .listing import NO_RETRIES, url_take

FLAVOURS = ["sync", "async"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fresh(flavour: str) -> None:
    """Nothing returned yet, from the beginning: not exhausted, next_token None."""
    with FaultServer(users=20) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7, stop_after=0)
        assert server.requests == []
    assert (state.exhausted, state.next_token) == (False, None)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fresh_from_a_token(flavour: str) -> None:
    """Nothing returned yet, resumed from a token: not exhausted, next_token is that token."""
    with FaultServer(users=20) as server:
        token = server.token_for(7)
        state = url_take(server.url, POOL, GROUP, flavour)(
            page_size=7, next_token=token, stop_after=0
        )
    assert (state.exhausted, state.next_token) == (False, token)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_mid_page(flavour: str) -> None:
    """After 3 users of a page: not exhausted, our token for "3 users into that page"."""
    with FaultServer(users=20) as server:
        take = url_take(server.url, POOL, GROUP, flavour)
        first_page = take(page_size=7, stop_after=3)
        second_page = take(page_size=7, stop_after=10)
        token = server.token_for(7)
    assert (first_page.exhausted, first_page.next_token) == (False, "cg1:skip:3:")
    assert (second_page.exhausted, second_page.next_token) == (False, f"cg1:skip:3:{token}")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_page_boundary(flavour: str) -> None:
    """After the last user of a page with a NextToken: not exhausted, the service's token."""
    with FaultServer(users=20) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7, stop_after=7)
        assert (state.exhausted, state.next_token) == (False, server.token_for(7))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_max_users_reached_inside_the_group(flavour: str) -> None:
    """max_users=10 of 20: not exhausted, a token that continues after user 10."""
    with FaultServer(users=20) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7, max_users=10)
        assert len(state.names) == 10
        assert (state.exhausted, state.next_token) == (False, server.token_for(10))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_group_smaller_than_max_users(flavour: str) -> None:
    """max_users=100 on a group of 20: all 20, exhausted, next_token None."""
    with FaultServer(users=20) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7, max_users=100)
    assert len(state.names) == 20
    assert (state.exhausted, state.next_token) == (True, None)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_empty_group(flavour: str) -> None:
    """An empty group, once asked: exhausted, next_token None."""
    with FaultServer(users=0) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7)
    assert state.names == []
    assert (state.exhausted, state.next_token) == (True, None)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_group_fully_consumed(flavour: str) -> None:
    """The last user returned: exhausted at once (no further request), next_token None."""
    with FaultServer(users=14) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7, stop_after=14)
        assert len(server.requests) == 2
    assert (state.exhausted, state.next_token) == (True, None)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_after_an_error(flavour: str) -> None:
    """After an error: not exhausted, next_token is the error's, after the last user returned."""
    script = {2: Fault("error", "InternalErrorException", status=500)}
    with FaultServer(users=20, script=script) as server:
        state = url_take(server.url, POOL, GROUP, flavour)(page_size=7)
        assert state.error is not None
        assert (state.exhausted, state.next_token) == (False, server.token_for(7))
    assert state.error.next_token == state.next_token


def test_page_iterator_rows() -> None:
    """The page iterator: fresh, after a page with a token, after the last page."""
    with FaultServer(users=10) as server:
        groups = CognitoGroups(region_name="us-east-1", endpoint_url=server.url)
        pages = groups.iter_pages(POOL, GROUP, page_size=7)
        assert (pages.exhausted, pages.next_token) == (False, None)
        first = next(pages)
        assert (pages.exhausted, pages.next_token) == (False, server.token_for(7))
        assert first.next_token == pages.next_token
        next(pages)
        assert (pages.exhausted, pages.next_token) == (True, None)


def test_prefetching_page_iterator_follows_returned_pages() -> None:
    """With prefetch, exhausted and next_token follow the pages returned, not those fetched."""
    with FaultServer(users=10) as server:
        groups = CognitoGroups(region_name="us-east-1", endpoint_url=server.url)
        with groups.iter_pages(POOL, GROUP, page_size=7, prefetch=True) as pages:
            next(pages)
            assert (pages.exhausted, pages.next_token) == (False, server.token_for(7))
            next(pages)
            assert (pages.exhausted, pages.next_token) == (True, None)


def test_async_page_iterator_rows() -> None:
    """The async page iterator: the same rows."""

    async def run(url: str) -> list[tuple[bool, str | None]]:
        async with AsyncCognitoGroups(
            region_name="us-east-1", endpoint_url=url, config=NO_RETRIES
        ) as groups:
            pages = groups.iter_pages(POOL, GROUP, page_size=7)
            seen = [(pages.exhausted, pages.next_token)]
            async for _ in pages:
                seen.append((pages.exhausted, pages.next_token))
            return seen

    with FaultServer(users=10) as server:
        seen = asyncio.run(run(server.url))
        assert seen == [(False, None), (False, server.token_for(7)), (True, None)]
