"""Async usage examples checked by mypy --strict and pyright strict (never run by pytest)."""

from __future__ import annotations

from aiobotocore.session import get_session
from types_aiobotocore_cognito_idp import CognitoIdentityProviderClient
from typing_extensions import assert_type

import cognito_groups
from cognito_groups import (
    AsyncCognitoGroups,
    AsyncPageIterator,
    AsyncUserIterator,
    CognitoGroupsError,
    Page,
    User,
)


async def iterate_with_own_client() -> None:
    async with AsyncCognitoGroups(region_name="us-east-1") as groups:
        assert_type(groups, AsyncCognitoGroups)
        users = groups.iter_users("us-east-1_AbC123", "admins", max_users=100)
        assert_type(users, AsyncUserIterator)
        async for user in users:
            assert_type(user, User)
            assert_type(user.get_attribute("email"), str | None)
        assert_type(users.next_token, str | None)


async def iterate_pages_with_a_typed_client(client: CognitoIdentityProviderClient) -> None:
    pages = AsyncCognitoGroups(client).iter_pages("us-east-1_AbC123", "admins")
    assert_type(pages, AsyncPageIterator)
    async for page in pages:
        assert_type(page, Page)


async def build_from_a_session() -> None:
    async with AsyncCognitoGroups(session=get_session(), endpoint_url="http://127.0.0.1:5000"):
        pass


async def module_function(client: CognitoIdentityProviderClient) -> list[str]:
    names: list[str] = []
    try:
        async for user in cognito_groups.aiter_users_in_group(
            "us-east-1_AbC123", "admins", client=client
        ):
            names.append(user.username)
    except CognitoGroupsError as err:
        assert_type(err.next_token, str | None)
    return names


async def many_groups_within_the_quota(pool_id: str, saved: str | None) -> str:
    async with AsyncCognitoGroups(region_name="us-east-1", max_rps=28) as groups:
        async for group in groups.iter_groups(pool_id):
            assert_type(group.group_name, str)
        memberships = groups.iter_memberships(pool_id, checkpoint=saved, concurrency=8)
        assert_type(memberships, cognito_groups.AsyncMembershipIterator)
        try:
            async for membership in memberships:
                assert_type(membership.group_name, str)
        finally:
            await memberships.aclose()
        table = await groups.groups_by_user(pool_id)
        assert_type(table, dict[str, frozenset[str]])
        return memberships.checkpoint
