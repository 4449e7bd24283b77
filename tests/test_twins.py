"""The sync and async twins mirror each other, and the three ways they had drifted apart."""

from __future__ import annotations

import ast
import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.parsers import ResponseParserError
from botocore.stub import Stubber

from cognito_groups import (
    AsyncCognitoGroups,
    ClientSetupError,
    CognitoGroups,
    ConnectionFailedError,
    InvalidParameterError,
    MalformedResponseError,
    Mirror,
    RegionError,
    aiter_users_in_group,
    iter_users_in_group,
)
from cognito_groups._client._config import new_cognito_client
from cognito_groups._errors import translate_error
from cognito_groups.demo import DemoPool, seed_demo_pool
from cognito_groups.testing import expected_params, make_page, make_user

from .conftest import GROUP, POOL, ServedPool

CLIENT = Path(__file__).parent.parent / "cognito_groups" / "_client"
#: Each sync module and its async twin.
TWINS = {"_iterators.py": "_async_iterators.py", "_sync.py": "_async.py"}


def public_classes(path: Path) -> list[str]:
    """The public classes a module defines, in order."""
    tree = ast.parse(path.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
    ]


@pytest.mark.parametrize(("sync", "async_"), TWINS.items(), ids=list(TWINS))
def test_each_sync_module_has_its_async_twin_class_for_class(sync: str, async_: str) -> None:
    """The async module defines ``Async<Name>`` for each class of the sync one, in order."""
    sync_classes = public_classes(CLIENT / sync)
    assert sync_classes
    assert public_classes(CLIENT / async_) == [f"Async{name}" for name in sync_classes]


@pytest.mark.parametrize("method", ["iter_pages", "iter_users", "iter_groups", "iter_memberships"])
def test_twin_methods_take_the_same_parameters(method: str) -> None:
    """A facade method and its async twin take the same parameters (the async one no prefetch)."""
    import inspect

    sync = inspect.signature(getattr(CognitoGroups, method)).parameters
    async_ = inspect.signature(getattr(AsyncCognitoGroups, method)).parameters
    assert [name for name in sync if name != "prefetch"] == list(async_)


# --- drift 1: the async module function had no Region fallback from the pool id -------------


def test_aiter_users_in_group_takes_the_region_from_the_pool_id(
    served_pool: ServedPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no Region configured, aiter_users_in_group() uses the pool id's, like its twin."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_ENDPOINT_URL", served_pool.url)
    pool, group = served_pool.pool.user_pool_id, served_pool.pool.group_name

    async def run() -> list[str]:
        return [user.username async for user in aiter_users_in_group(pool, group, max_users=4)]

    sync = [user.username for user in iter_users_in_group(pool, group, max_users=4)]
    assert asyncio.run(run()) == sync
    assert len(sync) == 4


# --- the facades had no Region fallback from the pool id, unlike the module functions -------


@pytest.fixture(scope="module")
def eu_pool(served_pool: ServedPool) -> DemoPool:
    """A pool of 6 users, 4 in its group, in eu-west-1 on the run's moto server."""
    client = new_cognito_client(region_name="eu-west-1", endpoint_url=served_pool.url)
    try:
        return seed_demo_pool(client, pool_size=6, group_size=4, group_name="eu-admins")
    finally:
        client.close()


@pytest.fixture
def no_region(served_pool: ServedPool, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Region configured anywhere; every client goes to the run's moto server."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_ENDPOINT_URL", served_pool.url)


@pytest.mark.usefixtures("no_region")
def test_the_facades_take_the_region_from_the_pool_id(eu_pool: DemoPool, tmp_path: Path) -> None:
    """No Region configured: CognitoGroups() and AsyncCognitoGroups() list in the pool's Region.

    Single groups, many groups and the mirror's sync, sync and async alike.
    """
    pool, group = eu_pool.user_pool_id, eu_pool.group_name
    assert pool.startswith("eu-west-1_")
    with CognitoGroups() as groups:
        users = sorted(user.username for user in groups.iter_users(pool, group))
        region = groups.client.meta.region_name
        members = sorted(m.user.username for m in groups.iter_memberships(pool, [group]))
    with Mirror(tmp_path / "mirror.db") as mirror:
        record = mirror.sync(CognitoGroups(), pool, [group])

    async def run() -> tuple[list[str], str, list[str]]:
        async with AsyncCognitoGroups() as groups:
            # Every group (ListGroups creates the client; ListUsersInGroup finds it), in pages
            # of 2 (the second request of a call reuses the client of its first).
            listing = groups.iter_memberships(pool, page_size=2)
            members = sorted([m.user.username async for m in listing])
            found = sorted([user.username async for user in groups.iter_users(pool, group)])
            return found, groups.client.meta.region_name, members

    assert (len(users), region, members) == (eu_pool.group_size, "eu-west-1", users)
    assert asyncio.run(run()) == (users, "eu-west-1", users)
    assert record.memberships == eu_pool.group_size


@pytest.mark.usefixtures("no_region")
def test_a_facade_without_region_refuses_a_pool_of_another_region(
    served_pool: ServedPool, eu_pool: DemoPool
) -> None:
    """Once it listed an eu-west-1 pool, a us-east-1 pool is refused, naming both Regions."""
    us_pool = served_pool.pool.user_pool_id
    assert us_pool.startswith("us-east-1_")
    expected = (
        f"user_pool_id: {us_pool!r} is in us-east-1, and this facade's client is in eu-west-1, "
        f"the Region of the first pool it listed ({eu_pool.user_pool_id!r}; none was given or "
        "configured): pass region_name=, or use one facade per Region"
    )
    with CognitoGroups() as groups:
        list(groups.iter_users(eu_pool.user_pool_id, eu_pool.group_name, max_users=1))
        with pytest.raises(InvalidParameterError) as caught:
            groups.iter_users(us_pool, "members")
        assert (caught.value.parameter, caught.value.message) == ("user_pool_id", expected)

    async def run() -> InvalidParameterError:
        async with AsyncCognitoGroups() as groups:
            users = groups.iter_users(eu_pool.user_pool_id, eu_pool.group_name, max_users=1)
            assert len([user async for user in users]) == 1
            with pytest.raises(InvalidParameterError) as caught:
                groups.iter_users(us_pool, "members")
            return caught.value

    error = asyncio.run(run())
    assert (error.parameter, error.message) == ("user_pool_id", expected)


@pytest.mark.usefixtures("no_region")
def test_a_listing_iterated_after_its_async_facade_closed_says_so(eu_pool: DemoPool) -> None:
    """Made inside `async with`, iterated after it: ClientSetupError, no client created."""

    async def run() -> None:
        async with AsyncCognitoGroups() as groups:
            users = groups.iter_users(eu_pool.user_pool_id, eu_pool.group_name)
        with pytest.raises(ClientSetupError, match="enter it first"):
            await anext(aiter(users))
        with pytest.raises(ClientSetupError, match="enter it first"):
            _ = groups.client

    asyncio.run(run())


def test_an_unreadable_aws_config_is_a_setup_error_of_both_facades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config file botocore cannot parse: ClientSetupError, building (sync), entering (async)."""
    config = tmp_path / "config"
    config.write_text("[default\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(ClientSetupError, match="Unable to parse config file"):
        CognitoGroups()

    async def run() -> None:
        async with AsyncCognitoGroups():
            pass  # pragma: no cover - entering fails

    with pytest.raises(ClientSetupError, match="Unable to parse config file"):
        asyncio.run(run())


@pytest.mark.usefixtures("no_region")
def test_a_facade_without_region_has_no_client_before_its_first_listing() -> None:
    """`client` before any listing: RegionError saying the first listing builds it."""
    with pytest.raises(RegionError, match="builds its client on its first listing"):
        _ = CognitoGroups().client

    async def run() -> None:
        async with AsyncCognitoGroups() as groups:
            with pytest.raises(RegionError, match="creates its client on its first request"):
                _ = groups.client

    asyncio.run(run())


# --- drift 2: the async iterators did not support `async with` -----------------------------


def stub_page(stubber: Stubber, names: list[str], token: str | None = None) -> None:
    """Queue one ListUsersInGroup page of POOL/GROUP with ``names``."""
    page = make_page([make_user(name) for name in names], next_token=token)
    stubber.add_response("list_users_in_group", page, expected_params(POOL, GROUP))


def in_stubbed_async_client(test: Any) -> Any:
    """Run ``test(cognito, stubber)`` with an AsyncCognitoGroups on a stubbed client."""

    async def run() -> Any:
        async with get_session().create_client("cognito-idp", region_name="us-east-1") as client:
            with Stubber(client) as stubber:
                result = await test(AsyncCognitoGroups(client), stubber)
                stubber.assert_no_pending_responses()
                return result

    return asyncio.run(run())


@pytest.mark.parametrize("method", ["iter_pages", "iter_users"])
def test_async_iterators_close_on_leaving_async_with(method: str) -> None:
    """Leaving ``async with`` closes the iterator: no more requests, nothing more yielded."""

    async def test(cognito: AsyncCognitoGroups, stubber: Stubber) -> tuple[Any, Any]:
        stub_page(stubber, ["ana", "ben"], token="t2")
        async with getattr(cognito, method)(POOL, GROUP) as iterator:
            first = await iterator.__anext__()
        rest = [item async for item in iterator]  # closed: ends at once, sends nothing
        return first, rest

    first, rest = in_stubbed_async_client(test)
    assert first is not None
    assert rest == []


def test_async_group_iterator_closes_on_leaving_async_with() -> None:
    """The async group iterator supports ``async with``, and stops listing on leaving it."""

    async def test(cognito: AsyncCognitoGroups, stubber: Stubber) -> list[str]:
        groups = {"Groups": [{"GroupName": "a"}, {"GroupName": "b"}], "NextToken": "t2"}
        stubber.add_response("list_groups", groups, {"UserPoolId": POOL, "Limit": 60})
        async with cognito.iter_groups(POOL) as iterator:
            first = await iterator.__anext__()
        return [first.group_name, *[group.group_name async for group in iterator]]

    assert in_stubbed_async_client(test) == ["a"]


def test_async_membership_iterator_closes_on_leaving_async_with() -> None:
    """The async membership iterator supports ``async with``; its checkpoint stays exact."""

    async def test(cognito: AsyncCognitoGroups, stubber: Stubber) -> tuple[str, list[Any]]:
        stub_page(stubber, ["ana", "ben"])
        async with cognito.iter_memberships(POOL, [GROUP]) as iterator:
            first = await iterator.__anext__()
        rest = [membership async for membership in iterator]
        resumed = cognito.iter_memberships(POOL, [GROUP], checkpoint=iterator.checkpoint)
        stub_page(stubber, ["ana", "ben"])
        again = [membership.user.username async for membership in resumed]
        return first.user.username, [rest, again]

    first, (rest, again) = in_stubbed_async_client(test)
    assert (first, rest, again) == ("ana", [], ["ben"])


# --- drift 3: a ListGroups failure was reported as a ListUsersInGroup one ---------------------


def test_an_unparsable_list_groups_response_names_list_groups() -> None:
    """The message and ``operation`` of a ListGroups parse failure say ListGroups."""
    error = translate_error(ResponseParserError("bad body"), operation="ListGroups")
    assert isinstance(error, MalformedResponseError)
    assert str(error) == "the ListGroups response could not be parsed"
    assert error.operation == "ListGroups"


def closed_port() -> int:
    """A port of 127.0.0.1 with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("method", "operation"),
    [("iter_groups", "ListGroups"), ("iter_users", "ListUsersInGroup")],
)
def test_a_transport_error_names_the_operation_that_failed(method: str, operation: str) -> None:
    """An error on the way says which operation failed, ListGroups included."""
    cognito = CognitoGroups(
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        config=Config(retries={"max_attempts": 1}),
    )
    arguments = (POOL,) if method == "iter_groups" else (POOL, GROUP)
    with cognito, pytest.raises(ConnectionFailedError) as caught:
        next(getattr(cognito, method)(*arguments))
    assert caught.value.operation == operation


# --- the module functions point their own client anywhere (issue 21, defect 13) -----------


def test_the_module_functions_take_region_and_endpoint(
    served_pool: ServedPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """iter_users_in_group() and its twin list at the endpoint and in the Region given."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    group = served_pool.pool.group_name
    options: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": served_pool.url}
    real = served_pool.pool.user_pool_id

    async def run() -> list[str]:
        users = aiter_users_in_group(real, group, max_users=3, **options)
        return [user.username async for user in users]

    sync = [user.username for user in iter_users_in_group(real, group, max_users=3, **options)]
    assert asyncio.run(run()) == sync
    assert len(sync) == 3


@pytest.mark.parametrize("function", [iter_users_in_group, aiter_users_in_group])
@pytest.mark.parametrize("option", ["region_name", "endpoint_url"])
def test_region_or_endpoint_with_a_client_is_refused(function: Any, option: str) -> None:
    """A client is used as it is: region_name or endpoint_url beside it is refused at once."""
    value = "us-east-1" if option == "region_name" else "http://127.0.0.1:9"
    with pytest.raises(InvalidParameterError) as caught:
        function(POOL, GROUP, client=object(), **{option: value})
    assert caught.value.parameter == option


@pytest.mark.parametrize("function", [iter_users_in_group, aiter_users_in_group])
def test_a_bad_endpoint_is_refused_before_a_client_is_built(function: Any) -> None:
    """endpoint_url is checked as the facades check it, before anything is built or sent."""
    with pytest.raises(InvalidParameterError) as caught:
        function(POOL, GROUP, endpoint_url="not a url")
    assert caught.value.parameter == "endpoint_url"
