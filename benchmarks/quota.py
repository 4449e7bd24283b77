"""Benchmark: every group of a pool within Cognito's quotas, shared with another caller.

Run with ``make bench-quota`` (or ``python benchmarks/quota.py``). Each run of each variant
is against a fresh loopback Cognito (``tests/quota_server.py``) that answers after 80 ms and
enforces the account's quota categories: UserList (``ListUsersInGroup``) 30 requests/s,
burst 5; UserPoolResourceRead (``ListGroups``) 5/s per pool within 20/s per account. The
scenarios (`SCENARIOS`) are issue 22's: the job alone; another caller of the account (open
loop, ``ListUsers``, its throttled calls counted) at 15/s for the whole job, at 20/s for 5 s
in the middle of it, at 29/s for 25 s; ``iter_groups`` over 1,800 groups; 600 groups of 3
users; three ``cognito-groups export`` processes started together, one pool each; and issue
32's: ``iter_groups`` over 1,800 groups of a pool whose ``ListGroups`` bucket saves no token
(burst 1: a request is admitted only 200 ms or more after the last one admitted).

The variants, in the same run, interleaved (every scenario and variant once per round):

* the library with its defaults (no ``max_rps``), sync and async, in this process (three
  ``cognito-groups export --output --checkpoint`` processes in the processes scenario);
* the peer (``benchmarks/_peer.py``): raw boto3 with 4 threads, in botocore's ``standard``
  and ``adaptive`` retry modes (three peer processes in the processes scenario).

Every run has a fresh ``COGNITO_GROUPS_BUDGET_DIR`` (a temporary folder), so no run inherits
another's shared budget. A run's wall time is compared with the time the quota allows for its
requests, given the other caller's load (`ideal_seconds()`); its output with the server's
memberships (exact: every one once).

It writes ``benchmarks/quota-results.json`` (stamped with the commit, date, machine and
versions; the medians of ``--rounds`` rounds and every round's figures), the block between the
``quota`` markers of ``docs/performance.md`` and the chart ``docs/quota-chart.svg``, both
generated from that file (``tests/test_docs.py`` checks that they agree with it).

``--only KEY`` (repeatable) measures those scenarios alone and puts them in the results file
in place of their last figures, each with a stamp of its own (the page says so); the others
keep theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _peer  # noqa: E402
from benchmarks._chart import Panel, Series, bar_chart  # noqa: E402
from benchmarks._results import publish, replace_block, stamp  # noqa: E402
from cognito_groups import AsyncCognitoGroups, CognitoGroups, CognitoGroupsError  # noqa: E402
from tests.quota_server import POOL, QuotaServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "quota-results.json"
DOCS = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "quota-chart.svg"
BEGIN, END = "<!-- quota:begin -->", "<!-- quota:end -->"
LATENCY = 0.08
QUOTA = 30.0  # UserList, per account
BURST = 5
POOL_RATE = 5.0  # ListGroups, per pool
READ_RATE = 20.0  # UserPoolResourceRead, per account
PAGE = 60
REGION = "us-east-1"
#: The two other pools of the processes scenario (the first is ``POOL``).
OTHER_POOLS = ("us-east-1_Second2", "us-east-1_Third3")
#: Seconds a run may take before the benchmark calls it hung (a generous bound).
HANG = 600.0

Pools = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Load:
    """Another caller of the account, open loop: ``rate`` ``ListUsers`` calls a second.

    From ``delay`` seconds after the job starts, for ``duration`` seconds (``None``: for the
    whole job).
    """

    rate: float
    delay: float = 0.0
    duration: float | None = None


@dataclass(frozen=True)
class Bars:
    """Issue 22's acceptance bars of a scenario (``None``: no bar on that figure).

    Every bar also asks for an exact result with no error, in every round.
    """

    x_floor: float | None = None
    ours: float | None = None  # the share of our requests throttled
    theirs: float | None = None  # the share of the other caller's calls throttled
    list_groups_throttled: int | None = None


@dataclass(frozen=True)
class Scenario:
    """What is listed (``pools``: groups and their sizes), how, and with whom."""

    key: str
    title: str
    pools: Pools
    kind: str  # "memberships", "groups" or "processes"
    bars: Bars
    load: Load | None = None
    #: Whether ``ListGroups`` requests count in the floor (requests / 30).
    list_groups_in_floor: bool = True
    note: str = ""
    #: The burst of each pool's ``ListGroups`` bucket (``None``: `BURST`, as the others').
    pool_burst: float | None = None


def sized(count: int, members: int, prefix: str = "g") -> dict[str, int]:
    width = len(str(count - 1))
    return {f"{prefix}{index:0{width}d}": members for index in range(count)}


FORTY_EIGHT = {POOL: sized(48, 300)}
SCENARIOS = (
    Scenario(
        "alone",
        "Alone, 48 groups of 300 users",
        FORTY_EIGHT,
        "memberships",
        Bars(x_floor=1.10, ours=0.03),
        note="Floor: requests / 30.",
    ),
    Scenario(
        "other-15",
        "Another caller at 15/s for the whole job, 48 groups of 300 users",
        FORTY_EIGHT,
        "memberships",
        Bars(x_floor=1.35, ours=0.05, theirs=0.03),
        Load(15.0),
        note="Floor: requests / 15, the rate the other caller leaves.",
    ),
    Scenario(
        "burst-20",
        "Another caller at 20/s for 5 s from 3 s into the job, 48 groups of 300 users",
        FORTY_EIGHT,
        "memberships",
        Bars(x_floor=1.4, ours=0.05, theirs=0.10),
        Load(20.0, delay=3.0, duration=5.0),
        note="Floor: the ideal time for that load (30/s, and 10/s during those 5 s).",
    ),
    Scenario(
        "burst-29",
        "Another caller at 29/s for 25 s from 3 s into the job, 48 groups of 300 users",
        FORTY_EIGHT,
        "memberships",
        Bars(),
        Load(29.0, delay=3.0, duration=25.0),
        note="Floor: the ideal time for that load (30/s, and 1/s during those 25 s). The bar: "
        "the job waits it out, then finishes exactly.",
    ),
    Scenario(
        "groups",
        "`iter_groups` over 1,800 groups",
        {POOL: sized(1800, 0)},
        "groups",
        Bars(x_floor=1.3, list_groups_throttled=1),
        note="Floor: 30 pages / 5 per second (one pool). The peer is one `ListGroups` loop: "
        "pages follow each other.",
    ),
    Scenario(
        "no-burst",
        "`iter_groups` over 1,800 groups, `ListGroups` with no burst",
        {POOL: sized(1800, 0)},
        "groups",
        Bars(x_floor=1.3, list_groups_throttled=1),
        note="Floor: 30 pages / 5 per second (one pool). The pool's `ListGroups` bucket saves "
        "no token (burst 1): a request is admitted only 200 ms or more after the last one "
        "admitted (AWS documents no burst for its quotas).",
        pool_burst=1.0,
    ),
    Scenario(
        "small",
        "600 groups of 3 users",
        {POOL: sized(600, 3)},
        "memberships",
        Bars(x_floor=1.2, ours=0.03),
        list_groups_in_floor=False,
        note="Floor: the 600 `ListUsersInGroup` requests / 30. The 10 `ListGroups` pages are "
        "another quota category (5/s per pool); listed before the members, about 2 s at that "
        "rate, they count in the wall time but not in the floor.",
    ),
    Scenario(
        "processes",
        "Three processes at once, one pool of 16 groups of 300 users each",
        {pool: sized(16, 300) for pool in (POOL, *OTHER_POOLS)},
        "processes",
        Bars(x_floor=1.35, ours=0.05),
        note="Floor: all their requests / 30. Each process lists its own pool: "
        "`cognito-groups export POOL --output FILE --checkpoint FILE`, or the peer as a "
        "script; all three are started together, and the wall time runs from the start of "
        "the first to the exit of the last, interpreter start-up included.",
    ),
)


def pages(items: int) -> int:
    """Requests to list ``items`` at `PAGE` a page (an empty list takes one)."""
    return max(1, math.ceil(items / PAGE))


def requests(scenario: Scenario) -> tuple[int, int]:
    """The requests a listing needs, at the least: ``(ListUsersInGroup, ListGroups)``."""
    list_groups = sum(pages(len(groups)) for groups in scenario.pools.values())
    if scenario.kind == "groups":
        return 0, list_groups
    members = sum(pages(size) for groups in scenario.pools.values() for size in groups.values())
    return members, list_groups


def ideal_seconds(count: int, rate: float, load: Load | None) -> float:
    """The time ``count`` requests take at ``rate`` a second less what ``load`` takes."""
    if load is None:
        return count / rate
    end = math.inf if load.duration is None else load.delay + load.duration
    spans = ((0.0, load.delay, rate), (load.delay, end, rate - load.rate), (end, math.inf, rate))
    left = float(count)
    for start, stop, free in spans:
        if free <= 0:
            continue
        if left <= (stop - start) * free:
            return start + left / free
        left -= (stop - start) * free
    raise ValueError("the load leaves no capacity")


def floor_seconds(scenario: Scenario) -> float:
    """The scenario's floor: its requests at the quota, less the other caller's load."""
    members, list_groups = requests(scenario)
    if scenario.kind == "groups":
        return list_groups / POOL_RATE
    counted = members + (list_groups if scenario.list_groups_in_floor else 0)
    return ideal_seconds(counted, QUOTA, scenario.load)


@dataclass
class Listed:
    """What a variant listed: ``(pool, group[, user])`` items, failed groups, what stopped it."""

    items: list[tuple[str, ...]] = field(default_factory=list[tuple[str, ...]])
    failed_groups: int = 0
    errors: list[str] = field(default_factory=list[str])


def expected(server: QuotaServer, scenario: Scenario) -> list[tuple[str, ...]]:
    if scenario.kind == "groups":
        return sorted((pool, name) for pool, groups in server.pools.items() for name in groups)
    return sorted((pool, *pair) for pool in server.pools for pair in server.memberships(pool))


# The variants: (server URL, scenario) -> what they listed.


def library(url: str, scenario: Scenario) -> Listed:
    listed = Listed()
    try:
        with CognitoGroups(endpoint_url=url, region_name=REGION) as groups:
            for pool in scenario.pools:
                if scenario.kind == "groups":
                    listed.items.extend((pool, g.group_name) for g in groups.iter_groups(pool))
                else:
                    listed.items.extend(
                        (pool, m.group_name, m.user.username) for m in groups.iter_memberships(pool)
                    )
    except CognitoGroupsError as err:
        listed.errors.append(type(err).__name__)
    return listed


def library_async(url: str, scenario: Scenario) -> Listed:
    async def run() -> Listed:
        listed = Listed()
        try:
            async with AsyncCognitoGroups(endpoint_url=url, region_name=REGION) as groups:
                for pool in scenario.pools:
                    if scenario.kind == "groups":
                        async for group in groups.iter_groups(pool):
                            listed.items.append((pool, group.group_name))
                    else:
                        async for m in groups.iter_memberships(pool):
                            listed.items.append((pool, m.group_name, m.user.username))
        except CognitoGroupsError as err:
            listed.errors.append(type(err).__name__)
        return listed

    return asyncio.run(run())


def peer(mode: _peer.Mode) -> Callable[[str, Scenario], Listed]:
    def run(url: str, scenario: Scenario) -> Listed:
        listed = Listed()
        for pool in scenario.pools:
            if scenario.kind == "groups":
                outcome = _peer.groups_only(url, pool, mode)
                listed.items.extend((pool, name) for name in outcome.group_names)
            else:
                outcome = _peer.memberships(url, pool, mode)
                listed.items.extend((pool, *pair) for pair in outcome.memberships)
            listed.failed_groups += outcome.failed_groups
            listed.errors.extend([outcome.error] if outcome.error else [])
        return listed

    return run


def processes(command: Callable[[str, str, Path], list[str]]) -> Callable[[str, Scenario], Listed]:
    """Start one process per pool together (``command(url, pool, output)``), wait for all."""

    def run(url: str, scenario: Scenario) -> Listed:
        listed = Listed()
        with tempfile.TemporaryDirectory() as folder:
            outputs = {pool: Path(folder) / f"{pool}.jsonl" for pool in scenario.pools}
            started = [
                subprocess.Popen(
                    command(url, pool, output),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                )
                for pool, output in outputs.items()
            ]
            for process, (pool, output) in zip(started, outputs.items(), strict=True):
                printed, stderr = process.communicate(timeout=HANG)
                if printed.startswith("{"):  # the peer's report (it exits 1 if it failed)
                    report = json.loads(printed)
                    listed.failed_groups += report["failed_groups"]
                    listed.errors.extend([report["error"]] if report["error"] else [])
                elif process.returncode != 0:
                    last = (stderr.strip().splitlines() or ["?"])[-1]
                    listed.errors.append(f"exit {process.returncode}: {last[:120]}")
                if Path(f"{output}.checkpoint").exists():  # the export removes it when done
                    listed.errors.append("checkpoint left behind")
                if output.exists():
                    for line in output.read_text().splitlines():
                        record = json.loads(line)
                        listed.items.append((pool, record["group_name"], record["username"]))
        return listed

    return run


def export_command(url: str, pool: str, output: Path) -> list[str]:
    script = Path(sys.executable).with_name("cognito-groups")
    return [str(script), "export", pool, "--endpoint-url", url, "--region", REGION, "-q",
            "-o", str(output), "--checkpoint", f"{output}.checkpoint"]  # fmt: skip


def peer_command(mode: _peer.Mode) -> Callable[[str, str, Path], list[str]]:
    def command(url: str, pool: str, output: Path) -> list[str]:
        return [sys.executable, "-m", "benchmarks._peer", url, pool, mode, str(output)]

    return command


Variant = Callable[[str, Scenario], Listed]
#: Each variant's name, and the runs of each kind of scenario (``None``: not run there).
VARIANTS: dict[str, dict[str, Variant | None]] = {
    "cognito-groups, sync": {
        "memberships": library,
        "groups": library,
        "processes": processes(export_command),
    },
    "cognito-groups, async": {"memberships": library_async, "groups": library_async},
    "boto3 4 threads, standard": {
        "memberships": peer("standard"),
        "groups": peer("standard"),
        "processes": processes(peer_command("standard")),
    },
    "boto3 4 threads, adaptive": {
        "memberships": peer("adaptive"),
        "groups": peer("adaptive"),
        "processes": processes(peer_command("adaptive")),
    },
}
LIBRARY = ("cognito-groups, sync", "cognito-groups, async")


def per_second(stamps: list[float], start: float, seconds: float) -> list[int]:
    """How many of ``stamps`` fall in each second from ``start``."""
    counts = [0] * max(1, math.ceil(seconds))
    for at in stamps:
        index = int(at - start)
        if 0 <= index < len(counts):
            counts[index] += 1
    return counts


def run_once(scenario: Scenario, variant: Variant) -> dict[str, Any]:
    """One run of ``variant`` in ``scenario``: a fresh server and a fresh shared budget."""
    load = scenario.load
    with contextlib.ExitStack() as stack:
        budgets = stack.enter_context(tempfile.TemporaryDirectory())
        server = stack.enter_context(
            QuotaServer(
                scenario.pools[POOL],
                pools={pool: groups for pool, groups in scenario.pools.items() if pool != POOL},
                latency=LATENCY,
                rate=QUOTA,
                burst=BURST,
                pool_rate=POOL_RATE,
                pool_burst=scenario.pool_burst,
                read_rate=READ_RATE,
            )
        )
        stack.enter_context(mock.patch.dict(os.environ, {"COGNITO_GROUPS_BUDGET_DIR": budgets}))
        other = None
        if load is not None:
            other = stack.enter_context(
                server.other_caller(load.rate, delay=load.delay, duration=load.duration)
            )
        started = time.monotonic()
        listed = variant(server.url, scenario)
        wall = time.monotonic() - started
        if other is not None and other.duration is not None:
            other.wait()  # the whole load, so that every variant's share is of the same calls
        exact = sorted(listed.items) == expected(server, scenario) and not listed.errors
        span = max(wall, load.delay + (load.duration or 0.0) if load is not None else 0.0)
        run: dict[str, Any] = {
            "wall_s": round(wall, 3),
            "requests": server.requests,
            "throttled": server.throttled,
            "list_groups_throttled": server.throttled_by_operation["ListGroups"],
            "failed_groups": listed.failed_groups,
            "errors": listed.errors,
            "exact": exact,
            "ours_per_second": per_second(server.admitted, started, span),
        }
        if other is not None:
            run |= {
                "other_calls": other.calls,
                "other_throttled": other.throttled,
                "other_throttled_per_second": per_second(other.throttled_at, started, span),
            }
    return run


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def figures(scenario: Scenario, run: dict[str, Any]) -> dict[str, float]:
    """The figures of one run that issue 22's bars are about."""
    found = {
        "x_floor": run["wall_s"] / floor_seconds(scenario),
        "ours": share(run["throttled"], run["requests"]),
        "list_groups_throttled": run["list_groups_throttled"],
    }
    if "other_calls" in run:
        found["theirs"] = share(run["other_throttled"], run["other_calls"])
    return found


#: Each bar's figure: its name in `figures()`, what the bar reads, how a figure is written.
BAR_FIGURES = (
    ("x_floor", "≤ {:.2f}× floor", "{:.2f}×"),  # noqa: RUF001
    ("ours", "≤ {:.0%} of ours throttled", "{:.1%}"),
    ("theirs", "≤ {:.0%} of theirs throttled", "{:.1%}"),
    ("list_groups_throttled", "≤ {} ListGroups throttled", "{:g}"),
)


def check_bars(bars: Bars, found: dict[str, float], exact: bool) -> list[dict[str, Any]]:
    """Each of ``bars`` against ``found`` (`figures()`, or their medians): what, figure, met."""
    checks: list[dict[str, Any]] = [{"bar": "exact, no error", "met": exact}]
    for name, bar, figure in BAR_FIGURES:
        level = getattr(bars, name)
        if level is not None:
            checks.append(
                {
                    "bar": bar.format(level),
                    "measured": figure.format(found[name]),
                    "met": found[name] <= level,
                }
            )
    return checks


def summarize(scenario: Scenario, runs: list[dict[str, Any]], bars: bool) -> dict[str, Any]:
    """A variant's medians over its ``runs``, and (``bars``) its bars checked against them.

    The bars are checked against the medians (exactness: in every round), and in each round
    on its own (``rounds_bars_met``).
    """
    each = [figures(scenario, run) for run in runs]
    row: dict[str, Any] = {
        "wall_s": statistics.median(run["wall_s"] for run in runs),
        **{key: statistics.median(found[key] for found in each) for key in each[0]},
        "throttled": statistics.median(run["throttled"] for run in runs),
        "failed_groups": max(run["failed_groups"] for run in runs),
        "exact_rounds": sum(run["exact"] for run in runs),
        "errors": sorted({error for run in runs for error in run["errors"]}),
    }
    if bars:
        checks = check_bars(scenario.bars, row, row["exact_rounds"] == len(runs))
        row["bars"] = checks
        row["bars_met"] = all(check["met"] for check in checks)
        row["rounds_bars_met"] = sum(
            all(check["met"] for check in check_bars(scenario.bars, found, run["exact"]))
            for found, run in zip(each, runs, strict=True)
        )
    row["runs"] = runs
    return row


def measure(rounds: int, only: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every scenario's figures, or (``only``) those scenarios', each with a stamp of its own."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    began = time.monotonic()
    chosen = [scenario for scenario in SCENARIOS if not only or scenario.key in only]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for number in range(1, rounds + 1):
        for scenario in chosen:
            for name, kinds in VARIANTS.items():
                variant = kinds.get(scenario.kind)
                if variant is None:
                    continue
                run = run_once(scenario, variant)
                runs.setdefault((scenario.key, name), []).append(run)
                print(
                    f"round {number}/{rounds} {scenario.key:9} {name:26} {run['wall_s']:6.2f} s "
                    f"throttled {run['throttled']:3}/{run['requests']:<4} "
                    f"other {run.get('other_throttled', '-')}/{run.get('other_calls', '-')} "
                    f"failed {run['failed_groups']} exact {run['exact']} {run['errors']}",
                    file=sys.stderr,
                    flush=True,
                )
    scenarios: dict[str, Any] = {}
    for scenario in chosen:
        members, list_groups = requests(scenario)
        variants: dict[str, Any] = {}
        for name in VARIANTS:
            if (scenario.key, name) not in runs:
                continue
            row = summarize(scenario, runs[scenario.key, name], bars=name in LIBRARY)
            variants[name] = row
        scenarios[scenario.key] = {
            "key": scenario.key,
            "title": scenario.title,
            "note": scenario.note,
            "pools": {pool: len(groups) for pool, groups in scenario.pools.items()},
            "list_users_in_group_requests": members,
            "list_groups_requests": list_groups,
            "floor_s": floor_seconds(scenario),
            "kind": scenario.kind,
            "load": None if scenario.load is None else asdict(scenario.load),
            "pool_burst": scenario.pool_burst,
            "variants": variants,
        }
    run = stamp(rounds=rounds, run_s=round(time.monotonic() - began))
    if only:
        for found in scenarios.values():
            found["stamp"] = run
    return {
        "stamp": run,
        "setup": {
            "latency_ms": LATENCY * 1000,
            "user_list_rps": QUOTA,
            "burst": BURST,
            "list_groups_pool_rps": POOL_RATE,
            "list_groups_account_rps": READ_RATE,
            "peer_threads": _peer.THREADS,
        },
        "scenarios": scenarios,
    }


def verdict(row: dict[str, Any]) -> str:
    """The bar column: met or not (against the medians), and in how many rounds."""
    if "bars" not in row:
        return "—"
    rounds = f"{row['rounds_bars_met']} of {len(row['runs'])} rounds"
    if row["bars_met"]:
        return f"met (all bars met in {rounds})"
    missed = [
        check["bar"] if "measured" not in check else f"{check['measured']}, bar {check['bar']}"
        for check in row["bars"]
        if not check["met"]
    ]
    return f"**not met**: {'; '.join(missed)} (all bars met in {rounds})"


def outcome(row: dict[str, Any]) -> str:
    """The exact column: yes, or in how many rounds not, and why."""
    rounds = len(row["runs"])
    if row["exact_rounds"] == rounds:
        return "yes"
    errors = f" ({', '.join(row['errors'])})" if row["errors"] else ""
    return f"**no** in {rounds - row['exact_rounds']} of {rounds} rounds{errors}"


def label(kind: str, name: str) -> str:
    """A variant's name in a scenario's table."""
    if kind == "processes":
        return f"3 x {'`cognito-groups export`' if name in LIBRARY else name}"
    if kind == "groups" and name not in LIBRARY:
        return name.replace("4 threads", "`ListGroups` loop")
    return name


def describe(scenario: dict[str, Any]) -> str:
    """The line above a scenario's table: what, how many requests, the floor and its rule.

    A scenario measured on its own (``--only``) says when, on which commit, in how many rounds.
    """
    members, list_groups = (
        scenario["list_users_in_group_requests"],
        scenario["list_groups_requests"],
    )
    sent = (
        f"{members + list_groups} requests ({members} `ListUsersInGroup`, {list_groups} "
        "`ListGroups`)"
        if members
        else f"{list_groups} `ListGroups` requests"
    )
    line = f"**{scenario['title']}**: {sent}, floor {scenario['floor_s']:.2f} s. {scenario['note']}"
    own = scenario.get("stamp")
    if own is not None:
        line += (
            f" Measured on its own (`--only {scenario.get('key')}`): median of {own['rounds']} "
            f"round{'' if own['rounds'] == 1 else 's'}, commit {own['commit']}, {own['date']}, "
            f"{own['machine']}."
        )
    return line


def render(results: dict[str, Any]) -> str:
    """The Markdown block of ``results``, as it appears in docs/performance.md."""
    run, setup = results["stamp"], results["setup"]
    lines = [
        BEGIN,
        f"A loopback Cognito answering after {setup['latency_ms']:g} ms, with UserList at "
        f"{setup['user_list_rps']:g} requests/s (burst {setup['burst']}) and `ListGroups` at "
        f"{setup['list_groups_pool_rps']:g}/s per pool within {setup['list_groups_account_rps']:g}"
        f"/s per account. The library with its defaults; the peer is raw boto3 with "
        f"{setup['peer_threads']} threads. Median of {run['rounds']} round"
        f"{'' if run['rounds'] == 1 else 's'} (the run took "
        f"{run['run_s'] / 60:.0f} min); commit {run['commit']}, {run['date']}, {run['machine']}, "
        f"Python {run['python']}, botocore {run['botocore']}, cognito-groups "
        f"{run['cognito_groups']} (`benchmarks/quota-results.json`). The bar column holds "
        "our bars (the goals we hold the library to) against the medians; "
        '"exact" means every membership once and no error, in every round.',
        "",
        "![Wall time against the floor, and the other caller's throttled share, for each "
        "scenario: cognito-groups beside raw boto3](quota-chart.svg)",
    ]
    for scenario in results["scenarios"].values():
        lines += [
            "",
            describe(scenario),
            "",
            "| variant | wall time | × floor | ours throttled | other caller's throttled "  # noqa: RUF001
            "| failed groups | exact | bar |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for name, row in scenario["variants"].items():
            theirs = f"{row['theirs']:.1%}" if "theirs" in row else "—"
            lines.append(
                f"| {label(scenario['kind'], name)} | {row['wall_s']:.2f} s | "
                f"{row['x_floor']:.2f} | {row['ours']:.1%} ({row['throttled']:g}) | {theirs} | "
                f"{row['failed_groups']} | {outcome(row)} | {verdict(row)} |"
            )
    lines.append(END)
    return "\n".join(lines)


SERIES = (
    Series("cognito-groups, sync", "#0072B2"),
    Series("cognito-groups, async", "#56B4E9"),
    Series("boto3 4 threads, standard", "#D55E00"),
    Series("boto3 4 threads, adaptive", "#E69F00"),
)
SHORT = {
    "alone": "alone",
    "other-15": "other 15/s",
    "burst-20": "other 20/s, 5 s",
    "burst-29": "other 29/s, 25 s",
    "groups": "iter_groups 1,800",
    "no-burst": "groups, no burst",
    "small": "600 x 3 users",
    "processes": "3 processes",
}


def chart(results: dict[str, Any]) -> str:
    """The SVG chart of ``results`` (docs/quota-chart.svg)."""
    scenarios = results["scenarios"]

    def values(key: str, figure: str) -> list[tuple[float, bool] | None]:
        rows = scenarios[key]["variants"]
        return [
            None
            if series.name not in rows
            else (
                rows[series.name][figure],
                rows[series.name]["exact_rounds"] == len(rows[series.name]["runs"]),
            )
            for series in SERIES
        ]

    def bar(key: str, figure: str) -> float | None:
        scenario = next(s for s in SCENARIOS if s.key == key)
        level: float | None = getattr(scenario.bars, figure)
        return level

    loaded = [key for key in scenarios if scenarios[key]["load"] is not None]
    time_panel = Panel(
        "Wall time against the floor (× floor; dashes: our bar)",  # noqa: RUF001
        [SHORT.get(key, key) for key in scenarios],
        [values(key, "x_floor") for key in scenarios],
        [bar(key, "x_floor") for key in scenarios],
        "{:.2f}",
    )
    share_panel = Panel(
        "The other caller's calls throttled (dashes: our bar)",
        [SHORT.get(key, key) for key in loaded],
        [
            [None if v is None else (v[0] * 100, v[1]) for v in values(key, "theirs")]
            for key in loaded
        ],
        [None if (b := bar(key, "theirs")) is None else b * 100 for key in loaded],
        "{:.1f}%",
    )
    return bar_chart(
        [time_panel, share_panel] if loaded else [time_panel],
        SERIES,
        "✗: not exact in every round (failed groups or an error)",
    )


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` results with the scenarios of ``new`` (measured on their own) in their place."""
    scenarios = {
        scenario.key: new["scenarios"].get(scenario.key, old["scenarios"].get(scenario.key))
        for scenario in SCENARIOS
    }
    return {**old, "scenarios": {key: found for key, found in scenarios.items() if found}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of every scenario and variant, the median reported (3: about 25 minutes)",
    )
    parser.add_argument(
        "--redraw",
        action="store_true",
        help="measure nothing: write the docs' block and the chart again from the results file",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[scenario.key for scenario in SCENARIOS],
        metavar="KEY",
        help="measure only this scenario (repeatable), and keep the others' figures in the "
        "results file",
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    if args.redraw:
        results = json.loads(RESULTS.read_text())
        replace_block(DOCS, BEGIN, END, render(results))
        CHART.write_text(chart(results))
        return
    only = frozenset(args.only or ())
    results = measure(args.rounds, only)
    if only and RESULTS.exists():
        results = merged(json.loads(RESULTS.read_text()), results)
    publish(results, RESULTS, DOCS, (BEGIN, END), render)
    CHART.write_text(chart(results))


if __name__ == "__main__":
    main()
