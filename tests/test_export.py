"""`cognito-groups export`, run for real: formats, --by-user, crash safety under SIGKILL, Ctrl-C.

Against the quota-enforcing loopback Cognito (tests/quota_server.py) and a moto server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups._cli._aws import RATE_WINDOW, RequestRate
from cognito_groups._cli._checkpoint_file import CheckpointFile, ExportCheckpoint
from cognito_groups._pacing._pace import Pace

from .conftest import run_main, wait_for
from .quota_server import POOL, Fault, QuotaServer, held_from
from .terminal import AS_A_SHELL_STARTS_IT, run_in_terminal
from .users import HOSTILE_VALUES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .conftest import ServedPool

SCRIPT = Path(sys.executable).with_name("cognito-groups")
GROUPS = {f"g{index}": 40 + 30 * index for index in range(6)} | {"empty": 0}


def overlapping(prefix: str, sizes: list[int]) -> dict[str, list[str]]:
    """Groups whose members overlap: group i holds the first ``sizes[i]`` users of one list.

    A user is at the same position in every group it is in, so a QuotaServer sends it alike
    in each (the same hostile ``name`` too), whichever group lists it first.
    """
    users = [f"{prefix}-u{index:04d}" for index in range(max(sizes))]
    return {f"{prefix}{group}": users[:size] for group, size in enumerate(sizes)}


Pair = tuple[str, str]


def export(
    url: str, *extra: str | Path, pool: str = POOL, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``cognito-groups export``: in this process, unless it needs a process of its own.

    Its own process when the test gives another environment, or names a device (``-o
    /dev/stdout`` is the process's own standard output).
    """
    args = ["export", pool, "--endpoint-url", url, *map(str, extra)]
    if env is None and not any(arg.startswith("/dev/") for arg in args):
        code, out, err = run_main(args)
        return subprocess.CompletedProcess([str(SCRIPT), *args], code, out, err)
    return subprocess.run(  # noqa: S603 (our own script)
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def records_of(path: Path, format_name: str) -> list[dict[str, Any]]:
    """The records of an export file, parsed strictly (it must be valid UTF-8)."""
    with path.open(encoding="utf-8", newline="") as file:  # CR inside a CSV value stays CR
        text = file.read()
    if format_name == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if format_name == "json":
        records: list[dict[str, Any]] = json.loads(text)
        return records
    return list(csv.DictReader(io.StringIO(text, newline="")))


def pairs_of(path: Path, format_name: str) -> list[Pair]:
    """The (group, username) pairs of an export file, parsed strictly."""
    return [(record["group_name"], record["username"]) for record in records_of(path, format_name)]


def hostile_name(username: str, format_name: str) -> str:
    """The ``name`` a user of a hostile QuotaServer has, as ``format_name`` writes it.

    JSON keeps it exactly; CSV writes a lone surrogate as U+FFFD and neutralises a formula.
    """
    value = HOSTILE_VALUES[int(username.rsplit("-u", 1)[1]) % len(HOSTILE_VALUES)]
    if format_name == "csv":
        value = re.sub("[\ud800-\udfff]", "\ufffd", value)
        value = "'" + value if value.startswith("=") else value
    return value


def groups_of(path: Path, format_name: str) -> dict[str, list[str]]:
    """Each user's groups in a ``--by-user`` file, parsed strictly; every user only once."""
    records = records_of(path, format_name)
    if format_name == "csv":
        table = {record["username"]: record["groups"].split(";") for record in records}
    else:
        table = {record["username"]: record["groups"] for record in records}
    assert len(table) == len(records), "a user has more than one record"
    return table


def expected_groups(server: QuotaServer) -> dict[str, list[str]]:
    """Each user of ``server`` and its groups, sorted."""
    found: dict[str, list[str]] = {}
    for group, user in server.memberships():
        found.setdefault(user, []).append(group)
    return {user: sorted(groups) for user, groups in found.items()}


def spill_of(checkpoint: Path) -> Path:
    """Where ``--by-user --checkpoint`` keeps its memberships: beside the checkpoint."""
    return checkpoint.with_name(f".{checkpoint.name}.cognito-groups.sqlite")


def write_checkpoint(path: Path, **fields: Any) -> None:
    """A checkpoint of a whole export of the pool to jsonl, from the start; ``fields`` differ.

    Written as the export writes one (with its digest), for no output file in particular.
    """
    document: dict[str, Any] = {"pool": POOL, "groups": None, "format": "jsonl",
                                "attributes": None, "offset": 0, "written": 0,
                                "memberships": None, "output_device": None,
                                "output_inode": None, "output_sha256": None}  # fmt: skip
    CheckpointFile(path).save(ExportCheckpoint(**(document | fields)))


def names_of(path: Path, format_name: str) -> dict[str, str]:
    """Each user's ``name`` in an export file."""
    if format_name == "csv":
        return {r["username"]: r["name"] for r in records_of(path, format_name)}
    return {r["username"]: r["attributes"]["name"] for r in records_of(path, format_name)}


@pytest.fixture(scope="module")
def server() -> Iterator[QuotaServer]:
    with QuotaServer(GROUPS) as served:
        yield served


@pytest.mark.parametrize("format_name", ["jsonl", "csv", "json"])
def test_a_whole_export(server: QuotaServer, tmp_path: Path, format_name: str) -> None:
    """Every membership once, group_name first, files 0600, checkpoint gone, a summary line."""
    output, checkpoint = tmp_path / f"out.{format_name}", tmp_path / "out.checkpoint"
    result = export(server.url, "--format", format_name, "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 0, result.stderr
    got = pairs_of(output, format_name)
    assert sorted(got) == sorted(server.memberships())
    assert len(got) == len(set(got))
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert not checkpoint.exists()
    assert list(tmp_path.iterdir()) == [output]  # no temporary file left
    assert result.stderr.startswith(f"exported {len(got)} memberships of 7 groups in ")
    assert len(result.stderr.splitlines()) == 1
    if format_name == "jsonl":
        first = json.loads(output.read_text().splitlines()[0])
        assert list(first)[:2] == ["group_name", "username"]


def test_named_groups_to_stdout(server: QuotaServer) -> None:
    """--group limits the export to those groups, written to stdout with nothing on stderr."""
    result = export(server.url, "--group", "g1", "--group", "empty")
    assert result.returncode == 0, result.stderr
    names = [json.loads(line)["username"] for line in result.stdout.splitlines()]
    assert names == [user for group, user in server.memberships() if group == "g1"]
    assert result.stderr == ""  # not a terminal, no --output: nothing but errors


@pytest.mark.parametrize("format_name", ["jsonl", "csv"])
def test_by_user(server: QuotaServer, tmp_path: Path, format_name: str) -> None:
    """--by-user writes one row per user with its sorted groups, into a 0600 file."""
    output = tmp_path / "users"
    result = export(server.url, "--by-user", "--format", format_name, "-o", output)
    assert result.returncode == 0, result.stderr
    text = output.read_text()
    if format_name == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        table = {record["username"]: record["groups"] for record in records}
    else:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert list(rows[0])[:2] == ["username", "groups"]
        table = {row["username"]: row["groups"].split(";") for row in rows}
    expected: dict[str, list[str]] = {}
    for group, user in server.memberships():
        expected.setdefault(user, []).append(group)
    assert table == {user: sorted(groups) for user, groups in expected.items()}
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert "users (" in result.stderr


@pytest.mark.parametrize("format_name", ["jsonl", "csv", "json"])
def test_by_user_with_a_checkpoint(tmp_path: Path, format_name: str) -> None:
    """--by-user --checkpoint: every user once with exactly its groups; only the output left."""
    output, checkpoint = tmp_path / f"users.{format_name}", tmp_path / "users.cp"
    with QuotaServer(overlapping("m", [300, 200, 100, 0]) | {"solo": 50}, rate=None) as server:
        result = export(server.url, "--by-user", "--format", format_name, "-o", output,
                        "--checkpoint", checkpoint, "--max-rps", "500")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert groups_of(output, format_name) == expected_groups(server)
    assert list(tmp_path.iterdir()) == [output]  # the checkpoint and its spill are gone
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert result.stderr.startswith("exported 350 users (650 memberships) of 5 groups in ")


def test_by_user_to_stdout_leaves_no_temporary_file(server: QuotaServer, tmp_path: Path) -> None:
    """--by-user to stdout spills to the temporary folder, and removes its file there."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = export(server.url, "--by-user", "--group", "g1", "--group", "g2", env=env)
    assert result.returncode == 0, result.stderr
    users = [json.loads(line)["username"] for line in result.stdout.splitlines()]
    assert sorted(users) == sorted(
        user for group, user in server.memberships() if group in ("g1", "g2")
    )
    assert list(tmp_path.iterdir()) == []


def test_by_user_to_stdout_killed_leaves_no_spill(tmp_path: Path) -> None:
    """``kill -9`` of --by-user to stdout in the middle of its listing leaves nothing in $TMPDIR.

    Its spill has no name there from the moment it is made (SQLite's own temporary file, unlinked
    once opened), so no later run has to find it. (A 0600 file of usernames was left there.)
    """
    folder = tmp_path / "tmp"
    folder.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "SQLITE_TMPDIR"}
    env["TMPDIR"] = str(folder)
    with QuotaServer(overlapping("t", [600, 400, 200]), rate=None, latency=0.01) as server:
        run = subprocess.Popen(  # noqa: S603
            [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "--by-user",
             "--max-rps", "10"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        try:
            # In the middle of the listing (a generous deadline, for a loaded machine).
            assert wait_for(lambda: len(server.admitted) >= 4, timeout=60)
            assert run.poll() is None
            assert list(folder.iterdir()) == []
            opened = [os.readlink(fd) for fd in Path(f"/proc/{run.pid}/fd").iterdir()]
            assert all(name.endswith(" (deleted)") for name in opened if str(folder) in name)
        finally:
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("resumable", [False, True], ids=["no-checkpoint", "checkpoint"])
def test_a_failed_by_user_run_leaves_only_what_resumes_it(tmp_path: Path, resumable: bool) -> None:
    """A --by-user run the service fails part-way: no file left, or a 0600 checkpoint and spill.

    Without --checkpoint, nothing (no output, no temporary spill); with one, its checkpoint
    and spill, and the same command then completes exactly, leaving only the output.
    """
    failing = {"on": True}

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if failing["on"] and number >= 8:
            return (500, "InternalErrorException")
        return None

    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}
    output, checkpoint = tmp_path / "users.jsonl", tmp_path / "users.cp"
    extra = ("--checkpoint", checkpoint) if resumable else ()
    args = ("--by-user", "-o", output, "--concurrency", "1", "--max-rps", "500", *extra)
    with QuotaServer(overlapping("f", [300, 250, 200]), rate=None, fault=fault) as server:
        first = export(server.url, *args, env=env)
        assert first.returncode == 6, first.stderr
        if not resumable:
            assert list(tmp_path.iterdir()) == []
            return
        assert sorted(tmp_path.iterdir()) == sorted([checkpoint, spill_of(checkpoint)])
        assert stat.S_IMODE(spill_of(checkpoint).stat().st_mode) == 0o600
        # Request 1 lists the groups; the 6 pages after it are committed.
        assert json.loads(checkpoint.read_text())["written"] == 6 * 60
        failing["on"] = False
        again = export(server.url, *args, env=env)
    assert again.returncode == 0, again.stderr
    assert groups_of(output, "jsonl") == expected_groups(server)
    assert list(tmp_path.iterdir()) == [output]


@pytest.mark.parametrize("resumable", [False, True], ids=["no-checkpoint", "checkpoint"])
def test_ctrl_c_on_by_user(tmp_path: Path, resumable: bool) -> None:
    """Ctrl-C on --by-user: exit 130; no file left, or a checkpoint the same command completes."""
    output, checkpoint = tmp_path / "users.csv", tmp_path / "users.cp"
    extra = ["--checkpoint", str(checkpoint)] if resumable else []
    release = threading.Event()  # from the 4th request on, each waits for the Ctrl-C
    groups = overlapping("c", [600, 400, 200])
    with QuotaServer(groups, rate=None, fault=held_from(4, release)) as server:
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "--by-user",
                   "-o", str(output), "--format", "csv", "--max-rps", "10", *extra]  # fmt: skip
        process = subprocess.Popen(  # noqa: S603
            [*AS_A_SHELL_STARTS_IT, *command], stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_for(lambda: server.requests >= 4)  # in the middle of the listing
            process.send_signal(signal.SIGINT)
        finally:
            release.set()
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        if not resumable:
            assert stderr.endswith(
                "cognito-groups: interrupted\n"
                "re-run with --output FILE --checkpoint FILE to make the export resumable\n"
            )
            assert list(tmp_path.iterdir()) == []
            return
        assert stderr.endswith(f"run the same command again to continue from {checkpoint}\n")
        assert sorted(tmp_path.iterdir()) == sorted([checkpoint, spill_of(checkpoint)])
        rerun = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
    assert rerun.returncode == 0, rerun.stderr
    assert groups_of(output, "csv") == expected_groups(server)
    assert list(tmp_path.iterdir()) == [output]


def test_a_checkpoint_continues_only_the_kind_of_export_it_was_made_for(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A --by-user checkpoint is refused for a plain export and back (exit 2), naming both."""
    output, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.cp"
    by_user, plain = "one per user (--by-user)", "one per membership"
    for made_by_user, extra, made, given in ((True, [], by_user, plain),
                                             (False, ["--by-user"], plain, by_user)):  # fmt: skip
        write_checkpoint(checkpoint, by_user=made_by_user)
        result = export(server.url, "-o", output, "--checkpoint", checkpoint, *extra)
        assert result.returncode == 2, result.stderr
        assert (
            f"was made for another kind of record (kind of record: {made} in the checkpoint, "
            f"{given} in this run): "
        ) in result.stderr
        assert sorted(tmp_path.iterdir()) == [checkpoint]  # no output, no spill


def test_a_by_user_checkpoint_without_its_spill_is_refused(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A --by-user checkpoint whose spill is gone: exit 2 naming it, say to start over."""
    output, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.cp"
    write_checkpoint(checkpoint, written=120, by_user=True)
    result = export(server.url, "--by-user", "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"cognito-groups: error: {spill_of(checkpoint)} is missing: the checkpoint "
        f"{checkpoint} continues it (remove the checkpoint to start over)\n"
    )


def test_a_spill_left_without_its_checkpoint_is_started_over(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A spill a run killed before its first checkpoint left (even garbage) is started over."""
    output, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.cp"
    spill_of(checkpoint).write_text("not a database")
    result = export(server.url, "--by-user", "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 0, result.stderr
    assert groups_of(output, "jsonl") == expected_groups(server)
    assert list(tmp_path.iterdir()) == [output]


def test_a_checkpoint_needs_an_output(tmp_path: Path) -> None:
    """--checkpoint without --output is refused (exit 2)."""
    result = export("http://127.0.0.1:9", "--checkpoint", tmp_path / "c")
    assert result.returncode == 2
    assert "--checkpoint needs --output" in result.stderr


def run_killing(
    command: list[str], output: Path, rng: random.Random, *, kills: int, watched: Path | None = None
) -> int:
    """Run ``command``, SIGKILL it ``kills`` times at random moments, then let it finish.

    The command is re-run after each kill. A kill comes 0 to 0.2 s after the output (or the
    ``watched`` file: the spill of ``--by-user``) has grown in that run (so that it lands in
    the export's work, not in Python's start-up): in the middle of pages, writes and commits.
    Returns the exit code of the last run.
    """
    output = output if watched is None else watched
    for kill in range(kills):
        before = output.stat().st_size if output.exists() else 0
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def progressed(process: subprocess.Popen[bytes] = process, before: int = before) -> bool:
            return (output.exists() and output.stat().st_size > before) or (
                process.poll() is not None
            )

        grew = wait_for(progressed)
        assert grew, "the export wrote nothing"
        if process.poll() is not None:
            # Killed in its last moments, the run before had listed everything (--by-user:
            # the spill is whole) and this one only writes the output: it ended, exactly.
            assert kill >= 3, "too few kills landed in the export's work"
            return process.returncode
        time.sleep(rng.uniform(0.0, 0.2))
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        if code != -signal.SIGKILL:
            # It ended while the kill waited (its last pages, or --by-user's output from a
            # whole spill): the same as ending before, not a failure of the test's timing.
            assert kill >= 3, "too few kills landed in the export's work"
            return code
    last = subprocess.run(command, capture_output=True, check=False, timeout=120)  # noqa: S603
    return last.returncode


#: Every format of memberships (each cuts an unfinished file its own way) and one of --by-user
#: in `make test`; `make soak` adds the other two of --by-user (its format is written at the end).
KILLED_EXPORTS = [
    pytest.param(
        format_name, by_user, id=f"{format_name}-{'by-user' if by_user else 'memberships'}",
        marks=[pytest.mark.soak] * (by_user and format_name != "json"),
    )
    for by_user in (False, True)
    for format_name in ("jsonl", "csv", "json")
]  # fmt: skip


@pytest.mark.parametrize(("format_name", "by_user"), KILLED_EXPORTS)
def test_sigkill_at_random_moments_then_rerun(
    tmp_path: Path, format_name: str, by_user: bool
) -> None:
    """7 seeded SIGKILLs per format and kind of record (42 trials), each followed by a re-run.

    Rows are being written the whole time (to the output, or with --by-user to its spill), so
    kills land in writes and commits too. Every user's ``name`` is a hostile value (lone
    surrogates, NUL, every control character); with --by-user, users are in several groups.
    The file is valid UTF-8, parses, holds every membership (or every user with exactly its
    groups) exactly once, every value as the format keeps it, and nothing else is left.
    """
    groups: dict[str, int | list[str]]
    if by_user:
        groups = dict(overlapping("k", [600, 500, 400, 300, 200, 100]))
    else:
        groups = {f"k{index}": 300 for index in range(10)}
    rng = random.Random(f"20261127-{format_name}" + ("-by-user" if by_user else ""))
    with QuotaServer(groups, rate=None, latency=0.01, hostile=True) as server:
        output, checkpoint = tmp_path / f"out.{format_name}", tmp_path / "out.cp"
        command = [
            str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "--format",
            format_name, "-o", str(output), "--checkpoint", str(checkpoint),
            "--max-rps", "30", "--attribute", "name", *(["--by-user"] if by_user else []),
        ]  # fmt: skip
        watched = spill_of(checkpoint) if by_user else None
        assert run_killing(command, output, rng, kills=7, watched=watched) == 0
        if by_user:
            assert groups_of(output, format_name) == expected_groups(server)
            users = list(groups_of(output, format_name))
        else:
            got = pairs_of(output, format_name)
            assert sorted(got) == sorted(server.memberships())
            assert len(got) == len(set(got))
            users = [user for _, user in got]
        names = names_of(output, format_name)
        assert names == {user: hostile_name(user, format_name) for user in users}
        # No checkpoint, spill, lock or temporary file is left: a kill while the checkpoint or
        # (--by-user) the output was being replaced leaves a temporary file, which the next run
        # removes.
        assert list(tmp_path.iterdir()) == [output]


def test_a_partial_last_line_is_cut_on_rerun(tmp_path: Path) -> None:
    """A kill in the middle of a write leaves half a line: the re-run cuts it off."""
    rng = random.Random(7)  # unused: no kill in the re-run
    groups = {f"p{index}": 200 for index in range(4)}
    with QuotaServer(groups, rate=None, latency=0.01) as server:
        output, checkpoint = tmp_path / "p.jsonl", tmp_path / "p.cp"
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "-o", str(output),
                   "--checkpoint", str(checkpoint), "--max-rps", "20"]  # fmt: skip
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603
        assert wait_for(lambda: checkpoint.exists() and output.stat().st_size > 1000)
        process.send_signal(signal.SIGKILL)
        process.wait()
        with output.open("a") as out:
            out.write('{"group_name": "p0", "username": "torn')  # as if cut mid-write
        assert run_killing(command, output, rng, kills=0) == 0
        got = pairs_of(output, "jsonl")
    assert sorted(got) == sorted(server.memberships())


def test_ctrl_c_exits_130_with_a_valid_checkpoint(tmp_path: Path) -> None:
    """Ctrl-C mid-export: exit 130, the hint to run it again, and the re-run completes exactly.

    At 20 requests/s the export takes about 2 s, so Ctrl-C comes in its middle.
    """
    groups = {f"c{index}": 300 for index in range(8)}
    release = threading.Event()  # two groups' pages answered, then each waits for the Ctrl-C
    with QuotaServer(groups, rate=None, fault=held_from(12, release)) as server:
        output, checkpoint = tmp_path / "c.csv", tmp_path / "c.cp"
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "-o", str(output),
                   "--format", "csv", "--checkpoint", str(checkpoint),
                   "--max-rps", "20", "--concurrency", "1"]  # fmt: skip
        process = subprocess.Popen(  # noqa: S603
            [*AS_A_SHELL_STARTS_IT, *command], stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_for(lambda: checkpoint.exists() and output.stat().st_size > 500)
            process.send_signal(signal.SIGINT)
        finally:
            release.set()
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert stderr.endswith(
            "cognito-groups: interrupted\n"
            f"run the same command again to continue from {checkpoint}\n"
        )
        saved = json.loads(checkpoint.read_text())
        assert saved["pool"] == POOL
        assert saved["offset"] > 0
        assert stat.S_IMODE(checkpoint.stat().st_mode) == 0o600
        rerun = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
        assert rerun.returncode == 0, rerun.stderr
        got = pairs_of(output, "csv")
    assert sorted(got) == sorted(server.memberships())
    assert len(got) == len(set(got))


def test_a_checkpoint_for_another_pool_group_list_or_format_is_refused(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A checkpoint made for another pool, group list or format, or not one at all, is refused."""
    output, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.cp"
    write_checkpoint(checkpoint)
    output.write_text("")
    for extra, what, values in (
        (["--group", "g1"], "group list", "group list: every in the checkpoint, g1 in this run"),
        (["--format", "csv"], "format", "format: jsonl in the checkpoint, csv in this run"),
    ):
        result = export(server.url, "-o", output, "--checkpoint", checkpoint, *extra)
        assert result.returncode == 2
        assert f"was made for another {what} ({values}): " in result.stderr
        assert len(result.stderr.splitlines()) == 1
    result = export(server.url, "-o", output, "--checkpoint", checkpoint, pool="us-east-1_Other9")
    assert result.returncode == 2
    assert "was made for another user pool" in result.stderr
    checkpoint.write_text("garbage")
    result = export(server.url, "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 2
    assert "is not a checkpoint of cognito-groups export" in result.stderr


def test_a_symlink_at_the_checkpoint_is_replaced_not_followed(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A symlink at the checkpoint's path is never written through: refused, or replaced."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    checkpoint = tmp_path / "c.cp"
    checkpoint.symlink_to(victim)
    os.chmod(victim, 0o644)
    result = export(server.url, "-o", tmp_path / "o.jsonl", "--checkpoint", checkpoint,
                    "--max-rps", "500")  # fmt: skip
    assert result.returncode == 2  # the link's target is not a checkpoint: refused, untouched
    assert victim.read_text() == "precious"
    checkpoint.unlink()
    checkpoint.symlink_to(tmp_path / "nowhere")  # a dangling link: written over, not through
    result = export(server.url, "-o", tmp_path / "o.jsonl", "--checkpoint", checkpoint,
                    "--max-rps", "500")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_throttled_run_says_how_to_continue_and_continues(tmp_path: Path) -> None:
    """Throttled past --patience: exit 5, the hint; the same command finishes.

    Every request from the 6th on is throttled while the fault is on: the export sends it
    again at its pace for 0.5 s, then gives up; its file and checkpoint hold what came before.
    """
    failing = {"on": True}

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if failing["on"] and number >= 6:
            return (400, "TooManyRequestsException")
        return None

    with QuotaServer(GROUPS, rate=None, fault=fault) as server:
        output, checkpoint = tmp_path / "t.jsonl", tmp_path / "t.cp"
        args = ("-o", output, "--checkpoint", checkpoint, "--max-rps", "500", "--concurrency", "1")
        first = export(server.url, *args, "--patience", "0.5")
        assert first.returncode == 5
        assert "TooManyRequestsException" in first.stderr.splitlines()[0]
        assert first.stderr.splitlines()[1] == (
            f"run the same command again to continue from {checkpoint}"
        )
        assert server.requests > 6  # sent again before giving up
        failing["on"] = False
        again = export(server.url, *args)
        assert again.returncode == 0, again.stderr
        got = pairs_of(output, "jsonl")
    assert sorted(got) == sorted(server.memberships())


def fault_at_request_6(failing: dict[str, bool]) -> Fault:
    """Request 6 fails (a 500) while ``failing["on"]``: with one attempt, the export stops there."""

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        return (500, "InternalErrorException") if failing["on"] and number == 6 else None

    return fault


def failed_first_run(
    server: QuotaServer, failing: dict[str, bool], output: Path, checkpoint: Path
) -> int:
    """Run the export until request 6 fails (exit 6), then lift the fault.

    Returns how many memberships its checkpoint holds (the output's records so far).
    """
    first = export(server.url, "-o", output, "--checkpoint", checkpoint, "--concurrency", "1",
                   "--max-rps", "500", env={**os.environ, "AWS_MAX_ATTEMPTS": "1"})  # fmt: skip
    assert first.returncode == 6, first.stderr
    failing["on"] = False
    written: int = json.loads(checkpoint.read_text())["written"]
    assert 0 < written == len(pairs_of(output, "jsonl"))
    return written


def test_a_resumed_runs_summary_says_which_figures_are_the_files(tmp_path: Path) -> None:
    """Resumed: the memberships are the file's (of every run), requests and seconds this run's."""
    failing = {"on": True}
    with QuotaServer(GROUPS, rate=None, fault=fault_at_request_6(failing)) as server:
        output, checkpoint = tmp_path / "r.jsonl", tmp_path / "r.cp"
        earlier = failed_first_run(server, failing, output, checkpoint)
        sent = server.requests
        again = export(server.url, "-o", output, "--checkpoint", checkpoint, "--max-rps", "500")
        assert again.returncode == 0, again.stderr
        total = len(server.memberships())
        assert len(pairs_of(output, "jsonl")) == total
        assert again.stderr.startswith(
            f"exported {total} memberships of 7 groups ({total - earlier} of them by this run, "
            f"in {server.requests - sent} requests, "
        )


def test_a_resumed_runs_status_line_says_which_figures_are_the_files(tmp_path: Path) -> None:
    """Resumed, on a terminal: every sample shows the file's memberships and this run's."""
    failing = {"on": True}
    with QuotaServer(GROUPS, rate=None, fault=fault_at_request_6(failing)) as server:
        output, checkpoint = tmp_path / "r.jsonl", tmp_path / "r.cp"
        earlier = failed_first_run(server, failing, output, checkpoint)
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "-o", str(output),
                   "--checkpoint", str(checkpoint), "--max-rps", "20"]  # fmt: skip
        screen = run_in_terminal(command)
    assert screen.returncode == 0, screen.lines
    samples = [text for text in screen.raw.split("\r\x1b[K") if text.startswith("groups ")]
    assert samples
    for sample in samples:
        shown = re.fullmatch(
            r"groups \d/[7?] · (\d+) memberships \((\d+) by this run\) · 0 throttled · "
            r"(?:\?|\d+\.\d) req/s, pace [\d.]+/20",
            sample,
        )
        assert shown is not None, sample
        assert int(shown[1]) - int(shown[2]) == earlier


@pytest.mark.parametrize("budget", [32.0, 16.0, 4.0, 2.0])
def test_the_rate_shown_never_exceeds_a_budget_that_paces_every_request(budget: float) -> None:
    """No rate in the first second (one request in 30 ms read 33/s), then the budget or less.

    As fast a server as can be: each request leaves the moment the budget has a token for it,
    on the budget's own clock; the status is sampled four times a second for 20 s (budgets and
    steps exact in binary, so the run is exact; some samples come just after a request).
    """
    clock = [0.0]
    pace = Pace(budget)
    state = pace.new_state(0.0)
    rate = RequestRate()
    samples: list[tuple[float, float | None]] = []
    for index in range(80):
        at = index / 4
        while (wait := pace.take(state, clock[0])) == 0 or clock[0] + wait <= at:
            if wait == 0:
                rate.sent(clock[0])
            clock[0] += wait
        clock[0] = at
        samples.append((at, rate.at(at)))
    assert all(shown is None for at, shown in samples if at < 1)
    figures = [float(f"{shown:.1f}") for at, shown in samples if at >= 1 and shown is not None]
    assert len(figures) == len([at for at, _ in samples if at >= 1])
    assert max(figures) <= budget
    assert min(figures) >= budget - 1  # short of one request per span (of 1 s at least)


def test_the_rate_falls_to_zero_when_requests_stop() -> None:
    """A stalled export reads 0 requests/s once its last request is a window old."""
    rate = RequestRate()
    for index in range(50):
        rate.sent(index / 25)
    assert rate.at(2.0) == pytest.approx(25, rel=0.05)
    assert rate.at(2.0 + RATE_WINDOW) == 0


def test_without_a_checkpoint_a_failure_says_how_to_make_it_resumable(tmp_path: Path) -> None:
    """A failed export without --checkpoint says how to make the next run resumable."""

    def fault(number: int, operation: str, params: Any) -> tuple[int, str]:
        return (500, "InternalErrorException")

    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}
    with QuotaServer(GROUPS, fault=fault) as server:
        result = export(server.url, "-o", tmp_path / "x", env=env)
    assert result.returncode == 6
    assert result.stderr.splitlines() == [
        "cognito-groups: error: injected (InternalErrorException)",
        "re-run with --output FILE --checkpoint FILE to make the export resumable",
    ]


def test_bad_options_name_the_flag(tmp_path: Path) -> None:
    """Bad --concurrency, --group or --max-rps values are named by their flag (exit 2)."""
    for extra, message in (
        (["--concurrency", "0"], "--concurrency must be from 1 to 32, got 0"),
        (["--group", "a b"], "--group: character 2 (' ') is not allowed"),
        (["--group", "a", "--group", "a"], "--group: 'a' is listed twice"),
    ):
        result = export("http://127.0.0.1:9", *extra)
        assert result.returncode == 2
        assert result.stderr.startswith(f"cognito-groups: error: {message}")
    result = export("http://127.0.0.1:9", "--max-rps", "0")
    assert result.returncode == 2
    assert "--max-rps" in result.stderr


def test_export_on_moto(served_pool: ServedPool, tmp_path: Path) -> None:
    """On a moto server: the demo pool's group, every member once, in csv."""
    output = tmp_path / "moto.csv"
    result = export(served_pool.url, "--format", "csv", "-o", output, "--region", "us-east-1",
                    "--group", "members", pool=served_pool.pool.user_pool_id)  # fmt: skip
    assert result.returncode == 0, result.stderr
    got = pairs_of(output, "csv")
    assert len(got) == 130
    assert {group for group, _ in got} == {"members"}


def test_no_hint_for_a_group_that_does_not_exist(server: QuotaServer, tmp_path: Path) -> None:
    """A --group that does not exist: one line, exit 3, no hint to continue."""
    result = export(server.url, "--group", "nope", "-o", tmp_path / "x", "--checkpoint",
                    tmp_path / "c")  # fmt: skip
    assert result.returncode == 3
    assert result.stderr == f"cognito-groups: error: group 'nope' not found in user pool {POOL}\n"


@pytest.mark.parametrize("spelling", ["same", "dot-slash", "symlink", "hard-link"])
def test_one_file_for_output_and_checkpoint_is_refused(
    server: QuotaServer, tmp_path: Path, spelling: str
) -> None:
    """-o F --checkpoint F (in any spelling) exits 2 before writing: a save would replace F."""
    output = tmp_path / "out.jsonl"
    checkpoint: Path | str = output
    if spelling == "dot-slash":
        checkpoint = f"./{output.name}"
    elif spelling in ("symlink", "hard-link"):
        output.write_text("")
        checkpoint = tmp_path / "cp.json"
        if spelling == "symlink":
            checkpoint.symlink_to(output)
        else:
            checkpoint.hardlink_to(output)
    sent = len(server.admitted)
    result = subprocess.run(  # noqa: S603 (our own script)
        [str(SCRIPT), "export", POOL, "--endpoint-url", server.url,
         "-o", str(output), "--checkpoint", str(checkpoint)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "are the same file" in result.stderr
    assert len(server.admitted) == sent  # nothing was sent
    if spelling in ("same", "dot-slash"):
        assert not output.exists()  # nothing was written
    else:
        assert output.read_text() == ""


@pytest.mark.parametrize("case", ["missing-folder", "a-folder", "checkpoint-missing-folder"])
def test_an_unusable_path_is_refused_before_anything_is_created(
    server: QuotaServer, tmp_path: Path, case: str
) -> None:
    """A path that cannot be written: exit 8, one line naming it, nothing created or sent."""
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp.json"
    if case == "missing-folder":
        output = tmp_path / "no-such-folder" / "out.jsonl"
        named, reason = output, "its folder does not exist"
    elif case == "a-folder":
        output = tmp_path
        named, reason = output, "is a folder, not a file"
    else:
        checkpoint = tmp_path / "no-such-folder" / "cp.json"
        named, reason = checkpoint, "its folder does not exist"
    before = sorted(tmp_path.iterdir())
    sent = len(server.admitted)
    result = export(server.url, "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 8, result.stderr
    assert result.stderr == f"cognito-groups: error: {named}: {reason}\n"
    assert sorted(tmp_path.iterdir()) == before  # no empty output left behind
    assert len(server.admitted) == sent


def test_an_os_error_on_the_output_is_the_users_naming_the_file(server: QuotaServer) -> None:
    """An OSError on the output: exit 8, one line naming the file and why, not "a bug".

    /dev/full refuses fsync and every write.
    """
    result = export(server.url, "-o", "/dev/full")
    assert result.returncode == 8, result.stderr
    assert result.stderr.startswith("cognito-groups: error: /dev/full: ")
    assert len(result.stderr.splitlines()) == 1
    assert "bug" not in result.stderr
