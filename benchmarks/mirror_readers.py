"""Benchmark: the mirror's readers, 8 threads sharing one `Mirror`, with a sync and without.

Run with ``make bench-readers`` (or ``python benchmarks/mirror_readers.py``); about a minute.
A SQLite mirror of ``GROUPS`` groups of ``MEMBERS`` users (from the loopback Cognito of the
tests, ``tests/quota_server.py``, no quota). Eight threads of this process share one `Mirror`
and ask ``groups_of(pool, a user)`` for ``SECONDS`` seconds, then ``members(pool, a group)``
as long, in each scenario; each call's latency is recorded (``perf_counter``):

* **idle**: no sync runs;
* **during syncs**: ``cognito-groups sync`` runs again and again in another process, the pool
  changing between runs (a user in or out of a group), so readers meet the syncs' commits,
  their WAL and their checkpoints.

Two baselines of the same run, 8 threads, idle: **a `Mirror` per thread** (the recipe one
shared `Mirror` replaces: a connection per thread, kept), and **the floor**: the same two
queries with the standard library's ``sqlite3`` alone, one connection per thread opened
beforehand, rows left undecoded (no `User` objects, no checks). The figures: median and 99th
percentile per query, and the ratio of medians to a `Mirror` per thread's.

It writes ``benchmarks/readers-results.json`` (stamped with the commit, date, machine and
versions) and the section between the ``readers`` markers of ``docs/performance.md``,
generated from that file (``tests/test_docs.py`` checks that they agree).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import publish, stamp  # noqa: E402
from cognito_groups import Mirror  # noqa: E402
from tests.quota_server import POOL, QuotaServer, members_of  # noqa: E402

RESULTS = ROOT / "benchmarks" / "readers-results.json"
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- readers:begin -->", "<!-- readers:end -->"
GROUPS, MEMBERS, THREADS, SECONDS = 20, 500, 8, 4.0
SCRIPT = Path(sys.executable).with_name("cognito-groups")
#: Each query (its name, the raw SQL of the floor), as `Mirror` asks it.
GROUPS_OF = "SELECT group_name FROM memberships WHERE pool_id = ? AND username = ?"
MEMBERS_OF = (
    "SELECT u.username, u.user_status, u.enabled, u.user_create_date, "
    "u.user_last_modified_date, u.attributes, u.sub "
    "FROM memberships m JOIN users u ON u.pool_id = m.pool_id AND u.username = m.username "
    "WHERE m.pool_id = ? AND m.group_name = ? ORDER BY m.username"
)
#: A query asked ``args`` (a user or a group) by one thread; its latency in seconds.
Ask = Callable[[str, str], object]


def pool() -> dict[str, list[str]]:
    return {f"g{index:02d}": members_of(f"g{index:02d}", MEMBERS) for index in range(GROUPS)}


def sync(url: str, db: Path) -> None:
    subprocess.run(
        [str(SCRIPT), "sync", POOL, "--endpoint-url", url, "--db", str(db), "--max-rps", "1000",
         "--quiet"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def run_threads(ask_for: Callable[[int], tuple[Ask, Ask]]) -> dict[str, list[float]]:
    """Eight threads asking one query for ``SECONDS``, then the other; the latencies.

    One query at a time: a ``members`` call decodes hundreds of users in Python, and would
    make a ``groups_of`` of another thread wait for the interpreter, not for the database.
    """
    latencies: dict[str, list[float]] = {"groups_of": [], "members": []}
    lock = threading.Lock()
    for index, name in enumerate(latencies):
        deadline = time.monotonic() + SECONDS

        def work(
            number: int, index: int = index, name: str = name, deadline: float = deadline
        ) -> None:
            ask = ask_for(number)[index]
            chance = random.Random(number)
            mine: list[float] = []
            while time.monotonic() < deadline:
                group = f"g{chance.randrange(GROUPS):02d}"
                value = f"{group}-u{chance.randrange(MEMBERS):04d}" if index == 0 else group
                started = time.perf_counter()
                ask(POOL, value)
                mine.append(time.perf_counter() - started)
            with lock:
                latencies[name].extend(mine)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return latencies


def summary(latencies: dict[str, list[float]]) -> dict[str, Any]:
    return {
        name: {
            "calls": len(values),
            "median_ms": statistics.median(values) * 1000,
            "p99_ms": statistics.quantiles(values, n=100)[98] * 1000,
        }
        for name, values in latencies.items()
    }


def floor(db: Path) -> dict[str, Any]:
    """The same queries with sqlite3 alone, a connection per thread opened beforehand."""
    connections = [
        sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        for _ in range(THREADS)
    ]

    def ask_for(number: int) -> tuple[Ask, Ask]:
        connection = connections[number]
        return (
            lambda pool, user: connection.execute(GROUPS_OF, (pool, user)).fetchall(),
            lambda pool, group: connection.execute(MEMBERS_OF, (pool, group)).fetchall(),
        )

    try:
        return summary(run_threads(ask_for))
    finally:
        for connection in connections:
            connection.close()


def per_thread(db: Path) -> dict[str, Any]:
    """8 threads, a `Mirror` each (made and warmed up before the clock starts)."""
    mirrors = [Mirror(db) for _ in range(THREADS)]
    try:
        for mirror in mirrors:
            mirror.groups_of(POOL, "warm-up")
        return summary(
            run_threads(lambda number: (mirrors[number].groups_of, mirrors[number].members))
        )
    finally:
        for mirror in mirrors:
            mirror.close()


def shared(db: Path) -> dict[str, Any]:
    """8 threads, one `Mirror`."""
    with Mirror(db) as mirror:
        mirror.groups_of(POOL, "warm-up")
        return summary(run_threads(lambda _: (mirror.groups_of, mirror.members)))


def during_syncs(db: Path, server: QuotaServer) -> tuple[dict[str, Any], int]:
    """8 threads, one `Mirror`, while syncs complete one after another; the syncs completed."""
    stop = threading.Event()
    completed = 0

    def syncs() -> None:
        nonlocal completed
        while not stop.is_set():
            members = server.groups["g00"]
            if "mallory" in members:
                members.remove("mallory")
            else:
                members.append("mallory")
            sync(server.url, db)
            completed += 1

    syncing = threading.Thread(target=syncs)
    syncing.start()
    try:
        results = shared(db)
    finally:
        stop.set()
        syncing.join()
    return results, completed


def measure() -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with tempfile.TemporaryDirectory() as name, QuotaServer(pool(), rate=None) as server:
        db = Path(name) / "mirror.db"
        sync(server.url, db)
        base = floor(db)
        own = per_thread(db)
        idle = shared(db)
        busy, completed = during_syncs(db, server)
    return {
        "stamp": stamp(),
        "setup": {
            "groups": GROUPS,
            "memberships": GROUPS * MEMBERS,
            "threads": THREADS,
            "seconds": SECONDS,
        },
        "floor": base,
        "per_thread": own,
        "idle": idle,
        "during_syncs": busy,
        "syncs_completed": completed,
    }


def render(results: dict[str, Any]) -> str:
    """The Markdown of ``results``, as it appears in docs/performance.md."""
    run, setup = results["stamp"], results["setup"]
    base = results["per_thread"]
    lines = [
        BEGIN,
        f"Commit {run['commit']}, {run['date']}, {run['machine']}, Python {run['python']}, "
        f"cognito-groups {run['cognito_groups']} (`benchmarks/readers-results.json`): a SQLite "
        f"mirror of {setup['memberships']:,} memberships in {setup['groups']} groups, "
        f"{setup['threads']} threads, {setup['seconds']:g} s a query and scenario.",
        "",
        "| query | scenario | calls | median | p99 | median ÷ a `Mirror` per thread |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for query in ("groups_of", "members"):
        for key, label in (
            ("floor", "floor: sqlite3 alone, a connection per thread, rows undecoded"),
            ("per_thread", "a `Mirror` per thread, no sync"),
            ("idle", "one shared `Mirror`, no sync"),
            ("during_syncs", f"one shared `Mirror`, {results['syncs_completed']} syncs meanwhile"),
        ):
            figures = results[key][query]
            ratio = figures["median_ms"] / base[query]["median_ms"]
            lines.append(
                f"| `{query}` | {label} | {figures['calls']:,} | {figures['median_ms']:.3f} ms | "
                f"{figures['p99_ms']:.3f} ms | {ratio:.2f} |"
            )
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args()
    publish(measure(), RESULTS, DOCS, (BEGIN, END), render)


if __name__ == "__main__":
    main()
