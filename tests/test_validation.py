"""Bad input raises InvalidParameterError naming the parameter and the rule, sending nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import cognito_groups
from cognito_groups import CognitoGroups, InvalidParameterError

from .conftest import GROUP, POOL, add_page

if TYPE_CHECKING:
    from botocore.stub import Stubber

GOOD: dict[str, Any] = {
    "user_pool_id": POOL,
    "group_name": GROUP,
    "page_size": 60,
    "max_users": None,
    "next_token": None,
}

# (parameter, value, accepted?) — both sides of every bound, and every rule.
CASES: list[tuple[str, Any, bool]] = [
    ("user_pool_id", "a_b", True),
    ("user_pool_id", "us-east-1_AbC123", True),
    ("user_pool_id", "x" * 53 + "_1", True),  # 55 characters
    ("user_pool_id", "x" * 54 + "_1", False),  # 56 characters
    ("user_pool_id", "", False),
    ("user_pool_id", "us-east-1", False),  # no underscore part
    ("user_pool_id", "us-east-1_", False),
    ("user_pool_id", "us east-1_AbC", False),
    ("user_pool_id", "us-east-1_Ab-C", False),  # '-' not allowed after '_'
    ("user_pool_id", "é_abc", False),  # \w is ASCII
    ("user_pool_id", "us-east-1_AbC\n", False),
    ("user_pool_id", None, False),
    ("user_pool_id", 123, False),
    ("group_name", "a", True),
    ("group_name", "g" * 128, True),
    ("group_name", "g" * 129, False),
    ("group_name", "", False),
    ("group_name", "Admins-ÄÖ_日本+$", True),
    ("group_name", "two words", False),
    ("group_name", "tab\tname", False),
    ("group_name", "nul\x00", False),
    ("group_name", "\ud800", False),
    ("group_name", b"admins", False),
    ("page_size", 1, True),
    ("page_size", 60, True),
    ("page_size", 0, False),
    ("page_size", 61, False),
    ("page_size", -1, False),
    ("page_size", True, False),
    ("page_size", 10.0, False),
    ("page_size", "10", False),
    ("max_users", None, True),
    ("max_users", 1, True),
    ("max_users", 10**9, True),
    ("max_users", 0, False),
    ("max_users", -5, False),
    ("max_users", False, False),
    ("max_users", 1.5, False),
    ("next_token", None, True),
    ("next_token", "t", True),
    ("next_token", "x" * 131_072, True),
    ("next_token", "x" * 131_073, False),
    ("next_token", "", False),
    ("next_token", "has space", False),
    ("next_token", "trailing\n", False),
    ("next_token", "lone\udc80surrogate", False),
    ("next_token", 42, False),
]


def _call(entry: str, groups: CognitoGroups, arguments: dict[str, Any]) -> object:
    pool, group = arguments.pop("user_pool_id"), arguments.pop("group_name")
    if entry == "iter_users":
        return groups.iter_users(pool, group, **arguments)
    if entry == "iter_pages":
        return groups.iter_pages(pool, group, **arguments)
    return cognito_groups.iter_users_in_group(pool, group, client=groups, **arguments)


ENTRIES = ["iter_users", "iter_pages", "iter_users_in_group"]
TABLE = [
    pytest.param(entry, *case, id=f"{entry}-{case[0]}={case[1]!r:.20}")
    for entry in ENTRIES
    for case in CASES
]


@pytest.mark.parametrize(("entry", "parameter", "value", "accepted"), TABLE)
def test_validation_table(
    groups: CognitoGroups,
    stubber: Stubber,
    entry: str,
    parameter: str,
    value: Any,
    accepted: bool,
) -> None:
    """Each rule of the service model is enforced before sending, on every entry point."""
    arguments = {**GOOD, parameter: value}
    if accepted:
        _call(entry, groups, arguments)  # validation passes; nothing is sent until iterated
        return
    with pytest.raises(InvalidParameterError) as caught:
        _call(entry, groups, arguments)
    err = caught.value
    assert err.parameter == parameter
    assert err.message.startswith(f"{parameter}: ")
    assert err.code == "InvalidParameterException"
    assert (err.request_id, err.http_status, err.next_token) == (None, None, None)


def test_error_message_names_the_rule(groups: CognitoGroups) -> None:
    """The message says what was wrong and what the rule is."""
    with pytest.raises(InvalidParameterError, match=r"page_size: must be from 1 to 60.*got 100"):
        groups.iter_users(POOL, GROUP, page_size=100)


def test_token_value_is_never_echoed(groups: CognitoGroups) -> None:
    """A rejected token is not quoted in the message: it is as good as a credential."""
    with pytest.raises(InvalidParameterError) as caught:
        groups.iter_users(POOL, GROUP, next_token="secret token")
    assert "secret" not in str(caught.value)


def test_valid_call_then_sends(groups: CognitoGroups, stubber: Stubber) -> None:
    """After validation passes, iteration sends the request as usual."""
    add_page(stubber, ["a"], limit=1)
    assert [u.username for u in groups.iter_users(POOL, GROUP, page_size=1)] == ["a"]
