"""The UTC fast path is used only on sessions the library creates; callers' are untouched."""

from __future__ import annotations

import copy
from datetime import timezone
from typing import TYPE_CHECKING, Any

import boto3

from cognito_groups import AsyncCognitoGroups, CognitoGroups
from cognito_groups._client._config import new_cognito_client
from cognito_groups._client._session import own_session
from cognito_groups.testing import _fake_session

from .fault_server import GROUP, POOL, FaultServer

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

FAULT_USERS = 70


def _raw_create_date(client: object) -> object:
    response = client.list_users_in_group(UserPoolId=POOL, GroupName=GROUP, Limit=1)  # type: ignore[attr-defined]
    return response["Users"][0]["UserCreateDate"]


def test_own_client_parses_straight_to_utc(server: FaultServer) -> None:
    """The library's own client gives UTC datetimes from botocore's parser already."""
    groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
    assert _raw_create_date(groups.client).tzinfo is timezone.utc  # type: ignore[attr-defined]
    user = next(groups.iter_users(POOL, GROUP))
    assert user.user_create_date is not None
    assert user.user_create_date.tzinfo is timezone.utc


def test_callers_session_is_not_changed(server: FaultServer) -> None:
    """CognitoGroups(session=s) leaves s as it was: its clients still parse as botocore does."""
    session = boto3.Session(region_name="us-east-1")
    groups = CognitoGroups(session=session, endpoint_url=server.url)
    converted = next(groups.iter_users(POOL, GROUP))
    fresh = session.client("cognito-idp", endpoint_url=server.url)
    raw = _raw_create_date(fresh)
    assert raw.tzinfo is not timezone.utc  # type: ignore[attr-defined]
    assert converted.user_create_date == raw  # same moment, converted to UTC by the library
    assert converted.user_create_date is not None
    assert converted.user_create_date.tzinfo is timezone.utc


def test_callers_client_is_not_changed(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CognitoGroups(client) leaves the client's config, handlers and parsing as they were.

    Handlers: every public way to add or remove one on the client's events is spied on.
    """
    client = new_cognito_client(boto3.Session(region_name="us-east-1"), endpoint_url=server.url)
    config_before = copy.deepcopy(vars(client.meta.config))
    changes: list[str] = []
    events = client.meta.events
    for name in ("register", "register_first", "register_last", "unregister"):
        original = getattr(events, name)

        def spy(*args: object, _name: str = name, _original: Any = original, **kw: object) -> Any:
            changes.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(events, name, spy)
    users = list(CognitoGroups(client).iter_users(POOL, GROUP, prefetch=True))
    assert len(users) == 70
    assert vars(client.meta.config) == config_before
    assert changes == []
    assert _raw_create_date(client).tzinfo is not timezone.utc  # type: ignore[attr-defined]


def test_async_own_session_is_fast_too(server: FaultServer) -> None:
    """AsyncCognitoGroups' own aiobotocore session also parses straight to UTC."""
    import asyncio

    async def run() -> object:
        async with AsyncCognitoGroups(endpoint_url=server.url, region_name="us-east-1") as groups:
            response = await groups.client.list_users_in_group(
                UserPoolId=POOL, GroupName=GROUP, Limit=1
            )
            return response["Users"][0].get("UserCreateDate")

    assert asyncio.run(run()).tzinfo is timezone.utc  # type: ignore[attr-defined]


def test_sessions_the_library_makes_read_botocores_data_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Facades of one process share one data loader (per data path); a caller's keeps its own."""
    first, second = own_session(None), own_session(None)
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    stubs = _fake_session()._session.get_component("data_loader")
    assert stubs is loader  # a GroupStub per test: the models parsed once
    callers = boto3.Session(region_name="us-east-1")
    assert own_session(callers) is callers
    assert callers._session.get_component("data_loader") is not loader
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    elsewhere = own_session(None)._session.get_component("data_loader")
    assert elsewhere is not loader
    assert str(tmp_path) in elsewhere.search_paths
