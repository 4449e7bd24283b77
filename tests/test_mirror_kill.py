"""`cognito-groups sync` killed with SIGKILL at random moments, then run again.

Against the loopback Cognito that enforces the account's quota (30 requests per second), the
sync at its default pace. Each trial: a baseline sync, the pool changed (members removed and
added, a group deleted, one created), then the sync of the changes killed one to three times
at seeded random moments (while it starts, lists, stages, or swaps), each time followed by a
look at what readers see, then run to the end.

After every kill, readers see the mirror of one complete sync (the baseline's or the new
one's, never a mix), and the changes recorded are none or exactly the difference (a partial
sync records none). At the end: one more complete sync, the memberships exact, each change
recorded once, and no file left beside the database.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cognito_groups import Mirror

from .conftest import wait_for
from .quota_server import POOL, QuotaServer, members_of

if TYPE_CHECKING:
    from collections.abc import Callable

SCRIPT = Path(sys.executable).with_name("cognito-groups")

Pairs = set[tuple[str, str]]


def seen(db: str) -> tuple[Pairs, list[tuple[str, str, str]], list[str]]:
    """What readers see: the memberships, the changes (as listed), the syncs' statuses."""
    with Mirror(db) as mirror:
        pairs = {
            (group.group_name, user.username)
            for group in mirror.groups(POOL)
            for user in mirror.members(POOL, group.group_name)
        }
        changes: list[tuple[str, str, str]] = [
            (c.change, c.group_name, c.username) for c in mirror.changes(POOL)
        ]
        statuses: list[str] = [sync.status for sync in mirror.syncs(POOL)]
    return pairs, changes, statuses


def change(server: QuotaServer, rng: random.Random) -> None:
    """Remove and add members, delete a group and create one, as ``rng`` picks."""
    groups = server.groups
    names = sorted(groups)
    gone = rng.choice(names)
    del groups[gone]
    for name in rng.sample(sorted(groups), 3):
        members = groups[name]
        removed = set(rng.sample(members, rng.randint(1, 40)))
        groups[name] = [user for user in members if user not in removed] + [
            f"{name}-new{index}" for index in range(rng.randint(0, 30))
        ]
    groups["created"] = members_of("created", rng.randint(1, 90))


def started(server: QuotaServer, sent: int, process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    """Whether the sync has sent a request (it is past its start-up), or has ended."""
    return lambda: server.requests > sent or process.poll() is not None


#: Three trials in `make test` (two on SQLite, one on PostgreSQL); `make soak` adds nine more.
TRIALS = [
    pytest.param(
        backend, trial, id=f"{backend}-{trial}", marks=[pytest.mark.soak] * (trial >= kept)
    )
    for backend, trials, kept in (("sqlite", 10, 2), ("postgresql", 2, 1))
    for trial in range(trials)
]


@pytest.mark.parametrize(("backend", "trial"), TRIALS)
def test_sigkill_at_random_moments_then_rerun(
    backend: str, trial: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """12 seeded trials (10 on SQLite, 2 on PostgreSQL; 3 of them in `make test`): exact."""
    db = str(tmp_path / "mirror.db")
    if backend == "postgresql":
        db = request.getfixturevalue("postgres_url")
    rng = random.Random(f"mirror-20261203-{backend}-{trial}")
    groups = {f"k{index}": 600 for index in range(8)}  # 81 requests: about 2.7 s at 30/s
    with QuotaServer(groups, latency=0.01, hostile=True) as server:
        command = [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", db,
                   "--all-attributes"]  # fmt: skip
        baseline = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        assert baseline.returncode == 0, baseline.stderr
        before = set(server.memberships())
        change(server, rng)
        after = set(server.memberships())
        expected = sorted(
            [("joined", g, u) for g, u in after - before]
            + [("left", g, u) for g, u in before - after]
        )
        kills = rng.randint(1, 3)
        landed = 0
        completed = False
        for _ in range(kills):
            sent = server.requests
            process = subprocess.Popen(  # noqa: S603
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            # From its first request to its end the listing takes about 2.7 s (more than the
            # 1.8 s a kill may wait): a kill lands in it.
            assert wait_for(started(server, sent, process))
            time.sleep(rng.uniform(0.0, 1.8))
            if process.poll() is not None:
                assert process.returncode == 0
                completed = True  # before the kill: nothing more to kill
                break
            process.send_signal(signal.SIGKILL)
            ended = process.wait(timeout=60)
            if ended == 0:  # it ended between poll() and the kill: nothing was killed
                completed = True
                break
            assert ended == -signal.SIGKILL
            landed += 1
            pairs, changes, statuses = seen(db)
            assert pairs in (before, after), "readers saw half a sync"
            assert sorted(changes) in ([], expected), "a partial sync recorded changes"
            assert statuses.count("complete") in (1, 2)
        assert landed >= 1, "no kill landed in the sync"
        # A kill may land after the sync committed its end, before the process exited.
        completed = completed or seen(db)[2].count("complete") == 2
        last = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        assert last.returncode == 0, last.stderr
        pairs, changes, statuses = seen(db)
        assert pairs == after
        assert sorted(changes) == expected  # each once
        # The killed runs were one sync, continued (and, when it completed before a kill, the
        # last run was a sync of its own, which found no change).
        assert statuses == ["complete"] * (3 if completed else 2)
    if backend == "sqlite":
        assert [path.name for path in tmp_path.iterdir()] == ["mirror.db"]
