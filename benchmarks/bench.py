"""Benchmarks: cognito-groups against raw boto3, measured in the same run.

Run with ``make bench`` (or ``python benchmarks/bench.py``). Nothing here talks to AWS: the
responses come from a canned transport (botocore's whole path — validation, signing, parsing —
with the response bytes handed back by a ``before-send`` handler) or from a loopback HTTP server.

Reported:

* per-page time of each variant, its ratio to the raw loop (median of per-round ratios, with a
  bootstrap 95% interval), the overhead in µs per user, and the requests made;
* peak RSS of streaming 6,000 and 60,000 users, each in a fresh subprocess;
* requests made by a raw loop that omits ``Limit`` (default page 25) against ours;
* prefetch against sequential paging, with a fixed latency per page and a consumer that spends
  about as long on each page.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders

from benchmarks._results import replace_block, stamp
from cognito_groups import CognitoGroups
from tests.users import numbered_user, wire_json

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
POOL = "us-east-1_Bench1"
GROUP = "bench"
REGION = "us-east-1"
DEFAULT_PAGE = 25  # what the real service was seen to return when Limit is omitted


# --- canned pages of the tests' users (tests/users.py: 5 attributes each) -------------------


OWN = "cognito-groups, own client"
INJECTED = "cognito-groups, injected stock client"


class CannedGroup:
    """The response bytes of a group of ``n`` users, for any (offset, Limit), cached."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._cache: dict[tuple[int, int], bytes] = {}
        self.requests = 0

    def body(self, params: dict[str, Any]) -> bytes:
        """The JSON body answering a ListUsersInGroup request with these parameters."""
        self.requests += 1
        offset = int(params.get("NextToken", "o0")[1:])
        limit = params.get("Limit", DEFAULT_PAGE)
        key = (offset, limit)
        if key not in self._cache:
            stop = min(offset + limit, self.n)
            page: dict[str, Any] = {"Users": [numbered_user(i) for i in range(offset, stop)]}
            if stop < self.n:
                page["NextToken"] = f"o{stop}"
            self._cache[key] = wire_json(page)
        return self._cache[key]


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def serve_canned(client: Any, group: CannedGroup) -> Any:
    """Answer the client's ListUsersInGroup requests from ``group``, in process."""

    def handler(request: Any, **_kwargs: Any) -> AWSResponse:
        data = group.body(json.loads(request.body))
        headers = HTTPHeaders()
        headers["x-amzn-requestid"] = "bench"
        headers["content-type"] = "application/x-amz-json-1.1"
        headers["content-length"] = str(len(data))
        return AWSResponse(request.url, 200, headers, _Raw(data))

    client.meta.events.register("before-send.cognito-idp.ListUsersInGroup", handler)
    return client


def stock_client(endpoint_url: str | None = None) -> Any:
    """A client as boto3 makes it by default (legacy retries, local-time timestamps)."""
    return boto3.Session(
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 (nothing leaves this process)
        region_name=REGION,
    ).client("cognito-idp", endpoint_url=endpoint_url)


def own_groups(endpoint_url: str | None = None) -> CognitoGroups:
    """The library on the client it builds itself (the fast path)."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    return CognitoGroups(region_name=REGION, endpoint_url=endpoint_url)


# --- the variants ---------------------------------------------------------------------------


def raw_loop(client: Any, *, limit: bool = True) -> int:
    """What people write with boto3: a NextToken loop (touching each user once)."""
    count = 0
    kwargs: dict[str, Any] = {"UserPoolId": POOL, "GroupName": GROUP}
    if limit:
        kwargs["Limit"] = 60
    while True:
        response = client.list_users_in_group(**kwargs)
        for _user in response["Users"]:
            count += 1
        token = response.get("NextToken")
        if not token:
            return count
        kwargs["NextToken"] = token


def paginator_loop(client: Any) -> int:
    """boto3's paginator, with the page size set to the maximum."""
    count = 0
    paginator = client.get_paginator("list_users_in_group")
    for page in paginator.paginate(
        UserPoolId=POOL, GroupName=GROUP, PaginationConfig={"PageSize": 60}
    ):
        for _user in page["Users"]:
            count += 1
    return count


def ours(groups: CognitoGroups, *, prefetch: bool = False) -> int:
    """The library: typed, UTC users."""
    count = 0
    for _user in groups.iter_users(POOL, GROUP, prefetch=prefetch):
        count += 1
    return count


@dataclass
class Variant:
    name: str
    run: Callable[[], int]


def variants(prepare: Callable[[Any], Any], endpoint_url: str | None = None) -> list[Variant]:
    """The four variants, each on a client of its own, made ready by ``prepare(client)``."""
    raw_client = prepare(stock_client(endpoint_url))
    paginator_client = prepare(stock_client(endpoint_url))
    injected = CognitoGroups(prepare(stock_client(endpoint_url)))
    own = own_groups(endpoint_url)
    prepare(own.client)
    return [
        Variant("raw loop (stock client)", lambda: raw_loop(raw_client)),
        Variant("boto3 paginator", lambda: paginator_loop(paginator_client)),
        Variant(OWN, lambda: ours(own)),
        Variant(INJECTED, lambda: ours(injected)),
    ]


# --- measuring ------------------------------------------------------------------------------


def sample(
    run: Callable[[], int], expected: int, clock: Callable[[], float] = time.process_time
) -> float:
    """Seconds ``run`` took, by ``clock``.

    By default the CPU time of this process (time a noisy neighbour steals on a shared machine
    does not count); wall time where waiting is the point (prefetch).
    """
    gc.collect()
    started = clock()
    count = run()
    elapsed = clock() - started
    if count != expected:
        raise SystemExit(f"benchmark bug: {count} users, expected {expected}")
    return elapsed


def bootstrap_median_ci(values: list[float], rng: random.Random) -> tuple[float, float]:
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
    return medians[int(0.025 * len(medians))], medians[int(0.975 * len(medians)) - 1]


@dataclass
class Row:
    n: int
    name: str
    page_us: float
    ratio: float
    low: float
    high: float
    overhead_us_per_user: float
    requests: int


def compare(
    n: int,
    rounds: int,
    warmup: int,
    found: list[Variant],
    group: CannedGroup | RequestCount,
) -> list[Row]:
    """Interleaved ABBA rounds; ratios to the raw loop per round. ``group`` counts requests."""
    for variant in found:
        for _ in range(warmup):
            sample(variant.run, n)
    times: dict[str, list[float]] = {v.name: [] for v in found}
    for index in range(rounds):
        order = found if index % 2 == 0 else list(reversed(found))
        for variant in order:
            times[variant.name].append(sample(variant.run, n))
    requests: dict[str, int] = {}
    for variant in found:
        before = group.requests
        variant.run()
        requests[variant.name] = group.requests - before
    raw = times[found[0].name]
    pages = math.ceil(n / 60)
    rng = random.Random(1)
    rows = []
    for variant in found:
        ratios = [t / r for t, r in zip(times[variant.name], raw, strict=False)]
        low, high = bootstrap_median_ci(ratios, rng)
        median_time = statistics.median(times[variant.name])
        rows.append(
            Row(
                n,
                variant.name,
                median_time / pages * 1e6,
                statistics.median(ratios),
                low,
                high,
                (median_time - statistics.median(raw)) / n * 1e6,
                requests[variant.name],
            )
        )
    return rows


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}\n")
    print("| N | variant | µs/page | ratio to raw (95% CI) | overhead µs/user | requests |")
    print("|---:|---|---:|---|---:|---:|")
    for row in rows:
        ratio = f"{row.ratio:.2f} ({row.low:.2f} to {row.high:.2f})"
        print(
            f"| {row.n:,} | {row.name} | {row.page_us:,.0f} | {ratio} "
            f"| {row.overhead_us_per_user:+.2f} | {row.requests} |"
        )


# --- loopback HTTP ---------------------------------------------------------------------------


class RequestCount:
    """Requests the clients sent, counted as they go out (``before-send``, retries included)."""

    def __init__(self) -> None:
        self.requests = 0

    def counted(self, client: Any) -> Any:
        def count(**_kwargs: Any) -> None:
            self.requests += 1

        client.meta.events.register("before-send.cognito-idp.ListUsersInGroup", count)
        return client


@contextmanager
def loopback(n: int, latency: float = 0.0) -> Iterator[str]:
    """The tests' server (tests/fault_server.py) with ``n`` users, in a process of its own.

    Its own process, so that the CPU time measured here is the client's alone.
    """
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fault_server", str(n), str(latency)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as server:  # fmt: skip
        assert server.stdin is not None
        assert server.stdout is not None
        try:
            yield server.stdout.readline().strip()
        finally:
            server.stdin.close()  # the server stops when its input ends


# --- memory, requests, prefetch ------------------------------------------------------------


def stream_for_memory(n: int) -> None:
    """In a fresh process: stream ``n`` users and print the peak RSS in KiB."""
    groups = own_groups()
    serve_canned(groups.client, CannedGroup(n))
    count = ours(groups)
    assert count == n
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss_kib(n: int) -> int:
    out = subprocess.run(
        [sys.executable, __file__, "--memory", str(n)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def prefetch_comparison(pages: int, latency: float, rounds: int) -> tuple[float, float, float]:
    """Wall time of sequential vs prefetch paging, consumer spending ``latency`` per page."""
    n = pages * 60
    with loopback(n, latency) as url:
        groups = own_groups(url)

        def consume(prefetch: bool) -> int:
            count = 0
            for page in groups.iter_pages(POOL, GROUP, prefetch=prefetch):
                time.sleep(latency)  # the caller's own work on each page
                count += len(page.users)
            return count

        times: dict[bool, list[float]] = {False: [], True: []}
        for index in range(rounds):
            order = (False, True) if index % 2 == 0 else (True, False)
            for mode in order:
                times[mode].append(sample(functools.partial(consume, mode), n, time.perf_counter))
        sequential, prefetched = times[False], times[True]
    seq, pre = statistics.median(sequential), statistics.median(prefetched)
    return seq, pre, pre / seq


RESULTS = Path(__file__).resolve().parent / "results.json"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def measure(scale: int) -> dict[str, Any]:
    """Every figure of the benchmark, with the stamp of what was measured where."""
    started = time.monotonic()
    rows: list[Row] = []
    for n, rounds, warmup in ((600, 12, 2), (6_000, 14, 1), (60_000, 2, 0)):
        group = CannedGroup(n)
        found = variants(functools.partial(serve_canned, group=group))
        rows += compare(n, max(2, rounds // scale), warmup, found, group)
    count = RequestCount()
    with loopback(6_000) as url:
        found = variants(count.counted, url)
        http_rows = compare(6_000, max(2, 10 // scale), 1, found, count)
    small, large = peak_rss_kib(6_000), peak_rss_kib(60_000)
    requests = []
    for n in (600, 6_000, 60_000):
        group = CannedGroup(n)
        raw_loop(serve_canned(stock_client(), group), limit=False)
        raw_requests = group.requests
        mine = own_groups()
        serve_canned(mine.client, group)
        ours(mine)
        requests.append({"n": n, "raw_without_limit": raw_requests,
                         "cognito_groups": group.requests - raw_requests})  # fmt: skip
    sequential, prefetched, ratio = prefetch_comparison(
        pages=20, latency=0.02, rounds=max(2, 4 // scale)
    )
    return {
        "stamp": stamp(quick=scale > 1),
        "canned": [dataclasses.asdict(row) for row in rows],
        "loopback": [dataclasses.asdict(row) for row in http_rows],
        "memory_kib": {"6000": small, "60000": large},
        "requests": requests,
        "prefetch": {"sequential_s": sequential, "prefetch_s": prefetched, "ratio": ratio},
        "seconds": time.monotonic() - started,
    }


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| N | variant | µs/page | ratio to raw (95% CI) | overhead µs/user | requests |",
        "|---:|---|---:|---|---:|---:|",
    ]
    for row in rows:
        ratio = f"{row['ratio']:.2f} ({row['low']:.2f} to {row['high']:.2f})"
        lines.append(
            f"| {row['n']:,} | {row['name']} | {row['page_us']:,.0f} | {ratio} "
            f"| {row['overhead_us_per_user']:+.2f} | {row['requests']} |"
        )
    return lines


def _pick(rows: list[dict[str, Any]], n: int, name: str) -> dict[str, Any]:
    return next(row for row in rows if row["n"] == n and row["name"] == name)


def render(results: dict[str, Any]) -> str:
    """The results block of docs/performance.md, from ``results`` (and nothing typed by hand)."""
    stamp = results["stamp"]
    canned = results["canned"]
    own = _pick(canned, 6_000, OWN)
    injected = [_pick(canned, n, INJECTED) for n in (600, 6_000, 60_000)]
    small, large = results["memory_kib"]["6000"], results["memory_kib"]["60000"]
    prefetch = results["prefetch"]
    requests = results["requests"]
    growth = (large - small) / 1024
    lines = [
        BEGIN,
        f"Commit {stamp['commit']}, {stamp['date']}; {stamp['machine']}, Python "
        f"{stamp['python']}, boto3 {stamp['boto3']}, botocore {stamp['botocore']}, "
        f"cognito-groups {stamp['cognito_groups']} (`benchmarks/results.json`).",
        "",
        "### Canned transport (in process: botocore's full path, no network)",
        "",
        *_table(canned),
        "",
        "### Loopback HTTP server (127.0.0.1)",
        "",
        *_table(results["loopback"]),
        "",
        "### Memory (own client, streaming, fresh process each)",
        "",
        f"peak RSS: 6,000 users {small / 1024:.1f} MiB; 60,000 users {large / 1024:.1f} MiB; "
        f"difference {growth:+.2f} MiB",
        "",
        "### Requests",
        "",
        "| N | raw loop without Limit (service default 25) | cognito-groups |",
        "|---:|---:|---:|",
        *(f"| {r['n']:,} | {r['raw_without_limit']} | {r['cognito_groups']} |" for r in requests),
        "",
        "### Prefetch (loopback, 20 ms per page on the server, 20 ms per page in the caller)",
        "",
        f"20 pages: sequential {prefetch['sequential_s'] * 1e3:.0f} ms, prefetch "
        f"{prefetch['prefetch_s'] * 1e3:.0f} ms, ratio {prefetch['ratio']:.2f}",
        "",
        "### Against the targets",
        "",
        "| target | measured (this run) | met? |",
        "|---|---|---|",
        f"| own client / raw loop ≤ 0.75 at N = 6,000 (upper end of the 95% interval) | "
        f"{own['ratio']:.2f} ({own['low']:.2f} to {own['high']:.2f}) | "
        f"{'yes' if own['high'] <= 0.75 else 'no'} |",
        "| injected stock client / raw loop ≤ 1.10 | "
        + ", ".join(f"{row['ratio']:.2f} at {row['n']:,}" for row in injected)
        + f" | {'yes' if all(row['ratio'] <= 1.10 for row in injected) else 'no'} |",
        "| requests = ceil(N/60) vs ceil(N/25) for a raw loop without `Limit` | "
        + "/".join(str(r["cognito_groups"]) for r in requests)
        + " vs "
        + "/".join(str(r["raw_without_limit"]) for r in requests)
        + " | "
        + ("yes" if all(r["cognito_groups"] == math.ceil(r["n"] / 60) for r in requests) else "no")
        + " |",
        f"| streaming 60k users: peak RSS at most 2 MB above 6k | {growth:+.2f} MiB | "
        f"{'yes' if growth <= 2 else 'no'} |",
        f"| prefetch with latency ≈ consumer time per page: wall time ≤ 0.6× sequential | "  # noqa: RUF001
        f"{prefetch['ratio']:.2f} | {'yes' if prefetch['ratio'] <= 0.6 else 'no'} |",
        f"| `make bench` under 3 minutes on 2 cores | {results['seconds'] / 60:.1f} min | "
        f"{'yes' if results['seconds'] <= 180 else 'no'} |",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args()
    if args.memory:
        stream_for_memory(args.memory)
        return
    results = measure(2 if args.quick else 1)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    replace_block(DOCS, BEGIN, END, render(results))
    print(render(results))


if __name__ == "__main__":
    main()
