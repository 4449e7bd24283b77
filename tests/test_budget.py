"""The budgets at work: throttled requests sent again at their pace, patience, what they show."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from cognito_groups import AsyncCognitoGroups, CognitoGroups, TooManyRequestsError
from cognito_groups._pacing._budget import RequestBudget
from cognito_groups._pacing._home import BudgetHome
from cognito_groups._pacing._paced import DEFAULT_PATIENCE, Pacer, Throttled, _Attempts
from cognito_groups._pacing._store import LocalPaceStore

from .conftest import wait_for
from .quota_server import POOL, QuotaServer

if TYPE_CHECKING:
    from pathlib import Path

THROTTLE = (400, "TooManyRequestsException")
RETRY_EVENT = "needs-retry.cognito-identity-provider"


def throttle_requests(*numbers: int) -> Any:
    """A fault that throttles the server's requests with these numbers (1 is the first)."""

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        return THROTTLE if number in numbers else None

    return fault


def always_throttle_after(count: int) -> Any:
    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        return THROTTLE if number > count else None

    return fault


def botocore_retry_asks(groups: CognitoGroups) -> list[Any]:
    """The answers botocore's own retry handler is asked about (it is on the service's event)."""
    asked: list[Any] = []
    groups.client.meta.events.register(
        RETRY_EVENT, lambda response=None, **_: asked.append(response)
    )
    return asked


def throttled_answers(asked: list[Any]) -> list[Any]:
    return [
        response
        for response in asked
        if response is not None
        and response[1].get("Error", {}).get("Code") == "TooManyRequestsException"
    ]


def test_throttles_are_sent_again_past_botocores_attempts() -> None:
    """Throttled 4 times in a row (botocore gives 3 attempts): sent again at the budget's pace.

    botocore's retry handler never sees those answers, so it spends no retry quota on them.
    """
    with QuotaServer({"g": 120}, rate=None, fault=throttle_requests(2, 3, 4, 5)) as server:
        groups = CognitoGroups(
            endpoint_url=server.url, region_name="us-east-1", max_rps=30, shared_budget=False
        )
        asked = botocore_retry_asks(groups)
        users = list(groups.iter_users(POOL, "g"))
    assert [user.username for user in users] == server.groups["g"]
    assert server.requests == 2 + 4
    assert groups.budget.throttled == 4
    assert throttled_answers(asked) == []
    assert asked  # the handler is there, and asked about the answers botocore keeps


def test_an_unpaced_listing_keeps_botocores_retries() -> None:
    """Without max_rps, iter_users is not paced: a throttle is botocore's to retry, as before."""
    with QuotaServer({"g": 120}, rate=None, fault=throttle_requests(2)) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        asked = botocore_retry_asks(groups)
        assert len(list(groups.iter_users(POOL, "g"))) == 120
    assert len(throttled_answers(asked)) == 1
    assert groups.budget.throttled == 0


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_patience_runs_out_with_the_exact_resume_token(flavour: str) -> None:
    """Throttled from page 2 on, patience 1 s: TooManyRequestsError resuming at page 2."""

    async def alist(url: str, seen: list[str]) -> None:
        async with AsyncCognitoGroups(
            endpoint_url=url, region_name="us-east-1", max_rps=30, patience=1.0,
            shared_budget=False,
        ) as groups:  # fmt: skip
            async for user in groups.iter_users(POOL, "g"):
                seen.append(user.username)

    def listing(url: str) -> None:
        if flavour == "async":
            asyncio.run(alist(url, seen))
            return
        groups = CognitoGroups(
            endpoint_url=url, region_name="us-east-1", max_rps=30, patience=1.0,
            shared_budget=False,
        )  # fmt: skip
        seen.extend(user.username for user in groups.iter_users(POOL, "g"))

    seen: list[str] = []
    with (
        QuotaServer({"g": 120}, rate=None, fault=always_throttle_after(1)) as server,
        pytest.raises(TooManyRequestsError) as caught,
    ):
        listing(server.url)
    assert seen == server.groups["g"][:60]
    assert caught.value.next_token is not None
    assert isinstance(caught.value.__cause__, ClientError)
    assert caught.value.code == "TooManyRequestsException"
    assert server.requests - 1 >= 2  # sent again at the pace, then given up


def pacer_on_a_clock(patience: float) -> tuple[list[float], RequestBudget, Pacer]:
    clock = [100.0]
    home = BudgetHome(shared=False)
    budget = RequestBudget("test", "UserList", 30, home, clock=lambda: clock[0])
    return clock, budget, Pacer(budget, patience)


def test_patience_counts_from_the_last_success_of_any_request_of_the_budget() -> None:
    """Gives up only after ``patience`` seconds with no success of the budget's requests."""
    clock, budget, pacer = pacer_on_a_clock(10.0)
    signal = Throttled({"Error": {"Code": "TooManyRequestsException"}}, 0.0)
    attempts = _Attempts("ListUsersInGroup", pacer, {})
    clock[0] = 105.0
    attempts.throttled(signal)  # 5 s: goes on
    clock[0] = 108.0
    budget.succeeded()  # another request of the budget got through
    clock[0] = 115.0
    attempts.throttled(signal)  # 7 s since that success: goes on
    clock[0] = 118.0
    with pytest.raises(ClientError):
        attempts.throttled(signal)  # 10 s without a success
    assert budget.throttled == 3


def test_patience_may_be_endless() -> None:
    """``math.inf``: never gives up."""
    clock, _, pacer = pacer_on_a_clock(math.inf)
    attempts = _Attempts("ListUsersInGroup", pacer, {})
    clock[0] = 1e9
    attempts.throttled(Throttled({"Error": {"Code": "TooManyRequestsException"}}, 0.0))


@pytest.mark.parametrize("patience", [0, -1, math.nan, "10", True, None])
def test_patience_must_be_a_positive_number(patience: object) -> None:
    """Bad patience is refused before anything is built."""
    from cognito_groups import InvalidParameterError

    with pytest.raises(InvalidParameterError) as caught:
        CognitoGroups(region_name="us-east-1", patience=patience)  # type: ignore[arg-type]
    assert caught.value.parameter == "patience"


@pytest.mark.parametrize(
    ("option", "value"),
    [("max_rps", 10**400), ("max_rps", 1e-300), ("max_rps", 0.0009)],
)
def test_rates_out_of_range_are_refused(option: str, value: object) -> None:
    """A rate too large for a float, or so small its interval overflows: refused, named."""
    from cognito_groups import InvalidParameterError

    with pytest.raises(InvalidParameterError) as caught:
        CognitoGroups(region_name="us-east-1", **{option: value})  # type: ignore[arg-type]
    assert caught.value.parameter == option


def test_a_patience_too_large_for_a_float_is_endless() -> None:
    """patience=10**400 means never give up, as math.inf does."""
    assert CognitoGroups(region_name="us-east-1", patience=10**400).patience == math.inf


def test_the_budgets_show_their_state() -> None:
    """rate, ceiling, throttled (read-only); ceilings from the quota table or max_rps."""
    groups = CognitoGroups(region_name="us-east-1", shared_budget=False)
    assert (groups.budget.ceiling, groups.budget.rate, groups.budget.throttled) == (30, 30, 0)
    assert groups.patience == DEFAULT_PATIENCE
    assert groups.groups_budget.ceiling == 20
    assert groups.groups_budget.pool(POOL).ceiling == 5
    assert groups.budget.shared is None
    capped = CognitoGroups(region_name="us-east-1", max_rps=12.5)
    assert (capped.budget.ceiling, capped.max_rps) == (12.5, 12.5)
    above = CognitoGroups(region_name="us-east-1", max_rps=100)
    assert above.budget.ceiling == 100  # the caller knows better (an emulator, a raised quota)
    for name in ("rate", "ceiling", "throttled", "shared", "name"):
        with pytest.raises(AttributeError):
            setattr(groups.budget, name, 3)


def test_a_cut_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """A throttle that cuts the pace says so at INFO, with the rates and nothing else."""
    with QuotaServer({"g": 120}, rate=None, fault=throttle_requests(2)) as server:
        groups = CognitoGroups(
            endpoint_url=server.url, region_name="us-east-1", max_rps=30, shared_budget=False
        )
        with caplog.at_level(logging.INFO, logger="cognito_groups"):
            list(groups.iter_users(POOL, "g"))
    cuts = [record for record in caplog.records if record.levelno == logging.INFO]
    assert len(cuts) == 1
    shown = re.fullmatch(
        r"ListUsersInGroup \(UserList\): throttled; pace cut from 30 to (\d+(?:\.\d+)?) requests/s",
        cuts[0].getMessage(),
    )
    assert shown is not None, cuts[0].getMessage()
    assert float(shown[1]) <= 21  # at most BETA of the rate (less if it was sending slower)
    assert groups.budget.rate < 30


def test_the_shared_file_names_no_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ListGroups' budget of a pool is kept under a digest of its id: no id in the file."""
    monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", str(tmp_path))
    with QuotaServer({"g": 10}, rate=None) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        list(groups.iter_groups(POOL))
    assert groups.groups_budget.shared is not None
    text = groups.groups_budget.shared.read_text()
    assert "UserPoolResourceRead" in text
    assert POOL not in text
    assert server.url.split("//")[1] not in text


def test_facades_of_one_account_share_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two facades on the same endpoint, Region and key use one file; shared_budget=False none."""
    monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", str(tmp_path))
    with QuotaServer({"g": 10}, rate=None) as server:
        one = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        two = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        alone = CognitoGroups(endpoint_url=server.url, region_name="us-east-1", shared_budget=False)
        for groups in (one, two, alone):
            list(groups.iter_memberships(POOL))
    assert one.budget.shared is not None
    assert one.budget.shared == two.budget.shared == two.groups_budget.shared
    assert one.budget.shared.parent == tmp_path
    assert [path.name for path in tmp_path.iterdir()] == [one.budget.shared.name]
    assert alone.budget.shared is None


def test_a_client_shared_with_other_code_paces_only_the_librarys_requests() -> None:
    """The handlers act on the library's requests only: the caller's own are left alone."""
    with QuotaServer({"g": 60}, rate=None, fault=throttle_requests(1)) as server:
        groups = CognitoGroups(
            endpoint_url=server.url, region_name="us-east-1", max_rps=30, shared_budget=False
        )
        list(groups.iter_users(POOL, "g"))  # the library's, throttled once, sent again
        client: Any = groups.client
        own = client.list_users_in_group(UserPoolId=POOL, GroupName="g", Limit=1)
    assert own["Users"]
    assert groups.budget.throttled == 1


def test_local_store_is_used_before_the_first_request() -> None:
    """Nothing to share before a request names the account: the state is the process's own."""
    home = BudgetHome(shared=True)
    assert isinstance(home.store, LocalPaceStore)
    assert home.path is None
    with QuotaServer({"g": 10}, rate=None) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        assert groups.budget.shared is None
        assert isinstance(groups.budget.home.store, LocalPaceStore)  # asked early: still free
        list(groups.iter_memberships(POOL))
    assert groups.budget.shared is not None


class FirstPageOnly:
    """A fault that answers ``ListGroups`` and one ``ListUsersInGroup``, then throttles all.

    Counted on the server, not switched on by the test after its first membership: on a
    loaded machine the workers could fetch every page they may hold before a switch, and then
    nothing would be left to throttle.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages = 0

    def __call__(self, number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if operation != "ListUsersInGroup":
            return None
        with self._lock:
            self._pages += 1
            return THROTTLE if self._pages > 1 else None


MANY = {f"m{index:02d}": 200 for index in range(12)}


def test_closing_a_throttled_listing_does_not_wait_out_patience() -> None:
    """close() while every request is throttled: the workers stop, nothing more is sent.

    (Before, each worker went on sending its request again at the floor's pace until its
    patience ran out: minutes.) The deadline only catches a hang.
    """
    with QuotaServer(MANY, rate=None, latency=0.02, fault=FirstPageOnly()) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1", patience=300)
        listing = groups.iter_memberships(POOL, concurrency=4)
        next(listing)
        assert wait_for(lambda: groups.budget.throttled >= 8)  # cut down, and waiting
        started = time.monotonic()
        listing.close()
        closed_after = time.monotonic() - started
        sent = server.requests
        time.sleep(0.5)
        assert server.requests == sent  # nothing sent after close() returned
    assert closed_after < 30


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_patience_is_kept_with_many_groups_at_once(flavour: str) -> None:
    """Eight groups at once, all throttled: the error comes about ``patience`` in, not 8 x.

    (Before, each worker waited for one more token at the floor's pace before it looked at
    its patience.) The bound only catches an overrun of several patiences.
    """

    async def alist(url: str) -> None:
        async with AsyncCognitoGroups(endpoint_url=url, region_name="us-east-1", patience=1.0) as g:
            async for _ in g.iter_memberships(POOL, concurrency=8):
                pass

    def listing(url: str) -> None:
        if flavour == "async":
            asyncio.run(alist(url))
            return
        groups = CognitoGroups(endpoint_url=url, region_name="us-east-1", patience=1.0)
        for _ in groups.iter_memberships(POOL, concurrency=8):
            pass

    with QuotaServer(MANY, rate=None, fault=always_throttle_after(1)) as server:
        started = time.monotonic()
        with pytest.raises(TooManyRequestsError) as caught:
            listing(server.url)
        took = time.monotonic() - started
    assert took < 1.0 + 4
    assert "patience" in caught.value.message


def test_a_cut_at_the_floor_is_not_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """Throttled again and again: INFO for each cut that lowers the rate, DEBUG at the floor."""
    clock = [100.0]
    budget = RequestBudget("test", "UserList", 30, BudgetHome(shared=False), clock=lambda: clock[0])
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        for _ in range(40):
            clock[0] += 1.0
            budget.throttled_answer(clock[0] - 0.01)
    infos = [record for record in caplog.records if record.levelno == logging.INFO]
    debugs = [record for record in caplog.records if "pace cut" in record.getMessage()]
    assert 0 < len(infos) < len(debugs)
    assert budget.rate == 0.5
    assert all("from 0.5 to 0.5" not in record.getMessage() for record in infos)


@pytest.mark.parametrize(
    ("given", "patience"), [("30", 30.0), ("0.5", 0.5), ("inf", math.inf), ("1e400", math.inf)]
)
def test_the_command_takes_patience_in_seconds(given: str, patience: float) -> None:
    """The export takes --patience SECONDS above 0, or inf (or a number too large for a float)."""
    from cognito_groups._cli._parser import build_parser, parse

    args = parse(build_parser(), ["export", POOL, "--patience", given])
    assert args.patience == patience
    assert args.shared_budget is True
    assert parse(build_parser(), ["export", POOL, "--no-shared-budget"]).shared_budget is False


@pytest.mark.parametrize("given", ["0", "-1", "nan", "soon"])
def test_a_bad_patience_is_a_usage_error(given: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a number of seconds above 0: exit 2, naming --patience."""
    from cognito_groups._cli._parser import build_parser, parse

    with pytest.raises(SystemExit) as caught:
        parse(build_parser(), ["export", POOL, "--patience", given])
    assert caught.value.code == 2
    assert "--patience" in capsys.readouterr().err


def test_with_no_burst_the_next_request_waits_for_when_the_last_may_have_arrived() -> None:
    """``burst_max=1``: the spacing runs from the answer less the shortest round trip.

    A request that opened a connection (an event loop's first, a TLS handshake) reaches the
    service later than its token was taken; the next one, on time, would arrive less than an
    interval after it (an async ``iter_groups`` against a pool with no burst: its second page
    arrived 151 ms after the first, throttled, 1.41x the floor).
    """
    clock = [0.0]
    budget = RequestBudget("test", "ListGroups", 5, BudgetHome(shared=False),
                           clock=lambda: clock[0], burst_max=1)  # fmt: skip
    spacing = 0.2 * 1.1
    assert budget.take() == (True, 0.0)
    clock[0] = 0.16  # the first answer: when it arrived is not known, its answer bounds it
    budget.succeeded(0.0)
    clock[0] = 0.2
    taken, wait = budget.take()
    assert not taken
    assert wait == pytest.approx(0.16 + spacing - 0.2)
    clock[0] = 0.38
    assert budget.take() == (True, 0.0)
    clock[0] = 0.46  # round trip 0.08: arrived at 0.38 (its answer less 0.16 is earlier)
    budget.succeeded(0.38)
    clock[0] = 0.6
    assert budget.take() == (True, 0.0)
    clock[0] = 0.75  # a slow answer: it arrived as late as 0.75 - 0.08
    budget.succeeded(0.6)
    clock[0] = 0.82
    taken, wait = budget.take()
    assert not taken
    assert wait == pytest.approx(0.67 + spacing - 0.82)
    bursty = RequestBudget("test", "UserList", 30, BudgetHome(shared=False),
                           clock=lambda: clock[0])  # fmt: skip
    bursty.succeeded(0.0)  # with a burst, an answer moves nothing
    assert bursty.take() == (True, 0.0)
