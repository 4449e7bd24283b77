"""Exact resume: stop anywhere, on any back end, and a new listing yields exactly the rest.

A group of N=130 members, page sizes 60 and 7, on moto in-process, a moto server and the fault
server (sync and async): after a ``break`` after k users, after ``max_users=k``, and after an
error injected at each page, ``next_token`` resumes with no user skipped or repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups import CognitoGroups, InternalError, InvalidParameterError

from .fault_server import GROUP as FAULT_GROUP
from .fault_server import POOL as FAULT_POOL
from .fault_server import Fault, FaultServer
from .listing import KeptAsyncClient, Take, sync_take, url_take

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from cognito_groups.demo import DemoPool

    from .conftest import ServedPool

N = 130
KS = [1, 10, 59, 60, 61, 100, N - 1]
PAGE_SIZES = [60, 7]


@dataclass
class Backend:
    """A way to list one group of N members, and the whole group in its order."""

    take: Take
    expected: list[str]


@pytest.fixture(scope="module")
def fault_server() -> Iterator[FaultServer]:
    """A fault server with no faults: N members, real paging."""
    with FaultServer(users=N) as server:
        yield server


BACKENDS = ["moto", "moto_server-sync", "moto_server-async", "fault-sync", "fault-async"]


@pytest.fixture(scope="module")
def backends(
    moto_pool: tuple[CognitoIdentityProviderClient, DemoPool],
    served_pool: ServedPool,
    fault_server: FaultServer,
) -> Iterator[dict[str, Backend]]:
    """Each back end once per module: one client each (async: one loop), the group listed."""
    served = served_pool.pool
    moto_client, moto = moto_pool
    kept = [KeptAsyncClient(served_pool.url), KeptAsyncClient(fault_server.url)]
    takes: dict[str, Take] = {
        "moto": sync_take(CognitoGroups(moto_client), moto.user_pool_id, moto.group_name),
        "moto_server-sync": url_take(
            served_pool.url, served.user_pool_id, served.group_name, "sync"
        ),
        "moto_server-async": kept[0].take(served.user_pool_id, served.group_name),
        "fault-sync": url_take(fault_server.url, FAULT_POOL, FAULT_GROUP, "sync"),
        "fault-async": kept[1].take(FAULT_POOL, FAULT_GROUP),
    }
    found: dict[str, Backend] = {}
    for name, take in takes.items():
        whole = take(page_size=60)
        assert whole.error is None
        assert len(whole.names) == len(set(whole.names)) == N
        found[name] = Backend(take, whole.names)
    yield found
    for client in kept:
        client.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> Backend:
    """Every scenario on each back end."""
    return backends[request.param]


@pytest.mark.parametrize("page_size", PAGE_SIZES)
@pytest.mark.parametrize("k", KS)
def test_resume_after_break(backend: Backend, k: int, page_size: int) -> None:
    """A break after k users, then next_token: exactly the other N-k users."""
    first = backend.take(page_size=page_size, stop_after=k)
    assert first.names == backend.expected[:k]
    assert not first.exhausted
    rest = backend.take(page_size=page_size, next_token=first.next_token)
    assert first.names + rest.names == backend.expected
    assert (rest.next_token, rest.exhausted) == (None, True)


@pytest.mark.parametrize("page_size", PAGE_SIZES)
@pytest.mark.parametrize("k", KS)
def test_resume_after_max_users(backend: Backend, k: int, page_size: int) -> None:
    """max_users=k, then next_token: exactly the other N-k users."""
    first = backend.take(page_size=page_size, max_users=k)
    assert first.names == backend.expected[:k]
    assert not first.exhausted
    assert first.next_token is not None
    rest = backend.take(page_size=page_size, next_token=first.next_token)
    assert first.names + rest.names == backend.expected
    assert rest.exhausted


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_resume_loop_in_batches(backend: Backend, page_size: int) -> None:
    """`while not exhausted`, max_users=45 at a time: every member once, then exhausted."""
    names: list[str] = []
    token = None
    batches = 0
    while True:
        batch = backend.take(page_size=page_size, max_users=45, next_token=token)
        names += batch.names
        batches += 1
        if batch.exhausted:
            break
        token = batch.next_token
    assert names == backend.expected
    assert batches == 3


# --- errors ------------------------------------------------------------------------------


def failing_at(request_number: int, **server: Any) -> FaultServer:
    """A fault server whose request ``request_number`` fails with a 500."""
    fault = Fault("error", "InternalErrorException", status=500)
    return FaultServer(users=N, script={request_number: fault}, **server)


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(
    ("page_size", "page"),
    [(60, page) for page in (1, 2, 3)] + [(7, page) for page in range(1, 20)],
)
def test_resume_after_an_error_at_each_page(flavour: str, page_size: int, page: int) -> None:
    """An error on page p: the users before it, then err.next_token gives exactly the rest."""
    with failing_at(page) as server:
        take = url_take(server.url, FAULT_POOL, FAULT_GROUP, flavour)
        first = take(page_size=page_size)
        assert isinstance(first.error, InternalError)
        assert first.names == server.usernames(0, (page - 1) * page_size)
        assert first.next_token == first.error.next_token
        assert not first.exhausted
        rest = take(page_size=page_size, next_token=first.error.next_token)
    assert first.names + rest.names == server.usernames()
    assert rest.exhausted


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_error_on_a_resumed_mid_page_listing(flavour: str) -> None:
    """An error on the first request from a mid-page token gives back that same token."""
    with failing_at(3) as server:
        take = url_take(server.url, FAULT_POOL, FAULT_GROUP, flavour)
        first = take(page_size=7, stop_after=10)  # requests 1 and 2
        assert first.error is None
        failed = take(page_size=7, next_token=first.next_token)
        assert isinstance(failed.error, InternalError)
        assert failed.names == []
        assert failed.error.next_token == first.next_token
        rest = take(page_size=7, next_token=failed.error.next_token)
    assert first.names + rest.names == server.usernames()


# --- what is sent -------------------------------------------------------------------------


def test_resuming_mid_page_fetches_only_the_skipped_users_again() -> None:
    """From "k users into the page", the first request asks for k + page_size users, no more."""
    with FaultServer(users=N) as server:
        take = url_take(server.url, FAULT_POOL, FAULT_GROUP, "sync")
        first = take(page_size=7, stop_after=10)  # the page from token(7), 3 users into it
        assert first.next_token == f"cg1:skip:3:{server.token_for(7)}"
        sent_before = len(server.requests)
        rest = take(page_size=7, next_token=first.next_token, max_users=20)
    assert rest.names == server.usernames(10, 30)
    sent = [request.params for request in server.requests[sent_before:]]
    assert [(p.get("NextToken"), p["Limit"]) for p in sent] == [
        (server.token_for(7), 10),  # 3 to skip, 7 wanted
        (server.token_for(17), 7),
        (server.token_for(24), 6),  # the last 6 of max_users=20
    ]


def test_a_skip_larger_than_the_page_carries_over() -> None:
    """A token that skips more users than a page holds skips on into the next page."""
    with FaultServer(users=N) as server:
        take = url_take(server.url, FAULT_POOL, FAULT_GROUP, "sync")
        rest = take(page_size=7, next_token="cg1:skip:100:")  # as from a server ignoring Limit
    assert rest.names == server.usernames(100)


# --- servers that ignore Limit -----------------------------------------------------------


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("served", [N, 45], ids=["one-page-like-cognito-local", "pages-of-45"])
def test_max_users_on_a_server_that_ignores_limit(flavour: str, served: int) -> None:
    """max_users=5 gives 5 users and a token inside the page; resuming gives the rest."""
    with FaultServer(users=N, ignore_limit_with=served) as server:
        take = url_take(server.url, FAULT_POOL, FAULT_GROUP, flavour)
        first = take(page_size=60, max_users=5)
        assert first.error is None
        assert first.names == server.usernames(0, 5)
        assert (first.next_token, first.exhausted) == ("cg1:skip:5:", False)
        second = take(page_size=60, max_users=70, next_token=first.next_token)
        assert second.names == server.usernames(5, 75)
        rest = take(page_size=60, next_token=second.next_token)
    assert first.names + second.names + rest.names == server.usernames()
    assert rest.exhausted


def test_page_iterator_cuts_an_over_long_page() -> None:
    """iter_pages(max_users=) returns a page cut to what is still wanted, with an exact token."""
    with FaultServer(users=N, ignore_limit_with=N) as server:
        groups = CognitoGroups(region_name="us-east-1", endpoint_url=server.url)
        pages = groups.iter_pages(FAULT_POOL, FAULT_GROUP, max_users=5)
        page = next(pages)
        assert [user.username for user in page.users] == server.usernames(0, 5)
        assert page.next_token == pages.next_token == "cg1:skip:5:"
        assert list(pages) == []
        assert not pages.exhausted


# --- our tokens, validated ----------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "cg1:skip:",
        "cg1:skip:5",
        "cg1:skip:x:abc",
        "cg1:skip:05:abc",
        "cg1:skip:-1:abc",
        "cg1:skip:1234567890:abc",
        "cg1:skip:٣:abc",  # a non-ASCII digit
        "cg1:skip:5:" + "a" * 131_073,
    ],
)
def test_malformed_tokens_of_ours_are_refused(token: str) -> None:
    """A malformed token of ours is an InvalidParameterError naming next_token; nothing sent."""
    with FaultServer(users=N) as server:
        groups = CognitoGroups(region_name="us-east-1", endpoint_url=server.url)
        with pytest.raises(InvalidParameterError) as caught:
            groups.iter_users(FAULT_POOL, FAULT_GROUP, next_token=token)
        assert server.requests == []
    assert caught.value.parameter == "next_token"
    assert "abc" not in caught.value.message  # a token is never quoted


def test_a_service_token_that_looks_like_ours_is_wrapped() -> None:
    """A service token starting with our prefix is handed out wrapped, and sent back as is."""
    from cognito_groups._listing._position import Position, parse_position

    odd = "cg1:skip:7:looks-like-ours"
    token = Position(odd).to_token()
    assert token == "cg1:skip:0:" + odd
    assert parse_position(token) == Position(odd)
    assert parse_position("plain") == Position("plain")
