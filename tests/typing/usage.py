"""Usage examples checked by mypy --strict and pyright strict (never run by pytest).

Each line is what an application writes; `assert_type` pins what the checkers infer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import boto3
from botocore.exceptions import ClientError
from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
from typing_extensions import assert_type

import cognito_groups
from cognito_groups import (
    Attribute,
    CategoryBudget,
    CognitoGroups,
    CognitoGroupsError,
    DeliveryMedium,
    InvalidParameterError,
    MFAOption,
    Page,
    PageIterator,
    RequestBudget,
    ResourceNotFoundError,
    User,
    UserIterator,
    UserStatus,
)


def iterate_typed_users() -> None:
    users = cognito_groups.iter_users_in_group("us-east-1_AbC123", "admins")
    assert_type(users, UserIterator)
    for user in users:
        assert_type(user, User)
        assert_type(user.username, str)
        assert_type(user.attributes, tuple[Attribute, ...])
        assert_type(user.user_create_date, datetime | None)
        assert_type(user.enabled, bool | None)
        assert_type(user.user_status, UserStatus | None)
        assert_type(user.mfa_options, tuple[MFAOption, ...])
        assert_type(user.get_attribute("email"), str | None)
        assert_type(user.get_attribute("email", "n/a"), str | None)
        assert_type(user.email_verified, bool | None)
        for option in user.mfa_options:
            assert_type(option.delivery_medium, DeliveryMedium | None)
    assert_type(users.next_token, str | None)


def pass_a_typed_client(client: CognitoIdentityProviderClient) -> None:
    groups = CognitoGroups(client)
    assert_type(groups.client, CognitoIdentityProviderClient)
    pages = groups.iter_pages("us-east-1_AbC123", "admins", page_size=10)
    assert_type(pages, PageIterator)
    for page in pages:
        assert_type(page, Page)
        assert_type(page.users, tuple[User, ...])
        assert_type(page.next_token, str | None)
    cognito_groups.iter_users_in_group("us-east-1_AbC123", "admins", client=client)
    cognito_groups.iter_users_in_group("us-east-1_AbC123", "admins", client=groups)


def build_from_options(session: boto3.Session) -> None:
    with CognitoGroups(session=session, region_name="eu-west-1") as groups:
        assert_type(groups, CognitoGroups)
        users = groups.iter_users("eu-west-1_X1", "g", max_users=10)
        first_ten = list(users)
        assert_type(first_ten, list[User])
        groups.iter_users("eu-west-1_X1", "g", next_token=users.next_token)


def catch_typed_errors(groups: CognitoGroups) -> None:
    try:
        list(groups.iter_users("us-east-1_AbC123", "admins"))
    except ResourceNotFoundError as err:
        assert_type(err.code, str)
        assert_type(err.request_id, str | None)
        assert_type(err.http_status, int | None)
        assert_type(err.next_token, str | None)
    except InvalidParameterError as err:
        assert_type(err.reason_code, str | None)
        assert_type(err.parameter, str | None)
    except CognitoGroupsError as err:
        assert_type(err.next_token, str | None)
    except ClientError:  # our service errors are ClientErrors too
        pass


def statuses_the_library_does_not_know_yet(user: User) -> str | None:
    status = user.user_status
    if status is None or status.is_known:
        return None
    raw: str = status.value  # the value exactly as the service sent it
    return raw


def many_groups_within_the_quota(pool_id: str, saved: str | None) -> str | None:
    groups = CognitoGroups(region_name="us-east-1", max_rps=28)
    assert_type(groups.max_rps, float | None)
    for group in groups.iter_groups(pool_id):
        assert_type(group, cognito_groups.Group)
        assert_type(group.creation_date, datetime | None)
        assert_type(group.precedence, int | None)
    memberships = groups.iter_memberships(pool_id, ["admins", "devs"], concurrency=8)
    assert_type(memberships, cognito_groups.MembershipIterator)
    resumed = groups.iter_memberships(pool_id, checkpoint=saved)
    try:
        with resumed:
            for membership in resumed:
                assert_type(membership.group_name, str)
                assert_type(membership.user, User)
    except CognitoGroupsError as err:
        assert_type(err.group_name, str | None)
        return resumed.checkpoint
    assert_type(resumed.exhausted, bool)
    table = groups.groups_by_user(pool_id)
    assert_type(table, dict[str, frozenset[str]])
    return None


def read_the_budgets(groups: CognitoGroups) -> RequestBudget:
    budget: RequestBudget = groups.budget  # the class is importable, for annotations
    assert_type(budget.rate, float)
    assert_type(budget.ceiling, float)
    assert_type(budget.throttled, int)
    assert_type(budget.shared, Path | None)
    assert_type(groups.groups_budget, CategoryBudget)
    return groups.groups_budget.pool("us-east-1_AbC123")
