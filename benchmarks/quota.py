"""Benchmark: every group of a pool within an account quota, against a loopback Cognito.

Run with ``make bench-quota`` (or ``python benchmarks/quota.py``). The server
(``tests/quota_server.py``) answers ``ListGroups`` and ``ListUsersInGroup`` after 80 ms and
enforces a quota like the account's: a token bucket of 30 requests per second, burst 5,
``TooManyRequestsException`` beyond it. The pool has 16 groups of 180 members: 49 requests,
so the quota floor is 49 / 30 = 1.63 s. Side by side, in one run, each variant on a fresh
server, ``--rounds`` times (the median is reported):

* a sequential boto3 loop, one group after another;
* 16 threads of raw boto3 loops (boto3's default retry mode), one group each;
* the library with default arguments, and with ``max_rps=28``, sync and async;
* ``cognito-groups export`` with ``--output`` and ``--checkpoint``, timed end to end (a new
  process: interpreter start-up and imports included).

It writes ``benchmarks/quota-results.json`` (stamped with the date, machine and versions) and
the table between the ``quota`` markers of ``docs/performance.md``, generated from that file
(``tests/test_docs.py`` checks that they agree).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import publish, stamp  # noqa: E402
from cognito_groups import AsyncCognitoGroups, CognitoGroups  # noqa: E402
from tests.quota_server import POOL, QuotaServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "quota-results.json"
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- quota:begin -->", "<!-- quota:end -->"
GROUPS = {f"g{index:02d}": 180 for index in range(16)}
LATENCY = 0.08
QUOTA = 30.0
REQUESTS = 1 + 16 * 3
FLOOR = REQUESTS / QUOTA


def raw_client(url: str, **config: Any) -> Any:
    return boto3.client(
        "cognito-idp", region_name="us-east-1", endpoint_url=url, config=Config(**config)
    )


def raw_group(client: Any, name: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    params: dict[str, Any] = {"UserPoolId": POOL, "GroupName": name, "Limit": 60}
    while True:
        page = client.list_users_in_group(**params)
        found.extend((name, user["Username"]) for user in page["Users"])
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]


def raw_names(client: Any) -> list[str]:
    return [group["GroupName"] for group in client.list_groups(UserPoolId=POOL, Limit=60)["Groups"]]


def sequential(url: str) -> tuple[list[tuple[str, str]], int]:
    client = raw_client(url, retries={"mode": "standard"})
    found: list[tuple[str, str]] = []
    for name in raw_names(client):
        found.extend(raw_group(client, name))
    return found, 0


def threads(url: str) -> tuple[list[tuple[str, str]], int]:
    client = raw_client(url, max_pool_connections=16)  # boto3's default (legacy) retries
    names = raw_names(client)
    found: list[tuple[str, str]] = []
    failed = 0
    with ThreadPoolExecutor(16) as pool:
        for future in [pool.submit(raw_group, client, name) for name in names]:
            try:
                found.extend(future.result())
            except ClientError:
                failed += 1
    return found, failed


def library(url: str, max_rps: float | None = None) -> tuple[list[tuple[str, str]], int]:
    with CognitoGroups(endpoint_url=url, region_name="us-east-1", max_rps=max_rps) as groups:
        found = [(m.group_name, m.user.username) for m in groups.iter_memberships(POOL)]
    return found, 0


def library_async(url: str, max_rps: float | None = None) -> tuple[list[tuple[str, str]], int]:
    async def run() -> list[tuple[str, str]]:
        async with AsyncCognitoGroups(
            endpoint_url=url, region_name="us-east-1", max_rps=max_rps
        ) as groups:
            return [(m.group_name, m.user.username) async for m in groups.iter_memberships(POOL)]

    return asyncio.run(run()), 0


def export_command(url: str) -> tuple[list[tuple[str, str]], int]:
    """``cognito-groups export`` end to end: a new process, a crash-safe file, read back."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "members.jsonl"
        script = Path(sys.executable).with_name("cognito-groups")
        subprocess.run(
            [str(script), "export", POOL, "--endpoint-url", url, "--region", "us-east-1",
             "-o", str(output), "--checkpoint", str(output) + ".checkpoint"],
            check=True, capture_output=True,
        )  # fmt: skip
        records = [json.loads(line) for line in output.read_text().splitlines()]
    return [(record["group_name"], record["username"]) for record in records], 0


Found = tuple[list[tuple[str, str]], int]

VARIANTS: dict[str, Callable[[str], Found]] = {
    "sequential boto3 loop": sequential,
    "16 threads of boto3 loops": threads,
    "library, defaults": library,
    "library, max_rps=28": lambda url: library(url, 28),
    "async library, defaults": library_async,
    "async library, max_rps=28": lambda url: library_async(url, 28),
    "cognito-groups export (process, end to end)": export_command,
}


def measure(rounds: int) -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    rows: dict[str, dict[str, Any]] = {}
    for name, variant in VARIANTS.items():
        walls: list[float] = []
        throttled: list[float] = []
        failed_groups: list[int] = []
        exact = True
        for _ in range(rounds):
            with QuotaServer(GROUPS, latency=LATENCY, rate=QUOTA, burst=5) as server:
                started = time.perf_counter()
                found, failed = variant(server.url)
                walls.append(time.perf_counter() - started)
                throttled.append(server.throttled / server.requests)
                failed_groups.append(failed)
                exact = exact and sorted(found) == sorted(server.memberships())
        rows[name] = {
            "wall_s": statistics.median(walls),
            "throttled_share": max(throttled),
            "failed_groups": max(failed_groups),
            "every_membership_once": exact,
        }
    sequential_wall = rows["sequential boto3 loop"]["wall_s"]
    for row in rows.values():
        row["x_floor"] = row["wall_s"] / FLOOR
        row["x_sequential"] = row["wall_s"] / sequential_wall
    return {
        "stamp": stamp(rounds=rounds),
        "setup": {
            "groups": len(GROUPS),
            "members_per_group": 180,
            "requests": REQUESTS,
            "latency_ms": LATENCY * 1000,
            "quota_rps": QUOTA,
            "quota_burst": 5,
            "floor_s": FLOOR,
        },
        "variants": rows,
    }


def render(results: dict[str, Any]) -> str:
    """The Markdown table of ``results``, as it appears in docs/performance.md."""
    run, setup = results["stamp"], results["setup"]
    lines = [
        BEGIN,
        f"{setup['groups']} groups of {setup['members_per_group']} members, "
        f"{setup['requests']} requests, {setup['latency_ms']:g} ms per request, a quota of "
        f"{setup['quota_rps']:g} requests/s (burst {setup['quota_burst']}): the floor is "
        f"{setup['floor_s']:.2f} s. Median of {run['rounds']} rounds; commit {run['commit']}, "
        f"{run['date']}, {run['machine']}, Python {run['python']}, botocore "
        f"{run['botocore']}, cognito-groups {run['cognito_groups']} "
        "(`benchmarks/quota-results.json`).",
        "",
        "| variant | wall time | × floor | × sequential | throttled | failed groups | exact |",  # noqa: RUF001
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in results["variants"].items():
        lines.append(
            f"| {name} | {row['wall_s']:.2f} s | {row['x_floor']:.2f} | "
            f"{row['x_sequential']:.2f} | {row['throttled_share']:.0%} | "
            f"{row['failed_groups']} | {'yes' if row['every_membership_once'] else 'NO'} |"
        )
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = measure(args.rounds)
    publish(results, RESULTS, DOCS, (BEGIN, END), render)


if __name__ == "__main__":
    main()
