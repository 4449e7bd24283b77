"""A client the library builds for a listing is closed with it; a client you pass never is.

Seen from the server: a closed client leaves no connection open (the fault server counts them).
"""

from __future__ import annotations

import asyncio

import pytest

import cognito_groups
from cognito_groups import AsyncCognitoGroups, ClientSetupError, CognitoGroups, InternalError

from .fault_server import GROUP, POOL, Fault, FaultServer

FAULT_USERS = 20


@pytest.fixture
def server(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> FaultServer:
    """The fault server (conftest's), which every default client goes to; no retries."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return server


def fail_from_now_on(server: FaultServer) -> None:
    server.script = lambda n, _: Fault("error", "InternalErrorException", status=500)


def test_default_client_closed_when_the_listing_ends(server: FaultServer) -> None:
    """iter_users_in_group(client=None): the listing ends, its client's connections close."""
    users = list(cognito_groups.iter_users_in_group(POOL, GROUP, page_size=7))
    assert len(users) == 20
    assert server.wait_until_no_connection_is_open()


def test_listing_ends_when_it_fails(server: FaultServer) -> None:
    """The listing fails: the iterator ends (no more requests), no connection stays open.

    (botocore keeps a failed response's connection out of the pool, in the error's chain; it
    closes as soon as the error is dropped, which the library's own frames never delay.)
    """
    iterator = cognito_groups.iter_users_in_group(POOL, GROUP, page_size=7)
    assert next(iterator).username == "user-00000"
    fail_from_now_on(server)
    with pytest.raises(InternalError):
        list(iterator)
    sent = len(server.requests)
    assert list(iterator) == []
    assert len(server.requests) == sent
    assert server.wait_until_no_connection_is_open()
    assert iterator.next_token == server.token_for(7)


def test_default_client_closed_on_close(server: FaultServer) -> None:
    """A break, then close() (or the end of a with block): the connections close."""
    with cognito_groups.iter_users_in_group(POOL, GROUP, page_size=7) as iterator:
        next(iterator)
        assert server.open_connections == 1
    assert server.wait_until_no_connection_is_open()
    assert list(iterator) == []  # a closed iterator ends; next_token still resumes
    assert iterator.next_token == "cg1:skip:1:"


def test_a_client_you_pass_stays_open(server: FaultServer) -> None:
    """The control: with a client of the caller's, the connection stays open afterwards."""
    groups = CognitoGroups(region_name="us-east-1")
    users = list(cognito_groups.iter_users_in_group(POOL, GROUP, client=groups.client))
    assert len(users) == 20
    assert not server.wait_until_no_connection_is_open(timeout=0.5)
    groups.close()  # CognitoGroups built it, so CognitoGroups closes it
    assert server.wait_until_no_connection_is_open()


def test_async_facade_aclose(server: FaultServer) -> None:
    """AsyncCognitoGroups.aclose() closes the client it built; using it after says so."""

    async def run() -> int:
        groups = AsyncCognitoGroups(region_name="us-east-1")
        await groups.__aenter__()
        count = len([user async for user in groups.iter_users(POOL, GROUP)])
        await groups.aclose()
        with pytest.raises(ClientSetupError):
            groups.iter_users(POOL, GROUP)
        await groups.aclose()  # idempotent
        return count

    assert asyncio.run(run()) == 20
    assert server.wait_until_no_connection_is_open()


def test_async_default_client_closed_when_the_listing_ends(server: FaultServer) -> None:
    """aiter_users_in_group(client=None) closes its client when the listing ends."""

    async def run() -> int:
        return len([u async for u in cognito_groups.aiter_users_in_group(POOL, GROUP)])

    assert asyncio.run(run()) == 20
    assert server.wait_until_no_connection_is_open()
