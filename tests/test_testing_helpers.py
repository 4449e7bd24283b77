"""cognito_groups.testing: the helpers applications use to test their own code."""

from __future__ import annotations

import doctest

import pytest
from botocore.exceptions import StubAssertionError

import cognito_groups.demo
import cognito_groups.testing
from cognito_groups import InvalidParameterError, TooManyRequestsError, User, UserStatus
from cognito_groups.testing import GroupStub, make_page, make_user


def test_downstream_style_500_users_9_pages_throttled_on_page_3(cognito_stub: GroupStub) -> None:
    """The acceptance example: 500 users in 9 pages, TooManyRequestsError on page 3."""
    cognito_stub.add_group(500, error_on_page=3, error=TooManyRequestsError)
    users: list[User] = []
    with pytest.raises(TooManyRequestsError) as caught:
        users.extend(
            cognito_stub.groups.iter_users(cognito_stub.user_pool_id, cognito_stub.group_name)
        )
    assert len(users) == 120
    assert caught.value.next_token == "token-3"


def test_whole_group_in_nine_pages(cognito_stub: GroupStub) -> None:
    """add_group(500) queues 9 pages that the library consumes exactly."""
    queued = cognito_stub.add_group(500)
    pages = list(cognito_stub.groups.iter_pages(cognito_stub.user_pool_id, cognito_stub.group_name))
    assert [len(page.users) for page in pages] == [60] * 8 + [20]
    assert [u.username for page in pages for u in page.users] == [u["Username"] for u in queued]


def test_page_size_and_custom_users(cognito_stub: GroupStub) -> None:
    """Given users and a page size, the stub expects exactly that Limit."""
    cognito_stub.add_group([make_user("a"), make_user("b"), make_user("c")], page_size=2)
    groups = cognito_stub.groups
    names = [u.username for u in groups.iter_users("us-east-1_Stub1", "stubbed", page_size=2)]
    assert names == ["a", "b", "c"]


def test_error_with_a_service_code_and_reason(cognito_stub: GroupStub) -> None:
    """add_error takes a raw code and a reason code too."""
    cognito_stub.add_error("InvalidParameterException", reason_code="INVALID_TOKEN")
    with pytest.raises(InvalidParameterError) as caught:
        list(cognito_stub.groups.iter_users(cognito_stub.user_pool_id, cognito_stub.group_name))
    assert caught.value.reason_code == "INVALID_TOKEN"


def test_make_user_converts_to_what_it_says() -> None:
    """make_user's keyword arguments land in the User."""
    wire = make_user("ana", email="ana@example.com", user_status="NEW", enabled=False,
                     attributes={"custom:team": "x"}, mfa_phone=True)  # fmt: skip
    page = make_page([wire], next_token="t")
    with GroupStub() as stub:
        stub.add_page(page["Users"], next_token="t")
        user = next(iter(next(stub.groups.iter_pages(stub.user_pool_id, stub.group_name)).users))
    assert (user.username, user.email, user.email_verified, user.enabled) == (
        "ana", "ana@example.com", True, False,
    )  # fmt: skip
    assert user.user_status is not None
    assert user.user_status.value == "NEW"
    assert user.user_status != UserStatus.CONFIRMED
    assert user.get_attribute("custom:team") == "x"
    assert len(user.mfa_options) == 1


def test_unused_responses_are_reported() -> None:
    """assert_all_used fails when the code under test stopped early."""
    with GroupStub() as stub:
        stub.add_group(130)
        next(stub.groups.iter_users(stub.user_pool_id, stub.group_name))
        with pytest.raises(AssertionError):
            stub.assert_all_used()


def test_unexpected_parameters_are_reported() -> None:
    """A request that differs from what was queued fails loudly, as botocore's own error."""
    with GroupStub() as stub:
        stub.add_group(10, page_size=60)
        with pytest.raises(StubAssertionError):
            list(stub.groups.iter_users(stub.user_pool_id, stub.group_name, page_size=5))


@pytest.mark.parametrize("module", [cognito_groups.testing, cognito_groups.demo])
def test_docstring_examples_run(module: object) -> None:
    """The examples in these modules' docstrings run as written."""
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_fixture_is_registered_as_a_pytest_plugin() -> None:
    """The package declares its plugin under pytest11, so applications get cognito_stub."""
    from importlib.metadata import entry_points

    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins["cognito_groups"] == "cognito_groups.pytest_plugin"
