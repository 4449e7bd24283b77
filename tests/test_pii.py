"""No personal data or tokens in reprs, in error messages, or in logs above DEBUG."""

from __future__ import annotations

import logging

import pytest
from botocore.config import Config

from cognito_groups import CognitoGroups, CognitoGroupsError, Page

from .fault_server import GROUP, POOL, Fault, FaultServer
from .users import numbered_user

#: Two attempts; a read timeout no loaded machine comes near (what fails here is scripted).
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, read_timeout=10)


def _secrets(server: FaultServer) -> list[str]:
    """Usernames, attribute values and tokens of the first two pages."""
    values = []
    for index in range(120):
        user = numbered_user(index)
        values.append(user["Username"])
        values.extend(a["Value"] for a in user["Attributes"] if a["Value"] not in {"true", "false"})
    values.extend(server.token_for(offset) for offset in (60, 120))
    return values


@pytest.mark.parametrize(
    "fault",
    [
        Fault("malformed"),
        Fault("truncated"),
        Fault("error", "TooManyRequestsException"),
        Fault("repeat_token"),
    ],
    ids=lambda fault: fault.kind if fault.kind != "error" else fault.code,
)
def test_logs_and_errors_hold_no_personal_data(
    caplog: pytest.LogCaptureFixture, fault: Fault
) -> None:
    """A listing that fails on page 3 leaks nothing personal.

    Not in our logs (at any level), in any logger's records above DEBUG, or in the error.
    """
    caplog.set_level(logging.DEBUG)
    with FaultServer(users=300, script=lambda n, _r: fault if n >= 3 else None) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1", config=CONFIG)
        with pytest.raises(CognitoGroupsError) as caught:
            for _ in groups.iter_users(POOL, GROUP):
                pass
        secrets = _secrets(server)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("cognito_groups")]
    assert ours  # the library does log, at DEBUG
    louder = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    for text in [*ours, *louder, str(caught.value), repr(caught.value)]:
        for secret in secrets:
            assert secret not in text


def test_reprs_of_a_whole_page_hide_values() -> None:
    """repr() and str() of a real page and its users name attributes, never values."""
    with FaultServer(users=5) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        page: Page = next(groups.iter_pages(POOL, GROUP, page_size=3))
        secrets = _secrets(server)
    shown = [repr(page), str(page), *map(repr, page.users), *map(str, page.users)]
    shown += [repr(a) for user in page.users for a in user.attributes]
    for text in shown:
        for secret in secrets:
            assert secret not in text
    assert "email" in repr(page.users[0])
