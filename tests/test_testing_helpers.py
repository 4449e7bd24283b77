"""cognito_groups.testing: the helpers applications use to test their own code."""

from __future__ import annotations

import doctest
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import StubAssertionError

import cognito_groups.demo
import cognito_groups.testing
from cognito_groups import InvalidParameterError, TooManyRequestsError, User, UserStatus
from cognito_groups.testing import GroupStub, make_page, make_user

if TYPE_CHECKING:
    from pathlib import Path


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


def scratch_pytest(folder: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run pytest in a new project ``folder`` (this environment, cognito-groups installed)."""
    for name, text in files.items():
        (folder / name).write_text(text)
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_the_plugin_costs_other_projects_nothing(tmp_path: Path) -> None:
    """In a project that does not opt in, pytest imports neither the package nor boto3."""
    result = scratch_pytest(
        tmp_path,
        {
            "test_other.py": "import sys\n\n"
            "def test_nothing_heavy_was_imported():\n"
            "    assert 'boto3' not in sys.modules\n"
            "    assert 'cognito_groups' not in sys.modules\n"
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    from importlib.metadata import entry_points

    assert "cognito_groups" not in {ep.name for ep in entry_points(group="pytest11")}


def test_opting_in_gives_the_fixture(tmp_path: Path) -> None:
    """A project that opts in to the pytest plugin gets the cognito_stub fixture."""
    result = scratch_pytest(
        tmp_path,
        {
            "conftest.py": 'pytest_plugins = ["cognito_groups.pytest_plugin"]\n',
            "test_app.py": "def test_stub(cognito_stub):\n"
            "    cognito_stub.add_group(3)\n"
            "    groups = cognito_stub.groups\n"
            "    assert len(list(groups.iter_users(cognito_stub.user_pool_id, "
            "cognito_stub.group_name))) == 3\n",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
