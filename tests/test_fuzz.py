"""Bad input, fuzzed, on every public entry point and parameter.

Each call either is accepted or raises InvalidParameterError naming the parameter; nothing else
is raised and nothing reaches the server.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aiobotocore.session import AioSession
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cognito_groups
from cognito_groups import AsyncCognitoGroups, CognitoGroups, InvalidParameterError

from .fault_server import GROUP, POOL, FaultServer

if TYPE_CHECKING:
    from collections.abc import Iterator

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Zs", "Cc", "Cs", "Zl"]), max_size=8),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=3), st.integers(1, 200_000)),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=2),
    st.just(" us-east-1_AbC123"),
    st.just("us-east-1_AbC123 "),
    st.just("admins\n"),
)
VALID: dict[str, Any] = {
    "user_pool_id": POOL,
    "group_name": GROUP,
    "page_size": 60,
    "max_users": None,
    "next_token": None,
}
SYNC_ONLY = {"prefetch": False}
LIST_PARAMETERS = sorted(VALID)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    """A fault server that must never see a request from these tests."""
    with FaultServer(users=10) as fault_server:
        yield fault_server
        assert fault_server.requests == []


@pytest.fixture(scope="module")
def groups(server: FaultServer) -> CognitoGroups:
    return CognitoGroups(endpoint_url=server.url, region_name="us-east-1")


def _arguments(
    data: st.DataObject, parameters: list[str] = LIST_PARAMETERS
) -> tuple[dict[str, Any], set[str]]:
    """Valid arguments with some of them replaced by junk; returns them and the junk names."""
    fuzzed = data.draw(st.sets(st.sampled_from(parameters), min_size=1))
    arguments = dict(VALID)
    if "prefetch" in parameters:
        arguments.update(SYNC_ONLY)
    for name in fuzzed:
        arguments[name] = data.draw(JUNK, label=name)
    return arguments, fuzzed


def _check(call: Any, arguments: dict[str, Any], fuzzed: set[str]) -> None:
    """The call returns (valid input) or raises InvalidParameterError naming a fuzzed parameter."""
    error = _raised(call, arguments)
    if error is not None:
        assert error.parameter in fuzzed
        assert error.message.startswith(f"{error.parameter}: ")


def _raised(call: Any, arguments: dict[str, Any]) -> InvalidParameterError | None:
    """The InvalidParameterError the call raised, or None; any other exception propagates."""
    try:
        call(**arguments)
    except InvalidParameterError as err:
        return err
    return None


ENTRY_POINTS = ["iter_users", "iter_pages", "iter_users_in_group"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), entry=st.sampled_from(ENTRY_POINTS))
def test_sync_entry_points(
    server: FaultServer, groups: CognitoGroups, data: st.DataObject, entry: str
) -> None:
    """iter_users, iter_pages and iter_users_in_group under junk arguments (prefetch too)."""
    arguments, fuzzed = _arguments(data, [*LIST_PARAMETERS, "prefetch"])
    if entry == "iter_users_in_group":
        arguments["client"] = groups
        call: Any = cognito_groups.iter_users_in_group
    else:
        call = getattr(groups, entry)
    _check(call, arguments, fuzzed)
    assert server.requests == []


@pytest.fixture(scope="module")
def async_groups(server: FaultServer) -> Iterator[AsyncCognitoGroups]:
    """An entered AsyncCognitoGroups on the fault server (its iter_* validate synchronously)."""
    loop = asyncio.new_event_loop()
    groups = AsyncCognitoGroups(endpoint_url=server.url, region_name="us-east-1")
    loop.run_until_complete(groups.__aenter__())
    yield groups
    loop.run_until_complete(groups.__aexit__(None, None, None))
    loop.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), entry=st.sampled_from(ENTRY_POINTS))
def test_async_entry_points(
    server: FaultServer, async_groups: AsyncCognitoGroups, data: st.DataObject, entry: str
) -> None:
    """The async twins under the same junk."""
    arguments, fuzzed = _arguments(data)
    if entry == "iter_users_in_group":
        arguments["client"] = async_groups
        call: Any = cognito_groups.aiter_users_in_group
    else:
        call = getattr(async_groups, entry)
    _check(call, arguments, fuzzed)
    assert server.requests == []


CONSTRUCTOR_JUNK = st.one_of(JUNK, st.just(boto3.Session()), st.just(Config()), st.just(object()))
REGIONS = st.one_of(
    st.none(), st.just("eu-west-1"), st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True)
)
URLS = st.one_of(st.none(), st.just("http://127.0.0.1:9"), st.just("https://[::1]:443"))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), cls=st.sampled_from([CognitoGroups, AsyncCognitoGroups]))
def test_constructors(data: st.DataObject, cls: Any) -> None:
    """CognitoGroups/AsyncCognitoGroups options: valid, or InvalidParameterError naming one."""
    session = boto3.Session() if cls is CognitoGroups else AioSession()
    options: dict[str, Any] = {
        "session": data.draw(st.one_of(st.just(session), CONSTRUCTOR_JUNK), label="session"),
        "region_name": data.draw(st.one_of(REGIONS, JUNK), label="region_name"),
        "endpoint_url": data.draw(st.one_of(URLS, JUNK), label="endpoint_url"),
        "config": data.draw(st.one_of(st.just(Config()), CONSTRUCTOR_JUNK), label="config"),
    }
    if data.draw(st.booleans(), label="with client"):
        options["client"] = data.draw(st.one_of(JUNK, st.just(object())), label="client")
    error = _raised(cls, options)
    if error is not None:
        # The parameter named is the one at fault: without it, the same complaint goes away.
        assert error.parameter in options
        rest = {name: value for name, value in options.items() if name != error.parameter}
        again = _raised(cls, rest)
        assert again is None or again.parameter != error.parameter
