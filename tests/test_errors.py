"""Every failure becomes one precise, chained error of ours that says where to resume."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import cognito_groups
from cognito_groups import (
    CognitoGroups,
    CognitoGroupsError,
    CognitoServiceError,
    ConnectionFailedError,
    CredentialsError,
    InternalError,
    InvalidParameterError,
    NotAuthorizedError,
    OperationNotEnabledError,
    RegionError,
    RequestTimeoutError,
    ResourceNotFoundError,
    TooManyRequestsError,
    TransportError,
)
from cognito_groups._errors import translate_error

from . import servers
from .conftest import GROUP, POOL, add_page, params

if TYPE_CHECKING:
    from collections.abc import Iterator

    from botocore.stub import Stubber

MAPPED = [
    ("InvalidParameterException", InvalidParameterError, 400),
    ("ResourceNotFoundException", ResourceNotFoundError, 400),
    ("TooManyRequestsException", TooManyRequestsError, 400),
    ("NotAuthorizedException", NotAuthorizedError, 400),
    ("InternalErrorException", InternalError, 500),
    ("OperationNotEnabledException", OperationNotEnabledError, 400),
]


def _operation_errors() -> list[str]:
    """The error shapes botocore's own model declares for ListUsersInGroup and ListGroups."""
    model = botocore.session.get_session().get_service_model("cognito-idp")
    operations = ("ListUsersInGroup", "ListGroups")
    return sorted(
        {shape.name for name in operations for shape in model.operation_model(name).error_shapes}
    )


@pytest.mark.parametrize("code", _operation_errors())
def test_every_declared_error_has_a_class(code: str) -> None:
    """Each error shape the service model declares for the operation maps to its own class."""
    err = ClientError({"Error": {"Code": code, "Message": "m"}}, "ListUsersInGroup")
    ours = translate_error(err, next_token=None)
    assert type(ours) is not CognitoServiceError
    assert type(ours).error_code == code  # type: ignore[attr-defined]


@pytest.mark.parametrize(("code", "cls", "status"), MAPPED, ids=[m[0] for m in MAPPED])
def test_service_error_codes_map_to_classes(
    groups: CognitoGroups, stubber: Stubber, code: str, cls: type[CognitoServiceError], status: int
) -> None:
    """A service error on page 2 raises its class, chained, with every attribute and the token."""
    add_page(stubber, ["a"], next_token="t1")
    stubber.add_client_error(
        "list_users_in_group",
        service_error_code=code,
        service_message="it went wrong",
        http_status_code=status,
        expected_params=params(token="t1"),
        response_meta={"RequestId": "req-123"},
    )
    iterator = groups.iter_users(POOL, GROUP)
    assert next(iterator).username == "a"
    with pytest.raises(cls) as caught:
        next(iterator)
    err = caught.value
    assert type(err) is cls
    assert isinstance(err, ClientError)
    assert isinstance(err, CognitoGroupsError)
    assert isinstance(err.__cause__, ClientError)
    assert (err.code, err.message, err.http_status, err.request_id) == (
        code,
        "it went wrong",
        status,
        "req-123",
    )
    assert err.operation_name == "ListUsersInGroup"
    assert err.next_token == "t1"
    assert err.response is err.__cause__.response


def test_existing_client_error_handlers_keep_working(
    groups: CognitoGroups, stubber: Stubber
) -> None:
    """`except ClientError` still catches our errors, with the usual response dict."""
    stubber.add_client_error("list_users_in_group", "ResourceNotFoundException", "no group")
    with pytest.raises(ClientError) as caught:
        list(groups.iter_users(POOL, GROUP))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_invalid_parameter_carries_reason_code(groups: CognitoGroups, stubber: Stubber) -> None:
    """InvalidParameterException's reasonCode becomes reason_code."""
    stubber.add_client_error(
        "list_users_in_group",
        "InvalidParameterException",
        "bad token",
        modeled_fields={"message": "bad token", "reasonCode": "INVALID_TOKEN"},
    )
    with pytest.raises(InvalidParameterError) as caught:
        list(groups.iter_users(POOL, GROUP))
    assert caught.value.reason_code == "INVALID_TOKEN"
    assert caught.value.parameter is None
    assert caught.value.next_token is None


@pytest.mark.parametrize("code", ["AccessDeniedException", "InvalidToken"])
def test_unknown_codes_raise_the_generic_service_error(
    groups: CognitoGroups, stubber: Stubber, code: str
) -> None:
    """A code without a class of its own is a CognitoServiceError with the code kept."""
    stubber.add_client_error("list_users_in_group", code, "nope", 400)
    with pytest.raises(CognitoServiceError) as caught:
        list(groups.iter_users(POOL, GROUP))
    assert type(caught.value) is CognitoServiceError
    assert caught.value.code == code


def test_service_errors_pickle(groups: CognitoGroups, stubber: Stubber) -> None:
    """Errors survive pickling (multiprocessing, task queues) with their token."""
    stubber.add_client_error("list_users_in_group", "TooManyRequestsException", "slow down")
    with pytest.raises(TooManyRequestsError) as caught:
        list(groups.iter_users(POOL, GROUP, next_token="t9"))
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 (our own object)
    assert type(copy) is TooManyRequestsError
    assert (copy.code, copy.next_token) == ("TooManyRequestsException", "t9")


FAST_FAIL = Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=0.5)


def test_unreachable_endpoint_is_a_connection_error() -> None:
    """Nothing listening at the endpoint: ConnectionFailedError, chained, token kept."""
    groups = CognitoGroups(endpoint_url=f"http://127.0.0.1:{servers.free_port()}", config=FAST_FAIL)
    with pytest.raises(ConnectionFailedError) as caught:
        list(groups.iter_users(POOL, GROUP, next_token="t5"))
    assert isinstance(caught.value, TransportError)
    assert isinstance(caught.value.__cause__, botocore.exceptions.EndpointConnectionError)
    assert caught.value.next_token == "t5"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections and never answers; stopped after."""
    with servers.silent_server() as silent:
        yield silent.url


def test_read_timeout_is_a_timeout_error(silent_server: str) -> None:
    """A response that never comes: RequestTimeoutError after read_timeout, not a hang."""
    groups = CognitoGroups(endpoint_url=silent_server, config=FAST_FAIL)
    with pytest.raises(RequestTimeoutError) as caught:
        list(groups.iter_users(POOL, GROUP))
    assert isinstance(caught.value.__cause__, botocore.exceptions.ReadTimeoutError)
    assert caught.value.next_token is None


def test_missing_credentials_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere: CredentialsError when the first request is signed."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    groups = CognitoGroups(config=FAST_FAIL)
    with pytest.raises(CredentialsError) as caught:
        next(groups.iter_users(POOL, GROUP))
    assert isinstance(caught.value.__cause__, botocore.exceptions.NoCredentialsError)


def test_missing_region_is_a_region_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Region anywhere, nor in the pool id: RegionError when the first listing builds it."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    groups = CognitoGroups()
    with pytest.raises(RegionError) as caught:
        groups.iter_users("local_AbC123", GROUP)
    assert isinstance(caught.value.__cause__, botocore.exceptions.NoRegionError)
    assert isinstance(caught.value, cognito_groups.ClientSetupError)


def test_unknown_profile_is_a_setup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile that does not exist: ClientSetupError from the ProfileNotFound."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(cognito_groups.ClientSetupError) as caught:
        CognitoGroups()
    assert isinstance(caught.value.__cause__, botocore.exceptions.ProfileNotFound)


def test_unparseable_response_is_a_malformed_response_error() -> None:
    """A parser failure maps to MalformedResponseError without quoting the body."""
    from botocore.parsers import ResponseParserError

    ours = translate_error(ResponseParserError("body: secret@example.com"), next_token="t")
    assert isinstance(ours, cognito_groups.MalformedResponseError)
    assert "secret" not in str(ours)
    assert ours.next_token == "t"


def test_botocore_errors_of_no_family_are_not_translated() -> None:
    """translate_error refuses a botocore error of no family unless a fallback is named."""
    err = botocore.exceptions.ChecksumError(
        checksum_type="crc32", expected_checksum="1", actual_checksum="2"
    )
    with pytest.raises(TypeError, match="ChecksumError"):
        translate_error(err, next_token=None)
    assert type(translate_error(err, next_token=None, fallback=TransportError)) is TransportError


@pytest.mark.parametrize(
    "error",
    [
        botocore.exceptions.ParamValidationError(report="Limit: wrong type"),
        botocore.exceptions.StubAssertionError(operation_name="ListUsersInGroup", reason="x"),
        botocore.exceptions.UnStubbedResponseError(operation_name="ListUsersInGroup", reason="x"),
        botocore.exceptions.ChecksumError(
            checksum_type="crc32", expected_checksum="1", actual_checksum="2"
        ),
    ],
    ids=lambda err: type(err).__name__,
)
def test_programming_errors_propagate_unchanged(error: Exception) -> None:
    """A botocore error that is not a transport, credential or service error is not ours."""

    def call(**params: object) -> dict[str, object]:
        raise error

    groups = cognito_groups.CognitoGroups(_FakeClient(call))  # type: ignore[arg-type]
    with pytest.raises(type(error)) as caught:
        list(groups.iter_users("us-east-1_AbC123", "admins"))
    assert caught.value is error
    assert not isinstance(caught.value, cognito_groups.CognitoGroupsError)


class _FakeClient:
    """Just enough of a client: list_users_in_group is the given function."""

    def __init__(self, call: object) -> None:
        self.list_users_in_group = call
