"""The fault matrix: no user lost or duplicated, every failure typed and resumable, no hang.

Each cell runs with the sync and the async client against the fault server on 127.0.0.1, and
asserts the users delivered, the requests made, the error (class and ``next_token``), and that
resuming from the error completes the group exactly once.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config

from cognito_groups import (
    CognitoGroups,
    ConnectionFailedError,
    InternalError,
    InvalidParameterError,
    MalformedResponseError,
    PaginationError,
    RequestTimeoutError,
    TooManyRequestsError,
    User,
)
from cognito_groups._client._config import new_cognito_client

from .fault_server import GROUP, POOL, Fault, FaultServer
from .listing import FLAVOURS, Outcome, list_once

if TYPE_CHECKING:
    from collections.abc import Callable

N = 130  # three pages of 60: 60, 60, 10
ATTEMPTS = 3  # in all, the first included
#: Retries as in production, and timeouts no loaded machine comes near: the request counts
#: these tests assert must not depend on how fast the machine answers.
CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    connect_timeout=5,
    read_timeout=10,
)
#: For the stall test: a read timeout far below the stall (which lasts until the server
#: stops) and far above what a loaded machine takes to answer a page.
STALL_SECONDS = 60.0
STALL_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    connect_timeout=5,
    read_timeout=2,
)


def list_group(
    flavour: str, url: str, next_token: str | None = None, config: Config = CONFIG, **options: Any
) -> Outcome:
    """List the fault server's group once with ``flavour``'s facade, retrying as configured."""
    return list_once(flavour, url, POOL, GROUP, config=config, next_token=next_token, **options)


LISTERS: dict[str, Callable[..., Outcome]] = {
    name: functools.partial(list_group, name) for name in FLAVOURS
}


@pytest.fixture
def lister(flavour: str) -> Callable[..., Outcome]:
    """Every cell runs with both clients."""
    return LISTERS[flavour]


def on(*numbers: int, fault: Fault) -> dict[int, Fault]:
    """A script: ``fault`` on these request numbers (retries count as requests)."""
    return dict.fromkeys(numbers, fault)


def always_from(first: int, fault: Fault) -> Callable[[int, object], Fault | None]:
    """A script: ``fault`` on every request from number ``first`` on."""
    return lambda number, _request: fault if number >= first else None


def assert_resumes(server: FaultServer, outcome: Outcome, lister: Callable[..., Outcome]) -> None:
    """Resuming from the error's token completes the group: every user exactly once."""
    assert outcome.error is not None
    server.script = {}
    rest = lister(server.url, next_token=outcome.error.next_token)
    assert rest.error is None
    assert Counter(outcome.names + rest.names) == Counter(server.usernames())


THROTTLE = Fault("error", "TooManyRequestsException", status=400, message="Rate exceeded")
INTERNAL = Fault("error", "InternalErrorException", status=500, message="oops")
RESET = Fault("close_before_headers")


def test_throttled_fewer_times_than_attempts_completes(lister: Callable[..., Outcome]) -> None:
    """TooManyRequests twice on page 2 (3 attempts): retried, completes; 3 pages + 2 retries."""
    with FaultServer(users=N, script=on(2, 3, fault=THROTTLE)) as server:
        outcome = lister(server.url)
    assert outcome.error is None
    assert outcome.names == server.usernames()
    assert len(server.requests) == 3 + 2


def test_throttled_on_every_attempt(lister: Callable[..., Outcome]) -> None:
    """TooManyRequests on every attempt at page 2: TooManyRequestsError with page 2's token."""
    with FaultServer(users=N, script=always_from(2, THROTTLE)) as server:
        outcome = lister(server.url)
        assert isinstance(outcome.error, TooManyRequestsError)
        assert outcome.error.next_token == server.token_for(60)
        assert outcome.names == server.usernames(0, 60)
        assert len(server.requests) == 1 + ATTEMPTS  # retries are bounded: 3 attempts
        assert_resumes(server, outcome, lister)


@pytest.mark.parametrize("fault", [INTERNAL, RESET], ids=["internal-error", "connection-reset"])
def test_transient_fault_once_is_retried(lister: Callable[..., Outcome], fault: Fault) -> None:
    """A 500 or a reset connection once, on page 2: retried by botocore, the listing completes."""
    with FaultServer(users=N, script=on(2, fault=fault)) as server:
        outcome = lister(server.url)
    assert outcome.error is None
    assert outcome.names == server.usernames()
    assert len(server.requests) == 3 + 1


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [(INTERNAL, InternalError), (RESET, ConnectionFailedError)],
    ids=["internal-error", "connection-reset"],
)
def test_transient_fault_always_is_a_typed_error(
    lister: Callable[..., Outcome], fault: Fault, error_class: type[Exception]
) -> None:
    """A 500 or a reset on every attempt at page 3: its class, with page 3's token."""
    with FaultServer(users=N, script=always_from(3, fault)) as server:
        outcome = lister(server.url)
        assert type(outcome.error) is error_class
        assert outcome.error is not None
        assert outcome.error.next_token == server.token_for(120)
        assert outcome.names == server.usernames(0, 120)
        assert len(server.requests) == 2 + ATTEMPTS
        assert_resumes(server, outcome, lister)


def test_stalled_response_times_out(lister: Callable[..., Outcome]) -> None:
    """A response slower than read_timeout on every attempt: RequestTimeoutError, no hang."""
    stall = Fault("stall", seconds=STALL_SECONDS)
    with FaultServer(users=N) as server:
        page_2 = server.token_for(60)
        # Page 2's requests stall, whatever their number (a late page 1 may be retried too).
        server.script = lambda _number, request: (
            stall if request.params.get("NextToken") == page_2 else None
        )
        started = time.monotonic()
        outcome = lister(server.url, config=STALL_CONFIG)
        assert time.monotonic() - started < STALL_SECONDS  # only catches a hang (3 timeouts of 2 s)
        assert isinstance(outcome.error, RequestTimeoutError)
        assert outcome.error.next_token == page_2
        assert outcome.names == server.usernames(0, 60)
        tokens = [request.params.get("NextToken") for request in server.requests]
        assert tokens.count(page_2) == ATTEMPTS  # retries are bounded: 3 attempts
        assert_resumes(server, outcome, lister)


@pytest.mark.parametrize(
    ("client", "kind"),
    [
        ("sync", "malformed"),
        ("sync", "truncated"),
        ("sync", "close_after_headers"),
        ("sync", "garbled_dates"),
        ("async", "malformed"),
        ("async", "garbled_dates"),
    ],
)
def test_broken_200_is_a_malformed_response_error(client: str, kind: Any) -> None:
    """A 200 whose body is cut, empty, not JSON or has a date botocore cannot parse.

    MalformedResponseError, never a short group, nor a bare ValueError ("this is a bug").

    (botocore parses such a body as an empty response; without the check, the listing would
    end after page 1 as if the group had 60 users.)
    """
    lister = LISTERS[client]
    with FaultServer(users=N, script=on(2, fault=Fault(kind))) as server:
        outcome = lister(server.url)
        assert isinstance(outcome.error, MalformedResponseError)
        assert outcome.error.next_token == server.token_for(60)
        assert outcome.names == server.usernames(0, 60)
        assert len(server.requests) == 2
        assert_resumes(server, outcome, lister)


@pytest.mark.parametrize("kind", ["truncated", "close_after_headers"])
def test_cut_body_is_retried_by_the_async_client(kind: Any) -> None:
    """Async: a body shorter than its Content-Length is retried, and the listing completes.

    (aiohttp reports it as a payload error, which botocore retries as a connection error.)
    """
    with FaultServer(users=N, script=on(2, fault=Fault(kind))) as server:
        outcome = LISTERS["async"](server.url)
    assert outcome.error is None
    assert outcome.names == server.usernames()
    assert len(server.requests) == 3 + 1


def test_repeated_token_is_a_pagination_error(lister: Callable[..., Outcome]) -> None:
    """Page 2 comes back with the token it was sent: PaginationError, not an endless loop."""
    with FaultServer(users=N, script=on(2, fault=Fault("repeat_token"))) as server:
        outcome = lister(server.url)
        assert isinstance(outcome.error, PaginationError)
        assert outcome.error.next_token == server.token_for(60)
        assert outcome.names == server.usernames(0, 60)  # page 2 is not delivered
        assert len(server.requests) == 2
        assert_resumes(server, outcome, lister)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error", code="ResourceNotFoundException", message="Group not found."),
        Fault("malformed"),
        Fault("repeat_token"),
    ],
    ids=["service error", "malformed 200", "repeated token"],
)
def test_a_single_group_error_names_its_group(lister: Callable[..., Outcome], fault: Fault) -> None:
    """`iter_users()` fails on page 2: `err.group_name` is the group listed, as in memberships.

    Sent (a service error) or found in the answer (malformed, repeated token) alike.
    """
    with FaultServer(users=N, script=on(2, fault=fault)) as server:
        outcome = lister(server.url, config=Config(retries={"total_max_attempts": 1}))
    assert outcome.error is not None
    assert (outcome.error.group_name, outcome.error.next_token) == (GROUP, server.token_for(60))


def test_short_pages_complete(lister: Callable[..., Outcome]) -> None:
    """Pages of 7 users for Limit=60, each with a token: the whole group, ceil(130/7) requests."""
    short = Fault("short", count=7)
    with FaultServer(users=N, script=always_from(1, short)) as server:
        outcome = lister(server.url)
    assert outcome.error is None
    assert outcome.names == server.usernames()
    assert len(server.requests) == -(-N // 7)


@pytest.mark.parametrize("kind", ["unknown_enums", "missing_fields", "extra_members"])
def test_odd_but_valid_responses_keep_every_user(lister: Callable[..., Outcome], kind: Any) -> None:
    """Unknown enum values, missing optional fields, unknown members: users returned, raw kept."""
    with FaultServer(users=N, script=always_from(1, Fault(kind))) as server:
        outcome = lister(server.url)
    assert outcome.error is None
    assert outcome.names == server.usernames()
    assert len(server.requests) == 3
    user = outcome.users[5]
    if kind == "unknown_enums":
        assert user.user_status is not None
        assert user.user_status.value == "BRAND_NEW_STATUS"
        assert not user.user_status.is_known
        assert user.mfa_options[0].delivery_medium == "CARRIER_PIGEON"
    elif kind == "missing_fields":
        assert user == User(user.username)
    else:
        assert user.email == "user-00005@example.com"


def test_rejected_token_is_invalid_parameter_with_reason(lister: Callable[..., Outcome]) -> None:
    """Page 2's token rejected: InvalidParameterError with reason_code and that token."""
    rejected = Fault(
        "error", "InvalidParameterException", message="bad token", reason_code="INVALID_TOKEN"
    )
    with FaultServer(users=N, script=on(2, fault=rejected)) as server:
        outcome = lister(server.url)
        assert isinstance(outcome.error, InvalidParameterError)
        assert outcome.error.reason_code == "INVALID_TOKEN"
        assert outcome.error.next_token == server.token_for(60)
        assert len(server.requests) == 2  # not retried
        assert_resumes(server, outcome, lister)


def test_injected_legacy_client_is_not_retried_behind_its_back() -> None:
    """A caller's client in boto3's legacy mode: the throttle surfaces, with the token."""
    with FaultServer(users=N, script=on(2, fault=THROTTLE)) as server:
        client = new_cognito_client(
            region_name="us-east-1",
            endpoint_url=server.url,
            config=Config(retries={"mode": "legacy", "max_attempts": 5}),
        )
        users: list[User] = []
        with pytest.raises(TooManyRequestsError) as caught:
            users.extend(CognitoGroups(client).iter_users(POOL, GROUP))
        assert caught.value.next_token == server.token_for(60)
        assert len(server.requests) == 2  # legacy mode does not retry a 400 throttle
        assert_resumes(server, Outcome(users, None, False, caught.value), LISTERS["sync"])
