"""The mirror (`Mirror`, `cognito-groups sync` and `changes`) on SQLite and on PostgreSQL.

Against the quota-enforcing loopback Cognito (tests/quota_server.py), whose groups a test
changes between syncs; a real PostgreSQL server the run starts (tests/postgres_process.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups import (
    CognitoGroups,
    DatabaseWriteError,
    InternalError,
    InterruptedSyncError,
    InvalidParameterError,
    MalformedResponseError,
    Mirror,
    MirrorError,
    NotAMirrorError,
    SchemaVersionError,
    SyncInProgressError,
    UnknownGroupError,
)
from cognito_groups._cli._changes import parse_since
from cognito_groups._cli._report import UsageError
from cognito_groups._mirror._database import Database, dialect_for
from cognito_groups._mirror._dialect import to_json
from cognito_groups._mirror._schema import MIGRATIONS, SCHEMA_VERSION, ensure_schema

from .conftest import run_main, wait_for
from .quota_server import POOL, QuotaServer, held_from, members_of
from .terminal import AS_A_SHELL_STARTS_IT
from .users import HOSTILE_VALUES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .conftest import ServedPool

SCRIPT = Path(sys.executable).with_name("cognito-groups")
OTHER_POOL = "us-east-1_Other9"

Pairs = set[tuple[str, str]]


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command: in this process, or the installed one in a process of its own given ``env``.

    In this process unless the test needs another environment: what these tests check is the
    command's work and words, not its process (the signal and kill tests start their own).
    """
    if env is None:
        code, out, err = run_main([str(arg) for arg in args])
        return subprocess.CompletedProcess([str(SCRIPT), *map(str, args)], code, out, err)
    return subprocess.run(  # noqa: S603 (our own script)
        [str(SCRIPT), *map(str, args)],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def sync(url: str, db: str, *extra: str | Path, pool: str = POOL, **kw: Any) -> Any:
    """``cognito-groups sync`` of ``pool`` at ``url`` into ``db``."""
    return run("sync", pool, "--endpoint-url", url, "--db", db, "--max-rps", "500", *extra, **kw)


def facade(server: QuotaServer) -> CognitoGroups:
    return CognitoGroups(endpoint_url=server.url, region_name="us-east-1", max_rps=500)


def pairs(db: str, pool: str = POOL) -> Pairs:
    """Every (group, username) of the mirror, as readers see it."""
    with Mirror(db) as mirror:
        return {
            (group.group_name, user.username)
            for group in mirror.groups(pool)
            for user in mirror.members(pool, group.group_name)
        }


def changes_of(db: str, pool: str = POOL) -> set[tuple[str, str, str]]:
    """Every recorded (change, group, username)."""
    with Mirror(db) as mirror:
        return {(c.change, c.group_name, c.username) for c in mirror.changes(pool)}


def diff(before: Pairs, after: Pairs) -> set[tuple[str, str, str]]:
    """What a sync should record between two states of the pool."""
    return {("joined", g, u) for g, u in after - before} | {
        ("left", g, u) for g, u in before - after
    }


@pytest.fixture
def server() -> Iterator[QuotaServer]:
    """A loopback Cognito of its own (its groups are changed by the test), no quota."""
    groups = {f"g{index}": 40 + 30 * index for index in range(5)} | {"empty": 0}
    with QuotaServer(groups, rate=None) as served:
        yield served


def change_pool(server: QuotaServer) -> None:
    """Remove some members, add some, delete a group, create one."""
    groups = server.groups
    groups["g0"] = [*groups["g0"][5:], "newcomer", "g1-u0000"]
    groups["g2"] = groups["g2"][:50]
    del groups["g1"]
    groups["created"] = ["c1", "c2", "g3-u0001"]


def test_a_baseline_then_exactly_the_changes(server: QuotaServer, database: str) -> None:
    """The first sync is the baseline (no change); the second records exactly the diff."""
    with Mirror(database) as mirror:
        first = mirror.sync(facade(server), POOL)
        assert first.status == "complete"
        assert first.baseline
        assert (first.joined, first.left) == (0, 0)
        assert first.memberships == len(server.memberships())
        assert pairs(database) == set(server.memberships())
        assert changes_of(database) == set()
        before = set(server.memberships())
        change_pool(server)
        second = mirror.sync(facade(server), POOL)
        after = set(server.memberships())
        expected = diff(before, after)
        assert changes_of(database) == expected
        assert (second.joined, second.left) == (
            len([c for c in expected if c[0] == "joined"]),
            len([c for c in expected if c[0] == "left"]),
        )
        assert not second.baseline
        assert pairs(database) == after
        assert {g.group_name for g in mirror.groups(POOL)} == set(server.groups)
        assert mirror.groups_of(POOL, "g1-u0000") == frozenset({"g0"})
        assert mirror.groups_of(POOL, "nobody") == frozenset()
        assert [s.id for s in mirror.syncs(POOL)] == [first.id, second.id]
        assert all(c.sync_id == second.id for c in mirror.changes(POOL))
        # A third sync of an unchanged pool records nothing more.
        third = mirror.sync(facade(server), POOL)
        assert (third.joined, third.left) == (0, 0)
        assert changes_of(database) == expected


def test_users_hold_the_latest_record_and_only_the_attributes_kept(
    server: QuotaServer, database: str
) -> None:
    """Default: email only; --all-attributes: every one; hostile values exact; users leave."""
    server.hostile = True
    with Mirror(database) as mirror:
        mirror.sync(facade(server), POOL)
        member = mirror.members(POOL, "g1")[3]
        # The attributes kept, and every user's sub (whatever is kept).
        assert [a.name for a in member.attributes] == ["email", "sub"]
        assert member.sub == server.sub_of(member.username)
        assert member.user_status is not None
        assert member.user_create_date is not None
        assert member.user_create_date.tzinfo is timezone.utc
        mirror.sync(facade(server), POOL, attributes=None)
        everyone = mirror.members(POOL, "g3")
        names = {u.username: u.get_attribute("name") for u in everyone}
        assert names == {
            u: HOSTILE_VALUES[int(u.rsplit("-u", 1)[1]) % len(HOSTILE_VALUES)]
            for u in server.groups["g3"]
        }
        mirror.sync(facade(server), POOL, attributes=())
        assert all([a.name for a in u.attributes] == ["sub"] for u in mirror.members(POOL, "g3"))
        del server.groups["g3"]
        mirror.sync(facade(server), POOL, attributes=())
        assert mirror.members(POOL, "g3") == []
    if not database.startswith("postgresql"):
        with sqlite3.connect(database) as raw:
            left = raw.execute("SELECT COUNT(*) FROM users WHERE username LIKE 'g3-%'").fetchone()
        assert left == (0,)  # users in no mirrored group are not kept


def test_named_groups(server: QuotaServer, database: str) -> None:
    """--group: a scope of its own; a named group gone has its members left; unknown: refused."""
    with Mirror(database) as mirror:
        mirror.sync(facade(server), POOL, ["g1", "g2"])
        assert {g for g, _ in pairs(database)} == {"g1", "g2"}
        server.groups["g2"] = server.groups["g2"][1:]
        server.groups["g4"] = server.groups["g4"][1:]
        mirror.sync(facade(server), POOL, ["g2", "g4"])  # g4: first time, its own baseline
        assert changes_of(database) == {("left", "g2", "g2-u0000")}
        del server.groups["g1"]
        mirror.sync(facade(server), POOL, ["g1"])
        assert ("left", "g1", "g1-u0000") in changes_of(database)
        assert "g1" not in {g.group_name for g in mirror.groups(POOL)}
        with pytest.raises(UnknownGroupError) as caught:
            mirror.sync(facade(server), POOL, ["nope"])
        assert caught.value.group_name == "nope"
        # A sync of every group after named ones: groups never synced are baselines.
        mirror.sync(facade(server), POOL)
        assert not any(c[1] in ("g0", "g3", "empty") for c in changes_of(database))


def test_a_group_deleted_during_the_sync_leaves_it(database: str) -> None:
    """ResourceNotFound for a group mid-sync: dropped, its members left; the sync completes.

    The group is deleted after its first page was listed (and staged): those rows go too.
    """
    state = {"gone": False}

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if state["gone"] and params.get("GroupName") == "doomed" and "NextToken" in params:
            return (400, "ResourceNotFoundException")
        return None

    groups = {"doomed": 200, "kept": 130}
    with QuotaServer(groups, rate=None, fault=fault) as server, Mirror(database) as mirror:
        mirror.sync(facade(server), POOL)
        state["gone"] = True
        record = mirror.sync(facade(server), POOL, concurrency=1)
        assert record.status == "complete"
        assert record.left == 200
        assert pairs(database) == {("kept", u) for u in server.groups["kept"]}
        assert {g.group_name for g in mirror.groups(POOL)} == {"kept"}


def fail_after(number: int, state: dict[str, int]) -> Any:
    """A fault: the ``number``-th request from ``state["from"]`` on, and later ones, fail (a 500).

    ``state["from"]`` is a request number (0: never). With one attempt (``AWS_MAX_ATTEMPTS=1``)
    the sync stops there. (Not a throttle: the budget sends a throttled request again.)
    """

    def fault(request: int, operation: str, params: Any) -> tuple[int, str] | None:
        if state["from"] and request >= state["from"] + number:
            return (500, "InternalErrorException")
        return None

    return fault


def test_a_failed_sync_changes_nothing_and_the_next_one_continues_it(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error mid-sync: readers see the last complete sync; the re-run lists only the rest."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    state = {"from": 0}
    groups = {f"f{index}": 120 for index in range(4)}
    with (
        QuotaServer(groups, rate=None, fault=fail_after(5, state)) as server,
        Mirror(database) as mirror,
    ):
        mirror.sync(facade(server), POOL)
        before = set(server.memberships())
        change_pool_f(server)
        sent = state["from"] = server.requests
        with pytest.raises(InternalError):
            mirror.sync(facade(server), POOL, concurrency=1)
        failed = mirror.syncs(POOL)[-1]
        assert failed.status == "failed"
        assert failed.finished is None
        assert 0 < failed.memberships < len(server.memberships())
        assert pairs(database) == before  # readers never see half a sync
        assert changes_of(database) == set()
        state["from"] = 0
        first_run = server.requests - sent
        # One by one (concurrency 1): ListGroups, pages, and the throttled one, which stopped it.
        listed_pages = first_run - 2
        pages = sum(-(-len(members) // 60) for members in server.groups.values())
        sent = server.requests
        record = mirror.sync(facade(server), POOL, concurrency=1)
        assert record.id == failed.id
        assert record.status == "complete"
        assert pairs(database) == set(server.memberships())
        assert changes_of(database) == diff(before, set(server.memberships()))
        # The continued run lists only what the failed one had not committed (the page that
        # failed included), and not the groups again.
        assert server.requests - sent == pages - listed_pages


def change_pool_f(server: QuotaServer) -> None:
    groups = server.groups
    groups["f3"] = groups["f3"][7:]
    groups["f0"] = [*groups["f0"], "late-joiner"]


def test_an_interrupted_sync_with_other_options_needs_restart(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another scope or attribute list than the interrupted sync's: refused; restart works."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    state = {"from": 1}
    with (
        QuotaServer({"a": 300, "b": 300}, rate=None, fault=fail_after(4, state)) as server,
        Mirror(database) as mirror,
    ):
        with pytest.raises(InternalError):
            mirror.sync(facade(server), POOL, concurrency=1)
        state["from"] = 0
        with pytest.raises(InterruptedSyncError, match="with the same options"):
            mirror.sync(facade(server), POOL, attributes=None)
        with pytest.raises(InterruptedSyncError):
            mirror.sync(facade(server), POOL, ["a"])
        record = mirror.sync(facade(server), POOL, ["a"], restart=True)
        assert record.status == "complete"
        statuses = [(s.status, s.finished is not None) for s in mirror.syncs(POOL)]
        assert statuses == [("failed", True), ("complete", True)]
        assert pairs(database) == {("a", u) for u in server.groups["a"]}


def gate(after: int) -> tuple[threading.Event, Any]:
    """A fault that holds every request after the first ``after`` until the event is set."""
    release = threading.Event()

    def fault(number: int, operation: str, params: Any) -> None:
        if number > after:
            release.wait(60)

    return release, fault


def test_two_syncs_of_one_pool_at_once_the_second_exits_2(database: str, tmp_path: Path) -> None:
    """The second sync of a pool exits 2 at once naming the first; --wait waits for it.

    Neither says the password of a PostgreSQL URL (the server trusts any).
    """
    password = "Pw-s3cret"
    database = database.replace("://postgres@", f"://postgres:{password}@")
    release, fault = gate(2)
    with QuotaServer({"w0": 200, "w1": 100}, rate=None, fault=fault) as server:
        command = [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", database]
        first = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_for(lambda: server.requests >= 3)  # it holds the lock, and waits
            second = run(*command[1:])
            assert second.returncode == 2, second.stderr
            assert f"another cognito-groups sync of {POOL} into " in second.stderr
            if database.startswith("postgresql"):
                assert f"pid {first.pid} on " in second.stderr
            else:
                assert f"(pid {first.pid})" in second.stderr
            assert len(second.stderr.splitlines()) == 1
            said = tmp_path / "waiting.err"
            with said.open("w") as err:
                waiting = subprocess.Popen(  # noqa: S603
                    [*command, "--wait"], stdout=subprocess.DEVNULL, stderr=err, text=True
                )
            assert wait_for(lambda: "waiting for another sync of" in said.read_text())
            assert waiting.poll() is None
            assert password not in second.stderr + said.read_text()
        finally:
            release.set()
        _, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_err
        assert waiting.wait(timeout=120) == 0, said.read_text()
        with Mirror(database) as mirror:
            assert [s.status for s in mirror.syncs(POOL)] == ["complete", "complete"]


def test_syncs_of_two_pools_into_one_database_run_together(database: str) -> None:
    """A sync of another pool into the same database completes while the first one runs."""
    release, fault = gate(2)
    with (
        QuotaServer({"a": 400, "b": 300}, rate=None, fault=fault) as one,
        QuotaServer({"a": 200, "c": 100}, rate=None, pool=OTHER_POOL) as other,
    ):
        first = subprocess.Popen(  # noqa: S603
            [str(SCRIPT), "sync", POOL, "--endpoint-url", one.url, "--db", database],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert wait_for(lambda: one.requests >= 3)  # it holds its pool's lock, and waits
            result = sync(other.url, database, pool=OTHER_POOL)
            assert result.returncode == 0, result.stderr
            assert first.poll() is None
        finally:
            release.set()
        _, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_err
        assert pairs(database, POOL) == set(one.memberships())
        assert pairs(database, OTHER_POOL) == set(other.memberships())


def test_the_commands_say_what_they_did(server: QuotaServer, database: str) -> None:
    """Sync's summary line; changes in every format; the baseline note; --since; --group."""
    first = sync(server.url, database)
    assert first.returncode == 0, first.stderr
    total = len(server.memberships())
    assert first.stderr.startswith(f"synced {total} memberships of 6 groups into ")
    assert first.stderr.endswith(f": the baseline of {POOL}: no change recorded\n")
    before = set(server.memberships())
    change_pool(server)
    second = sync(server.url, database)
    expected = diff(before, set(server.memberships()))
    joined = len([c for c in expected if c[0] == "joined"])
    assert second.stderr.endswith(f": {joined} joined, {len(expected) - joined} left\n")
    listed = run("changes", POOL, "--db", database, "--format", "jsonl")
    assert listed.returncode == 0, listed.stderr
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {(r["change"], r["group_name"], r["username"]) for r in records} == expected
    assert len(records) == len(expected)
    assert list(records[0]) == ["observed_at", "change", "group_name", "username", "pool_id",
                                "sync_id", "sub"]  # fmt: skip
    observed = datetime.strptime(records[0]["observed_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert observed.year >= 2026
    assert "is its baseline" not in listed.stderr  # compared since: not repeated
    as_csv = run("changes", "--db", database, "--format", "csv", "--group", "created")
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "observed_at,change,group_name,username,pool_id,sync_id,sub"
    assert len(lines) == 1 + 3
    as_json = run("changes", POOL, "--db", database, "--format", "json", "--since", "1h")
    assert len(json.loads(as_json.stdout)) == len(expected)
    future = run("changes", POOL, "--db", database, "--since", "2999-01-01", "--format", "json")
    assert json.loads(future.stdout) == []
    assert future.stderr.startswith("--since 2999-01-01 is in the future")  # no baseline note
    table = run("changes", POOL, "--db", database, "--format", "table", "--group", "created")
    assert table.stdout.splitlines()[0].split() == [
        "OBSERVED_AT", "CHANGE", "GROUP_NAME", "USERNAME", "SYNC_ID", "SUB",  # one pool: no POOL_ID
    ]  # fmt: skip


def test_changes_refuses_what_it_cannot_answer(tmp_path: Path, server: QuotaServer) -> None:
    """No mirror, no complete sync of the pool, a bad --since: exit 2, one line."""
    missing = run("changes", POOL, "--db", tmp_path / "none.db")
    assert missing.returncode == 2
    assert missing.stderr == (
        f"cognito-groups: error: {tmp_path / 'none.db'}: no such mirror (run cognito-groups "
        "sync first)\n"
    )
    assert not (tmp_path / "none.db").exists()
    db = str(tmp_path / "m.db")
    assert sync(server.url, db).returncode == 0
    other = run("changes", OTHER_POOL, "--db", db)
    assert other.returncode == 2
    assert f"{OTHER_POOL} has no complete sync in {db}" in other.stderr
    bad = run("changes", POOL, "--db", db, "--since", "last tuesday")
    assert bad.returncode == 2
    assert "--since 'last tuesday' is not a date" in bad.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=timezone.utc)),
        ("2026-11-01T08:30:00Z", datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)),
        ("2026-11-01T08:30:00+02:00", datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)),
        ("90m", datetime(2026, 12, 1, 10, 30, tzinfo=timezone.utc)),
        ("36h", datetime(2026, 11, 30, tzinfo=timezone.utc)),
        ("7d", datetime(2026, 11, 24, 12, tzinfo=timezone.utc)),
        ("2w", datetime(2026, 11, 17, 12, tzinfo=timezone.utc)),
    ],
    ids=["date", "utc", "offset", "minutes", "hours", "days", "weeks"],
)
def test_since_takes_dates_times_and_times_ago(text: str, expected: datetime) -> None:
    """--since: ISO 8601 (UTC unless it says) or a time ago."""
    now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    assert parse_since(text, now) == expected
    with pytest.raises(UsageError):
        parse_since("7y", now)


def test_bad_parameters_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    """A bad pool id, group name or attribute: InvalidParameterError, no database made."""
    db = tmp_path / "m.db"
    with Mirror(db) as mirror:
        calls: list[Callable[[], object]] = [
            lambda: mirror.sync(CognitoGroups(region_name="us-east-1"), "bad pool"),
            lambda: mirror.sync(CognitoGroups(region_name="us-east-1"), POOL, ["a b"]),
            lambda: mirror.sync(CognitoGroups(region_name="us-east-1"), POOL, attributes="email"),
            lambda: mirror.sync(CognitoGroups(region_name="us-east-1"), POOL, concurrency=0),
        ]
        for call in calls:
            with pytest.raises(InvalidParameterError):
                call()
    assert not db.exists()
    result = run("sync", "bad pool", "--db", db, "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stderr.startswith("cognito-groups: error: USER_POOL_ID: 'bad pool' is not ")
    assert not db.exists()


def test_a_sqlite_mirror_is_its_owners_alone(server: QuotaServer, tmp_path: Path) -> None:
    """The database file and SQLite's side files are created 0600, and none is left over."""
    db = tmp_path / "m.db"
    os.umask(0o022)
    seen: set[int] = set()

    def watch(_: object) -> None:
        for name in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            if name.exists():
                seen.add(stat.S_IMODE(name.stat().st_mode))

    with Mirror(db) as mirror:
        mirror.sync(facade(server), POOL, progress=watch)
    assert seen == {0o600}
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.db"]


def test_what_is_not_a_mirror_is_refused(tmp_path: Path, server: QuotaServer) -> None:
    """Not a database, another program's database, a newer schema: exit 2, left as it was."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    result = sync(server.url, str(garbage))
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"cognito-groups: error: {garbage} is not a SQLite database\n"
    assert garbage.read_bytes() == b"this is not sqlite" * 100
    other = tmp_path / "app.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE invoices (id INTEGER)")
    raw.commit()
    raw.close()
    result = sync(server.url, str(other))
    assert result.returncode == 2
    assert "is a database, but not a mirror of cognito-groups (it has tables invoices)" in (
        result.stderr
    )
    newer = tmp_path / "newer.db"
    assert sync(server.url, str(newer)).returncode == 0
    raw = sqlite3.connect(newer)
    raw.execute("UPDATE schema_version SET version = 99")
    raw.commit()
    raw.close()
    before = newer.read_bytes()
    result = sync(server.url, str(newer))
    assert result.returncode == 2
    assert "is a mirror of schema version 99, written by a newer cognito-groups (this one " in (
        result.stderr
    )
    assert newer.read_bytes() == before
    with Mirror(newer) as mirror, pytest.raises(SchemaVersionError):
        mirror.syncs()
    for scheme in ("mysql://x/y", "sqlite://relative"):
        with pytest.raises(NotAMirrorError):
            Mirror(scheme)


def test_a_database_that_cannot_be_written_exits_8_and_the_rerun_continues(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A full disk mid-sync (a file size limit): exit 8, one line; consistent; re-run completes.

    And a read-only database: exit 8 naming it, nothing changed.
    """
    db = tmp_path / "m.db"
    assert sync(server.url, str(db)).returncode == 0
    server.hostile = False
    server.groups.update({f"big{index}": members_of(f"big{index}", 1000) for index in range(4)})
    size = db.stat().st_size

    def small_files() -> None:
        import resource

        limit = size + 64 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = subprocess.run(  # noqa: S603
        [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", str(db),
         "--max-rps", "500", "--all-attributes"],
        capture_output=True, text=True, timeout=120, check=False, preexec_fn=small_files,
    )  # fmt: skip
    assert full.returncode == 8, full.stderr
    assert full.stderr.startswith(f"cognito-groups: error: {db}")
    assert "bug" not in full.stderr
    with Mirror(db) as mirror:
        assert mirror.syncs(POOL)[-1].status != "complete"
    again = sync(server.url, str(db), "--all-attributes")
    assert again.returncode == 0, again.stderr
    assert pairs(str(db)) == set(server.memberships())
    with read_only(db):
        before = db.read_bytes()
        result = sync(server.url, str(db), "--all-attributes")
        assert result.returncode == 8, result.stderr
        assert result.stderr.startswith(f"cognito-groups: error: {db} ")
        assert db.read_bytes() == before
        with Mirror(db) as mirror, pytest.raises(DatabaseWriteError) as refused:
            mirror.syncs(POOL)  # a reader that could not follow the syncs is refused
        assert "cannot be read by this user: it cannot read and write" in str(refused.value)


class read_only:
    """The file or folder read-only, even for root (``chattr +i``); as it was afterwards."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        if os.geteuid() != 0:
            self.path.chmod(0o500 if self.path.is_dir() else 0o400)
        else:
            subprocess.run(["chattr", "+i", str(self.path)], check=True)  # noqa: S603, S607

    def __exit__(self, *exc: object) -> None:
        if os.geteuid() != 0:
            self.path.chmod(0o700 if self.path.is_dir() else 0o600)
        else:
            subprocess.run(["chattr", "-i", str(self.path)], check=True)  # noqa: S603, S607


def test_delete_pool_removes_every_row_of_it(server: QuotaServer, database: str) -> None:
    """delete_pool: the pool's memberships, users, groups, changes and syncs go; others stay."""
    with (
        QuotaServer({"x": 30}, rate=None, pool=OTHER_POOL) as other,
        Mirror(database) as mirror,
    ):
        mirror.sync(facade(server), POOL)
        mirror.sync(facade(other), OTHER_POOL)
        change_pool(server)
        mirror.sync(facade(server), POOL)
        assert mirror.delete_pool(POOL) > 0
        assert mirror.syncs(POOL) == []
        assert list(mirror.changes(POOL)) == []
        assert mirror.groups(POOL) == []
        assert pairs(database, OTHER_POOL) == set(other.memberships())


def test_migrations_run_forward_one_transaction_each(tmp_path: Path) -> None:
    """A mirror of an older version is brought up to date; each step records its version."""
    db = Database(dialect_for(tmp_path / "m.db"), create=True, reader=False)
    try:
        extra = ("CREATE TABLE later (x {int})",)
        assert ensure_schema(db) == 0
        assert ensure_schema(db, migrations=(*MIGRATIONS, extra)) == SCHEMA_VERSION
        assert db.one("SELECT version FROM schema_version") == (SCHEMA_VERSION + 1,)
        assert "later" in db.tables()
        assert ensure_schema(db, migrations=(*MIGRATIONS, extra)) == SCHEMA_VERSION + 1
        broken = ("CREATE TABLE again (x {int})", "CREATE TABLE again (y {int})")
        with pytest.raises(DatabaseWriteError, match="table again already exists"):
            ensure_schema(db, migrations=(*MIGRATIONS, extra, broken))
        assert db.one("SELECT version FROM schema_version") == (SCHEMA_VERSION + 1,)
        assert "again" not in db.tables()  # rolled back with its version
    finally:
        db.close()


#: Values no mirror writes in a JSON or boolean column: (SQL, its value, the column named).
UNREADABLE_VALUES = {
    "group-names-an-object": ("UPDATE syncs SET group_names = ?", '{"a": 1}', "syncs.group_names"),
    "attributes-of-numbers": ("UPDATE syncs SET attributes = ?", "[1, 2]", "syncs.attributes"),
    "attributes-not-json": ("UPDATE syncs SET attributes = ?", "[not json", "syncs.attributes"),
    "user-attributes-a-list": ("UPDATE users SET attributes = ?", '["a"]', "users.attributes"),
    "user-attribute-a-number": (
        "UPDATE users SET attributes = ?",
        '{"email": 7}',
        "users.attributes",
    ),
    "enabled-2": ("UPDATE users SET enabled = ?", 2, "users.enabled"),
}


@pytest.mark.parametrize("edit", list(UNREADABLE_VALUES))
def test_every_reader_refuses_what_no_mirror_writes(
    server: QuotaServer, tmp_path: Path, edit: str
) -> None:
    """A JSON or boolean column edited by hand: NotAMirrorError naming it, from the library."""
    db = str(tmp_path / "m.db")
    sql, value, column = UNREADABLE_VALUES[edit]
    with Mirror(db) as mirror:
        mirror.sync(facade(server), POOL)
        edit_rows(db, sql, (value,))
        read = (
            mirror.syncs if column.startswith("syncs.") else lambda pool: mirror.members(pool, "g1")
        )
        with pytest.raises(NotAMirrorError, match=f"{column} .*changed by hand or damaged"):
            read(POOL)


def test_json_keeps_any_value() -> None:
    """Attribute JSON holds lone surrogates and controls as escapes, the rest readable."""
    text = to_json({"name": "é \ud800 \x00"})
    assert text == '{"name":"é \\ud800 \\u0000"}'
    assert json.loads(text) == {"name": "é \ud800 \x00"}


def test_a_reader_waits_for_no_sync(server: QuotaServer, tmp_path: Path) -> None:
    """While a sync holds the pool's lock, readers read, and delete_pool is refused."""
    db = str(tmp_path / "m.db")
    with Mirror(db) as mirror:
        mirror.sync(facade(server), POOL)
        hold = threading.Event()
        release = threading.Event()

        def progress(_: object) -> None:
            hold.set()
            release.wait(30)

        thread = threading.Thread(
            target=lambda: Mirror(db).sync(facade(server), POOL, progress=progress)
        )
        thread.start()
        assert hold.wait(30)
        try:
            assert pairs(db) == set(server.memberships())
            with pytest.raises(SyncInProgressError):
                mirror.delete_pool(POOL)
        finally:
            release.set()
            thread.join(60)
        assert len(mirror.syncs(POOL)) == 2


def test_since_must_be_aware(tmp_path: Path) -> None:
    """A naive datetime for since is refused (it would be read in no zone)."""
    with Mirror(tmp_path / "m.db") as mirror, pytest.raises(InvalidParameterError):
        list(mirror.changes(POOL, since=datetime.now() - timedelta(days=1)))


def test_on_moto_changes_lists_exactly_what_changed(served_pool: ServedPool, database: str) -> None:
    """On a moto server: sync; remove and add members, delete a group, create one; sync again.

    ``changes --format jsonl`` then lists exactly what changed, each once.
    """
    import boto3

    client = boto3.client("cognito-idp", endpoint_url=served_pool.url, region_name="us-east-1")
    pool = client.create_user_pool(PoolName=f"mirror-{os.getpid()}")["UserPool"]["Id"]
    users = [f"person-{index:03d}" for index in range(40)]
    for name in users:
        client.admin_create_user(UserPoolId=pool, Username=name)
    members = {"red": users[:25], "green": users[10:30], "blue": users[30:]}
    for group, names in members.items():
        client.create_group(UserPoolId=pool, GroupName=group)
        for name in names:
            client.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName=group)
    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}
    first = run("sync", pool, "--endpoint-url", served_pool.url, "--db", database,
                "--region", "us-east-1", env=env)  # fmt: skip
    assert first.returncode == 0, first.stderr
    for name in users[:3]:
        client.admin_remove_user_from_group(UserPoolId=pool, Username=name, GroupName="red")
    for name in users[35:]:
        client.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName="green")
    client.delete_group(UserPoolId=pool, GroupName="blue")
    client.create_group(UserPoolId=pool, GroupName="violet")
    for name in users[:2]:
        client.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName="violet")
    second = run("sync", pool, "--endpoint-url", served_pool.url, "--db", database,
                 "--region", "us-east-1", env=env)  # fmt: skip
    assert second.returncode == 0, second.stderr
    listed = run("changes", pool, "--db", database, "--format", "jsonl")
    assert listed.returncode == 0, listed.stderr
    got = [
        (record["change"], record["group_name"], record["username"])
        for record in map(json.loads, listed.stdout.splitlines())
    ]
    expected = (
        [("left", "red", name) for name in users[:3]]
        + [("joined", "green", name) for name in users[35:]]
        + [("left", "blue", name) for name in users[30:]]
        + [("joined", "violet", name) for name in users[:2]]
    )
    assert sorted(got) == sorted(expected)
    with Mirror(database) as mirror:
        assert {g.group_name for g in mirror.groups(pool)} == {"red", "green", "violet"}
        assert mirror.groups_of(pool, users[0]) == frozenset({"violet"})
        assert [u.username for u in mirror.members(pool, "violet")] == users[:2]


def test_postgresql_going_away_mid_sync() -> None:
    """The server stops mid-sync: exit 7, one line; once it is back, the re-run completes.

    The server is one of the test's own, stopped (fast shutdown) while the sync stages, then
    started again on the same data.
    """
    import shutil
    import uuid

    from .conftest import session_folder, session_owner
    from .servers import start_postgres, stop_server

    data = session_folder() / f"pgdata-{uuid.uuid4().hex}"  # a folder its user can reach
    release, fault = gate(4)
    groups = {f"p{index}": 300 for index in range(4)}
    postgres = start_postgres(session_folder(), session_owner(), data)
    try:
        url = str(postgres["url"])
        with QuotaServer(groups, rate=None, fault=fault) as server:
            command = [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", url,
                       "--concurrency", "1"]  # fmt: skip
            process = subprocess.Popen(  # noqa: S603
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            assert wait_for(lambda: server.requests >= 5)  # 3 pages staged, the 4th held
            stop_server(postgres)
            release.set()
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 7, stderr
            assert stderr.startswith("cognito-groups: error: PostgreSQL postgresql://postgres@")
            assert "secret" not in stderr
            assert len(stderr.splitlines()) <= 2
            postgres = start_postgres(session_folder(), session_owner(), data)
            url = str(postgres["url"])
            again = run("sync", POOL, "--endpoint-url", server.url, "--db", url,
                        "--max-rps", "500")  # fmt: skip
            assert again.returncode == 0, again.stderr
            assert pairs(url) == set(server.memberships())
            with Mirror(url) as mirror:
                assert [s.status for s in mirror.syncs(POOL)] == ["complete"]
    finally:
        stop_server(postgres)
        shutil.rmtree(data, ignore_errors=True)


def test_a_reader_never_sees_half_a_swap(server: QuotaServer, tmp_path: Path) -> None:
    """A swap that fails at its last steps leaves the mirror as it was: one transaction.

    A trigger (the test's) refuses the swap's write to ``groups``, after the memberships and
    the changes were written in the same transaction.
    """
    db = str(tmp_path / "m.db")
    with Mirror(db) as mirror:
        mirror.sync(facade(server), POOL)
        before = pairs(db)
        raw = sqlite3.connect(db)
        raw.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON groups BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
        raw.commit()
        change_pool(server)
        with pytest.raises(sqlite3.IntegrityError):
            mirror.sync(facade(server), POOL)
        assert pairs(db) == before
        assert changes_of(db) == set()
        raw.execute("DROP TRIGGER refuse")
        raw.commit()
        raw.close()
        record = mirror.sync(facade(server), POOL)
        assert record.status == "complete"
        assert pairs(db) == set(server.memberships())


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        ("garbage", "its syncs.listing_checkpoint"),
        ("another-pool", "its row in syncs"),
        ("group-names", "its syncs.group_names"),
    ],
    ids=["garbage", "another-pool", "group-names"],
)
def test_a_hand_edited_sync_is_refused_and_restart_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str, what: str
) -> None:
    """An interrupted sync whose row was edited: exit 2 saying so; --restart completes."""
    from cognito_groups._listing._checkpoint import MembershipCheckpoint, encode_checkpoint

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    db = str(tmp_path / "m.db")
    state = {"from": 1}
    with QuotaServer({"a": 300, "b": 300}, rate=None, fault=fail_after(4, state)) as server:
        failed = sync(server.url, db, "--concurrency", "1", env={**os.environ})
        assert failed.returncode == 6, failed.stderr
        state["from"] = 0
        raw = sqlite3.connect(db)
        if edit == "garbage":
            raw.execute("UPDATE syncs SET listing_checkpoint = 'cgm1:not-a-cursor'")
        elif edit == "another-pool":
            other = encode_checkpoint(
                MembershipCheckpoint(OTHER_POOL, ("a", "b"), False, frozenset(), {})
            )
            raw.execute("UPDATE syncs SET listing_checkpoint = ?", (other,))
        else:
            raw.execute("UPDATE syncs SET group_names = '[not json'")
        raw.commit()
        raw.close()
        refused = sync(server.url, db)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr == (
            f"cognito-groups: error: sync 1 of {POOL} in {db} cannot be continued: {what} "
            "was changed by hand or damaged; restart it (--restart)\n"
        )
        again = sync(server.url, db, "--restart")
        assert again.returncode == 0, again.stderr
        assert pairs(db) == set(server.memberships())


def edit_rows(database: str, sql: str, params: tuple[object, ...] = ()) -> None:
    """Change the database by hand (``?`` placeholders), as a person with SQL would."""
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database, autocommit=True) as connection:
            connection.execute(sql.replace("?", "%s"), params)
        return
    raw = sqlite3.connect(database)
    try:
        raw.execute(sql, params)
        raw.commit()
    finally:
        raw.close()


def read_row(database: str, sql: str) -> tuple[Any, ...]:
    """The first row of a query, read by hand."""
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database, autocommit=True) as connection:
            found = connection.execute(sql).fetchone()
    else:
        raw = sqlite3.connect(database)
        try:
            found = raw.execute(sql).fetchone()
        finally:
            raw.close()
    assert found is not None
    return tuple(found)


def interrupted_after_a_change(server: QuotaServer, database: str) -> None:
    """A baseline, a complete sync with one change (a left), then a sync that failed midway."""
    state = {"from": 0}
    server.fault = fail_after(4, state)
    with Mirror(database) as mirror:  # in this process: the commands are tested after it
        mirror.sync(facade(server), POOL)
        server.groups["a"] = server.groups["a"][1:]
        mirror.sync(facade(server), POOL)
        state["from"] = server.requests
        with pytest.raises(InternalError):
            mirror.sync(facade(server), POOL, concurrency=1)
    state["from"] = 0


def every_group_finished(database: str) -> tuple[str, ...]:
    """The interrupted sync's cursor, still well-formed, saying every group was listed."""
    from cognito_groups._listing._checkpoint import decode_checkpoint, encode_checkpoint

    (text,) = read_row(database, "SELECT listing_checkpoint FROM syncs WHERE id = 3")
    saved = decode_checkpoint(text)
    assert saved.groups is not None
    assert saved.at  # the attack's edit: the group under way, and those not begun, "done"
    return (encode_checkpoint(dataclasses.replace(saved, done=frozenset(saved.groups), at={})),)


#: Edits of an interrupted sync's row into other well-formed values (SQL, its parameters).
WELL_FORMED_EDITS: dict[str, tuple[str, Callable[[str], tuple[object, ...]]]] = {
    "every-group-finished": (
        "UPDATE syncs SET listing_checkpoint = ? WHERE id = 3",
        every_group_finished,
    ),
    "cursor-removed": ("UPDATE syncs SET listing_checkpoint = NULL WHERE id = 3", lambda _: ()),
    "fewer-groups": ("UPDATE syncs SET group_names = '[\"a\"]' WHERE id = 3", lambda _: ()),
    "no-attribute": ("UPDATE syncs SET attributes = '[]' WHERE id = 3", lambda _: ()),
    "memberships": (
        "UPDATE syncs SET memberships = memberships + 500 WHERE id = 3",
        lambda _: (),
    ),
    "digest-removed": ("UPDATE syncs SET cursor_digest = NULL WHERE id = 3", lambda _: ()),
    "another-syncs-digest": (
        "UPDATE syncs SET cursor_digest = ? WHERE id = 3",
        lambda _: ("0" * 64,),
    ),
}


@pytest.mark.parametrize("edit", list(WELL_FORMED_EDITS))
def test_a_well_formed_edit_of_an_interrupted_sync_is_refused(
    database: str, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    """Its cursor, scope or count edited into valid values: exit 2 (no false left); --restart.

    The digest written with the cursor no longer matches. Without it, a cursor saying every
    group was listed completed the sync with exit 0, every member not yet listed ``left``.
    """
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with QuotaServer(dict.fromkeys("abcd", 300), rate=None) as server:
        interrupted_after_a_change(server, database)
        recorded = changes_of(database)
        assert recorded == {("left", "a", "a-u0000")}
        sql, params = WELL_FORMED_EDITS[edit]
        edit_rows(database, sql, params(database))
        refused = sync(server.url, database)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.endswith(
            f"sync 3 of {POOL} in {Mirror(database).database} cannot be continued: its row in "
            "syncs was changed by hand or damaged; restart it (--restart)\n"
        )
        assert len(refused.stderr.splitlines()) == 1
        assert changes_of(database) == recorded
        again = sync(server.url, database, "--restart")
        assert again.returncode == 0, again.stderr
        assert changes_of(database) == recorded  # the pool did not change: no false left
        assert pairs(database) == set(server.memberships())


#: Values no mirror writes, edited in by hand: (SQL, the column named, the commands refused).
UNREADABLE_EDITS = {
    "started-of-the-running-sync": (
        "UPDATE syncs SET started = 'yesterday' WHERE id = 3",
        "syncs.started",
        ("sync", "changes"),
    ),
    "finished-of-a-complete-sync": (
        "UPDATE syncs SET finished = 'garbage' WHERE id = 2",
        "syncs.finished",
        ("changes",),
    ),
    "memberships-of-the-running-sync": (
        "UPDATE syncs SET memberships = 'abc' WHERE id = 3",
        "syncs.memberships",
        ("sync", "changes"),
    ),
    "baseline-of-a-complete-sync": (
        "UPDATE syncs SET baseline = 7 WHERE id = 1",
        "syncs.baseline",
        ("changes",),
    ),
    "observed_at-of-a-change": (
        "UPDATE membership_changes SET observed_at = 'soon'",
        "membership_changes.observed_at",
        ("changes",),
    ),
    # A moment Python reads, without microseconds: its text no longer sorts as time does.
    "observed_at-of-another-shape": (
        "UPDATE membership_changes SET observed_at = '2026-01-01T00:00:00Z'",
        "membership_changes.observed_at",
        ("changes",),
    ),
    "schema-version-text": (
        "UPDATE schema_version SET version = 'abc'",
        "schema_version.version",
        ("sync", "changes"),
    ),
    "schema-version-0": (
        "UPDATE schema_version SET version = 0",
        "schema_version.version",
        ("sync", "changes"),
    ),
}


@pytest.mark.parametrize("edit", list(UNREADABLE_EDITS))
def test_a_value_edited_into_what_no_mirror_writes_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    """Sync and changes: exit 2, one line naming the column, never "a bug"; the library too.

    SQLite stores any value in any column; PostgreSQL's types refuse these edits.
    """
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    db = str(tmp_path / "m.db")
    sql, column, commands = UNREADABLE_EDITS[edit]
    with QuotaServer(dict.fromkeys("abcd", 300), rate=None) as server:
        interrupted_after_a_change(server, db)
        edit_rows(db, sql)
        for command in commands:
            if command == "sync":
                result = sync(server.url, db)
            else:
                result = run("changes", POOL, "--db", db, "--format", "jsonl", "--quiet")
            assert result.returncode == 2, (command, result.stderr)
            assert result.stderr.startswith("cognito-groups: error: "), result.stderr
            assert len(result.stderr.splitlines()) == 1, result.stderr
            assert column in result.stderr
            assert "was changed by hand or damaged" in result.stderr
        with Mirror(db) as mirror:
            if "sync" in commands:
                with pytest.raises(MirrorError, match="changed by hand or damaged"):
                    mirror.sync(facade(server), POOL)
            with pytest.raises(NotAMirrorError, match=column):
                read_everything(mirror)


def read_everything(mirror: Mirror) -> None:
    """Read every sync of the pool, then every change."""
    mirror.syncs(POOL)
    list(mirror.changes(POOL))


def test_postgresql_shares_a_database_but_not_a_tables_name(
    server: QuotaServer, postgres_url: str
) -> None:
    """PostgreSQL: an application's tables may be beside the mirror's; one of its names not."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE TABLE invoices (id INTEGER)")
    assert sync(server.url, postgres_url).returncode == 0
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA other")
        admin.execute("CREATE TABLE other.users (id INTEGER)")
    clash = postgres_url + "?options=-csearch_path%3Dother"
    result = sync(server.url, clash)
    assert result.returncode == 2, result.stderr
    assert "is a database, but not a mirror of cognito-groups (it has tables users)" in (
        result.stderr
    )


def test_a_device_is_not_a_database(server: QuotaServer) -> None:
    """--db /dev/null: exit 2, and no journal made beside it in /dev."""
    result = sync(server.url, "/dev/null")
    assert result.returncode == 2
    assert result.stderr == (
        "cognito-groups: error: /dev/null is a device or a pipe, not a database file\n"
    )
    assert not Path("/dev/null-journal").exists()


def test_one_database_by_other_names_has_one_lock_or_is_refused(tmp_path: Path) -> None:
    """A symbolic link (to the file or its folder) names the same pool lock.

    A hard link is refused (SQLite would keep a journal per name); so is a lock file that is
    not one.
    """
    db = tmp_path / "m.db"
    (tmp_path / "link.db").symlink_to(db)
    (tmp_path / "folder").symlink_to(tmp_path)
    release, fault = gate(2)
    with QuotaServer({"w0": 200, "w1": 100}, rate=None, fault=fault) as server:
        first = subprocess.Popen(  # noqa: S603
            [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert wait_for(lambda: server.requests >= 3)  # it holds the lock, and waits
            for other in (tmp_path / "link.db", tmp_path / "folder" / "m.db"):
                second = sync(server.url, str(other))
                assert second.returncode == 2, second.stderr
                assert f"another cognito-groups sync of {POOL} into {other} is running " in (
                    second.stderr
                )
        finally:
            release.set()
        _, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_err
        os.link(db, tmp_path / "hard.db")
        for name in ("m.db", "hard.db"):
            refused = sync(server.url, str(tmp_path / name))
            assert refused.returncode == 2, refused.stderr
            assert "has 2 names (hard links)" in refused.stderr
        (tmp_path / "hard.db").unlink()
        lock = tmp_path / f".m.db.{POOL}.cognito-groups.lock"
        lock.symlink_to(tmp_path / "elsewhere")
        refused = sync(server.url, str(db))
        assert refused.returncode == 8, refused.stderr
        assert refused.stderr == (
            f"cognito-groups: error: {lock}: it is a symbolic link (the lock file of {POOL}'s "
            f"syncs into {db} cannot be taken)\n"
        )
        assert not (tmp_path / "elsewhere").exists()
        lock.unlink()
        assert sync(server.url, str(tmp_path / "link.db")).returncode == 0
    with Mirror(db) as mirror:
        assert [s.status for s in mirror.syncs(POOL)] == ["complete", "complete"]


def test_what_looks_like_another_database_is_refused_before_a_file_is_made(
    tmp_path: Path, server: QuotaServer
) -> None:
    """A libpq connection string or a folder as --db: exit 2, no file made.

    An empty file given for the mirror is made private.
    """
    os.chdir(tmp_path)
    conninfo = "host=127.0.0.1 password=secret dbname=x"
    result = sync(server.url, conninfo)
    assert result.returncode == 2, result.stderr
    assert "looks like a PostgreSQL connection string" in result.stderr
    assert "secret" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    result = sync(server.url, str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"cognito-groups: error: {tmp_path} is a folder, not a database\n"
    empty = tmp_path / "empty.db"
    empty.touch(mode=0o644)
    empty.chmod(0o644)
    assert sync(server.url, str(empty)).returncode == 0
    assert stat.S_IMODE(empty.stat().st_mode) == 0o600


def test_since_far_in_the_past_or_future(server: QuotaServer, tmp_path: Path) -> None:
    """Years before 1000 or near the ends of the calendar: the right rows, never a crash."""
    db = str(tmp_path / "m.db")
    assert sync(server.url, db).returncode == 0
    change_pool(server)
    assert sync(server.url, db).returncode == 0
    with Mirror(db) as mirror:
        every = list(mirror.changes(POOL))
        assert every
        old = datetime(999, 1, 1, tzinfo=timezone.utc)
        assert list(mirror.changes(POOL, since=old)) == every
        first = datetime.min.replace(tzinfo=timezone.utc)
        assert list(mirror.changes(POOL, since=first)) == every
        ahead = timezone(timedelta(hours=-1))
        assert list(mirror.changes(POOL, since=datetime.max.replace(tzinfo=ahead))) == []
    for text, rows in (("0999-01-01", len(every)), ("0001-01-01T00:00:00+01:00", len(every)),
                       ("9999-12-31T23:59:59-01:00", 0)):  # fmt: skip
        result = run("changes", POOL, "--db", db, "--since", text, "--format", "jsonl")
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == rows, text
    for text in ("999999w", "999999999w"):
        result = run("changes", POOL, "--db", db, "--since", text)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (  # timedelta's own limit, or the calendar's: one error
            f"cognito-groups: error: --since '{text}' is out of range: it reaches back before "
            "the year 1\n"
        )


def test_a_group_name_the_service_cannot_have_is_a_malformed_response(tmp_path: Path) -> None:
    """A name ListGroups sent that breaks the service model: exit 7 naming ListGroups.

    Never blaming --group; for sync, export and iter_memberships alike; nothing half done.
    """
    db = str(tmp_path / "m.db")
    with QuotaServer({"ok": 10, "=evil\ngroup": 5}, rate=None) as server:
        for result in (
            sync(server.url, db),
            run("export", POOL, "--endpoint-url", server.url, "-o", tmp_path / "out.csv"),
        ):
            assert result.returncode == 7, result.stderr
            assert (
                "ListGroups sent a group name the service model does not allow "
                "('=evil\\ngroup': character 6 ('\\n') is not allowed"
            ) in result.stderr
            assert "--group" not in result.stderr
        with pytest.raises(MalformedResponseError, match="ListGroups sent a group name"):
            list(facade(server).iter_memberships(POOL))
    with Mirror(db) as mirror:
        assert list(mirror.syncs(POOL)) == []


def test_a_saved_position_the_service_refuses_restarts_that_group_once(
    database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A continued sync whose saved token is refused lists that group again from its start.

    Memberships stay exact; a token refused that no earlier run saved still stops the sync.
    """
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    state = {"from": 0}
    groups = {f"f{index}": 150 for index in range(3)}
    refused: list[str] = []

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if state["from"] and number >= state["from"] + 3:  # the third page of f0
            return (500, "InternalErrorException")
        token = params.get("NextToken") if operation == "ListUsersInGroup" else None
        if state.get("refuse") and token is not None and not refused:
            refused.append(params["GroupName"])
            return (400, "InvalidParameterException")
        return None

    with QuotaServer(groups, rate=None, fault=fault) as server, Mirror(database) as mirror:
        state["from"] = 1
        with pytest.raises(InternalError):
            mirror.sync(facade(server), POOL, concurrency=1)
        failed = mirror.syncs(POOL)[-1]
        assert 0 < failed.memberships < len(server.memberships())
        server.groups["f0"] = server.groups["f0"][1:]  # staged by the failed run: it must go
        state.update({"from": 0, "refuse": 1})
        with caplog.at_level(logging.INFO, logger="cognito_groups.mirror"):
            record = mirror.sync(facade(server), POOL, concurrency=1)
        assert record.id == failed.id
        assert record.status == "complete"
        assert record.memberships == len(server.memberships())
        assert pairs(database) == set(server.memberships())
        # Staged by the failed run in the group listed again, and in no group since: not kept.
        assert read_row(database, "SELECT COUNT(*) FROM users WHERE username = 'f0-u0000'") == (0,)
        assert read_row(database, "SELECT COUNT(*) FROM users") == (len(server.memberships()),)
        assert len(refused) == 1
        assert f"the service refused the saved position in group {refused[0]!r}" in caplog.text
        refused.clear()
        with pytest.raises(InvalidParameterError):  # refused in a sync that saved nothing
            mirror.sync(facade(server), POOL, concurrency=1)


def test_a_mirror_in_a_read_only_folder_is_refused_to_readers_at_once(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A reader that could not follow the syncs (no -wal or -shm can be made) is refused.

    At its first read, exit 8, naming the folder and what a reader needs; never served a
    frozen (immutable) copy; nothing is made in the folder.
    """
    folder = tmp_path / "mirror"
    folder.mkdir()
    db = folder / "m.db"
    assert sync(server.url, str(db)).returncode == 0
    assert sorted(path.name for path in folder.iterdir()) == ["m.db"]
    with read_only(folder):
        with Mirror(db) as mirror, pytest.raises(DatabaseWriteError) as refused:
            mirror.groups_of(POOL, "g0-u0001")
        said = str(refused.value)
        assert said.startswith(
            f"{db} cannot be read by this user: it cannot make files in {folder}"
        )
        assert "a group shared with that user" in said
        result = run("changes", POOL, "--db", db, "--format", "jsonl")
        assert result.returncode == 8, result.stderr
        assert f"cannot make files in {folder}" in result.stderr
        assert result.stdout == ""
        assert sorted(path.name for path in folder.iterdir()) == ["m.db"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stopped_sync_says_so_and_the_next_one_continues_it(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """Ctrl-C, SIGTERM, SIGHUP mid-sync: 128+N, the sync failed saying why, its lock gone."""
    db = tmp_path / "m.db"
    release = threading.Event()
    # From the 4th request on, each waits for the signal: mid-listing (31 requests in all).
    with QuotaServer({"w0": 900, "w1": 900}, rate=None, fault=held_from(4, release)) as server:
        process = subprocess.Popen(  # noqa: S603
            [*AS_A_SHELL_STARTS_IT, str(SCRIPT), "sync", POOL, "--endpoint-url", server.url,
             "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert wait_for(lambda: server.requests >= 4)
            process.send_signal(signum)
        finally:
            release.set()
        _, err = process.communicate(timeout=60)
        assert server.requests < 31
        assert process.returncode == 128 + signum, err
        assert "bug" not in err
        assert list(tmp_path.iterdir()) == [db]  # no lock file left
        with Mirror(db) as mirror:
            (stopped,) = mirror.syncs(POOL)
        assert stopped.status == "failed"
        expected = "KeyboardInterrupt" if signum == signal.SIGINT else f"Terminated: {signum.name}"
        assert stopped.error == f"interrupted ({expected})"
        assert sync(server.url, str(db)).returncode == 0
        assert pairs(str(db)) == set(server.memberships())


def test_a_postgresql_url_libpq_cannot_read_is_refused_without_its_password() -> None:
    """A malformed postgresql:// URL: exit 2, one line, the password never shown."""
    for url in ("postgresql://u:s3cret@[::1:1/db", "postgresql://u:s3cret@127.0.0.1:9/db?foo=b",
                "postgresql://u:s3cret@127.0.0.1:9/%zz"):  # fmt: skip
        for command in (("changes",), ("sync", POOL, "--endpoint-url", "http://127.0.0.1:9")):
            result = run(*command, "--db", url)
            assert result.returncode == 2, result.stderr
            assert "is not a PostgreSQL URL libpq reads: " in result.stderr
            assert "s3cret" not in result.stderr
            assert len(result.stderr.splitlines()) == 1
        with pytest.raises(NotAMirrorError):
            Mirror(url).syncs()


def test_a_file_given_for_the_mirror_is_the_users_own(
    server: QuotaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty file of another user is refused.

    A symbolic link to a file not yet made is followed (the file made 0600 where it points).
    """
    empty = tmp_path / "theirs.db"
    empty.touch()
    owner = empty.stat().st_uid
    with monkeypatch.context() as patched:
        patched.setattr(os, "geteuid", lambda: owner + 1)
        with Mirror(empty) as mirror, pytest.raises(NotAMirrorError, match="another user"):
            mirror.sync(facade(server), POOL)
    assert empty.read_bytes() == b""
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "target.db")
    assert sync(server.url, str(link)).returncode == 0
    assert stat.S_IMODE((tmp_path / "target.db").stat().st_mode) == 0o600
    assert pairs(str(link)) == set(server.memberships())


def test_a_bad_name_of_a_group_not_synced_does_not_stop_the_sync(tmp_path: Path) -> None:
    """With --group a, a is listed: another group's bad name is not the sync's concern."""
    db = str(tmp_path / "m.db")
    with QuotaServer({"a": 10, "bad\ngroup": 5}, rate=None) as server:
        result = sync(server.url, db, "--group", "a")
        assert result.returncode == 0, result.stderr
        assert pairs(db) == {pair for pair in server.memberships() if pair[0] == "a"}


WITHOUT_FCNTL = """
import sys, asyncio, boto3, botocore.session, sqlite3  # what imports differently on Windows
sys.platform = "win32"
sys.modules["fcntl"] = None  # Windows has no fcntl
import cognito_groups
from cognito_groups import DatabaseWriteError, Mirror
from cognito_groups._mirror._database import dialect_for
print(sorted(set(cognito_groups.__all__) - set(dir(cognito_groups))))
try:
    with dialect_for(sys.argv[1]).pool_lock(None, "us-east-1_AbC123", wait=False, waiting=print):
        pass
except DatabaseWriteError as err:
    print(err)
"""


def test_the_package_imports_where_there_is_no_fcntl(tmp_path: Path) -> None:
    """On Windows (no fcntl) the package imports; a SQLite sync's lock is refused, clearly."""
    result = subprocess.run(  # noqa: S603 (this Python)
        [sys.executable, "-c", WITHOUT_FCNTL, str(tmp_path / "m.db")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    missing, refused = result.stdout.splitlines()
    assert missing == "[]"
    assert "needs flock, which this system (Windows) does not have" in refused


def test_a_sqlite_older_than_3_35_is_refused_naming_both_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old SQLite library: a MirrorError naming the version needed and the one found.

    Not a DatabaseWriteError blaming the file; nothing is made.
    """
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    db = tmp_path / "m.db"
    with QuotaServer({"a": 3}, rate=None) as server, Mirror(db) as mirror:
        with pytest.raises(MirrorError) as caught:
            mirror.sync(facade(server), POOL)
        assert type(caught.value) is MirrorError
        assert "needs SQLite 3.35.0 or newer" in str(caught.value)
        assert "has SQLite 3.34.1" in str(caught.value)
    assert not db.exists()


class ReorderingServer(QuotaServer):
    """A loopback Cognito that can send each user's attributes in reverse order."""

    reverse = False

    def _answer(self, operation: str, params: Any) -> tuple[int, dict[str, Any]]:
        status, body = super()._answer(operation, params)
        for user in body.get("Users", []) if self.reverse else []:
            user["Attributes"].reverse()
        return status, body


def test_attributes_in_another_order_are_no_change(tmp_path: Path) -> None:
    """The service sending a user's attributes in another order leaves the user's row as it is."""
    db = str(tmp_path / "m.db")
    server = ReorderingServer({"a": 5}, rate=None)
    with server, Mirror(db) as mirror:
        first = mirror.sync(facade(server), POOL, attributes=None)
        server.reverse = True
        mirror.sync(facade(server), POOL, attributes=None)
        members = mirror.members(POOL, "a")
    assert len(members[0].attributes) > 2
    query = f"SELECT COUNT(*), SUM(updated_sync_id = {first.id}) FROM users"  # noqa: S608
    assert read_row(db, query) == (5, 5)


@pytest.mark.parametrize("bad", ["nul\x00user", "lone\ud800"], ids=["nul", "lone-surrogate"])
def test_a_username_no_database_stores_fails_the_sync_naming_the_group(
    tmp_path: Path, bad: str
) -> None:
    """A NUL or lone surrogate in a username: an error naming the operation and the group.

    MalformedResponseError; the sync is marked failed, and continues exactly once mended.
    """
    db = str(tmp_path / "m.db")
    members = members_of("b", 130)
    members[125] = bad  # on the third page, after two commits
    with QuotaServer({"a": 20, "b": members}, rate=None) as server, Mirror(db) as mirror:
        with pytest.raises(MalformedResponseError) as caught:
            mirror.sync(facade(server), POOL, concurrency=1)
        assert caught.value.operation == "ListUsersInGroup"
        assert caught.value.group_name == "b"
        assert "ListUsersInGroup sent a username in group 'b' that is not valid text" in str(
            caught.value
        )
        failed = mirror.syncs(POOL)[-1]
        assert failed.status == "failed"
        assert failed.error is not None
        assert "ListUsersInGroup" in failed.error
        server.groups["b"][125] = "mended"
        record = mirror.sync(facade(server), POOL, concurrency=1)
        assert (record.id, record.status) == (failed.id, "complete")
    assert pairs(db) == set(server.memberships())


def test_an_interrupted_sync_continues_with_its_groups_and_attributes_in_any_order(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--group b --group a continues a sync of --group a --group b; so do attributes."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    state = {"from": 1}
    groups = {"a": 200, "b": 200, "c": 10}
    with (
        QuotaServer(groups, rate=None, fault=fail_after(4, state)) as server,
        Mirror(database) as mirror,
    ):
        for given, again in ((["b", "a"], ["a", "b"]), (["a", "b"], ["b", "a"])):
            with pytest.raises(InternalError):
                mirror.sync(facade(server), POOL, given, attributes=["sub", "email"])
            failed = mirror.syncs(POOL)[-1]
            stored = f"SELECT group_names, attributes FROM syncs WHERE id = {failed.id}"  # noqa: S608
            assert [
                json.loads(value) if isinstance(value, str) else value
                for value in read_row(database, stored)
            ] == [["a", "b"], ["email", "sub"]]
            state["from"] = 0
            record = mirror.sync(facade(server), POOL, again, attributes=["email", "sub"])
            assert (record.id, record.status) == (failed.id, "complete")
            assert pairs(database) == {p for p in server.memberships() if p[0] != "c"}
            state["from"] = server.requests


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("mysql://h/db", "mysql:... is not a database the mirror supports"),
        (":memory:", "needs a file (or a postgresql:// URL)"),
        ("host=h dbname=x", "looks like a PostgreSQL connection string"),
    ],
    ids=["scheme", "memory", "conninfo"],
)
def test_a_database_refused_is_named_as_the_caller_named_it(given: str, said: str) -> None:
    """The library's message names its parameter ``database``; the command's, ``--db``."""
    with pytest.raises(NotAMirrorError) as caught:
        Mirror(given)
    assert str(caught.value).startswith("database ")
    assert said in str(caught.value)
    assert "--db" not in str(caught.value)
    result = run("changes", "--db", given)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr
    assert "--db " in result.stderr


def test_a_file_in_the_place_of_the_pool_lock_is_left_as_it_is(tmp_path: Path) -> None:
    """A file there that is no lock file (a user's, a hard link): refused, never overwritten."""
    db = tmp_path / "m.db"
    lock = tmp_path / f".m.db.{POOL}.cognito-groups.lock"
    notes = tmp_path / "notes.txt"
    with QuotaServer({"a": 3}, rate=None) as server, Mirror(db) as mirror:
        for planted in ("a file of the user's", "a hard link"):
            if planted == "a hard link":
                lock.unlink()
                notes.write_text("my notes\n")
                os.link(notes, lock)
            else:
                lock.write_text("my notes\n")
            with pytest.raises(DatabaseWriteError) as caught:
                mirror.sync(facade(server), POOL)
            assert str(caught.value) == (
                f"{lock}: it is in the place of a lock file, but is not one (the lock file of "
                f"{POOL}'s syncs into {db} cannot be taken)"
            )
            assert lock.read_text() == "my notes\n"
        lock.unlink()
        assert mirror.sync(facade(server), POOL).status == "complete"


def test_a_database_with_a_long_name_has_a_pool_lock_of_a_short_one(tmp_path: Path) -> None:
    """A file name too long to take the lock's prefix and suffix: its lock's name is a hash."""
    db = tmp_path / ("m" * 240)
    with QuotaServer({"a": 3}, rate=None) as server, Mirror(db) as mirror:
        assert mirror.sync(facade(server), POOL).status == "complete"
        assert mirror.delete_pool(POOL) > 0


def test_another_programs_database_is_refused_as_it_was(
    server: QuotaServer, tmp_path: Path
) -> None:
    """`sync --db` on another program's SQLite file: exit 2, its bytes as they were.

    Not switched to WAL mode first (that changed its header), and no file made beside it.
    """
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE notes (body TEXT)")
        raw.execute("INSERT INTO notes VALUES ('keep me')")
    raw.close()
    before = other.read_bytes()
    assert before[18:20] == b"\x01\x01"  # a rollback-journal database
    result = sync(server.url, str(other))
    assert result.returncode == 2, result.stderr
    assert "is a database, but not a mirror of cognito-groups" in result.stderr
    assert other.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["app.db"]


def test_a_group_anyone_may_edit_does_not_stop_the_mirror_of_the_pool(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL or lone surrogate in a Description, RoleArn or UserStatus; a Precedence of 2**64.

    The sync completes (on both back ends): the text with those characters escaped, the
    precedence none; a WARNING names the field and group, never the value.
    """
    with QuotaServer({"evil": ["mallory"], "fine": ["ana"]}, rate=None) as server:
        server.group_fields["evil"] = {
            "Description": "lone \ud800 and nul\x00",
            "RoleArn": "arn:aws:iam::123456789012:role/x\x00",
            "Precedence": 2**64,
        }
        server.statuses["mallory"] = "CONFIRMED\ud800\x00"
        with caplog.at_level(logging.WARNING, "cognito_groups.mirror"), Mirror(database) as m:
            record = m.sync(facade(server), POOL)
            groups = {group.group_name: group for group in m.groups(POOL)}
            (mallory,) = m.members(POOL, "evil")
    assert record.status == "complete"
    assert groups["evil"].description == "lone \\ud800 and nul\\u0000"
    assert groups["evil"].role_arn == "arn:aws:iam::123456789012:role/x\\u0000"
    assert groups["evil"].precedence is None
    assert groups["fine"].precedence == 1
    assert mallory.user_status is not None
    assert mallory.user_status.value == "CONFIRMED\\ud800\\u0000"
    said = caplog.text
    assert "Description of group 'evil'" in said
    assert "Precedence of group 'evil' beyond a 64-bit integer" in said
    assert "UserStatus" in said
    assert "\x00" not in said
    assert "\ud800" not in said


@pytest.mark.parametrize("how", ["moved-and-linked", "deleted"])
def test_a_mirror_moved_or_deleted_during_its_sync_stops_it(tmp_path: Path, how: str) -> None:
    """`mv db x; ln -s other.db db` (or `rm db`) while a sync runs: exit 8, never exit 0.

    Nothing is written to the file now at that path; the moved file keeps its last commit, and
    the sync continues once it is put back.
    """
    db, moved, other = tmp_path / "m.db", tmp_path / "moved.db", tmp_path / "other.db"
    release, fault = gate(4)
    with QuotaServer({"a": 300, "b": 300}, rate=None, fault=fault) as server:
        command = [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", str(db),
                   "--max-rps", "500", "--concurrency", "1"]  # fmt: skip
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            try:
                assert wait_for(lambda: server.requests > 4, timeout=90)  # a loaded machine
                os.rename(db, moved)
                if how == "moved-and-linked":
                    other.write_bytes(b"")
                    os.symlink(other, db)
            finally:
                release.set()
            _, err = process.communicate(timeout=120)
        finally:  # never left running into the next test
            if process.poll() is None:
                process.kill()
            process.communicate()
        assert process.returncode == 8, err
        assert f"{db} was moved, replaced or deleted while this sync ran" in err
        if how == "moved-and-linked":
            assert other.read_bytes() == b""
            db.unlink()
        else:
            assert not db.exists()
        for suffix in ("", "-wal", "-shm"):  # put back, as the message says
            if Path(f"{moved}{suffix}").exists():
                os.rename(f"{moved}{suffix}", f"{db}{suffix}")
        again = sync(server.url, str(db), "--concurrency", "1")
        assert again.returncode == 0, again.stderr
        assert "(sync 1 continued: " in again.stderr
        assert pairs(str(db)) == set(server.memberships())


#: Hand edits of an interrupted sync's staged rows (sync 3): each would record a false change.
STAGED_EDITS = {
    "a-staged-membership-deleted": (
        "DELETE FROM sync_memberships WHERE sync_id = 3 AND username = "
        "(SELECT MIN(username) FROM sync_memberships WHERE sync_id = 3)",
    ),
    "a-ghost-user-staged": (
        "INSERT INTO sync_memberships (sync_id, group_name, username) VALUES (3, 'a', 'ghost')",
        "INSERT INTO sync_users (sync_id, username, attributes) VALUES (3, 'ghost', '{}')",
    ),
    "a-staged-group-marked-gone": (
        "UPDATE sync_groups SET present = ? WHERE sync_id = 3 AND group_name = 'b'",
    ),
    "a-staged-membership-given-another-account": (  # the swap matches memberships by sub
        "UPDATE sync_memberships SET sub = 'x' WHERE sync_id = 3 AND username = "
        "(SELECT MIN(username) FROM sync_memberships WHERE sync_id = 3)",
    ),
}


@pytest.mark.parametrize("edit", list(STAGED_EDITS))
def test_hand_edited_staged_rows_are_refused_before_a_continuation(
    database: str, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    """A staged row deleted, a ghost user, a group gone, another sub: exit 2, no false change.

    The digest of the staged rows committed with each batch no longer matches them; --restart
    then records exactly what changed (nothing).
    """
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with QuotaServer(dict.fromkeys("abcd", 300), rate=None) as server:
        interrupted_after_a_change(server, database)
        recorded = changes_of(database)
        for sql in STAGED_EDITS[edit]:
            edit_rows(database, sql, (False,) if "?" in sql else ())
        refused = sync(server.url, database)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.endswith(
            f"sync 3 of {POOL} in {Mirror(database).database} cannot be continued: its staged "
            "rows (sync_groups, sync_memberships, sync_users) were changed by hand or damaged; "
            "restart it (--restart)\n"
        )
        assert changes_of(database) == recorded
        again = sync(server.url, database, "--restart")
        assert again.returncode == 0, again.stderr
        assert changes_of(database) == recorded  # no false joined or left
        assert pairs(database) == set(server.memberships())


def test_an_unedited_interrupted_sync_is_continued_after_a_group_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staged rows' digest follows a group dropped from the sync: continued exactly."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    db = str(tmp_path / "m.db")
    state = {"from": 1}
    with QuotaServer(dict.fromkeys("abcd", 300), rate=None, fault=fail_after(6, state)) as server:
        with Mirror(db) as mirror, pytest.raises(InternalError):
            mirror.sync(facade(server), POOL, concurrency=2)
        del server.groups["d"]  # gone before the continuation: dropped from the sync
        state["from"] = 0
        again = sync(server.url, db, "--concurrency", "2")
        assert again.returncode == 0, again.stderr
        assert "(sync 1 continued: " in again.stderr
        assert pairs(db) == set(server.memberships())
