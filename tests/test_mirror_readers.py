"""The mirror's readers: every answer from the latest complete sync, snapshots, threads, `sub`.

A reader of another user (under ``setpriv``) follows each sync or is refused when it connects;
an iterator left half read holds nothing back; a snapshot never mixes two syncs, even with
syncs killed mid-way; one `Mirror` serves 8 threads; a username deleted and created again is
another account. SQLite and PostgreSQL where it applies.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups import DatabaseWriteError, Mirror, MirrorSnapshot, NotAMirrorError
from cognito_groups._mirror import _readers
from cognito_groups._mirror._schema import SCHEMA_VERSION

from .quota_server import POOL, QuotaServer, members_of

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).with_name("cognito-groups")
#: The group the syncing user and the application's user share, and the users themselves.
SHARED_GROUP, SYNCING_USER, APP_USER, STRANGER = 64120, 64121, 64122, 64123


def sync(url: str, db: str, *extra: str, user: int | None = None, **kw: Any) -> Any:
    """``cognito-groups sync`` (as ``user``, in the shared group, when given)."""
    command = [str(SCRIPT), "sync", POOL, "--endpoint-url", url, "--db", db, "--max-rps", "500"]
    return subprocess.run(  # noqa: S603 (our own script)
        [*as_user(user), *command, *extra],
        capture_output=True, text=True, timeout=120, check=False, **kw,
    )  # fmt: skip


def as_user(uid: int | None, *, shared: bool = True) -> list[str]:
    """The command prefix that runs a program as ``uid`` (nothing for ``None``).

    In the shared group or in none; with the right to read any file (``CAP_DAC_READ_SEARCH``)
    so that it reaches this checkout's interpreter and packages wherever they are, and no
    right to write what its user may not: what SQLite needs to write decides.
    """
    if uid is None:
        return []
    if os.geteuid() != 0:
        pytest.fail("a reader of another user needs the tests to run as root (setpriv)")
    group = SHARED_GROUP if shared else uid
    return [
        "setpriv", f"--reuid={uid}", f"--regid={group}",
        f"--groups={group}" if shared else "--clear-groups",
        "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search",
    ]  # fmt: skip


@pytest.fixture
def shared_folder() -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder of the shared group (setgid, 2770), and the environment the users run in.

    Made with `tempfile` (pytest's own folders are root's alone); removed afterwards.
    """
    base = Path(tempfile.mkdtemp(prefix="cognito-groups-readers-"))
    base.chmod(0o755)
    folder = base / "mirror"
    folder.mkdir()
    os.chown(folder, 0, SHARED_GROUP)
    folder.chmod(0o2770)
    budgets = base / "budgets"
    budgets.mkdir()
    budgets.chmod(0o1777)  # each user's budget files of its own
    env = {**os.environ, "COGNITO_GROUPS_BUDGET_DIR": str(budgets), "HOME": str(base)}
    try:
        yield folder, env
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=True)  # noqa: S603, S607


class Reader:
    """A `tests.mirror_reader` process; its lines, as they arrive, with their arrival time."""

    def __init__(self, db: str, user: int | None, env: dict[str, str], *, shared: bool = True):
        self.process = subprocess.Popen(  # noqa: S603
            [*as_user(user, shared=shared), sys.executable, "-m", "tests.mirror_reader", db,
             POOL, "mallory"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=ROOT, env=env,
        )  # fmt: skip
        self.lines: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.monotonic(), json.loads(line)))

    def next(self, timeout: float = 20.0) -> tuple[float, dict[str, Any]]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(f"the reader said nothing in {timeout} s: {err}") from None

    def stop(self) -> int:
        """End it (its standard input closed); its exit code."""
        process = self.process
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        if process.poll() is None:
            process.stdin.close()
        code = process.wait(timeout=20)
        self._thread.join(timeout=20)
        self.stderr = process.stderr.read()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
        return code


def toggle_mallory(server: QuotaServer) -> None:
    admins = server.groups["admins"]
    if "mallory" in admins:
        admins.remove("mallory")
    else:
        admins.append("mallory")


def test_a_reader_of_another_user_follows_each_sync_within_a_second(
    shared_folder: tuple[Path, dict[str, str]],
) -> None:
    """The documented deployment: cron syncs as one user, the application reads as another.

    Both in a shared group; the folder setgid 2770; the database made 0660 once after the first
    sync. The reader starts when no -wal is there (it makes them, in the group): the syncs
    after it still write them, and it sees each one complete within a second.
    """
    folder, env = shared_folder
    db = str(folder / "cognito-groups.db")
    groups = {"admins": ["ana", "mallory"], "staff": members_of("staff", 80)}
    with QuotaServer(groups, rate=None) as server:
        first = sync(server.url, db, user=SYNCING_USER, env=env)
        assert first.returncode == 0, first.stderr
        assert (os.stat(db).st_uid, os.stat(db).st_mode & 0o777) == (SYNCING_USER, 0o600)
        os.chmod(db, 0o660)  # the operator, once: the group may read it
        assert sorted(path.name for path in folder.iterdir()) == ["cognito-groups.db"]
        reader = Reader(db, APP_USER, env)
        try:
            assert reader.next()[1] == {"complete": 1, "groups": ["admins"]}
            for number in range(2, 5):
                toggle_mallory(server)
                result = sync(server.url, db, user=SYNCING_USER, env=env)
                done = time.monotonic()
                assert result.returncode == 0, result.stderr
                arrived, seen = reader.next()
                expected = ["admins"] if number % 2 else []
                assert seen == {"complete": number, "groups": expected}
                assert arrived - done < 1.0
        finally:
            code = reader.stop()
        assert code == 0, reader.stderr
        made = {path.name: path.stat() for path in folder.iterdir()}
        for name in ("cognito-groups.db-wal", "cognito-groups.db-shm"):
            if name in made:  # made by whichever of the two came first: the group's
                assert made[name].st_gid == SHARED_GROUP
                assert made[name].st_mode & 0o660 == 0o660


def test_a_reader_that_could_not_follow_is_refused_at_its_first_read(
    shared_folder: tuple[Path, dict[str, str]],
) -> None:
    """Without the rights WAL mode needs, a reader is refused at once (exit 8), saying which.

    A user outside the group; a user of the group before the file is made 0660. Never an
    answer from a frozen copy, and no file made.
    """
    folder, env = shared_folder
    db = str(folder / "cognito-groups.db")
    with QuotaServer({"admins": ["mallory"]}, rate=None) as server:
        assert sync(server.url, db, user=SYNCING_USER, env=env).returncode == 0
        for user, shared in ((APP_USER, True), (STRANGER, False)):
            reader = Reader(db, user, env, shared=shared)
            _, said = reader.next()
            assert said["error"] == "DatabaseWriteError"
            assert said["message"].startswith(
                f"{db} cannot be read by this user: it cannot read and write {db}."
            )
            assert "a group shared with that user" in said["message"]
            assert reader.stop() == 3
        changes = subprocess.run(  # noqa: S603
            [*as_user(APP_USER), str(SCRIPT), "changes", POOL, "--db", db],
            capture_output=True, text=True, timeout=60, check=False, env=env,
        )  # fmt: skip
        assert changes.returncode == 8, changes.stderr
        assert "cannot be read by this user" in changes.stderr
        assert sorted(path.name for path in folder.iterdir()) == ["cognito-groups.db"]


def test_a_reader_role_of_postgresql_follows_each_sync_or_is_refused(postgres_url: str) -> None:
    """PostgreSQL: a role with SELECT on the mirror's tables follows; one without is refused."""
    import psycopg

    name = f"reader_{uuid.uuid4().hex[:8]}"
    reader_url = postgres_url.replace("://", f"://{name}:secret-{name}@", 1).replace(
        "@" + postgres_url.split("://", 1)[1].split("@", 1)[0] + "@", "@"
    )
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'secret-{name}'")
    try:
        with QuotaServer({"admins": ["ana", "mallory"]}, rate=None) as server:
            assert sync(server.url, postgres_url).returncode == 0
            with Mirror(reader_url) as mirror, pytest.raises(DatabaseWriteError) as refused:
                mirror.groups_of(POOL, "mallory")
            assert "a reader's role needs SELECT on the mirror's tables" in str(refused.value)
            assert f"secret-{name}" not in str(refused.value)
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
            with Mirror(reader_url) as mirror:  # long-lived: one for every sync
                assert mirror.groups_of(POOL, "mallory") == {"admins"}
                for number in range(2, 5):
                    toggle_mallory(server)
                    assert sync(server.url, postgres_url).returncode == 0
                    expected = {"admins"} if number % 2 else set()
                    assert mirror.groups_of(POOL, "mallory") == expected
                    assert len(mirror.syncs(POOL)) == number
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")


def test_a_half_read_changes_iterator_holds_nothing_back(database: str) -> None:
    """`changes()` left half read: `groups_of` follows three syncs; no snapshot is pinned.

    The iterator ends with the changes committed when it began (none of the later ones).
    """
    groups: dict[str, int | list[str]] = {"admins": ["mallory"], "big": 0}
    with QuotaServer(groups, rate=None) as server, Mirror(database) as mirror:
        assert sync(server.url, database).returncode == 0
        server.groups["big"] = members_of("big", 1200)
        assert sync(server.url, database).returncode == 0
        changes = mirror.changes(POOL)
        first = next(changes)
        for number in range(3):
            toggle_mallory(server)
            assert sync(server.url, database).returncode == 0
            assert mirror.groups_of(POOL, "mallory") == ({"admins"} if number % 2 else set())
            if not database.startswith("postgresql"):
                with sqlite3.connect(database) as raw:  # no reader holds a snapshot
                    busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                assert busy == 0
        rest = list(changes)
    with Mirror(database) as again:
        assert [first, *rest] == [c for c in again.changes(POOL) if c.sync_id == 2]
    assert len(rest) == 1199


#: Two states of a pool, and how many memberships differ between them.
STATE_A: dict[str, list[str]] = {
    "admins": ["ana", "mallory"],
    "ops": members_of("ops", 30),
    "staff": members_of("staff", 90),
}
STATE_B: dict[str, list[str]] = {
    "admins": ["ana", "bob"],
    "ops": members_of("ops", 30)[10:],
    "staff": [*members_of("staff", 90), "bob", "carol"],
}


def pairs_of(state: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(group, user) for group, users in state.items() for user in users}


DIFFERENCE = len(pairs_of(STATE_A) ^ pairs_of(STATE_B))


def consistent(snapshot: MirrorSnapshot | Mirror) -> str | None:
    """What is wrong with what ``snapshot`` answers, or ``None`` if it is one sync's state."""
    complete = [s for s in snapshot.syncs(POOL) if s.status == "complete"]
    expected = STATE_A if len(complete) % 2 else STATE_B
    seen = {
        (group.group_name, user.username)
        for group in snapshot.groups(POOL)
        for user in snapshot.members(POOL, group.group_name)
    }
    if seen != pairs_of(expected):
        return f"{len(complete)} syncs, but the memberships of another"
    if snapshot.groups_of(POOL, "mallory") != ({"admins"} if expected is STATE_A else set()):
        return f"{len(complete)} syncs, but mallory's groups of another"
    changes = sum(1 for _ in snapshot.changes(POOL))
    if changes != (len(complete) - 1) * DIFFERENCE:
        return f"{len(complete)} syncs, but {changes} changes"
    return None


def test_a_snapshot_never_mixes_two_syncs_even_with_syncs_killed(database: str) -> None:
    """A reader of snapshots during repeated syncs, each flip first killed mid-way (kill -9).

    Every snapshot is one complete sync's state: its groups, members, a user's groups, its
    syncs and the changes up to it agree.
    """
    state = {name: list(users) for name, users in STATE_A.items()}
    wrong: list[str] = []
    reads = 0
    stop = threading.Event()
    with QuotaServer(state, rate=None, latency=0.01) as server:
        assert sync(server.url, database, "--concurrency", "1").returncode == 0
        mirror = Mirror(database)

        def read() -> None:
            nonlocal reads
            while not stop.is_set():
                with mirror.snapshot() as snapshot:
                    problem = consistent(snapshot)
                if problem is not None:
                    wrong.append(problem)
                reads += 1
                time.sleep(0.005)  # the syncs get the processor too

        reader = threading.Thread(target=read)
        reader.start()
        try:
            chance = random.Random(31)
            for flip in range(3):
                server.groups.clear()
                server.groups.update(STATE_B if flip % 2 == 0 else STATE_A)
                killed = subprocess.Popen(  # noqa: S603
                    [str(SCRIPT), "sync", POOL, "--endpoint-url", server.url, "--db", database,
                     "--max-rps", "500", "--concurrency", "1"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                time.sleep(chance.uniform(0.05, 0.25))
                killed.send_signal(signal.SIGKILL)
                killed.wait(timeout=60)
                result = sync(server.url, database, "--concurrency", "1")
                assert result.returncode == 0, result.stderr
        finally:
            stop.set()
            reader.join(timeout=60)
            mirror.close()
    assert wrong == []
    assert reads >= 8


def test_one_mirror_serves_eight_threads(database: str) -> None:
    """8 threads share one `Mirror` during syncs: every answer one sync's; closed properly."""
    state = {name: list(users) for name, users in STATE_A.items()}
    errors: list[BaseException] = []
    answers = 0
    stop = threading.Event()
    lock = threading.Lock()
    with QuotaServer(state, rate=None) as server:
        assert sync(server.url, database).returncode == 0
        mirror = Mirror(database)

        def work(number: int) -> None:
            nonlocal answers
            try:
                while not stop.is_set():
                    if number % 2:
                        with mirror.snapshot() as snapshot:
                            assert consistent(snapshot) is None
                    else:
                        assert mirror.groups_of(POOL, "ana") == {"admins"}
                        assert len(mirror.members(POOL, "staff")) in (90, 92)
                        assert {g.group_name for g in mirror.groups(POOL)} == set(STATE_A)
                    with lock:
                        answers += 1
                    time.sleep(0.005)  # the syncs get the processor too
            except BaseException as err:  # noqa: BLE001 (reported by the test)
                errors.append(err)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        try:
            for flip in range(2):
                server.groups.clear()
                server.groups.update(STATE_B if flip % 2 == 0 else STATE_A)
                assert sync(server.url, database).returncode == 0
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        if not database.startswith("postgresql"):
            assert 1 <= open_files(database) <= 8  # a connection per thread at most
        mirror.close()
        if not database.startswith("postgresql"):
            assert open_files(database) == 0
    assert errors == []
    assert answers > 8


def open_files(database: str) -> int:
    """How many of this process's file descriptors are open on ``database`` itself."""
    real = os.path.realpath(database)
    count = 0
    for descriptor in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            count += os.readlink(descriptor) == real
    return count


def test_a_snapshot_is_read_only_in_its_block(tmp_path: Path) -> None:
    """A snapshot read after its block ends is an error that says so."""
    db = str(tmp_path / "m.db")
    with QuotaServer({"admins": ["mallory"]}, rate=None) as server:
        assert sync(server.url, db).returncode == 0
    with Mirror(db) as mirror:
        with mirror.snapshot() as snapshot:
            assert snapshot.groups_of(POOL, "mallory") == {"admins"}
            later = snapshot.changes(POOL)
        with pytest.raises(RuntimeError, match="has ended: read it inside its"):
            snapshot.groups(POOL)
        with pytest.raises(RuntimeError, match="has ended"):
            next(later)


def test_a_username_created_again_is_another_account(database: str) -> None:
    """Bob is deleted and created again (another sub), then added to admins again.

    The next sync records bob's old account leaving and the new one joining, each with its sub,
    in every format; the membership is first seen now; ``members`` carries the new sub.
    """
    with QuotaServer({"admins": ["ana", "bob"], "staff": ["bob", "carol"]}, rate=None) as server:
        assert sync(server.url, database).returncode == 0
        old = server.sub_of("bob")
        with Mirror(database) as mirror:
            (before,) = [u for u in mirror.members(POOL, "admins") if u.username == "bob"]
            assert before.sub == old
        new = str(uuid.uuid4())
        server.subs["bob"] = new
        server.groups["staff"].remove("bob")  # the new account is in admins only
        assert sync(server.url, database).returncode == 0
        with Mirror(database) as mirror:
            changes = [
                (c.change, c.group_name, c.username, c.sub)
                for c in mirror.changes(POOL)
                if c.sync_id == 2
            ]
            (after,) = [u for u in mirror.members(POOL, "admins") if u.username == "bob"]
            record = mirror.syncs(POOL)[-1]
        assert sorted(changes) == sorted(
            [
                ("left", "admins", "bob", old),
                ("joined", "admins", "bob", new),
                ("left", "staff", "bob", old),
            ]
        )
        assert (record.joined, record.left) == (1, 2)
        assert after.sub == new
        first_seen = read_value(
            database,
            "SELECT first_sync_id, sub FROM memberships WHERE group_name = 'admins' "
            "AND username = 'bob'",
        )
        assert first_seen == (2, new)
        user = read_value(
            database, "SELECT first_seen = updated, sub FROM users WHERE username = 'bob'"
        )
        assert user in ((True, new), (1, new))  # the new account is first seen now
        listed = subprocess.run(  # noqa: S603
            [str(SCRIPT), "changes", POOL, "--db", database, "--format", "jsonl"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert {(r["change"], r["group_name"], r["sub"]) for r in rows} == {
            ("left", "admins", old),
            ("joined", "admins", new),
            ("left", "staff", old),
        }
        as_csv = subprocess.run(  # noqa: S603
            [str(SCRIPT), "changes", POOL, "--db", database, "--format", "csv"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert f",joined,admins,bob,{POOL},2,{new}" in as_csv.stdout
        assert sync(server.url, database).returncode == 0  # and then: nothing more
        with Mirror(database) as mirror:
            assert [c for c in mirror.changes(POOL) if c.sync_id == 3] == []


def read_value(database: str, sql: str) -> tuple[Any, ...]:
    """One row, read with the database's own driver."""
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database) as connection:
            row = connection.execute(sql).fetchone()
    else:
        with sqlite3.connect(database) as connection:
            row = connection.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def test_a_reader_follows_a_mirror_deleted_and_made_again(tmp_path: Path) -> None:
    """The docs' way to remove a mirror (its file, -wal and -shm), then a new one at that path.

    A `Mirror` that read the old file answers from the new one (or says there is none), never
    from the deleted file; a relative path names the same file after a chdir.
    """
    db = tmp_path / "m.db"
    with QuotaServer({"admins": ["ana", "mallory"]}, rate=None) as server, Mirror(db) as mirror:
        assert sync(server.url, str(db)).returncode == 0
        assert mirror.groups_of(POOL, "mallory") == {"admins"}
        for name in ("m.db", "m.db-wal", "m.db-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        with pytest.raises(NotAMirrorError, match="no such mirror"):
            mirror.groups_of(POOL, "mallory")
        server.groups["admins"].remove("mallory")
        assert sync(server.url, str(db)).returncode == 0
        assert mirror.groups_of(POOL, "mallory") == frozenset()
        assert mirror.groups_of(POOL, "nul\x00name") == frozenset()  # no sync stores it
        assert mirror.groups_of(POOL, "\ud800") == frozenset()


def test_a_reader_checks_the_file_put_in_the_mirrors_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program's database, or an older mirror, put at the path of one a `Mirror` read.

    The long-lived `Mirror` says what a new one says (not a mirror; a sync upgrades it), not a
    failed read of a table or a column that file does not have (exit 8).
    """
    db = tmp_path / "m.db"
    with QuotaServer({"admins": ["ana"]}, rate=None) as server, Mirror(db) as mirror:
        assert sync(server.url, str(db)).returncode == 0
        assert mirror.groups_of(POOL, "ana") == {"admins"}
        old = tmp_path / "old.db"
        assert sync(server.url, str(old)).returncode == 0
        other = tmp_path / "other.db"
        with sqlite3.connect(other) as raw:
            raw.execute("CREATE TABLE notes (text TEXT)")
        raw.close()
        os.replace(other, db)
        with pytest.raises(NotAMirrorError, match="not a mirror"):
            mirror.groups_of(POOL, "ana")
        os.replace(old, db)
        # As if this release's schema were one version newer than the file's.
        monkeypatch.setattr(_readers, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
        with pytest.raises(NotAMirrorError, match=r"older schema \(version 1\)"):
            mirror.groups_of(POOL, "ana")


def test_a_forked_process_reads_through_its_own_connections(tmp_path: Path) -> None:
    """A `Mirror` that read before a fork (a web server's master): the child opens its own.

    SQLite's locks and a PostgreSQL session do not survive a fork; the child keeps the
    inherited connections unused (closing them could end the parent's session).
    """
    db = tmp_path / "m.db"
    with QuotaServer({"admins": ["ana"]}, rate=None) as server, Mirror(db) as mirror:
        assert sync(server.url, str(db)).returncode == 0
        assert mirror.groups_of(POOL, "ana") == {"admins"}
        (parents,) = mirror._readers._idle  # what the child must not use
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (the child's report is checked below)
            ok = False
            with contextlib.suppress(BaseException):
                ok = mirror.groups_of(POOL, "ana") == frozenset({"admins"}) and all(
                    connection is not parents for connection in mirror._readers._idle
                )
            os.write(write, b"ok" if ok else b"no")
            os._exit(0)
        os.close(write)
        _, status = os.waitpid(child, 0)
        assert os.read(read, 2) == b"ok"
        os.close(read)
        assert status == 0
        assert mirror.groups_of(POOL, "ana") == {"admins"}
        assert mirror._readers._idle == [parents]  # the parent's, still in use


def test_a_pools_changes_are_paged_by_an_index(tmp_path: Path) -> None:
    """`changes(pool)` pages by id within a pool: an index, not a sort of the pool's history.

    (Without it, each page of 500 sorted all of the pool's later changes: 100,000 changes of
    one pool read in 8.5 s instead of 0.2 s.) The query has the shape `_queries` sends.
    """
    db = tmp_path / "m.db"
    with QuotaServer({"admins": ["ana"]}, rate=None) as server:
        assert sync(server.url, str(db)).returncode == 0
    with sqlite3.connect(db) as raw:
        plan = raw.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM membership_changes "
            "WHERE id > ? AND id <= ? AND pool_id = ? ORDER BY id LIMIT ?",
            (0, 10, POOL, 500),
        ).fetchall()
    raw.close()
    steps = " ".join(str(step[-1]) for step in plan)
    assert "TEMP B-TREE" not in steps, steps
    assert "(pool_id=? AND id>? AND id<?)" in steps, steps


def test_a_relative_database_names_one_file_after_a_chdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Mirror("m.db")` is the file in the folder it was made in, for every connection."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    with QuotaServer({"admins": ["mallory"]}, rate=None) as server:
        assert sync(server.url, str(first / "m.db")).returncode == 0
        server.groups["admins"] = ["ana"]
        assert sync(server.url, str(second / "m.db")).returncode == 0
    monkeypatch.chdir(first)
    mirror = Mirror("m.db")
    try:
        assert mirror.groups_of(POOL, "mallory") == {"admins"}
        monkeypatch.chdir(second)
        mirror.close()  # every connection made again, after the chdir
        assert mirror.groups_of(POOL, "mallory") == {"admins"}
    finally:
        mirror.close()


def test_members_name_the_account_that_holds_each_membership(tmp_path: Path) -> None:
    """After a sync of one group, another group's membership keeps its own account's sub.

    (The new account's is in ``users``; the group not synced still has the old one's.)
    """
    db = str(tmp_path / "m.db")
    with QuotaServer({"admins": ["bob"], "staff": ["bob"]}, rate=None) as server:
        assert sync(server.url, db).returncode == 0
        old = server.sub_of("bob")
        server.subs["bob"] = new = str(uuid.uuid4())
        assert sync(server.url, db, "--group", "admins").returncode == 0
        with Mirror(db) as mirror:
            (in_admins,) = mirror.members(POOL, "admins")
            (in_staff,) = mirror.members(POOL, "staff")
    assert (in_admins.sub, in_staff.sub) == (new, old)
