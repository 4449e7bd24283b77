"""The budgets' shared state: one file per account and Region, and what happens when it fails."""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from cognito_groups._pacing._pace import BURST_MAX, Pace, PaceState
from cognito_groups._pacing._shared_store import (
    LARGEST,
    LOCK_PATIENCE,
    STALE_SECONDS,
    VERSION,
    SharedPaceStore,
    open_store,
)
from cognito_groups._pacing._store import BUSY, LocalPaceStore, budget_folder, identity

PACE = Pace(30, pair=None)


def take(store: SharedPaceStore | LocalPaceStore, now: float, key: str = "UserList") -> float:
    """Take a token from ``key``'s state in ``store`` (BUSY raises)."""
    result = store.update(key, now, lambda state: PACE.take(state, now))
    assert result is not BUSY
    assert isinstance(result, float)
    return result


def test_two_stores_on_one_file_share_the_bucket(tmp_path: Path) -> None:
    """What one process takes, the other cannot: one bucket for both."""
    now = time.monotonic()
    one, two = SharedPaceStore(tmp_path / "a.json"), SharedPaceStore(tmp_path / "a.json")
    assert take(one, now) == 0.0  # the bucket's two tokens ...
    assert take(one, now) == 0.0
    assert take(two, now) == pytest.approx(1 / 30)  # ... none left for the other
    assert take(two, now + 1 / 30) == 0.0
    assert one.path == two.path == tmp_path / "a.json"


def test_the_file_and_its_folder_are_the_users_alone(tmp_path: Path) -> None:
    """The folder is made 0700, the file 0600; the file holds states, not who asked."""
    path = tmp_path / "budgets" / f"{identity('https://x', 'us-east-1', 'AKIAEXAMPLE')}.json"
    take(SharedPaceStore(path), time.monotonic())
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "AKIAEXAMPLE" not in text
    assert "AKIAEXAMPLE" not in path.name
    assert json.loads(text)["version"] == VERSION


def test_the_identity_is_a_digest_of_endpoint_region_and_key() -> None:
    """Another Region, endpoint or key is another file; the name tells none of them."""
    names = {
        identity("https://cognito-idp.us-east-1.amazonaws.com", "us-east-1", "AKIA1"),
        identity("https://cognito-idp.us-east-1.amazonaws.com", "us-east-1", "AKIA2"),
        identity("https://cognito-idp.eu-west-1.amazonaws.com", "eu-west-1", "AKIA1"),
        identity("http://127.0.0.1:5000", "us-east-1", "AKIA1"),
    }
    assert len(names) == 4
    assert all(len(name) == 32 and name.isalnum() for name in names)


def test_a_damaged_file_is_started_afresh(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Cut short or edited by hand: a fresh state, the file written whole again."""
    path = tmp_path / "a.json"
    path.write_text('{"version": 1, "boot": ')
    path.chmod(0o600)
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(SharedPaceStore(path), time.monotonic()) == 0.0
    assert "damaged" in caplog.text
    assert json.loads(path.read_text())["version"] == VERSION


@pytest.mark.parametrize("size", [4 << 30, 40 << 30], ids=["4GiB", "40GiB"])
def test_a_huge_file_is_started_afresh_without_reading_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, size: int
) -> None:
    """A file cut to a huge sparse size: not read (little memory), written afresh, small again.

    (Read whole, 4 GiB took 25 s and 2.6 GB, and 40 GiB failed every export with MemoryError.)
    """
    path = tmp_path / "a.json"
    take(SharedPaceStore(path), 1.0)
    os.truncate(path, size)  # sparse: no block written
    tracemalloc.start()
    try:
        with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
            assert take(SharedPaceStore(path), 2.0) == 0.0  # a fresh state: a pair's tokens
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < LARGEST
    assert f"{size} bytes long" in caplog.text
    assert path.stat().st_size < 1024
    assert json.loads(path.read_text())["version"] == VERSION


def test_a_file_just_within_the_bound_is_read(tmp_path: Path) -> None:
    """A file of `LARGEST` bytes is read, its state kept: the bound refuses only what is longer."""
    path = tmp_path / "a.json"
    now = time.monotonic()
    store = SharedPaceStore(path)
    store.update("UserList", now, lambda state: PACE.throttled(state, now, now))
    text = path.read_text()
    path.write_text(text + " " * (LARGEST - len(text)))  # JSON with blanks after it
    assert path.stat().st_size == LARGEST
    seen: list[PaceState] = []
    SharedPaceStore(path).update("UserList", now + 0.01, lambda state: seen.append(state))
    assert seen[0].cut_at == now  # the cut was read back


def test_a_newer_format_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A file of a newer release: this process goes on alone and says so at DEBUG."""
    path = tmp_path / "a.json"
    newer = json.dumps({"version": VERSION + 1, "boot": 0, "budgets": {}})
    path.write_text(newer)
    path.chmod(0o600)
    store = SharedPaceStore(path)
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, time.monotonic()) == 0.0
    assert path.read_text() == newer
    assert store.path is None
    assert "alone" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.DEBUG


def test_a_folder_that_cannot_be_made_leaves_the_budget_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only place (here a regular file where the folder should be): alone, at DEBUG."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    store = SharedPaceStore(blocker / "budgets" / "a.json")
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, 1.0) == 0.0
        assert take(store, 1.0) == 0.0
        assert take(store, 1.0) == pytest.approx(1 / 30)  # the budget goes on, in memory
    assert store.path is None
    assert [record.levelno for record in caplog.records] == [logging.DEBUG]


def test_a_read_only_file_system_leaves_the_budget_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file that cannot be opened for writing (here /proc's): alone, said at DEBUG."""
    store = SharedPaceStore(Path("/proc/self/budgets.json"))
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, 1.0) == 0.0
    assert store.path is None
    assert "could not be used" in caplog.text


def test_a_symlink_in_place_of_the_file_is_not_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone's link where the file should be: never written through; alone, with a WARNING."""
    target = tmp_path / "victim"
    target.write_text("keep me")
    (tmp_path / "a.json").symlink_to(target)
    store = SharedPaceStore(tmp_path / "a.json")
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, 1.0) == 0.0
    assert target.read_text() == "keep me"
    assert store.path is None
    assert_warned(caplog, tmp_path / "a.json", "it is a symbolic link")


def assert_warned(caplog: pytest.LogCaptureFixture, path: Path, why: str) -> None:
    """One WARNING was logged: the file named, why it is not used, the budget alone."""
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"budget state {path}: left as it is, {why}: never written through a link, nor into a "
        "file or a folder of another user; going on with this process's budget alone"
    )


def test_a_hard_link_in_place_of_the_file_is_not_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A second name of another file of the user where the file should be: left as it is.

    (Written through, the other file became the budget's JSON.)
    """
    victim = tmp_path / "notes.txt"
    victim.write_text("keep me")
    victim.chmod(0o600)
    os.link(victim, tmp_path / "a.json")
    store = SharedPaceStore(tmp_path / "a.json")
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, 1.0) == 0.0
        assert take(store, 1.0) == 0.0
        assert take(store, 1.0) == pytest.approx(1 / 30)  # the budget goes on, in memory
    assert victim.read_text() == "keep me"
    assert store.path is None
    assert_warned(caplog, tmp_path / "a.json", "it is a hard link (one file of 2 names)")


def someone_elses_folder(tmp_path: Path) -> Path:
    """A folder of another user that this one may write in (``/tmp``'s kind: everyone may)."""
    if os.geteuid() == 0:  # root writes anywhere: a folder given to nobody
        folder = tmp_path / "theirs"
        folder.mkdir(mode=0o777)
        os.chown(folder, 65534, 65534)
        folder.chmod(0o1777)
        return folder
    folder = Path("/tmp")  # noqa: S108 (root's, and everyone may write in it)
    assert folder.stat().st_uid != os.geteuid()
    return folder


@pytest.mark.parametrize("how", ["named", "through-a-planted-link"])
def test_a_folder_of_another_user_is_not_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    """A budget folder of another user (made first, or a symlink planted): nothing made in it.

    ``COGNITO_GROUPS_BUDGET_DIR`` in a shared place: the budget goes on alone, with a WARNING
    naming the file.
    """
    theirs = someone_elses_folder(tmp_path)
    folder = theirs
    if how == "through-a-planted-link":
        folder = tmp_path / "budgets"
        folder.symlink_to(theirs)
    name = f"{identity('https://x', 'us-east-1', f'AKIA{tmp_path.name}')}.json"
    store = SharedPaceStore(folder / name)
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, 1.0) == 0.0
    assert not (theirs / name).exists()
    assert store.path is None
    assert_warned(caplog, folder / name, "its folder belongs to another user")


def test_a_stale_state_starts_afresh(tmp_path: Path) -> None:
    """A state untouched for `STALE_SECONDS` is forgotten: its cut no longer holds."""
    path = tmp_path / "a.json"
    store = SharedPaceStore(path)
    now = time.monotonic()
    store.update("UserList", now, lambda state: PACE.throttled(state, now, now))
    cut = store.update("UserList", now + 1, lambda state: PACE.rate(state, now + 1))
    assert cut == pytest.approx(30 * 0.7, rel=0.3)
    later = now + STALE_SECONDS + 1
    assert store.update("UserList", later, lambda state: PACE.rate(state, later)) == 30


def test_a_state_from_before_the_machine_started_is_forgotten(tmp_path: Path) -> None:
    """The monotonic clock starts again at boot: a file written before that is not trusted."""
    path = tmp_path / "a.json"
    now = time.monotonic()
    cut = PaceState(stamp=now, cut_at=now, peak=10.0)
    other_boot = {"version": VERSION, "boot": 12345.0, "budgets": {"UserList": cut.to_json()}}
    path.write_text(json.dumps(other_boot))
    path.chmod(0o600)
    assert SharedPaceStore(path).update("UserList", now, lambda s: PACE.rate(s, now)) == 30


def test_a_lock_held_too_long_leaves_the_budget_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Busy while another holds the lock; after `LOCK_PATIENCE` in a row, alone (at DEBUG)."""
    import fcntl

    path = tmp_path / "a.json"
    take(SharedPaceStore(path), 1.0)
    holder = os.open(path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        store = SharedPaceStore(path)
        assert store.update("UserList", 10.0, lambda s: 1.0) is BUSY
        assert store.update("UserList", 10.0 + LOCK_PATIENCE / 2, lambda s: 1.0) is BUSY
        with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
            assert store.update("UserList", 10.0 + LOCK_PATIENCE, lambda s: 1.0) == 1.0
        assert "lock" in caplog.text
        assert store.path is None
    finally:
        os.close(holder)


def test_the_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    """A process killed while holding the lock does not hold it: the system released it."""
    path = tmp_path / "a.json"
    take(SharedPaceStore(path), 1.0)
    script = textwrap.dedent(
        f"""
        import fcntl, os, sys, time
        fd = os.open({str(path)!r}, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(  # noqa: S603 (this interpreter, our own script)
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        store = SharedPaceStore(path)
        assert store.update("UserList", 5.0, lambda s: 1.0) is BUSY
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert store.update("UserList", 5.0, lambda s: 1.0) == 1.0
        assert store.path == path  # still shared
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_the_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COGNITO_GROUPS_BUDGET_DIR names it (``off``: none); else XDG_CACHE_HOME, else ~/.cache."""
    monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", str(tmp_path / "mine"))
    assert budget_folder() == tmp_path / "mine"
    for off in ("off", "", "0", "false", "No"):
        monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", off)
        assert budget_folder() is None
    monkeypatch.delenv("COGNITO_GROUPS_BUDGET_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert budget_folder() == tmp_path / "cache" / "cognito-groups" / "budgets"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert budget_folder() == tmp_path / "home" / ".cache" / "cognito-groups" / "budgets"
    assert isinstance(open_store(None, "x"), LocalPaceStore)
    assert open_store(tmp_path, "x").path == tmp_path / "x.json"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tokens", -1e9),
        ("tokens", BURST_MAX + 1.0),
        ("cut_at", 1e12),
        ("peak", 1e12),
        ("stamp", 1e12),
        ("sent", [1e12]),
    ],
)
def test_values_no_pace_makes_are_not_trusted(tmp_path: Path, field: str, value: object) -> None:
    """A file edited to a billion tokens owed, more saved than a burst...: started afresh.

    (Trusted, such a state made every process of the account sleep for a year, or crawl.)
    """
    path = tmp_path / "a.json"
    now = time.monotonic()
    take(SharedPaceStore(path), now)
    data = json.loads(path.read_text())
    state = data["budgets"]["UserList"]
    state[field] = value
    if field != "stamp":
        state["stamp"] = now
    path.write_text(json.dumps(data))
    assert take(SharedPaceStore(path), now + 0.01) == 0.0  # a fresh state: a pair's tokens
    stored = json.loads(path.read_text())["budgets"]["UserList"]
    assert stored["cut_at"] is None


def test_a_file_written_on_another_clock_leaves_the_budget_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Written just now by a machine (or clock namespace) of another boot: alone, at DEBUG.

    (Started afresh at every take instead, two machines sharing a home folder undid each
    other's cuts: 42% of their requests throttled.)
    """
    path = tmp_path / "a.json"
    now = time.monotonic()
    other = {"version": VERSION, "boot": 12345.0, "wall": time.time(), "budgets": {}}
    path.write_text(json.dumps(other))
    path.chmod(0o600)
    store = SharedPaceStore(path)
    with caplog.at_level(logging.DEBUG, logger="cognito_groups"):
        assert take(store, now) == 0.0
    assert store.path is None
    assert "another clock" in caplog.text
    assert json.loads(path.read_text()) == other  # left to its writer


def test_the_machine_is_part_of_the_identity() -> None:
    """Two machines with the same account and Region (a shared home folder) use two files."""
    args = ("https://cognito-idp.us-east-1.amazonaws.com", "us-east-1", "AKIA1")
    assert identity(*args, host="one") != identity(*args, host="two")
    assert identity(*args) == identity(*args)


def test_folders_are_made_for_the_user_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every folder it makes is 0700, whatever the umask; ~ and relative paths are resolved."""
    old = os.umask(0)
    try:
        path = tmp_path / "cache" / "cognito-groups" / "budgets" / "a.json"
        take(SharedPaceStore(path), 1.0)
    finally:
        os.umask(old)
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", "~/b")
    assert budget_folder() == tmp_path / "b"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", "rel")
    assert budget_folder() == tmp_path / "rel"
