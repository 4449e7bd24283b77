"""Building CognitoGroups: its own client's config, or the caller's client used as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from cognito_groups import CognitoGroups, InvalidParameterError
from cognito_groups._client._config import merge_config

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


def _config(groups: CognitoGroups, name: str) -> Any:
    return getattr(groups.client.meta.config, name)


def _retries(groups: CognitoGroups) -> Any:
    return _config(groups, "retries")


def test_own_client_retries_in_standard_mode() -> None:
    """The library's own client uses botocore's standard retry mode."""
    groups = CognitoGroups(region_name="eu-west-1")
    assert _retries(groups)["mode"] == "standard"
    assert groups.client.meta.region_name == "eu-west-1"


def test_user_config_is_merged_over_the_default() -> None:
    """A caller's config wins where it speaks, and keeps the standard mode otherwise."""
    groups = CognitoGroups(config=Config(retries={"max_attempts": 7}, read_timeout=3))
    assert _retries(groups) == {"total_max_attempts": 8, "mode": "standard"}  # 7 retries
    assert _config(groups, "read_timeout") == 3


def test_user_config_can_choose_another_mode() -> None:
    """An explicit retry mode from the caller is kept."""
    groups = CognitoGroups(config=Config(retries={"mode": "adaptive"}))
    assert _retries(groups)["mode"] == "adaptive"


def test_building_a_client_leaks_nothing_into_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """Botocore writes into the retries dict while building; the next client must not see it."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    CognitoGroups()
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    assert _retries(CognitoGroups()) == {"mode": "standard"}


def test_callers_config_is_not_mutated() -> None:
    """The caller's Config (and its retries dict) is left exactly as it was."""
    retries: Any = {"max_attempts": 4}
    config = Config(retries=retries)
    CognitoGroups(config=config)
    assert retries == {"max_attempts": 4}
    assert getattr(config, "retries", None) is retries


def test_merge_gives_a_fresh_config_each_time() -> None:
    """Two merges never share their retries dict."""
    first, second = merge_config(None), merge_config(None)
    assert getattr(first, "retries", None) is not getattr(second, "retries", None)


def test_endpoint_and_session_are_used() -> None:
    """endpoint_url and session go into the client the library builds."""
    session = boto3.Session(region_name="ap-south-1")
    groups = CognitoGroups(session=session, endpoint_url="http://127.0.0.1:9")
    assert groups.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert groups.client.meta.region_name == "ap-south-1"


def test_given_client_is_used_as_it_is(raw_client: CognitoIdentityProviderClient) -> None:
    """A caller's client is used unchanged and not closed by close()."""
    before = dict(getattr(raw_client.meta.config, "retries", {}))
    with CognitoGroups(raw_client) as groups:
        assert groups.client is raw_client
    assert getattr(raw_client.meta.config, "retries", {}) == before


def test_own_client_is_closed_on_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The context manager closes the client it built (and only that one)."""
    closed: list[object] = []
    with CognitoGroups() as groups:
        client = groups.client
        monkeypatch.setattr(client, "close", lambda: closed.append(client))
        assert closed == []
    assert closed == [client]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"client": object()}, "client"),
        ({"session": "default"}, "session"),
        ({"region_name": ""}, "region_name"),
        ({"region_name": 5}, "region_name"),
        ({"endpoint_url": b"http://x"}, "endpoint_url"),
        ({"endpoint_url": "127.0.0.1:5000"}, "endpoint_url"),
        ({"endpoint_url": "ftp://example.com"}, "endpoint_url"),
        ({"endpoint_url": "http://[::1"}, "endpoint_url"),
        ({"region_name": "us east 1"}, "region_name"),
        ({"region_name": "us-east-1\n"}, "region_name"),
        ({"region_name": "-us"}, "region_name"),
        ({"config": {"retries": {}}}, "config"),
    ],
    # Stable ids (no object addresses), so that every xdist worker collects the same tests.
    ids=lambda v: type(v["client"]).__name__ if isinstance(v, dict) and "client" in v else str(v),
)
def test_bad_options_are_rejected(kwargs: dict[str, Any], parameter: str) -> None:
    """A wrong option type raises InvalidParameterError naming it."""
    with pytest.raises(InvalidParameterError) as caught:
        CognitoGroups(**kwargs)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize("option", ["session", "region_name", "endpoint_url", "config"])
def test_client_excludes_building_options(
    raw_client: CognitoIdentityProviderClient, option: str
) -> None:
    """client= with an option that builds a client is ambiguous: rejected, naming the option."""
    value: Any = {
        "session": boto3.Session(),
        "region_name": "us-east-1",
        "endpoint_url": "http://127.0.0.1:9",
        "config": Config(),
    }[option]
    with pytest.raises(InvalidParameterError, match="cannot be combined with client") as caught:
        CognitoGroups(raw_client, **{option: value})
    assert caught.value.parameter == option
