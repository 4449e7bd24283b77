"""Cognito's quota categories: every operation sent has one, and each category its own budget."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import cognito_groups
from cognito_groups import (
    AsyncCognitoGroups,
    CognitoGroups,
    _errors,
    aiter_users_in_group,
    iter_users_in_group,
)
from cognito_groups._pacing._categories import CategoryBudget, list_groups_budget
from cognito_groups._pacing._home import BudgetHome
from cognito_groups._pacing._pace import SLACK
from cognito_groups._pacing._quotas import OPERATION_QUOTAS, USER_LIST, USER_POOL_RESOURCE_READ

from .quota_server import POOL, QuotaServer, stamp_sent_at

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

PACKAGE = Path(cognito_groups.__file__).parent
SCRIPT = Path(sys.executable).with_name("cognito-groups")
GROUPS = {"q0": 70, "q1": 3, "q2": 0}

#: Each public method of the facades, called once (with the facade and a group's name).
SYNC_CALLS: dict[str, Callable[[CognitoGroups, str], object]] = {
    "iter_pages": lambda g, name: list(g.iter_pages(POOL, name, page_size=50)),
    "iter_users": lambda g, name: list(g.iter_users(POOL, name, prefetch=True)),
    "iter_groups": lambda g, name: list(g.iter_groups(POOL, page_size=2)),
    "iter_memberships": lambda g, name: list(g.iter_memberships(POOL)),
    "groups_by_user": lambda g, name: g.groups_by_user(POOL, [name]),
    "iter_users_in_group": lambda g, name: list(iter_users_in_group(POOL, name, client=g)),
}


async def drain(iterator: AsyncIterator[object]) -> list[object]:
    """Every item of an async iterator."""
    return [item async for item in iterator]


#: Their async twins (each returns an awaitable).
ASYNC_CALLS: dict[str, Callable[[AsyncCognitoGroups, str], Awaitable[object]]] = {
    "iter_pages": lambda g, name: drain(g.iter_pages(POOL, name, page_size=50)),
    "iter_users": lambda g, name: drain(g.iter_users(POOL, name)),
    "iter_groups": lambda g, name: drain(g.iter_groups(POOL, page_size=2)),
    "iter_memberships": lambda g, name: drain(g.iter_memberships(POOL)),
    "groups_by_user": lambda g, name: g.groups_by_user(POOL, [name]),
    "iter_users_in_group": lambda g, name: drain(aiter_users_in_group(POOL, name, client=g)),
}


def public_methods(facade: type) -> set[str]:
    """The facade's public methods (not its properties, not closing)."""
    return {
        name
        for name, member in vars(facade).items()
        if not name.startswith("_") and inspect.isfunction(member)
    } - {"close", "aclose"}


def test_every_public_method_is_exercised_below() -> None:
    """The calls below cover every public method of both facades (so none is left unchecked)."""
    assert public_methods(CognitoGroups) | {"iter_users_in_group"} == set(SYNC_CALLS)
    assert public_methods(AsyncCognitoGroups) | {"iter_users_in_group"} == set(ASYNC_CALLS)


def test_every_operation_the_sync_facade_sends_has_a_category() -> None:
    """Each operation sent by any public sync method is in the quota table."""
    sent: set[str] = set()
    with QuotaServer(GROUPS, rate=None) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        groups.client.meta.events.register("before-call", lambda model, **_: sent.add(model.name))
        for name, call in SYNC_CALLS.items():
            call(groups, "q0" if name != "groups_by_user" else "q1")
    assert sent == {"ListGroups", "ListUsersInGroup"}  # the recording itself works
    assert sent <= set(OPERATION_QUOTAS)


def test_every_operation_the_async_facade_sends_has_a_category() -> None:
    """Each operation sent by any public async method is in the quota table."""
    sent: set[str] = set()

    async def main(url: str) -> None:
        async with AsyncCognitoGroups(endpoint_url=url, region_name="us-east-1") as groups:
            events = groups.client.meta.events
            events.register("before-call", lambda model, **_: sent.add(model.name))
            for call in ASYNC_CALLS.values():
                await call(groups, "q0")

    with QuotaServer(GROUPS, rate=None) as server:
        asyncio.run(main(server.url))
    assert sent == {"ListGroups", "ListUsersInGroup"}
    assert sent <= set(OPERATION_QUOTAS)


def paced_operations() -> list[tuple[str, str]]:
    """(module, operation constant) of every ``paced(...)``/``apaced(...)`` call in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("paced", "apaced")
            ):
                argument = node.args[1]
                name = argument.id if isinstance(argument, ast.Name) else ast.unparse(argument)
                found.append((path.name, name))
    return found


def test_every_paced_call_names_an_operation_with_a_category() -> None:
    """Every ``paced``/``apaced`` call site sends an operation constant of the quota table."""
    found = paced_operations()
    assert len(found) >= 6  # both facades' call sites: the search itself works
    for module, name in found:
        operation = getattr(_errors, name, None)
        assert operation in OPERATION_QUOTAS, f"{module}: {name} has no quota category"


def test_the_table() -> None:
    """The figures of issue 22 and the quotas page: UserList 30/s; ListGroups 5/s a pool, 20/s."""
    assert OPERATION_QUOTAS == {
        "ListUsersInGroup": USER_LIST,
        "ListGroups": USER_POOL_RESOURCE_READ,
    }
    assert (USER_LIST.name, USER_LIST.account_rps, USER_LIST.pool_rps) == ("UserList", 30, None)
    read = USER_POOL_RESOURCE_READ
    assert (read.name, read.account_rps, read.pool_rps) == ("UserPoolResourceRead", 20, 5)
    assert (USER_LIST.burst_max, read.burst_max) == (None, 1)  # ListGroups: no burst


def test_a_category_budget_paces_each_pool_within_the_account() -> None:
    """One budget per pool up to 5/s, all within one up to 20/s; on the test's own clock."""
    now = [100.0]
    budget = CategoryBudget(USER_POOL_RESOURCE_READ, BudgetHome(shared=False), clock=lambda: now[0])
    a, account = budget.budgets({"UserPoolId": "pool-a"})
    assert budget.budgets({"UserPoolId": "pool-a"}) == (a, account)  # the same budgets again
    assert (a.ceiling, account.ceiling) == (5, 20)
    assert a.take() == (True, 0.0)  # one token to start with: ListGroups uses no burst
    taken, wait = a.take()  # pool a's budget is empty ...
    assert not taken
    assert wait == pytest.approx(1 / 5 * (1 + SLACK))  # an interval, and a slack
    b, same_account = budget.budgets({"UserPoolId": "pool-b"})
    assert same_account is account
    assert b is not a
    assert b.take()[0]  # ... pool b's is not
    assert account.take()[0]
    assert list_groups_budget(BudgetHome(shared=False)).category is USER_POOL_RESOURCE_READ


MANY = {f"g{index:04d}": 0 for index in range(1800)}  # 30 pages of 60 groups


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_iter_groups_over_30_pages_is_paced_at_5_per_second_per_pool(flavour: str) -> None:
    """Defaults, 1,800 groups against 5/s per pool: every group, at most 1 call throttled."""

    async def alist(url: str) -> list[str]:
        async with AsyncCognitoGroups(endpoint_url=url, region_name="us-east-1") as groups:
            return [group.group_name async for group in groups.iter_groups(POOL)]

    with QuotaServer(MANY, latency=0.08) as server:
        if flavour == "sync":
            groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
            names = [group.group_name for group in groups.iter_groups(POOL)]
        else:
            names = asyncio.run(alist(server.url))
    assert names == list(MANY)
    throttled = server.throttled_by_operation["ListGroups"]
    assert throttled <= 1
    assert server.requests - throttled == 30


NO_BURST = {f"n{index:03d}": 0 for index in range(600)}  # 10 pages of 60 groups


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_iter_groups_against_a_pool_with_no_burst_is_not_throttled(flavour: str) -> None:
    """ListGroups at 5/s a pool with no burst (requests admitted 200 ms apart): none throttled.

    (With a burst of 3 assumed: 2 throttled, 1.36x the floor. The second page left on a saved
    token, and a page sent an interval after the one before was throttled when it arrived a
    moment early.) Arrivals jitter by up to 10 ms whatever the machine's load (the server's
    ``jitter``); the budget leaves a slack of 20 ms. The wall time against the floor is the
    benchmark's (`make bench-quota`, "no-burst").
    """

    async def alist(groups: AsyncCognitoGroups) -> list[str]:
        async with groups:
            stamp_sent_at(groups.client)
            return [group.group_name async for group in groups.iter_groups(POOL)]

    with QuotaServer(NO_BURST, latency=0.08, pool_burst=1.0, jitter=0.01) as server:
        if flavour == "sync":
            with CognitoGroups(endpoint_url=server.url, region_name="us-east-1") as groups:
                stamp_sent_at(groups.client)
                names = [group.group_name for group in groups.iter_groups(POOL)]
        else:
            names = asyncio.run(alist(AsyncCognitoGroups(endpoint_url=server.url,
                                                         region_name="us-east-1")))  # fmt: skip
    assert names == list(NO_BURST)
    assert server.throttled_by_operation["ListGroups"] == 0
    assert server.requests == 10


# The account shared with other callers: behaviour, not speed (the benchmark measures that).
# Generous bounds: these tests check that the job finishes exactly and hurts nobody much,
# on a machine that may be busy.
SHARED_GROUPS = {f"s{index:02d}": 300 for index in range(16)}  # 81 requests


def listed(flavour: str, url: str, *, stamped: bool = False) -> list[tuple[str, str]]:
    """Every membership of POOL, with the library's defaults (requests stamped if asked)."""

    async def alist() -> list[tuple[str, str]]:
        async with AsyncCognitoGroups(endpoint_url=url, region_name="us-east-1") as groups:
            if stamped:
                stamp_sent_at(groups.client)
            return [(m.group_name, m.user.username) async for m in groups.iter_memberships(POOL)]

    if flavour == "async":
        return asyncio.run(alist())
    with CognitoGroups(endpoint_url=url, region_name="us-east-1") as groups:
        if stamped:
            stamp_sent_at(groups.client)
        return [(m.group_name, m.user.username) for m in groups.iter_memberships(POOL)]


@pytest.mark.soak
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_another_caller_keeps_most_of_its_share(flavour: str) -> None:
    """Another caller at 15/s all along: exact, no error; few throttles, ours or its.

    Every call counts at the moment it was meant to leave, plus up to 5 ms of jitter (the
    server's ``jitter``), and the other caller's calls are made in time order by the server,
    not by a thread a busy machine wakes late. In `make soak`, not `make test`: the job starts
    at the quota, and when its requests happen to find the bucket's tokens just in time it is
    not throttled, and takes the other caller's share until it is (CI saw 22%, a clean run
    35%, of the other caller's calls throttled; 0-6% usually). The same property on a
    simulated clock, where no phase decides it, is `test_pace.py`'s
    `test_it_leaves_room_for_another_caller`, in `make test`.
    """
    with QuotaServer(SHARED_GROUPS, latency=0.08, jitter=0.005) as server:
        with server.other_caller(15.0) as other:
            got = listed(flavour, server.url, stamped=True)
        ours = server.throttled_by_operation["ListUsersInGroup"]
    assert sorted(got) == sorted(server.memberships())
    assert ours <= 0.15 * server.requests
    assert other.calls > 0
    assert other.throttled_share <= 0.15


def test_a_caller_near_the_quota_slows_the_job_without_failing_it() -> None:
    """Another caller at 29/s for 4 s: the job waits it out at a trickle, then finishes."""
    with (
        QuotaServer(SHARED_GROUPS, latency=0.08) as server,
        server.other_caller(29.0, delay=0.5, duration=4.0) as other,
    ):
        got = listed("sync", server.url)
    assert sorted(got) == sorted(server.memberships())
    assert other.calls == 116


THREE_POOLS = {f"us-east-1_Pool{name}": {f"p{i}": 300 for i in range(8)} for name in "ABC"}


def three_exports(tmp_path: Path, *options: str) -> tuple[QuotaServer, list[Any]]:
    """Three `cognito-groups export` processes at once, one pool each, files in tmp_path."""
    with QuotaServer({}, pools=THREE_POOLS, latency=0.08) as server:
        runs = [export_process(server.url, pool, tmp_path, options) for pool in THREE_POOLS]
        for run in runs:
            run.communicate(timeout=180)
    return server, runs


def export_process(url: str, pool: str, folder: Path, options: tuple[str, ...]) -> Any:
    """`cognito-groups export` of ``pool`` to ``folder``, started (not waited for)."""
    command = [str(SCRIPT), "export", pool, "--endpoint-url", url, "--region", "us-east-1",
               "-o", str(folder / f"{pool}.jsonl"), "--checkpoint", str(folder / f"{pool}.cp"),
               *options]  # fmt: skip
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603 (ours)


def exported(path: Path) -> list[tuple[str, str]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [(record["group_name"], record["username"]) for record in records]


def test_three_exports_at_once_share_one_budget(tmp_path: Path) -> None:
    """Three exports of three pools at once: all exit 0, exact; one budget, few throttles."""
    server, runs = three_exports(tmp_path)
    assert [run.returncode for run in runs] == [0, 0, 0]
    for pool in THREE_POOLS:
        assert sorted(exported(tmp_path / f"{pool}.jsonl")) == sorted(server.memberships(pool))
    assert server.throttled <= 0.1 * server.requests
    assert len(shared_files()) == 1  # one account and Region: one file for the three


def shared_files() -> list[Path]:
    """The budgets' shared files of this test (conftest gives each test a folder of its own)."""
    return sorted(Path(os.environ["COGNITO_GROUPS_BUDGET_DIR"]).glob("*.json"))


def test_three_exports_alone_still_finish(tmp_path: Path) -> None:
    """--no-shared-budget: each its own budget; they throttle each other, and all finish."""
    server, runs = three_exports(tmp_path, "--no-shared-budget")
    assert [run.returncode for run in runs] == [0, 0, 0]
    assert shared_files() == []
    for pool in THREE_POOLS:
        assert sorted(exported(tmp_path / f"{pool}.jsonl")) == sorted(server.memberships(pool))
