"""Prefetch: the next page is fetched in a thread; what the caller sees does not change."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from botocore.config import Config

from cognito_groups import CognitoGroups, InternalError, InvalidParameterError

from .fault_server import GROUP, POOL, Fault, FaultServer

CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1})


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cognito-groups-prefetch")]


def wait_for_no_prefetch_thread(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert prefetch_threads() == []


FAULT_USERS = 130


def groups_for(server: FaultServer) -> CognitoGroups:
    return CognitoGroups(endpoint_url=server.url, region_name="us-east-1", config=CONFIG)


def test_same_users_and_requests_as_sequential(server: FaultServer) -> None:
    """Prefetching lists the same users, with the same number of requests, and ends its thread."""
    groups = groups_for(server)
    sequential = [u.username for u in groups.iter_users(POOL, GROUP, page_size=25)]
    requests = len(server.requests)
    prefetched = [u.username for u in groups.iter_users(POOL, GROUP, page_size=25, prefetch=True)]
    assert prefetched == sequential == server.usernames()
    assert len(server.requests) == 2 * requests
    wait_for_no_prefetch_thread()


def test_next_token_counts_returned_pages_only(server: FaultServer) -> None:
    """While page 2 is fetched ahead, next_token still points right after page 1."""
    pages = groups_for(server).iter_pages(POOL, GROUP, prefetch=True)
    assert pages.next_token is None
    next(pages)
    deadline = time.monotonic() + 5
    while len(server.requests) < 2 and time.monotonic() < deadline:  # page 2 is being fetched
        time.sleep(0.01)
    assert pages.next_token == server.token_for(60)
    pages.close()


def test_max_users_requests_nothing_more(server: FaultServer) -> None:
    """With max_users, nothing past the last wanted page is requested, and next_token resumes."""
    users = groups_for(server).iter_users(POOL, GROUP, max_users=70, prefetch=True)
    assert [u.username for u in users] == server.usernames(0, 70)
    assert [r.params["Limit"] for r in server.requests] == [60, 10]
    assert users.next_token == server.token_for(70)
    wait_for_no_prefetch_thread()


def test_errors_come_at_the_same_place(server: FaultServer) -> None:
    """A failure fetching page 3 is raised after pages 1 and 2, with page 3's token."""
    server.script = {3: Fault("error", "InternalErrorException", status=500)}
    seen: list[str] = []
    with pytest.raises(InternalError) as caught:
        seen.extend(u.username for u in groups_for(server).iter_users(POOL, GROUP, prefetch=True))
    assert seen == server.usernames(0, 120)
    assert caught.value.next_token == server.token_for(120)
    wait_for_no_prefetch_thread()
    server.script = {}
    rest = groups_for(server).iter_users(POOL, GROUP, next_token=caught.value.next_token)
    assert seen + [u.username for u in rest] == server.usernames()


def test_close_stops_the_thread(server: FaultServer) -> None:
    """close() after the first page: the thread ends, at most one page was fetched ahead."""
    with groups_for(server).iter_users(POOL, GROUP, prefetch=True) as users:
        next(users)
    wait_for_no_prefetch_thread()
    assert len(server.requests) <= 2


def test_abandoned_iterator_stops_its_thread(server: FaultServer) -> None:
    """An iterator dropped mid-way (no close) ends its thread once collected."""
    pages = groups_for(server).iter_pages(POOL, GROUP, page_size=10, prefetch=True)
    next(pages)
    del pages
    gc.collect()
    wait_for_no_prefetch_thread()


def test_prefetch_must_be_a_bool(server: FaultServer) -> None:
    """prefetch="yes" is rejected like any bad parameter."""
    with pytest.raises(InvalidParameterError) as caught:
        groups_for(server).iter_users(POOL, GROUP, prefetch="yes")  # type: ignore[arg-type]
    assert caught.value.parameter == "prefetch"
    assert server.requests == []
