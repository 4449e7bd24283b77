"""Benchmark: ``cognito-groups sync`` against ``cognito-groups export`` of the same pool.

Run with ``make bench-mirror`` (or ``python benchmarks/mirror.py``); about three minutes.
Three measurements, each against a baseline in the same run:

* **Wall time.** A loopback Cognito (``tests/quota_server.py``) that enforces the account's
  quota (30 requests per second, burst 5) and answers each request after 80 ms serves 24
  groups of 240 members. ``export -o FILE`` and ``sync --db FILE`` (a first sync: every
  membership written) run at their default pace, each in a fresh process, alternated
  (export, sync, sync, export, ...) over ``ROUNDS`` rounds; the ratio is the median of the
  rounds' sync / export. The issue's bound: 1.15.
* **Peak memory.** 200,000 memberships (10 groups of 20,000 users) from the same server with
  no quota and no latency (``--max-rps 1000``): the peak resident set size of ``export -o
  FILE`` and of ``sync`` (a first sync), each in a fresh process (``getrusage`` of a wrapper's
  only child). The bound: 1.3.
* **The final diff.** The mirror of that sync, and a second sync of the same 200,000
  memberships with 1% changed (1,000 removed, 1,000 added), run in this process: the time of
  the transaction that computes the changes and swaps the rows in, and of the removal of the
  staged rows after it, as the sync logs it, on SQLite (and, apart, the WAL checkpoint before
  it). The bound: 2 s.

It writes ``benchmarks/mirror-results.json`` (stamped with the commit, date, machine and
versions) and the section between the ``mirror`` markers of ``docs/performance.md``,
generated from that file (``tests/test_docs.py`` checks that they agree).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import publish, stamp  # noqa: E402
from cognito_groups import CognitoGroups, Mirror  # noqa: E402
from cognito_groups._mirror._job import LOGGER  # noqa: E402
from tests.quota_server import POOL, QuotaServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "mirror-results.json"
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- mirror:begin -->", "<!-- mirror:end -->"
WALL_BOUND, RSS_BOUND, DIFF_BOUND = 1.15, 1.3, 2.0
ROUNDS = 5
QUOTA_GROUPS = {f"q{index:02d}": 240 for index in range(24)}
LATENCY = 0.08
BIG_GROUPS = 10
BIG_MEMBERS = 20_000
#: Print the peak RSS (KiB) of the command in argv, run as this process's only child.
WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def command(kind: str, url: str, target: Path, *extra: str) -> list[str]:
    """``export -o target`` or ``sync --db target``, quiet, against ``url``."""
    where = ["-o", str(target)] if kind == "export" else ["--db", str(target)]
    return [sys.executable, "-m", "cognito_groups", kind, POOL, "--endpoint-url", url,
            "--region", "us-east-1", "-q", *where, *extra]  # fmt: skip


def clean(target: Path) -> None:
    for name in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        name.unlink(missing_ok=True)


def wall_times(folder: Path) -> dict[str, Any]:
    """Export and sync at their default pace against the quota, alternated."""
    times: dict[str, list[float]] = {"export": [], "sync": []}
    throttles: dict[str, list[int]] = {"export": [], "sync": []}
    ratios = []
    with QuotaServer(QUOTA_GROUPS, latency=LATENCY, rate=30.0, burst=5) as server:
        for round_number in range(ROUNDS):
            order = ("export", "sync") if round_number % 2 == 0 else ("sync", "export")
            measured = {}
            for kind in order:
                target = folder / f"wall.{kind}"
                clean(target)
                # Each run starts from a budget of its own: none inherits the pace another
                # left in the machine's shared state (nor the user's cache).
                budgets = folder / f"budgets-{round_number}-{kind}"
                env = {**os.environ, "COGNITO_GROUPS_BUDGET_DIR": str(budgets)}
                before = server.throttled
                started = time.perf_counter()
                subprocess.run(command(kind, server.url, target), check=True, cwd=ROOT, env=env)
                measured[kind] = time.perf_counter() - started
                throttles[kind].append(server.throttled - before)
                times[kind].append(measured[kind])
            ratios.append(measured["sync"] / measured["export"])
        throttled = server.throttled
    return {
        "export_s": times["export"],
        "sync_s": times["sync"],
        "ratio": statistics.median(ratios),
        "throttled": throttled,
        "throttled_per_run": throttles,
    }


def big_pool() -> dict[str, list[str]]:
    return {
        f"b{group}": [f"user-{group:02d}-{index:06d}" for index in range(BIG_MEMBERS)]
        for group in range(BIG_GROUPS)
    }


def peak_rss(folder: Path) -> tuple[dict[str, Any], Path]:
    """Peak RSS of an export and of a first sync of 200,000 memberships; the mirror made."""
    rows: dict[str, Any] = {}
    with QuotaServer(big_pool(), rate=None) as server:
        for kind in ("export", "sync"):
            target = folder / f"big.{kind}"
            clean(target)
            started = time.perf_counter()
            printed = subprocess.run(
                [sys.executable, "-c", WRAPPER,
                 *command(kind, server.url, target, "--max-rps", "1000")],
                capture_output=True, text=True, check=True, cwd=ROOT,
            ).stdout  # fmt: skip
            rows[kind] = {"peak_rss_kib": int(printed.strip()),
                          "wall_s": time.perf_counter() - started}  # fmt: skip
    rows["ratio"] = rows["sync"]["peak_rss_kib"] / rows["export"]["peak_rss_kib"]
    return rows, folder / "big.sync"


class _Swaps(logging.Handler):
    """The seconds of each swap the sync logs (its message's last argument)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[tuple[float, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        *_, settle, swap = cast("tuple[float, ...]", record.args)
        self.seconds.append((float(settle), float(swap)))


def final_diff(mirror: Path) -> dict[str, Any]:
    """The swap of a second sync of the 200,000 memberships, 1% changed (in this process).

    The sync is a real one, through the loopback Cognito; its swap's time is the one it logs.
    """
    groups = big_pool()
    changed = 0
    for group, members in groups.items():  # 100 removed and 100 added in each group
        # The loopback Cognito makes a user's record from its place in the group: members are
        # removed and added at the end, so that the others keep their records, as they would.
        groups[group] = [*members[:-100], *(f"new-{group}-{index:03d}" for index in range(100))]
        changed += 200
    handler = _Swaps()
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG)
    try:
        with QuotaServer(groups, rate=None) as server, Mirror(mirror) as database:
            cognito = CognitoGroups(endpoint_url=server.url, region_name="us-east-1",
                                    max_rps=1000)  # fmt: skip
            record = database.sync(cognito, POOL)
    finally:
        LOGGER.removeHandler(handler)
    if (record.joined, record.left) != (changed // 2, changed // 2):
        raise SystemExit(f"the diff found {record.joined} joined and {record.left} left")
    settle, seconds = handler.seconds[-1]
    return {"memberships": record.memberships, "changed": changed, "joined": record.joined,
            "left": record.left, "seconds": seconds, "settle_s": settle}  # fmt: skip


def measure() -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        wall = wall_times(folder)
        rss, mirror = peak_rss(folder)
        diff = final_diff(mirror)
    memberships = sum(QUOTA_GROUPS.values())
    return {
        "stamp": stamp(),
        "setup": {
            "wall": {
                "groups": len(QUOTA_GROUPS),
                "memberships": memberships,
                "latency_ms": LATENCY * 1000,
                "quota_rps": 30,
                "rounds": ROUNDS,
            },
            "rss": {"groups": BIG_GROUPS, "memberships": BIG_GROUPS * BIG_MEMBERS},
            "bounds": {
                "wall_x_export": WALL_BOUND,
                "rss_x_export": RSS_BOUND,
                "diff_s": DIFF_BOUND,
            },
        },
        "wall": wall,
        "rss": rss,
        "diff": diff,
    }


def _verdict(ok: bool) -> str:
    return "within" if ok else "**over**"


def render(results: dict[str, Any]) -> str:
    """The Markdown of ``results``, as it appears in docs/performance.md."""
    run, setup = results["stamp"], results["setup"]
    wall, rss, diff = results["wall"], results["rss"], results["diff"]
    bounds = setup["bounds"]
    w = setup["wall"]
    lines = [
        BEGIN,
        f"Commit {run['commit']}, {run['date']}, {run['machine']}, Python {run['python']}, "
        f"botocore {run['botocore']}, cognito-groups {run['cognito_groups']} "
        "(`benchmarks/mirror-results.json`).",
        "",
        "| measure | export | sync | sync ÷ export | bound |",
        "|---|---:|---:|---:|---|",
        f"| wall time, {w['memberships']:,} memberships in {w['groups']} groups, quota "
        f"{w['quota_rps']}/s, {w['latency_ms']:g} ms per request (median of {w['rounds']} "
        f"rounds) | {statistics.median(wall['export_s']):.2f} s | "
        f"{statistics.median(wall['sync_s']):.2f} s | {wall['ratio']:.3f} | "
        f"{_verdict(wall['ratio'] <= bounds['wall_x_export'])} {bounds['wall_x_export']} |",
        f"| peak RSS, {setup['rss']['memberships']:,} memberships "
        f"({setup['rss']['groups']} groups), no quota | "
        f"{rss['export']['peak_rss_kib'] / 1024:.1f} MiB | "
        f"{rss['sync']['peak_rss_kib'] / 1024:.1f} MiB | {rss['ratio']:.3f} | "
        f"{_verdict(rss['ratio'] <= bounds['rss_x_export'])} {bounds['rss_x_export']} |",
        f"| wall time of those runs | {rss['export']['wall_s']:.1f} s | "
        f"{rss['sync']['wall_s']:.1f} s | "
        f"{rss['sync']['wall_s'] / rss['export']['wall_s']:.2f} | (no bound) |",
        "",
        f"The final diff of a second sync of {diff['memberships']:,} memberships with "
        f"{diff['changed']:,} changed ({diff['joined']:,} joined, {diff['left']:,} left), on "
        f"SQLite: **{diff['seconds']:.2f} s** ({_verdict(diff['seconds'] <= bounds['diff_s'])} "
        f"the bound of {bounds['diff_s']:g} s): the transaction that records the changes and "
        "swaps the rows in, and the removal of the staged rows after it; before it, the WAL "
        f"checkpoint took {diff['settle_s']:.2f} s. Throttled answers during the wall-time "
        f"runs: {wall['throttled']}.",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args()
    publish(measure(), RESULTS, DOCS, (BEGIN, END), render)


if __name__ == "__main__":
    main()
