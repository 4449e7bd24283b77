"""Many groups within the account's quota: max_rps, iter_groups, iter_memberships, groups_by_user.

Against a loopback Cognito that enforces a quota like the account's (tests/quota_server.py), with
the sync and the async client, and on an in-process moto.
"""

from __future__ import annotations

import asyncio
import gc
import random
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config

from cognito_groups import (
    AsyncCognitoGroups,
    CognitoGroups,
    CognitoGroupsError,
    ConnectionFailedError,
    Group,
    InternalError,
    InvalidParameterError,
    Membership,
    TooManyRequestsError,
)

from .conftest import wait_for
from .quota_server import POOL, QuotaServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

NO_RETRIES = Config(retries={"total_max_attempts": 1})
#: A budget far above what the loopback server needs, where pacing is not what is tested.
FAST = 1000.0
GROUPS = {f"g{index:02d}": 70 + 13 * index for index in range(6)} | {"empty": 0}

Pair = tuple[str, str]


def pairs(memberships: list[Membership]) -> list[Pair]:
    return [(m.group_name, m.user.username) for m in memberships]


class Take:
    """Run a membership listing, sync or async, until ``stop`` says so; what it returned."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(
        self,
        url: str,
        *,
        stop_after: int | None = None,
        config: Config | None = None,
        **options: Any,
    ) -> tuple[list[Pair], str, bool, CognitoGroupsError | None]:
        if self.kind == "sync":
            return self._sync(url, stop_after, config, options)
        return asyncio.run(self._async(url, stop_after, config, options))

    @staticmethod
    def _sync(
        url: str, stop_after: int | None, config: Config | None, options: dict[str, Any]
    ) -> tuple[list[Pair], str, bool, CognitoGroupsError | None]:
        got: list[Membership] = []
        error = None
        max_rps = options.pop("max_rps", None)
        with CognitoGroups(
            endpoint_url=url, region_name="us-east-1", config=config, max_rps=max_rps
        ) as groups:
            it = groups.iter_memberships(POOL, **options)
            try:
                for membership in it:
                    got.append(membership)
                    if stop_after is not None and len(got) >= stop_after:
                        break
            except CognitoGroupsError as err:
                error = err
            finally:
                it.close()
            return pairs(got), it.checkpoint, it.exhausted, error

    @staticmethod
    async def _async(
        url: str, stop_after: int | None, config: Config | None, options: dict[str, Any]
    ) -> tuple[list[Pair], str, bool, CognitoGroupsError | None]:
        got: list[Membership] = []
        error = None
        max_rps = options.pop("max_rps", None)
        async with AsyncCognitoGroups(
            endpoint_url=url, region_name="us-east-1", config=config, max_rps=max_rps
        ) as groups:
            it = groups.iter_memberships(POOL, **options)
            try:
                async for membership in it:
                    got.append(membership)
                    if stop_after is not None and len(got) >= stop_after:
                        break
            except CognitoGroupsError as err:
                error = err
            finally:
                await it.aclose()
            return pairs(got), it.checkpoint, it.exhausted, error


@pytest.fixture(params=["sync", "async"])
def take(request: pytest.FixtureRequest) -> Take:
    return Take(request.param)


def test_every_membership_exactly_once_with_defaults(take: Take) -> None:
    """Defaults: every membership once; at most 3% of requests throttled (adaptive, up to 30/s).

    Network jitter can bunch paced requests on arrival, so a throttle is possible; the budget
    then sends the request again, at its pace.
    """
    with QuotaServer(GROUPS, latency=0.01) as server:
        got, _, exhausted, error = take(server.url)
    assert error is None
    assert exhausted
    assert sorted(got) == sorted(server.memberships())
    assert len(got) == len(set(got))
    # A few throttles are tolerated: the budget paces at the quota itself, and on a loaded
    # machine a paced request can be delayed and then arrive together with the next ones
    # (each throttled one is sent again: the listing stays exact).
    assert server.throttled <= max(4, 0.05 * server.requests)
    assert server.requests - server.throttled == 1 + sum(
        max(1, -(-n // 60)) for n in GROUPS.values()
    )


def test_named_groups_only_and_an_empty_list(take: Take) -> None:
    """Named groups: only their members are listed; an empty list of names lists nothing."""
    with QuotaServer(GROUPS, rate=None) as server:
        got, _, exhausted, _ = take(
            server.url, group_names=["g01", "empty"], page_size=7, max_rps=FAST
        )
        assert sorted(got) == sorted((g, u) for g, u in server.memberships() if g == "g01")
        assert exhausted
        got, _, exhausted, _ = take(server.url, group_names=[])
    assert (got, exhausted) == ([], True)


@pytest.mark.parametrize("stop_after", [1, 59, 60, 61, 250, 400])
def test_checkpoint_after_a_break_resumes_exactly(take: Take, stop_after: int) -> None:
    """Break after k memberships, resume from the checkpoint: each membership once in all."""
    with QuotaServer(GROUPS, rate=None) as server:
        first, checkpoint, exhausted, _ = take(
            server.url, stop_after=stop_after, page_size=30, max_rps=FAST
        )
        assert not exhausted
        rest, _, exhausted, error = take(
            server.url, checkpoint=checkpoint, page_size=30, max_rps=FAST
        )
    assert error is None
    assert exhausted
    assert len(first) == stop_after
    assert sorted(first + rest) == sorted(server.memberships())


class Faults:
    """About ``rate`` of the ListUsersInGroup requests fail: throttled, 500, or reset.

    ``served`` counts the faults served, by kind.
    """

    KINDS: tuple[str | tuple[int, str], ...] = (
        (400, "TooManyRequestsException"),
        (500, "InternalErrorException"),
        "reset",
    )

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.chooser = random.Random(seed)
        self.served: Counter[str] = Counter()

    def __call__(self, number: int, operation: str, params: Any) -> str | tuple[int, str] | None:
        if operation != "ListUsersInGroup" or self.chooser.random() >= self.rate:
            return None
        kind = self.chooser.choice(self.KINDS)
        self.served[kind if isinstance(kind, str) else kind[1]] += 1
        return kind


@pytest.mark.parametrize("seed", [1, 2])
def test_resume_loop_after_every_kind_of_failure(take: Take, seed: int) -> None:
    """Throttling, 500s and resets on ~15% of requests (retries off), resumed after each error.

    Throttled requests are sent again by the budget (they end a listing only after its
    patience); the other faults end it. A loop that resumes from the checkpoint ends with every
    membership exactly once.
    """
    got: list[Pair] = []
    seen: set[type[CognitoGroupsError]] = set()
    checkpoint = None
    served = Faults(0.15, seed)
    with QuotaServer(GROUPS, rate=None, fault=served) as server:
        for _ in range(200):
            batch, checkpoint, exhausted, error = take(
                server.url, config=NO_RETRIES, checkpoint=checkpoint, page_size=20, max_rps=FAST
            )
            got.extend(batch)
            if error is None:
                break
            assert error.group_name in GROUPS
            seen.add(type(error))
    assert exhausted
    assert sorted(got) == sorted(server.memberships())
    assert len(got) == len(set(got))
    assert TooManyRequestsError not in seen
    assert served.served["TooManyRequestsException"] > 0  # they were there, and sent again
    assert InternalError in seen or ConnectionFailedError in seen


def test_pages_received_before_an_error_are_yielded_first() -> None:
    """The error of one group comes first; the pages of the others, in flight, come after it.

    The sync iterator waits for them and yields them before raising the error (so a resume
    loop always makes progress): the first page of each other group, and nothing more.
    """
    failed = threading.Event()

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if params.get("GroupName") == "g03":
            failed.set()
            return (500, "InternalErrorException")  # at once
        if operation == "ListUsersInGroup":
            # The other groups answer after g03 has failed (an event, not a sleep: on a busy
            # machine g03's request may leave late), and a moment more for its error to land.
            failed.wait(60)
            time.sleep(0.4)
        return None

    with QuotaServer(GROUPS, rate=None, fault=fault) as server:
        got, _, _, error = Take("sync")(
            server.url,
            config=NO_RETRIES,
            group_names=["g00", "g01", "g02", "g03"],
            max_rps=FAST,
            page_size=30,
        )
        assert isinstance(error, InternalError)
        assert error.group_name == "g03"
        assert sorted(got) == sorted(
            (group, user)
            for group in ("g00", "g01", "g02")
            for user in [u for g, u in server.memberships() if g == group][:30]
        )


@pytest.mark.parametrize(
    ("checkpoint", "problem"),
    [
        ("nope", "must be a checkpoint string"),
        ("cgm1:!!!", "is not a checkpoint of this library"),
        ("cgm1:e30", "is not a checkpoint of this library"),
        (5, "must be a checkpoint string"),
    ],
)
def test_a_bad_checkpoint_is_refused(checkpoint: Any, problem: str) -> None:
    """A checkpoint that is not one of ours is refused before sending, naming checkpoint."""
    groups = CognitoGroups(region_name="us-east-1")
    with pytest.raises(InvalidParameterError) as caught:
        groups.iter_memberships(POOL, checkpoint=checkpoint)
    assert caught.value.parameter == "checkpoint"
    assert problem in str(caught.value)


def test_a_checkpoint_of_another_pool_or_other_groups_is_refused() -> None:
    """A checkpoint made for another pool, or for other groups, is refused."""
    with QuotaServer(GROUPS) as server:
        _, checkpoint, _, _ = Take("sync")(server.url, stop_after=5, group_names=["g00"])
    groups = CognitoGroups(region_name="us-east-1")
    with pytest.raises(InvalidParameterError, match="another user pool"):
        groups.iter_memberships("us-east-1_Other1", checkpoint=checkpoint)
    with pytest.raises(InvalidParameterError, match="other groups"):
        groups.iter_memberships(POOL, ["g01"], checkpoint=checkpoint)


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 33}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"group_names": "g00"}, "group_names"),
        ({"group_names": ["g00", "g00"]}, "group_names"),
        ({"group_names": ["bad name"]}, "group_name"),
        ({"page_size": 61}, "page_size"),
    ],
)
def test_bad_parameters_are_refused_before_sending(options: dict[str, Any], parameter: str) -> None:
    """A bad iter_memberships parameter is refused at once, naming the parameter."""
    with pytest.raises(InvalidParameterError) as caught:
        CognitoGroups(region_name="us-east-1").iter_memberships(POOL, **options)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "10"])
def test_max_rps_must_be_a_positive_number(value: Any) -> None:
    """Both facades refuse a max_rps that is not a positive, finite number."""
    for facade in (CognitoGroups, AsyncCognitoGroups):
        with pytest.raises(InvalidParameterError) as caught:
            facade(region_name="us-east-1", max_rps=value)
        assert caught.value.parameter == "max_rps"


def within_budget(stamps: list[float], rate: float, burst: float) -> bool:
    """Whether every window of the stamps holds at most ``burst + rate * its length`` requests."""
    stamps = sorted(stamps)
    jitter = 0.03
    return all(
        j - i + 1 <= burst + rate * (stamps[j] - stamps[i] + jitter)
        for i in range(len(stamps))
        for j in range(i, len(stamps))
    )


SENT = "before-send.cognito-identity-provider.ListUsersInGroup"


def test_the_budget_is_shared_by_threads() -> None:
    """4 threads listing through one facade under max_rps=10 never exceed it.

    The times are taken when each request leaves (a handler after the budget's, on the same
    event), so that a busy test machine cannot blur them.
    """
    groups_of = {f"t{index}": 60 for index in range(4)}
    sent: list[float] = []
    with QuotaServer(groups_of, rate=None) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1", max_rps=10)
        groups.client.meta.events.register(SENT, lambda **_: sent.append(time.monotonic()))

        def run(name: str) -> None:
            list(groups.iter_users(POOL, name, page_size=10))

        threads = [threading.Thread(target=run, args=(name,)) for name in groups_of]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(server.admitted) == len(sent) == 24
    assert within_budget(sent, 10, 5)
    assert not within_budget(sent, 20, 0)  # the check itself can fail


def test_the_budget_is_shared_by_tasks() -> None:
    """Four tasks listing through one async facade under max_rps=10 never exceed it."""
    groups_of = {f"t{index}": 60 for index in range(4)}
    sent: list[float] = []

    async def main(url: str) -> None:
        async with AsyncCognitoGroups(endpoint_url=url, region_name="us-east-1", max_rps=10) as g:
            listings = [g.iter_users(POOL, name, page_size=10) for name in groups_of]
            # After the budget's own handler, registered when the listings were made.
            g.client.meta.events.register(SENT, lambda **_: sent.append(time.monotonic()))

            async def run(listing: AsyncIterator[object]) -> None:
                async for _ in listing:
                    pass

            await asyncio.gather(*(run(listing) for listing in listings))

    with QuotaServer(groups_of, rate=None) as server:
        asyncio.run(main(server.url))
    assert len(server.admitted) == len(sent) == 24
    assert within_budget(sent, 10, 5)
    assert not within_budget(sent, 20, 0)


def test_retries_are_paced_too() -> None:
    """Every attempt takes a token: a throttled request retried is two requests of the budget."""

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        return (500, "InternalErrorException") if number % 2 else None

    with QuotaServer({"r": 60}, rate=None, fault=fault) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1", max_rps=10)
        list(groups.iter_users(POOL, "r", page_size=10))
    assert len(server.admitted) == 12  # 6 pages, each failed once then retried
    assert within_budget(server.admitted, 10, 5)
    assert not within_budget(server.admitted, 20, 0)  # paced: the check itself can fail


def cognito_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cognito-groups")]


def test_close_and_abandon_leave_no_thread_behind() -> None:
    """close(), and collecting an abandoned iterator, stop every worker thread."""
    with QuotaServer(GROUPS, latency=0.02) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        it = groups.iter_memberships(POOL, page_size=5)
        next(it)
        assert cognito_threads()
        it.close()
        assert not cognito_threads()
        abandoned = groups.iter_memberships(POOL, page_size=5)
        next(abandoned)
        del abandoned
        gc.collect()
        assert wait_for(lambda: not cognito_threads())


def test_aclose_and_abandon_leave_no_task_behind() -> None:
    """aclose(), and collecting an abandoned iterator, leave no task running."""

    async def main(url: str) -> tuple[int, int]:
        async with AsyncCognitoGroups(endpoint_url=url, region_name="us-east-1") as groups:
            it = groups.iter_memberships(POOL, page_size=5)
            await it.__anext__()
            await it.aclose()
            after_close = len(asyncio.all_tasks()) - 1
            abandoned = groups.iter_memberships(POOL, page_size=5)
            await abandoned.__anext__()
            del abandoned
            gc.collect()
            await asyncio.sleep(0.1)
            return after_close, len([t for t in asyncio.all_tasks() if not t.done()]) - 1

    with QuotaServer(GROUPS, latency=0.02) as server:
        assert asyncio.run(main(server.url)) == (0, 0)


def test_iter_groups_and_groups_by_user_on_the_quota_server(take: Take) -> None:
    """iter_groups lists every group with its date; groups_by_user covers every member."""
    with QuotaServer(GROUPS) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        listed = list(groups.iter_groups(POOL, page_size=2))
        by_user = groups.groups_by_user(POOL)
    assert [group.group_name for group in listed] == list(GROUPS)
    assert all(group.creation_date for group in listed)
    assert isinstance(listed[0], Group)
    assert listed[0].creation_date.tzinfo is not None  # type: ignore[union-attr]
    assert len(by_user) == sum(GROUPS.values())


# On an in-process moto: several groups, overlapping members, an empty group.


@pytest.fixture
def moto_groups() -> Iterator[tuple[Any, str]]:
    from moto import mock_aws

    from cognito_groups._client._config import new_cognito_client

    with mock_aws():
        client = new_cognito_client(region_name="us-east-1")
        pool = client.create_user_pool(PoolName="many")["UserPool"]["Id"]
        for name in ("admins", "devs", "ops", "nobody"):
            client.create_group(UserPoolId=pool, GroupName=name)
        for index in range(30):
            client.admin_create_user(UserPoolId=pool, Username=f"u{index:02d}")
            for name, every in (("admins", 5), ("devs", 2), ("ops", 3)):
                if index % every == 0:
                    client.admin_add_user_to_group(
                        UserPoolId=pool, Username=f"u{index:02d}", GroupName=name
                    )
        yield client, pool


def test_on_moto(moto_groups: tuple[Any, str]) -> None:
    """On moto: every group, and every membership of overlapping groups, exactly once."""
    client, pool = moto_groups
    groups = CognitoGroups(client)
    assert sorted(g.group_name for g in groups.iter_groups(pool)) == [
        "admins", "devs", "nobody", "ops",
    ]  # fmt: skip
    memberships = pairs(list(groups.iter_memberships(pool, page_size=4)))
    expected = [
        (name, f"u{index:02d}")
        for name, every in (("admins", 5), ("devs", 2), ("ops", 3))
        for index in range(0, 30, every)
    ]
    assert sorted(memberships) == sorted(expected)
    by_user = groups.groups_by_user(pool)
    assert by_user["u00"] == frozenset({"admins", "devs", "ops"})
    assert "u01" not in by_user  # in no group
    assert by_user["u06"] == frozenset({"devs", "ops"})
    assert sum(len(names) for names in by_user.values()) == len(expected)


def test_the_stub_answers_a_multi_group_listing() -> None:
    """cognito_groups.testing: ListGroups and each group's pages, in order, concurrency 1."""
    from cognito_groups.testing import GroupStub

    with GroupStub() as stub:
        stub.add_group_list(["a", "b", "c"], page_size=60)
        stub.add_group(70, group_name="a")
        stub.add_group(0, group_name="b")
        stub.add_group(3, group_name="c", error_on_page=1)
        it = stub.groups.iter_memberships(stub.user_pool_id, concurrency=1)
        got: list[Membership] = []
        with pytest.raises(InternalError) as caught:
            got.extend(it)
        stub.assert_all_used()
    assert caught.value.group_name == "c"
    assert [m.user.username for m in got] == [f"a-{i:04d}" for i in range(70)]
