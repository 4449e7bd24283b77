"""The export owns its files: one run at a time, checkpoints tied to their output, no orphans.

Run for real, against the quota-enforcing loopback Cognito (tests/quota_server.py): two runs
started together, a checkpoint edited field by field, an output replaced or changed under its
checkpoint, temporary files a killed run left, SIGTERM and SIGHUP.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups._cli import main
from cognito_groups._cli._checkpoint_file import (
    CHECKPOINT_MAX_BYTES,
    CheckpointFile,
    ExportCheckpoint,
)
from cognito_groups._cli._output_file import Committed, OutputFile
from cognito_groups._durable._digest import canonical_digest

from .conftest import wait_for
from .quota_server import POOL, QuotaServer, held_from
from .terminal import AS_A_SHELL_STARTS_IT
from .test_export import SCRIPT, export, pairs_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

GROUPS = {f"f{index}": 50 + 40 * index for index in range(5)}
#: One attempt per request, so that an injected error fails the run at once.
ONE_ATTEMPT = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}


@pytest.fixture(scope="module")
def server() -> Iterator[QuotaServer]:
    with QuotaServer(GROUPS, rate=None) as served:
        yield served


class Failing:
    """A fault for the QuotaServer: request number ``at`` fails (a 500) while ``on``.

    With one attempt (``ONE_ATTEMPT``) the export stops there, exit 6, resumable.
    """

    def __init__(self, at: int) -> None:
        self.at = at
        self.on = True

    def __call__(self, number: int, operation: str, params: Any) -> tuple[int, str] | None:
        if self.on and number == self.at:
            return (500, "InternalErrorException")
        return None


@pytest.fixture
def part_way(tmp_path: Path) -> Iterator[tuple[QuotaServer, Path, Path, list[str]]]:
    """A server, and an export of it that failed at its 8th request, committed, resumable."""
    failing = Failing(at=8)
    with QuotaServer(GROUPS, rate=None, fault=failing) as served:
        output, checkpoint = tmp_path / "out.jsonl", tmp_path / "out.cp"
        options = ["-o", str(output), "--checkpoint", str(checkpoint), "--max-rps", "500",
                   "--concurrency", "1"]  # fmt: skip
        first = export(served.url, *options, env=ONE_ATTEMPT)
        assert first.returncode == 6, first.stderr
        assert json.loads(checkpoint.read_text())["offset"] > 0
        failing.on = False
        yield served, output, checkpoint, options


def resumed_exactly(server: QuotaServer, output: Path, options: list[str]) -> None:
    """The same command finishes the export: every membership exactly once."""
    again = export(server.url, *options)
    assert again.returncode == 0, again.stderr
    got = pairs_of(output, "jsonl")
    assert sorted(got) == sorted(server.memberships())
    assert len(got) == len(set(got))


# --- one run at a time ---------------------------------------------------------------------


class Gate:
    """A fault that holds every listing of members until `open()`: the run stays in its work."""

    def __init__(self) -> None:
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    def __call__(self, number: int, operation: str, params: Any) -> None:
        if operation == "ListUsersInGroup":
            self._open.wait(timeout=60)


#: Starts the command ("$@") twice at once, as a shell does: prints both pids, then both codes.
TWICE = (
    'first=$1; second=$2; shift 2; "$@" 2>"$first" & a=$!; "$@" 2>"$second" & b=$!; '
    'echo "$a $b"; wait $a; x=$?; wait $b; echo "$x $?"'
)


def started_at(pid: int) -> int:
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat``)."""
    stat_line = Path(f"/proc/{pid}/stat").read_text()
    return int(stat_line.rsplit(")", 1)[1].split()[19])


def test_two_runs_at_once_the_second_is_refused_naming_the_first(tmp_path: Path) -> None:
    """Two runs of one command started within 100 ms, 10 trials: one exports, one exits 2.

    The one refused names the other's pid and writes nothing; the file holds every membership
    exactly once. Each trial's server holds the listing until the refused run has ended, so the
    runs overlap however the machine schedules them; the trials run side by side. A pair
    started 100 ms apart or more (``/proc``'s start times) is not counted, and another is
    started instead. Half of them
    have a checkpoint (locked with the output), half only an output.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    with ExitStack() as stack:
        trials: list[tuple[QuotaServer, Gate, Path, list[Path], subprocess.Popen[str], list[int]]]
        trials = []
        for attempt in range(30):  # a pair a loaded machine started 100 ms apart is not counted
            if len(trials) == 10:
                break
            trial = len(trials)
            gate = Gate()
            served = stack.enter_context(QuotaServer(GROUPS, rate=None, fault=gate))
            folder = tmp_path / f"attempt{attempt}"
            folder.mkdir()
            output = folder / "out.jsonl"
            errors = [tmp_path / f"attempt{attempt}.{run}.err" for run in "ab"]
            command = [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, "-o",
                       str(output), "--max-rps", "500"]  # fmt: skip
            if trial % 2:
                command += ["--checkpoint", str(folder / "out.cp")]
            shell = subprocess.Popen(  # noqa: S603
                ["/bin/sh", "-c", TWICE, "sh", *map(str, errors), *command],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert shell.stdout is not None
            pids = [int(pid) for pid in shell.stdout.readline().split()]
            if abs(started_at(pids[0]) - started_at(pids[1])) / ticks >= 0.1:
                gate.open()
                shell.communicate(timeout=120)
                continue
            trials.append((served, gate, output, errors, shell, pids))
        assert len(trials) == 10
        for trial, (served, gate, output, errors, shell, pids) in enumerate(trials):
            assert wait_for(lambda: any(e.stat().st_size for e in errors), timeout=60)  # noqa: B023
            gate.open()
            codes = [int(code) for code in shell.communicate(timeout=120)[0].split()]
            assert sorted(codes) == [0, 2], f"trial {trial}"
            loser = codes.index(2)
            assert errors[loser].read_text() == (
                f"cognito-groups: error: {output} is being written by another cognito-groups "
                f"export (pid {pids[1 - loser]}): wait for it to end, or stop it\n"
            ), f"trial {trial}"
            got = pairs_of(output, "jsonl")
            assert sorted(got) == sorted(served.memberships()), f"trial {trial}"
            assert sorted(path.name for path in output.parent.iterdir()) == ["out.jsonl"]


def test_the_lock_file_holds_the_pid_is_0600_and_goes(tmp_path: Path) -> None:
    """While a run exports, ``.<name>.cognito-groups.lock`` (0600) holds its pid; then it goes."""
    with QuotaServer(GROUPS, rate=None, latency=0.02) as served:
        output = tmp_path / "o.csv"
        lock = tmp_path / ".o.csv.cognito-groups.lock"
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, "-o", str(output),
                   "--format", "csv", "--max-rps", "50"]  # fmt: skip
        run = subprocess.Popen(command, stderr=subprocess.PIPE)  # noqa: S603
        assert wait_for(lambda: lock.exists() and lock.read_text().strip() != "")
        assert lock.read_text() == f"{run.pid}\n"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        run.communicate(timeout=120)
        assert run.returncode == 0
        assert sorted(path.name for path in tmp_path.iterdir()) == ["o.csv"]


def test_a_killed_runs_lock_does_not_block_the_next(tmp_path: Path) -> None:
    """SIGKILL leaves the lock file, but not the lock: the next run takes it and finishes."""
    with QuotaServer(GROUPS, rate=None, latency=0.02) as served:
        output, checkpoint = tmp_path / "k.jsonl", tmp_path / "k.cp"
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, "-o", str(output),
                   "--checkpoint", str(checkpoint), "--max-rps", "50"]  # fmt: skip
        run = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603
        assert wait_for(lambda: checkpoint.exists())
        run.kill()
        run.wait()
        assert (tmp_path / ".k.cp.cognito-groups.lock").exists()
        again = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
        assert again.returncode == 0, again.stderr
        assert sorted(pairs_of(output, "jsonl")) == sorted(served.memberships())
        assert sorted(path.name for path in tmp_path.iterdir()) == ["k.jsonl"]


def no_file_bigger_than_0_bytes() -> None:
    """In the child: a file size limit of 0 bytes, its SIGXFSZ ignored (``ulimit -f 0``)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


@pytest.mark.parametrize("checkpoint", [False, True])
def test_a_lock_file_that_cannot_be_written_is_not_left(
    server: QuotaServer, tmp_path: Path, checkpoint: bool
) -> None:
    """No byte may be written (``ulimit -f 0``): exit 8 naming the lock file, and no file left.

    Its pid cannot be written into the lock file just made: that file goes with the run.
    """
    output = tmp_path / "out.jsonl"
    extra = ["--checkpoint", str(tmp_path / "out.cp")] if checkpoint else []
    # Not measured by coverage: it could not write its data file either (and would say so).
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_CONFIG"}
    result = subprocess.run(  # noqa: S603 (our own script)
        [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "-o", str(output), *extra],
        capture_output=True, text=True, timeout=120, check=False,
        preexec_fn=no_file_bigger_than_0_bytes, env=env,
    )  # fmt: skip
    assert result.returncode == 8, result.stderr
    assert result.stderr == (
        f"cognito-groups: error: {output}: its lock file .out.jsonl.cognito-groups.lock cannot "
        "be made: File too large\n"
    )
    assert list(tmp_path.iterdir()) == []


# --- a checkpoint is tied to its output, and checked ----------------------------------------


def edits(value: object) -> list[object]:
    """Other values for a checkpoint field holding ``value``: of its kind first, then others."""
    if isinstance(value, bool):
        return [not value, 1]
    if isinstance(value, int):
        return [value + 500, value - 100, 0, -1, str(value)]
    if isinstance(value, str):
        return [value[:-3] + "abc", value + "x", None, 7]
    if isinstance(value, list):
        return [[*value, "g9"], [], "g1"]
    return ["x", 0, ["g1"]]


def refusal(checkpoint: Path) -> str:
    return (
        f"cognito-groups: error: {checkpoint} was changed since cognito-groups wrote it (its "
        "digest does not match its content), so it cannot say where the output stopped: "
        "remove it to start over"
    )


def test_every_field_of_a_checkpoint_edited_is_refused(
    part_way: tuple[QuotaServer, Path, Path, list[str]],
) -> None:
    """Every field edited, in every way, is refused with exit 2, and never applied.

    An edit of each field within its kind (offset +500, written 0, a group gone from the
    membership checkpoint, the digest itself...) is tried with the command, each in a copy of
    the files, side by side; every other edit (other kinds, a field removed or added) in
    process, on the files themselves. The output and the checkpoint are left as they were,
    and the checkpoint, unedited, still finishes the export exactly.
    """
    served, output, checkpoint, options = part_way
    original, written = checkpoint.read_text(), output.read_bytes()
    fields = json.loads(original)
    assert {"digest", "offset", "written", "memberships", "output_sha256"} <= fields.keys()
    assert fields["memberships"]
    runs: list[tuple[Path, subprocess.Popen[str]]] = []
    for name, value in fields.items():
        if name == "version":
            continue  # another version is refused as such (the next test)
        copy = output.parent / f"copy-{name}"
        copy.mkdir()
        (copy / checkpoint.name).write_text(json.dumps({**fields, name: edits(value)[0]}))
        (copy / output.name).write_bytes(written)
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", served.url,
                   *(str(copy / Path(option).name) if option.startswith("/") else option
                     for option in options)]  # fmt: skip
        runs.append((copy, subprocess.Popen(command, stderr=subprocess.PIPE, text=True)))  # noqa: S603
    for copy, run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 2, (copy.name, stderr)
        assert stderr == refusal(copy / checkpoint.name) + "\n", copy.name
        assert (copy / output.name).read_bytes() == written

    variants: list[dict[str, object]] = [
        {key: value for key, value in fields.items() if key != drop}
        for drop in fields
        if drop != "version"
    ]
    variants.append({**fields, "extra": 1})
    for name, value in fields.items():
        if name != "version":
            variants += [{**fields, name: edited} for edited in edits(value)[1:]]
    for variant in variants:
        checkpoint.write_text(json.dumps(variant))
        said, errors = io.StringIO(), io.StringIO()
        code = main(["export", POOL, "--endpoint-url", served.url, *options],
                    stdout=said, stderr=errors)  # fmt: skip
        assert (code, errors.getvalue()) == (2, refusal(checkpoint) + "\n"), variant
        assert output.read_bytes() == written
    checkpoint.write_text(original)
    resumed_exactly(served, output, options)


def test_a_checkpoint_of_an_older_version_names_both(tmp_path: Path, server: QuotaServer) -> None:
    """A checkpoint of format 1 (cognito-groups 0.x) is refused, naming both formats."""
    checkpoint = tmp_path / "c.cp"
    checkpoint.write_text(json.dumps({"version": 1, "pool": POOL, "offset": 0}))
    result = export(server.url, "-o", tmp_path / "o", "--checkpoint", checkpoint)
    assert result.returncode == 2
    assert result.stderr == (
        f"cognito-groups: error: {checkpoint} was written by another version of cognito-groups "
        "(checkpoint format 1; this one reads 2): finish it with that version, or remove it "
        "to start over\n"
    )


@pytest.mark.parametrize("change", ["replaced", "rewritten", "edited", "shortened", "removed"])
def test_a_checkpoint_resumes_only_the_file_it_was_made_for(
    part_way: tuple[QuotaServer, Path, Path, list[str]], change: str
) -> None:
    """The output replaced by another file, rewritten, edited or cut: refused, left untouched.

    ``replaced``: a user's file moved to the path (another inode); ``rewritten``: the same
    inode truncated and written again (``>``), like a 3 MB text file; ``edited``: one byte of
    the committed part changed in place; ``shortened``: cut before the checkpoint's offset.
    """
    served, output, checkpoint, options = part_way
    saved = checkpoint.read_text()
    committed = json.loads(saved)["offset"]
    if change == "replaced":
        other = output.with_name("mine.txt")
        other.write_text("my notes\n" * 400_000)
        other.replace(output)
    elif change == "rewritten":
        with output.open("w") as file:
            file.write("my notes\n" * 400_000)
    elif change == "edited":
        with output.open("r+b") as file:
            file.seek(committed // 2)
            byte = file.read(1)
            file.seek(committed // 2)
            file.write(b"X" if byte != b"X" else b"Y")
    elif change == "shortened":
        os.truncate(output, committed - 1)
    else:
        output.unlink()
    before = output.read_bytes() if output.exists() else None
    result = export(served.url, *options)
    assert result.returncode == 2, result.stderr
    expected = {
        "replaced": "is not the file its checkpoint was made for (it was replaced since",
        "rewritten": f"was changed since its checkpoint was made (its first {committed} bytes",
        "edited": f"was changed since its checkpoint was made (its first {committed} bytes",
        "shortened": f"is shorter than its checkpoint says ({committed - 1} bytes",
        "removed": "is missing: the checkpoint continues that file",
    }[change]
    assert expected in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert (output.read_bytes() if output.exists() else None) == before
    assert checkpoint.read_text() == saved


@pytest.mark.parametrize("put", ["written-again", "made-again", "moved-there"])
def test_a_checkpoint_of_nothing_committed_still_guards_its_output(
    tmp_path: Path, put: str
) -> None:
    """Killed before its first commit, then someone's file put at the output: refused, left.

    The checkpoint covers no bytes; the re-run exits 2 naming the output, and leaves it and the
    checkpoint as they are. ``written-again``: the same inode written again (``>``, 3.6 MB of
    notes); ``made-again``: removed and made again (often given the inode back);
    ``moved-there``: another file moved over it. (The first two were replaced by a fresh
    export, exit 0: the bytes a checkpoint of none covers prove nothing.)
    """
    gate = Gate()
    with QuotaServer(GROUPS, rate=None, fault=gate) as served:
        output, checkpoint = tmp_path / "out.jsonl", tmp_path / "out.cp"
        options = ["-o", str(output), "--checkpoint", str(checkpoint), "--max-rps", "500"]
        run = subprocess.Popen(  # noqa: S603
            [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, *options],
            stderr=subprocess.DEVNULL,
        )
        try:
            # The groups listed, the first page held: the first checkpoint is saved, no row.
            assert wait_for(lambda: checkpoint.exists() and served.requests >= 2, timeout=60)
        finally:
            run.kill()
            run.wait()
            gate.open()
        saved = checkpoint.read_text()
        assert json.loads(saved)["offset"] == 0
        notes = b"my notes\n" * 400_000
        if put == "written-again":
            output.write_bytes(notes)
        elif put == "made-again":
            output.unlink()
            output.write_bytes(notes)
        else:
            mine = tmp_path / "mine.txt"
            mine.write_bytes(notes)
            mine.replace(output)
        result = export(served.url, *options)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        f"cognito-groups: error: {output} is not the file its checkpoint was made for"
    )
    assert result.stderr.endswith(
        "remove the checkpoint to start over (the export then replaces it)\n"
    )
    assert len(result.stderr.splitlines()) == 1
    assert output.read_bytes() == notes
    assert checkpoint.read_text() == saved


def test_an_outputs_first_bytes_are_written_after_their_checkpoint(tmp_path: Path) -> None:
    """The first commit saves the checkpoint, then writes its bytes; later ones the other way.

    While no checkpoint covers any of the output, its bytes wait in memory. So a run killed at
    any moment leaves an empty output under a checkpoint of none.
    """
    path = tmp_path / "o.jsonl"
    seen: list[tuple[int, int, str | None]] = []

    def save(committed: Committed) -> None:
        seen.append((committed.offset, path.stat().st_size, committed.sha256))

    output = OutputFile(path, None, hold=True)
    try:
        output.commit(save)
        output.text.write("first row\n")
        output.text.flush()
        assert path.stat().st_size == 0  # held
        output.commit(save)
        assert path.read_bytes() == b"first row\n"
        output.text.write("second\n")
        output.commit(save)
    finally:
        output.close()
    digest = [hashlib.sha256(text).hexdigest() for text in (b"", b"first row\n")]
    assert seen == [
        (0, 0, digest[0]),
        (10, 0, digest[1]),  # saved before its bytes were written
        (17, 17, hashlib.sha256(b"first row\nsecond\n").hexdigest()),
    ]


def test_an_empty_output_under_its_checkpoint_is_started_afresh(
    part_way: tuple[QuotaServer, Path, Path, list[str]],
) -> None:
    """An empty output under a checkpoint of some bytes: the same command starts it afresh.

    (A run killed after it saved its first checkpoint, before it wrote the bytes covered.) It
    completes exactly; an empty file has nothing to lose.
    """
    served, output, checkpoint, options = part_way
    assert json.loads(checkpoint.read_text())["offset"] > 0
    os.truncate(output, 0)
    resumed_exactly(served, output, options)


def test_the_checkpoint_of_a_resumed_run_still_resumes(
    part_way: tuple[QuotaServer, Path, Path, list[str]],
) -> None:
    """A run that continues a file and fails again leaves a checkpoint that continues it again.

    The hash of the committed bytes goes on from the part the first run wrote.
    """
    served, output, checkpoint, options = part_way
    first = json.loads(checkpoint.read_text())
    failing = Failing(at=served.requests + 6)
    served.fault = failing
    second = export(served.url, *options, env=ONE_ATTEMPT)
    assert second.returncode == 6, second.stderr
    assert json.loads(checkpoint.read_text())["offset"] > first["offset"]
    failing.on = False
    resumed_exactly(served, output, options)


#: (--output, --checkpoint, what the refusal says the file is), names in a test's folder; a
#: ``link``/``hard`` output is a symlink/hard link to the spill.
OWN_FILES = {
    "the-spill": (".r.ck.cognito-groups.sqlite", "r.ck", "the spill of --checkpoint {c} "
                  "(where --by-user keeps the memberships)"),
    "the-spill-as-./": ("./.r.ck.cognito-groups.sqlite", "r.ck", "the spill of --checkpoint "
                        "{c} (where --by-user keeps the memberships)"),
    "a-symlink-to-the-spill": ("link", "r.ck", "the spill of --checkpoint {c} (where "
                               "--by-user keeps the memberships)"),
    "a-hard-link-to-the-spill": ("hard", "r.ck", "the spill of --checkpoint {c} (where "
                                 "--by-user keeps the memberships)"),
    "the-spills-journal": (".r.ck.cognito-groups.sqlite-journal", "r.ck", "a file SQLite "
                           "keeps beside the spill of --checkpoint {c}"),
    "the-checkpoints-lock": (".r.ck.cognito-groups.lock", "r.ck",
                             "the lock file of --checkpoint {c}"),
    "a-temporary-file-of-the-checkpoint": (".r.ck.cognito-groups-k3j2h1g0.tmp", "r.ck",
                                           "named as a temporary file of --checkpoint {c} (a "
                                           "run removes those a killed run left)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(OWN_FILES))
def test_an_output_that_is_one_of_the_runs_own_files_is_refused(
    server: QuotaServer, tmp_path: Path, case: str
) -> None:
    """An output that is the spill, its lock, ...: exit 2 naming both, nothing written.

    The spill, a file of SQLite's beside it, the checkpoint's lock or one of its temporary
    files, by any name (``./``, a symlink, a hard link): refused before anything is written;
    the folder is left exactly as it was.

    (Given the spill's path, ``--by-user`` said ``exported 200 users``, exit 0, and left no
    output: the spill, removed at the end, was the output.)
    """
    name, checkpoint_name, what = OWN_FILES[case]
    output, checkpoint = f"{tmp_path}/{name}", f"{tmp_path}/{checkpoint_name}"
    spill = tmp_path / ".r.ck.cognito-groups.sqlite"
    if name == "link":
        (tmp_path / "link").symlink_to(spill.name)
    elif name == "hard":
        spill.write_text("a spill a killed run left")
        os.link(spill, tmp_path / "hard")
    elif name.endswith(".tmp"):
        (tmp_path / name).write_text("my notes, named so")
    before = {
        path.name: path.read_bytes() if path.exists() else None for path in tmp_path.iterdir()
    }
    result = export(server.url, "--by-user", "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"cognito-groups: error: --output {output} is {what.format(c=checkpoint)}: give the "
        "output a name of its own\n"
    )
    after = {path.name: path.read_bytes() if path.exists() else None for path in tmp_path.iterdir()}
    assert after == before


def _a_checkpoint(path: Path) -> None:
    """A checkpoint as export writes one (its fields, then its digest)."""
    fields = dataclasses.asdict(ExportCheckpoint(
        pool=POOL, groups=None, format="jsonl", attributes=None, offset=0, written=0,
        memberships=None, output_device=None, output_inode=None, output_sha256=None,
    ))  # fmt: skip
    path.write_text(json.dumps({**fields, "digest": canonical_digest(fields)}))


def _a_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE memberships (username TEXT)")


#: An output another run keeps, or no export: how the test makes it, what the refusal says.
OTHER_FILES: dict[str, tuple[str, Callable[[Path], object] | None, str]] = {
    "another-runs-spill": (".other.cp.cognito-groups.sqlite", _a_database,
                           "named as the spill of a --by-user run of cognito-groups, or a file "
                           "SQLite keeps beside one"),
    "another-spills-wal": (".other.cp.cognito-groups.sqlite-wal", None,
                           "named as the spill of a --by-user run of cognito-groups, or a file "
                           "SQLite keeps beside one"),
    "another-runs-lock": (".other.jsonl.cognito-groups.lock",
                          lambda path: path.write_text("4242\n"),
                          "named as the lock file of a run of cognito-groups"),
    "another-runs-temporary-file": (".other.jsonl.cognito-groups-k3j2h1g0.tmp",
                                    lambda path: path.write_text('{"username": "half'),
                                    "named as a temporary file of a run of cognito-groups"),
    "another-exports-checkpoint": ("other.checkpoint", _a_checkpoint,
                                   "a checkpoint of cognito-groups export"),
    "a-mirror": ("mirror.db", _a_database,
                 "a SQLite database (a mirror, or a spill of --by-user)"),
    "a-symlink-to-a-mirror": ("link", None,
                              "a SQLite database (a mirror, or a spill of --by-user)"),
    "a-mirrors-write-ahead-log": ("mirror.db-wal", None,
                                  "a file SQLite keeps beside the database mirror.db"),
    "a-mirrors-shared-memory": ("mirror.db-shm", None,
                                "a file SQLite keeps beside the database mirror.db"),
    "a-write-ahead-log-by-its-bytes": ("log", lambda path: path.write_bytes(
        b"\x37\x7f\x06\x82" + bytes(28)), "a file SQLite keeps beside a database (its "
        "write-ahead log or its journal)"),
    "a-checkpoint-through-proc": ("/proc/self/root{tmp}/other.checkpoint", None,
                                  "a checkpoint of cognito-groups export"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(OTHER_FILES))
def test_an_output_another_run_keeps_or_no_export_is_refused(
    server: QuotaServer, tmp_path: Path, case: str
) -> None:
    """An output that is another run's lock, spill, temporary file or checkpoint, or a mirror.

    Exit 2 naming what it is, before anything is written: the folder is left exactly as it
    was. (Each was replaced by the export, exit 0, under the run that kept it.)
    """
    name, make, what = OTHER_FILES[case]
    output = tmp_path / name
    if case == "a-symlink-to-a-mirror":
        _a_database(tmp_path / "mirror.db")
        output.symlink_to("mirror.db")
    elif case.startswith("a-mirrors-"):
        _a_database(tmp_path / "mirror.db")
        output.write_bytes(bytes(32))  # SQLite's own, as a sync in progress leaves them
    elif case == "a-checkpoint-through-proc":  # a path in /proc that reaches a file
        _a_checkpoint(tmp_path / "other.checkpoint")
        output = Path(name.format(tmp=tmp_path))
    elif make is not None:
        make(output)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir() if path.exists()}
    result = export(server.url, "-o", output)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"cognito-groups: error: --output {output} is {what}: give the output a name of its own\n"
    )
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


@pytest.mark.parametrize("option", ["--output", "--checkpoint"])
def test_a_file_name_ending_with_a_slash_is_refused(
    server: QuotaServer, tmp_path: Path, option: str
) -> None:
    """``-o out/`` names a folder: exit 2, nothing made (it made the file ``out``, exit 0)."""
    (tmp_path / "kept.jsonl").write_text("an earlier export\n")
    names = {"--output": f"{tmp_path}/kept.jsonl/", "--checkpoint": f"{tmp_path}/new/"}
    others: dict[str, list[str | Path]] = {
        "--output": [],
        "--checkpoint": ["-o", tmp_path / "o.jsonl"],
    }
    result = export(server.url, *others[option], option, names[option])
    assert result.returncode == 2
    assert f"'{names[option]}' ends with '/': give a file's name" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.jsonl"]
    assert (tmp_path / "kept.jsonl").read_text() == "an earlier export\n"


def test_an_output_like_a_checkpoint_or_a_database_only_at_one_end_is_replaced(
    server: QuotaServer, tmp_path: Path
) -> None:
    """Files only like a checkpoint, a database, or SQLite's log beside one: replaced.

    The checks read a file's first and last bytes: an earlier export is still an output (one
    of JSON lines that begins and ends like a checkpoint, too: a checkpoint has no newline),
    and so is a file named like a write-ahead log with no database beside it.
    """
    lines = '{"pool": "a", "digest": "sha1:aa"}\n{"pool": "b", "digest": "' + "0" * 64 + '"}\n'
    for name, text in (("a.jsonl", '{"pool": "an export of mine"}\n'), ("b.jsonl", "SQLite"),
                       ("c.jsonl", lines), ("d.db-wal", "no database beside me")):  # fmt: skip
        output = tmp_path / name
        output.write_text(text)
        result = export(server.url, "-o", output)
        assert result.returncode == 0, result.stderr
        assert output.read_text() != text


def test_a_checkpoint_that_is_the_outputs_lock_is_refused(
    server: QuotaServer, tmp_path: Path
) -> None:
    """``--checkpoint`` naming the output's lock file: exit 2 naming both, nothing written."""
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / ".out.jsonl.cognito-groups.lock"
    result = export(server.url, "-o", output, "--checkpoint", checkpoint)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"cognito-groups: error: --checkpoint {checkpoint} is the lock file of --output "
        f"{output}: give the checkpoint a name of its own\n"
    )
    assert list(tmp_path.iterdir()) == []


# --- no orphans -----------------------------------------------------------------------------


def test_a_run_removes_the_temporary_files_a_killed_run_left(
    server: QuotaServer, tmp_path: Path
) -> None:
    """Orphans of the output and the checkpoint (their own pattern, our own) go; nothing else.

    Left alone: another file's temporary files, a name like ours without our part, and a
    symlink named like one of ours (its target is never touched).
    """
    output, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.cp"
    target = tmp_path / "target"
    target.write_text("keep")
    orphans = [".o.jsonl.cognito-groups-k3j2h1g0.tmp", ".o.cp.cognito-groups-0a9b8c7d.tmp"]
    kept = [".other.cognito-groups-k3j2h1g0.tmp", ".o.cp.x1y2z3w4.tmp", "o.cp.cognito-groups-.tmp"]
    for name in [*orphans, *kept]:
        (tmp_path / name).write_text("personal data")
    (tmp_path / ".o.cp.cognito-groups-link.tmp").symlink_to(target)
    kept += [".o.cp.cognito-groups-link.tmp", "target"]
    result = export(server.url, "-o", output, "--checkpoint", checkpoint, "--max-rps", "500")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([*kept, "o.jsonl"])
    assert target.read_text() == "keep"


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_clean_up_and_say_how_to_continue(tmp_path: Path, stop: str) -> None:
    """SIGTERM or SIGHUP mid-export: exit 128+N, the hint, no temporary or lock file left.

    The same command then finishes exactly.
    """
    signum = signal.Signals[stop]
    release = threading.Event()
    # ListGroups, then the first page are answered; the next request waits for the signal.
    with QuotaServer(GROUPS, rate=None, fault=held_from(3, release)) as served:
        output, checkpoint = tmp_path / "s.jsonl", tmp_path / "s.cp"
        command = [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, "-o", str(output),
                   "--checkpoint", str(checkpoint), "--concurrency", "1"]  # fmt: skip
        run = subprocess.Popen(  # noqa: S603
            [*AS_A_SHELL_STARTS_IT, *command], stderr=subprocess.PIPE, text=True
        )
        try:
            assert wait_for(lambda: checkpoint.exists() and output.stat().st_size > 0)
            run.send_signal(signum)
        finally:
            release.set()
        _, stderr = run.communicate(timeout=60)
        assert run.returncode == 128 + signum, stderr
        assert stderr == (
            f"cognito-groups: stopped by {stop}\n"
            f"run the same command again to continue from {checkpoint}\n"
        )
        assert sorted(path.name for path in tmp_path.iterdir()) == ["s.cp", "s.jsonl"]
        again = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
        assert again.returncode == 0, again.stderr
        assert sorted(pairs_of(output, "jsonl")) == sorted(served.memberships())


def test_an_ignored_sighup_stays_ignored(tmp_path: Path) -> None:
    """Under ``nohup`` (SIGHUP ignored) a hang-up does not stop the export."""
    with QuotaServer(GROUPS, rate=None, latency=0.02) as served:
        output = tmp_path / "n.jsonl"
        command = [sys.executable, "-c",
                   "import signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN);"
                   "from cognito_groups._cli import main; sys.exit(main())",
                   "export", POOL, "--endpoint-url", served.url, "-o", str(output),
                   "--max-rps", "50"]  # fmt: skip
        run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603
        assert wait_for(lambda: output.exists() and output.stat().st_size > 0)
        run.send_signal(signal.SIGHUP)
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
        assert sorted(pairs_of(output, "jsonl")) == sorted(served.memberships())


def test_a_device_or_a_pipe_is_written_straight_through(server: QuotaServer) -> None:
    """``-o /dev/stdout`` and ``-o /dev/null`` work: no lock, no fsync, nothing made in /dev.

    ``--checkpoint`` with one is refused (exit 2): it cannot be cut back and continued.
    """
    before = sorted(os.listdir("/dev"))
    to_stdout = export(server.url, "-o", "/dev/stdout", "--max-rps", "500")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert len(to_stdout.stdout.splitlines()) == len(server.memberships())
    to_null = export(server.url, "-o", "/dev/null", "--max-rps", "500")
    assert to_null.returncode == 0, to_null.stderr
    assert sorted(os.listdir("/dev")) == before
    refused = export(server.url, "-o", "/dev/null", "--checkpoint", "/dev/null.cp")
    assert refused.returncode == 2
    assert refused.stderr == (
        "cognito-groups: error: --checkpoint needs --output to be a file it can cut back and "
        "continue: /dev/null is a device or a pipe\n"
    )


# --- what an attacker, or a slip, tried (a session's attack on the first version) -----------


def test_a_budget_file_made_a_hard_link_is_not_written(server: QuotaServer, tmp_path: Path) -> None:
    """The shared budget file made a second name of another file: the export paces alone.

    Exit 0, every membership, one warning naming the budget file on stderr; the other file is
    left as it was. (It was overwritten with the budget's JSON.)
    """
    budgets = tmp_path / "budgets"
    env = {**os.environ, "COGNITO_GROUPS_BUDGET_DIR": str(budgets)}
    first = export(server.url, "--max-rps", "500", env=env)  # makes the account's budget file
    assert first.returncode == 0, first.stderr
    (state,) = budgets.iterdir()
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    state.unlink()
    os.link(notes, state)
    output = tmp_path / "o.jsonl"
    result = export(server.url, "-o", output, "--max-rps", "500", env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(pairs_of(output, "jsonl")) == sorted(server.memberships())
    assert notes.read_text() == "keep me"
    warning, summary = result.stderr.splitlines()
    assert warning == (
        f"budget state {state}: left as it is, it is a hard link (one file of 2 names): never "
        "written through a link, nor into a file or a folder of another user; going on with "
        "this process's budget alone"
    )
    assert summary.startswith("exported ")


@pytest.mark.parametrize("link", ["hard", "symbolic"])
def test_another_name_for_the_output_is_refused_while_it_is_written(
    tmp_path: Path, link: str
) -> None:
    """A run writing a hard link or a symlink to the output of a run in progress exits 2.

    Before anything is cut: the first run ends with every membership exactly once.
    """
    gate = Gate()
    with QuotaServer(GROUPS, rate=None, fault=gate) as served:
        output, other = tmp_path / "out.jsonl", tmp_path / "other.jsonl"
        output.touch()
        if link == "hard":
            os.link(output, other)
        else:
            other.symlink_to(output)
        first = subprocess.Popen(  # noqa: S603
            [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, "-o", str(output),
             "--checkpoint", str(tmp_path / "out.cp"), "--max-rps", "500"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert wait_for(lambda: served.requests > 0)
        second = export(served.url, "-o", other, "--checkpoint", tmp_path / "other.cp")
        gate.open()
        _, stderr = first.communicate(timeout=120)
        assert first.returncode == 0, stderr
        assert second.returncode == 2, second.stderr
        assert "is being written by another cognito-groups export" in second.stderr
        got = pairs_of(output, "jsonl")
        assert sorted(got) == sorted(served.memberships())
        assert not (tmp_path / "other.cp").exists()


def test_signals_close_together_end_the_run_once(tmp_path: Path) -> None:
    """SIGTERM, then SIGTERM and SIGHUP at once: one clean stop, no hang, no "bug", no leftovers.

    (Before, the second signal, raised in the middle of the clean-up, could hang the exit or
    end it with exit 1, "release unlocked lock".)
    """
    for trial in range(3):
        release = threading.Event()  # the first page answered, then each waits for the stop
        with QuotaServer(GROUPS, rate=None, fault=held_from(3, release)) as served:
            output, checkpoint = tmp_path / f"{trial}.jsonl", tmp_path / f"{trial}.cp"
            command = [str(SCRIPT), "export", POOL, "--endpoint-url", served.url, "-o",
                       str(output), "--checkpoint", str(checkpoint),
                       "--concurrency", "1"]  # fmt: skip
            run = subprocess.Popen(  # noqa: S603
                [*AS_A_SHELL_STARTS_IT, *command], stderr=subprocess.PIPE, text=True
            )
            try:
                assert wait_for(lambda: checkpoint.exists())  # noqa: B023
                run.send_signal(signal.SIGTERM)
                time.sleep(0.005)
                run.send_signal(signal.SIGTERM)
                run.send_signal(signal.SIGHUP)
            finally:
                release.set()
            _, stderr = run.communicate(timeout=60)
            # A stop that comes once the clean-up is over ends the process by the signal
            # itself: a shell sees 128 + N either way. On a busy machine all three may be
            # pending before Python runs a handler; it runs SIGHUP's first (the lower number),
            # and that one is the stop.
            assert run.returncode in (143, 129, -signal.SIGTERM, -signal.SIGHUP), stderr
            assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
                name for t in range(trial + 1) for name in (f"{t}.cp", f"{t}.jsonl")
            )
            said = stderr.splitlines()
            assert said[0] in (
                "cognito-groups: stopped by SIGTERM",
                "cognito-groups: stopped by SIGHUP",
            )
            assert said[1:] == [f"run the same command again to continue from {checkpoint}"]
            if run.returncode in (143, 129):
                assert said[0].endswith(signal.Signals(run.returncode - 128).name)


def test_a_resume_with_other_csv_cells_is_refused(tmp_path: Path) -> None:
    """--csv-raw added on resume would mix guarded and raw cells in one file: refused.

    Naming the default attribute (``--attribute email``) is the same export: it continues.
    """
    failing = Failing(at=8)
    with QuotaServer(GROUPS, rate=None, fault=failing) as served:
        options = ["--format", "csv", "-o", str(tmp_path / "c.csv"), "--checkpoint",
                   str(tmp_path / "c.cp"), "--max-rps", "500", "--concurrency", "1"]  # fmt: skip
        failed = export(served.url, *options, env=ONE_ATTEMPT)
        assert failed.returncode == 6, failed.stderr
        failing.on = False
        result = export(served.url, *options, "--csv-raw")
        assert result.returncode == 2
        assert (
            "(CSV cells: guarded against formulas in the checkpoint, exact (--csv-raw) in this "
            "run)" in result.stderr
        )
        named = export(served.url, *options, "--attribute", "email")
        assert named.returncode == 0, named.stderr
        assert sorted(pairs_of(tmp_path / "c.csv", "csv")) == sorted(served.memberships())


@pytest.mark.parametrize("damage", ["not-utf-8", "nested", "memberships"])
def test_a_damaged_checkpoint_is_refused_naming_it(
    part_way: tuple[QuotaServer, Path, Path, list[str]], damage: str
) -> None:
    """A damaged checkpoint: exit 2 naming the file, never "a bug".

    Bytes that are not UTF-8, JSON nested without end, or a membership checkpoint that is not
    one (even with a digest that matches).
    """
    served, _, checkpoint, options = part_way
    if damage == "not-utf-8":
        checkpoint.write_bytes(checkpoint.read_bytes().replace(b"us-east", b"\xe9s-east"))
        expected = f"{checkpoint} is not a checkpoint of cognito-groups export"
    elif damage == "nested":
        checkpoint.write_text('{"version": 2, "x": ' + "[" * 200_000)
        expected = f"{checkpoint} is not a checkpoint of cognito-groups export"
    else:
        fields = json.loads(checkpoint.read_text())
        del fields["digest"]
        saved = ExportCheckpoint(**{**fields, "memberships": "cgm1:garbage"})
        CheckpointFile(checkpoint).save(saved)
        expected = f"{checkpoint} holds a membership checkpoint this export cannot continue"
    result = export(served.url, *options)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"cognito-groups: error: {expected}")
    assert len(result.stderr.splitlines()) == 1


def test_a_file_too_large_for_a_checkpoint_is_refused_unread(
    server: QuotaServer, tmp_path: Path
) -> None:
    """``--checkpoint`` naming a huge file (an old export, given by mistake): exit 2, unread.

    Not read whole into memory first (a 3 GB file took 6 GB and half a minute to refuse).
    """
    checkpoint = tmp_path / "old-export.jsonl"
    with checkpoint.open("wb") as file:  # sparse: no disk space taken
        file.truncate(CHECKPOINT_MAX_BYTES + 1)
    result = export(server.url, "-o", tmp_path / "o", "--checkpoint", checkpoint)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"cognito-groups: error: {checkpoint} is not a checkpoint of cognito-groups export (it "
        "is larger than 256 MiB; a checkpoint is far smaller)\n"
    )
    assert checkpoint.stat().st_size == CHECKPOINT_MAX_BYTES + 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old-export.jsonl"]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_checkpoint_that_is_a_device_or_a_pipe_is_refused(
    server: QuotaServer, tmp_path: Path, kind: str
) -> None:
    """--checkpoint on a FIFO (which would hang) or /dev/zero (which would fill memory): exit 2."""
    checkpoint = tmp_path / "fifo" if kind == "fifo" else Path("/dev/zero")
    if kind == "fifo":
        os.mkfifo(checkpoint)
    result = export(server.url, "-o", tmp_path / "o", "--checkpoint", checkpoint)
    assert result.returncode == 2
    assert result.stderr == (
        f"cognito-groups: error: --checkpoint needs a file of its own: {checkpoint} is a "
        "device or a pipe\n"
    )


@pytest.mark.parametrize(
    ("options", "option"),
    [
        (["-o", ""], "--output/-o"),
        (["-o", "o", "--checkpoint", ""], "--checkpoint"),
        (["-o", "o", "--checkpoint", "", "--by-user"], "--checkpoint"),
    ],
)
def test_an_empty_file_name_is_a_usage_error(
    server: QuotaServer, tmp_path: Path, options: list[str], option: str
) -> None:
    """``-o ""`` or ``--checkpoint ""`` (an unset variable): exit 2 naming the option, no file.

    Not ``.: Is a directory`` (exit 8), nor a ``ValueError`` taken for a bug (exit 1).
    """
    result = subprocess.run(  # noqa: S603 (our own script)
        [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, *options],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"cognito-groups export: error: argument {option}: needs a file name, got an empty one\n"
        "see: cognito-groups export --help\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_dev_stdout_appends_to_the_shells_file(server: QuotaServer, tmp_path: Path) -> None:
    """``-o /dev/stdout >> log``: appended after the log's line, no lock file made in /dev."""
    log = tmp_path / "log"
    log.write_text("previous line\n")
    before = sorted(os.listdir("/dev"))
    with log.open("a") as shell_file:
        result = subprocess.run(  # noqa: S603
            [str(SCRIPT), "export", POOL, "--endpoint-url", server.url, "-o", "/dev/stdout",
             "--max-rps", "500"],
            stdout=shell_file, stderr=subprocess.PIPE, text=True, check=False, timeout=120,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    assert lines[0] == "previous line"
    assert len(lines) == 1 + len(server.memberships())
    assert sorted(os.listdir("/dev")) == before


def test_a_file_in_the_place_of_the_lock_is_left_as_it_is(
    server: QuotaServer, tmp_path: Path
) -> None:
    """A hard link to a user's file, or a symlink, at the lock's path: exit 2, file untouched."""
    precious = tmp_path / "precious"
    precious.write_text("precious\n")
    lock = tmp_path / ".out.cognito-groups.lock"
    os.link(precious, lock)
    result = export(server.url, "-o", tmp_path / "out", "--max-rps", "500")
    assert result.returncode == 2
    assert result.stderr == (
        f"cognito-groups: error: {lock} is in the place of the export's lock file, but is not "
        "one (another file, or a link to one): move it away, then run the command again\n"
    )
    assert precious.read_text() == "precious\n"
    lock.unlink()
    lock.symlink_to(precious)
    result = export(server.url, "-o", tmp_path / "out", "--max-rps", "500")
    assert result.returncode == 2
    assert "is a symlink in the place of the export's lock file: remove it" in result.stderr
    assert precious.read_text() == "precious\n"


def test_by_user_into_a_pipe_is_written_through_it(server: QuotaServer, tmp_path: Path) -> None:
    """--by-user -o FIFO writes into the pipe; the FIFO is not replaced by a file."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = export(server.url, "--by-user", "-o", fifo, "--max-rps", "500")
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    users = {json.loads(line)["username"] for line in received[0].decode().splitlines()}
    assert users == {user for _, user in server.memberships()}


def test_a_json_export_without_checkpoint_that_fails_is_valid_json(tmp_path: Path) -> None:
    """No run continues it: the array is closed after the rows written (exit 6, the hint)."""

    def fault(number: int, operation: str, params: Any) -> tuple[int, str] | None:
        return (500, "InternalErrorException") if number == 4 else None

    with QuotaServer(GROUPS, rate=None, fault=fault) as served:
        output = tmp_path / "o.json"
        result = export(served.url, "--format", "json", "-o", output, "--concurrency", "1",
                        env=ONE_ATTEMPT)  # fmt: skip
    assert result.returncode == 6, result.stderr
    assert 0 < len(json.loads(output.read_text())) < len(served.memberships())


def test_a_long_output_name_works(server: QuotaServer, tmp_path: Path) -> None:
    """An output name of 240 bytes: its lock and temporary files get a shorter name."""
    output, checkpoint = tmp_path / ("o" * 240), tmp_path / ("c" * 240)
    result = export(server.url, "-o", output, "--checkpoint", checkpoint, "--max-rps", "500")
    assert result.returncode == 0, result.stderr
    assert sorted(pairs_of(output, "jsonl")) == sorted(server.memberships())
    assert list(tmp_path.iterdir()) == [output]
