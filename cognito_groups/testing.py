"""Helpers for testing code that uses cognito-groups, without AWS and without moto.

Built on botocore's `Stubber`, so every queued response and every request
your code sends is checked against the real service model.

Examples:
    >>> from cognito_groups import TooManyRequestsError
    >>> from cognito_groups.testing import GroupStub
    >>> with GroupStub() as stub:
    ...     _ = stub.add_group(500, error_on_page=3, error=TooManyRequestsError)
    ...     users = []
    ...     try:
    ...         users.extend(stub.groups.iter_users(stub.user_pool_id, stub.group_name))
    ...     except TooManyRequestsError as err:
    ...         print(len(users), err.next_token)
    120 token-3

With pytest, the ``cognito_stub`` fixture (opt in: ``pytest_plugins =
["cognito_groups.pytest_plugin"]`` in your ``conftest.py``) gives a
[`GroupStub`][cognito_groups.testing.GroupStub] and checks at teardown that every queued
response was used.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from botocore.stub import Stubber

from cognito_groups._client._closing import Closing
from cognito_groups._client._config import new_cognito_client
from cognito_groups._client._session import with_shared_data
from cognito_groups._client._sync import CognitoGroups
from cognito_groups._errors import CognitoServiceError, InternalError
from cognito_groups._listing._paginate import PageRequestPlan
from cognito_groups._listing._position import START, Position
from cognito_groups._listing._validate import ListRequest

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import boto3
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

__all__ = ["GroupStub", "expected_params", "make_page", "make_user"]

_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
_HTTP_STATUS = {"InternalErrorException": 500}


def make_user(
    username: str = "user",
    *,
    email: str | None = None,
    user_status: str = "CONFIRMED",
    enabled: bool = True,
    attributes: Mapping[str, str] | None = None,
    created: datetime = _EPOCH,
    mfa_phone: bool = False,
) -> dict[str, Any]:
    """A user as the service sends it (a ``UserType`` dict), from a few keyword arguments.

    Args:
        username: The user's name.
        email: Adds ``email`` and ``email_verified="true"`` attributes.
        user_status: Any status string (unknown ones included).
        enabled: Whether the user is enabled.
        attributes: More attributes, name to value.
        created: Both dates (the service sends them; a stub keeps them as given).
        mfa_phone: Adds the legacy SMS MFA option on ``phone_number``.
    """
    values: dict[str, str] = {}
    if email is not None:
        values.update(email=email, email_verified="true")
    values.update(attributes or {})
    user: dict[str, Any] = {
        "Username": username,
        "Attributes": [{"Name": name, "Value": value} for name, value in values.items()],
        "UserCreateDate": created,
        "UserLastModifiedDate": created,
        "Enabled": enabled,
        "UserStatus": user_status,
    }
    if mfa_phone:
        user["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    return user


def expected_params(
    user_pool_id: str, group_name: str, *, limit: int = 60, sent_token: str | None = None
) -> dict[str, Any]:
    """The ``ListUsersInGroup`` parameters the library sends for one page.

    Built by the library's own request plan, so the rules (``Limit`` always sent, ``NextToken``
    only when there is one) live in one place.

    Args:
        user_pool_id: The pool.
        group_name: The group.
        limit: The page size asked for.
        sent_token: The service token the request carries (``None``: the first page).
    """
    start = START if sent_token is None else Position(sent_token, 0)
    params = PageRequestPlan(
        ListRequest(user_pool_id, group_name, limit, None, start)
    ).next_params()
    if params is None:  # pragma: no cover (a plan that starts is never over)
        raise AssertionError("no request")
    return params


def make_page(users: Sequence[Mapping[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    """A ``ListUsersInGroup`` response holding ``users`` (see `make_user()`)."""
    page: dict[str, Any] = {"Users": list(users)}
    if next_token is not None:
        page["NextToken"] = next_token
    return page


class GroupStub(Closing):
    """A `CognitoGroups` on a stubbed client, and ways to queue what the service says.

    Args:
        client: A boto3 ``cognito-idp`` client to stub (default: a new one with fake
            credentials in ``us-east-1``, which never reaches AWS).
        user_pool_id: The pool the queued responses expect.
        group_name: The group the queued responses expect.
    """

    def __init__(
        self,
        client: CognitoIdentityProviderClient | None = None,
        *,
        user_pool_id: str = "us-east-1_Stub1",
        group_name: str = "stubbed",
    ) -> None:
        if client is None:
            client = new_cognito_client(_fake_session())
        self.client = client
        self.user_pool_id = user_pool_id
        self.group_name = group_name
        self.stubber = Stubber(client)
        self.stubber.activate()
        #: A CognitoGroups wired to the stubbed client: hand it to the code under test.
        self.groups = CognitoGroups(client)

    def _params(self, limit: int, token: str | None, group_name: str | None) -> dict[str, Any]:
        group = self.group_name if group_name is None else group_name
        return expected_params(self.user_pool_id, group, limit=limit, sent_token=token)

    def add_page(
        self,
        users: Sequence[Mapping[str, Any]],
        *,
        next_token: str | None = None,
        sent_token: str | None = None,
        limit: int = 60,
        group_name: str | None = None,
    ) -> None:
        """Queue one page, expecting a request with ``Limit=limit`` and ``sent_token``.

        ``group_name`` is the group the request must name (default: the stub's).
        """
        self.stubber.add_response(
            "list_users_in_group",
            make_page(users, next_token),
            self._params(limit, sent_token, group_name),
        )

    def add_error(
        self,
        error: type[CognitoServiceError] | str = InternalError,
        *,
        message: str = "stubbed error",
        sent_token: str | None = None,
        limit: int = 60,
        reason_code: str | None = None,
        group_name: str | None = None,
    ) -> None:
        """Queue an error (one of our classes, or any service code) for the next request."""
        code = error if isinstance(error, str) else (error.error_code or "ServiceException")
        modeled: dict[str, Any] | None = None
        if reason_code is not None:
            modeled = {"message": message, "reasonCode": reason_code}
        self.stubber.add_client_error(
            "list_users_in_group",
            service_error_code=code,
            service_message=message,
            http_status_code=_HTTP_STATUS.get(code, 400),
            expected_params=self._params(limit, sent_token, group_name),
            modeled_fields=modeled,
        )

    def add_group(
        self,
        users: int | Sequence[Mapping[str, Any]],
        *,
        page_size: int = 60,
        error_on_page: int | None = None,
        error: type[CognitoServiceError] | str = InternalError,
        then_resume: bool = False,
        group_name: str | None = None,
    ) -> list[dict[str, Any]]:
        """Queue a whole group, split into pages of ``page_size``, tokens ``token-2``, ….

        For ``iter_memberships``, queue `add_group_list()` (unless you pass ``group_names``)
        and then each group in the pool's order with its ``group_name``, and list with
        ``concurrency=1``: the requests then come in that fixed order (a stub answers in the
        order it was given).

        Args:
            users: How many users to make (``user-0000``, … with emails), or the users.
            page_size: The page size the code under test asks for.
            error_on_page: Answer the request for this page (1-based) with ``error``
                instead; the pages after it are not queued (the listing stops there).
            error: The error class (or service code) for ``error_on_page``.
            then_resume: After the error, queue the failed page and the rest again, as a
                caller resuming from ``err.next_token`` would ask for them.
            group_name: The group the requests must name (default: the stub's).

        Returns:
            The users queued, as the service would send them.
        """
        prefix = "user" if group_name is None else group_name
        members = (
            [
                make_user(f"{prefix}-{i:04d}", email=f"{prefix}-{i:04d}@example.com")
                for i in range(users)
            ]
            if isinstance(users, int)
            else [dict(user) for user in users]
        )
        pages = max(1, math.ceil(len(members) / page_size))
        for number in range(1, pages + 1):
            sent = None if number == 1 else f"token-{number}"
            if number == error_on_page:
                self.add_error(error, sent_token=sent, limit=page_size, group_name=group_name)
                if not then_resume:
                    break
            chunk = members[(number - 1) * page_size : number * page_size]
            following = f"token-{number + 1}" if number < pages else None
            self.add_page(
                chunk,
                next_token=following,
                sent_token=sent,
                limit=page_size,
                group_name=group_name,
            )
        return members

    def add_group_list(self, group_names: Sequence[str], *, page_size: int = 60) -> None:
        """Queue the pool's groups (``ListGroups``), in pages of ``page_size``."""
        names = list(group_names)
        pages = max(1, math.ceil(len(names) / page_size))
        for number in range(1, pages + 1):
            chunk = names[(number - 1) * page_size : number * page_size]
            response: dict[str, Any] = {
                "Groups": [
                    {"GroupName": name, "UserPoolId": self.user_pool_id, "CreationDate": _EPOCH}
                    for name in chunk
                ]
            }
            if number < pages:
                response["NextToken"] = f"groups-token-{number + 1}"
            expected: dict[str, Any] = {"UserPoolId": self.user_pool_id, "Limit": page_size}
            if number > 1:
                expected["NextToken"] = f"groups-token-{number}"
            self.stubber.add_response("list_groups", response, expected)

    def assert_all_used(self) -> None:
        """Fail if a queued response was never asked for."""
        self.stubber.assert_no_pending_responses()

    def close(self) -> None:
        """Stop stubbing the client."""
        self.stubber.deactivate()


def _fake_session() -> boto3.Session:
    """A session with fake keys that reads botocore's data once a process (a stub per test)."""
    import boto3
    import botocore.session

    return boto3.Session(
        aws_access_key_id="stub",
        aws_secret_access_key="stub",  # noqa: S106 (a stubbed client sends nothing)
        region_name="us-east-1",
        botocore_session=with_shared_data(botocore.session.get_session()),
    )
