"""End to end against moto: a group of 130 users in a pool of 150 comes back exactly once."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups import CognitoGroups, ResourceNotFoundError, TooManyRequestsError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from cognito_groups.demo import DemoPool

Pool = tuple["CognitoIdentityProviderClient", "DemoPool"]


def _expected(moto_pool: Pool) -> set[str]:
    client, pool = moto_pool
    names: set[str] = set()
    token: dict[str, Any] = {}
    while True:  # raw boto3, independent of the library
        response = client.list_users_in_group(
            UserPoolId=pool.user_pool_id, GroupName=pool.group_name, Limit=60, **token
        )
        names.update(user["Username"] for user in response["Users"])
        if not response.get("NextToken"):
            return names
        token = {"NextToken": response["NextToken"]}


@pytest.mark.parametrize("page_size", [1, 7, 60])
def test_whole_group_exactly_once(moto_pool: Pool, page_size: int) -> None:
    """Every member once, no outsider, for page sizes 1, 7 and 60."""
    client, pool = moto_pool
    users = list(
        CognitoGroups(client).iter_users(pool.user_pool_id, pool.group_name, page_size=page_size)
    )
    counts = Counter(user.username for user in users)
    assert len(users) == pool.group_size == 130
    assert set(counts) == _expected(moto_pool)
    assert max(counts.values()) == 1
    assert all(user.user_create_date is not None for user in users)


@pytest.mark.parametrize(("page_size", "max_users"), [(1, 5), (7, 20), (60, 61), (60, 130)])
def test_resume_after_max_users(moto_pool: Pool, page_size: int, max_users: int) -> None:
    """Listing in chunks of max_users, resuming from next_token, gives the group exactly once."""
    client, pool = moto_pool
    groups = CognitoGroups(client)
    seen: list[str] = []
    token: str | None = None
    for _ in range(200):
        chunk = groups.iter_users(
            pool.user_pool_id,
            pool.group_name,
            page_size=page_size,
            max_users=max_users,
            next_token=token,
        )
        names = [user.username for user in chunk]
        assert len(names) <= max_users
        seen.extend(names)
        token = chunk.next_token
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 130


class FailOnce:
    """Wraps a real client; the request with the given token fails once with throttling."""

    def __init__(self, client: CognitoIdentityProviderClient, fail_at_call: int) -> None:
        self._client = client
        self._fail_at_call = fail_at_call
        self.calls = 0

    def list_users_in_group(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self._fail_at_call:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}},
                "ListUsersInGroup",
            )
        return self._client.list_users_in_group(**kwargs)


def test_resume_after_an_injected_error(moto_pool: Pool) -> None:
    """An error on page 3 carries the token of page 3; resuming completes the group once."""
    client, pool = moto_pool
    flaky = FailOnce(client, fail_at_call=3)
    groups = CognitoGroups(flaky)  # type: ignore[arg-type]
    seen: list[str] = []
    iterator = groups.iter_users(pool.user_pool_id, pool.group_name, page_size=10)
    with pytest.raises(TooManyRequestsError) as caught:
        seen.extend(user.username for user in iterator)
    assert len(seen) == 20
    assert caught.value.next_token is not None
    assert caught.value.next_token == iterator.next_token
    seen.extend(
        user.username
        for user in groups.iter_users(
            pool.user_pool_id, pool.group_name, page_size=10, next_token=caught.value.next_token
        )
    )
    assert len(seen) == len(set(seen)) == 130


def test_missing_group_and_pool(moto_pool: Pool) -> None:
    """Moto's not-found answers become ResourceNotFoundError."""
    client, pool = moto_pool
    groups = CognitoGroups(client)
    with pytest.raises(ResourceNotFoundError):
        list(groups.iter_users(pool.user_pool_id, "no-such-group"))
    with pytest.raises(ResourceNotFoundError):
        list(groups.iter_users("us-east-1_Missing", pool.group_name))


def test_demo_pool_has_mixed_states(moto_pool: Pool) -> None:
    """The seeded pool mixes statuses and disabled users, as the demo promises."""
    client, pool = moto_pool
    users = list(CognitoGroups(client).iter_users(pool.user_pool_id, pool.group_name))
    statuses = {str(user.user_status) for user in users}
    assert {"CONFIRMED", "FORCE_CHANGE_PASSWORD", "UNCONFIRMED", "RESET_REQUIRED"} <= statuses
    assert any(user.enabled is False for user in users)
    assert all(user.email and user.get_attribute("custom:team") for user in users)
