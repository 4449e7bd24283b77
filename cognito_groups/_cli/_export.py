"""``cognito-groups export``: every membership of a pool to a file, crash-safe, within the quota.

The listing is the library's ``iter_memberships`` (its budget, its checkpoints); the rows are
the command's writers' (`_writers`), the files are `_files`'. This module runs the export.
With ``--output`` and ``--checkpoint``, every quarter of a second (and every 1,000 rows) it
commits: the rows written so far are flushed and ``fsync``-ed, and only then is the checkpoint
replaced, atomically. The checkpoint holds the output's length at that moment and the exact
membership checkpoint of the rows it covers. A re-run of the same command cuts the output back
to that length and continues from there: the file ends with every membership exactly once,
whenever the first run died. The first commit is the other way round (the checkpoint, then the
output's first bytes: `OutputFile.commit()`), and comes with the first row: a run killed before
it leaves an empty output, which the next run starts afresh.

``--by-user`` spills the memberships to SQLite as they come (`_spill`) and writes its output
whole at the end, from the spill, grouped by user. With ``--checkpoint`` the spill is what is
committed: the SQLite transaction first, then the checkpoint, on the same cadence.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cognito_groups._cli._aws import RequestCounter, facade, listing_status
from cognito_groups._cli._checkpoint_file import CheckpointFile, ExportCheckpoint
from cognito_groups._cli._files import (
    FileError,
    about,
    check_writable,
    is_special,
    lock_path,
    named_as_temporary,
    real,
    remove_orphans,
    replace_atomically,
)
from cognito_groups._cli._lock import locked
from cognito_groups._cli._output_file import Committed, OutputFile
from cognito_groups._cli._records import USER_COLUMNS, chosen_attributes
from cognito_groups._cli._report import UsageError, export_hint, export_resume_hint
from cognito_groups._cli._spill import SIDE_FILES, MembershipSpill, spill_path
from cognito_groups._cli._terminal import counted
from cognito_groups._cli._writers import WRITERS
from cognito_groups._errors import CognitoGroupsError, InvalidParameterError
from cognito_groups._listing._validate import check_membership_request

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Mapping
    from typing import TextIO

    from cognito_groups import MembershipIterator, User
    from cognito_groups._cli._terminal import Console
    from cognito_groups._cli._writers import Writer

__all__ = ["Export"]

_COMMIT_SECONDS = 0.25
_COMMIT_ROWS = 1000
#: The user's fields in an export's rows, after its lead.
_USER_FIELDS = (*USER_COLUMNS, "user_last_modified_date")


class Export:
    """One export: its options, its files, and the rows it wrote (for the hint after a failure)."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, console: Console) -> None:
        self.args = args
        self.stdout = stdout
        self.console = console
        self.written = 0  # rows written by this run
        self.rows = 0  # memberships exported, with those of the run a checkpoint continues
        self.users = 0
        self._spill: MembershipSpill | None = None  # --by-user's

    def hint(self, err: CognitoGroupsError) -> str | None:
        """How to continue after ``err``, when continuing helps."""
        return export_hint(err, checkpoint=self.args.checkpoint, written=self.written)

    def interrupt_hint(self) -> str | None:
        """How to continue after Ctrl-C: the same command again, or how to make it resumable."""
        return export_resume_hint(self.args.checkpoint)

    def file_hint(self) -> str | None:
        """How to continue after a file error: from the checkpoint, once rows were written."""
        checkpoint = self.args.checkpoint
        # --by-user: once memberships were committed to the spill (in this run or before).
        done = self.written if self._spill is None else self._spill.committed
        if checkpoint and done:
            return f"when that is mended, run the same command again to continue from {checkpoint}"
        return None

    def run(self) -> None:
        """Export (see the module's docstring), then say what was done."""
        args = self.args
        # Bad parameters are reported before anything is created or sent.
        check_membership_request(
            args.user_pool_id,
            args.group,
            concurrency=args.concurrency,
            page_size=60,
            checkpoint=None,
        )
        _refuse_one_file_for_two(args)
        _check_options(args)
        _refuse_the_runs_own_files(args)
        given = [name for name in (args.output, args.checkpoint) if name]
        for name in given:
            check_writable(Path(name))
        # The output as the file it names (two names of it share a lock; --by-user replaces
        # that file, as the plain export writes through a symlink); the checkpoint as named
        # (it is replaced, a symlink at its path never followed). A device: nothing to lock.
        files = [
            (real(Path(name)) if name == args.output else Path(name), name)
            for name in given
            if not is_special(Path(name))
        ]
        with locked(files):
            for path, _ in files:
                remove_orphans(path)
            self._run()

    def _run(self) -> None:
        """The export, its files locked (and their orphans gone)."""
        args = self.args
        checkpoint = CheckpointFile(Path(args.checkpoint)) if args.checkpoint else None
        saved = None if checkpoint is None else checkpoint.load()
        if saved is not None:
            _check_saved(args, saved)
            saved = _unless_nothing_reached_the_output(args, saved)
        self.rows = 0 if saved is None else saved.written
        self._started = time.monotonic()
        with facade(args) as cognito:
            self._counter = RequestCounter(cognito)
            self._budget = cognito.budget
            memberships = cognito.iter_memberships(
                args.user_pool_id,
                args.group,
                concurrency=args.concurrency,
                checkpoint=None if saved is None else saved.memberships,
            )
            with memberships:
                if args.by_user:
                    self._write_by_user(memberships, checkpoint, saved)
                else:
                    self._write(memberships, checkpoint, saved)
        self._summary(memberships.groups_total or 0)

    def _writer(self, out: TextIO, *, written: int | None) -> Writer:
        args = self.args
        # The lead first: a membership's group, or a user's name and groups.
        if args.by_user:
            fields = ["username", "groups", *_USER_FIELDS[1:]]
        else:
            fields = ["group_name", *_USER_FIELDS]
        return WRITERS[args.format](
            out,
            chosen_attributes(args.format, args.attribute),
            fields=fields,
            csv_raw=args.csv_raw,
            terminal=out.isatty(),
            written=written,
        )

    def _write(
        self,
        memberships: MembershipIterator,
        checkpoint: CheckpointFile | None,
        saved: ExportCheckpoint | None,
    ) -> None:
        """One row per membership, committed as it goes (with ``--checkpoint``)."""
        args = self.args
        output = None
        if args.output is not None:
            output = OutputFile(Path(args.output), saved, hold=checkpoint is not None)
        out = self.stdout if output is None else output.text
        try:
            # An OSError left unnamed here is the output's (the checkpoint's are named).
            with about(output.path) if output is not None else nullcontext():
                writer = self._writer(out, written=None if saved is None else saved.written)
                writer.begin()
                commit = _Commits(args, memberships, output, checkpoint, writer)
                commit.now()  # a checkpoint from the very start
                try:
                    self._write_rows(memberships, writer, commit, shared=out.isatty())
                except CognitoGroupsError:
                    if checkpoint is None:  # no run continues this file: valid as it stands
                        writer.finish()
                        commit.now()
                    raise
                writer.finish()
                if output is not None:
                    output.sync()
            if checkpoint is not None:
                checkpoint.remove()
        finally:
            if output is not None:
                output.close()

    def _write_rows(
        self, memberships: MembershipIterator, writer: _Rows, commit: _Commits, *, shared: bool
    ) -> None:
        """A row per membership, committed when due; on an error, the rows so far are kept.

        ``shared``: the rows go to the terminal the status line is on, which is erased first.
        """
        ticking = self.console.status.ticking(lambda: self._progress(memberships, time.monotonic()))
        with ticking:
            self._rows_of(memberships, writer, commit, shared=shared)

    def _rows_of(
        self, memberships: MembershipIterator, writer: _Rows, commit: _Commits, *, shared: bool
    ) -> None:
        """`_write_rows()`'s loop (the status line ticking meanwhile)."""
        status = self.console.status
        try:
            for membership in memberships:
                lead = {"group_name": membership.group_name}
                if shared:
                    with status.cleared():
                        writer.write(membership.user, lead)
                else:
                    writer.write(membership.user, lead)
                self.rows += 1
                self.written += 1
                now = time.monotonic()
                commit.when_due(now)
                self._progress(memberships, now)
        except CognitoGroupsError:
            commit.now()  # every row so far is whole: keep them
            raise

    def _write_by_user(
        self,
        memberships: MembershipIterator,
        checkpoint: CheckpointFile | None,
        saved: ExportCheckpoint | None,
    ) -> None:
        """One row per user with its sorted groups, written whole at the end.

        The memberships go to the spill first, committed as a plain export's rows are (with
        ``--checkpoint``, the spill beside it is continued by the next run); then the output
        is written from the spill (atomically, into ``--output``).
        """
        args = self.args
        output = None if args.output is None else Path(args.output)
        if checkpoint is None:
            # Beside the output (on its file system, with its permissions), unless it is a device.
            spill = MembershipSpill.temporary(None if output and is_special(output) else output)
        else:
            spill = MembershipSpill.beside_checkpoint(checkpoint.path, saved)
        self._spill = spill
        with spill:
            commit = _Commits(args, memberships, spill, checkpoint, spill)
            commit.now()  # a checkpoint from the very start
            self._write_rows(memberships, spill, commit, shared=False)
            commit.now()  # every membership, for a run killed while the output is written

            def write(out: TextIO) -> None:
                writer = self._writer(out, written=None)
                writer.begin()
                for user, names in spill.users():
                    writer.write(user, {"username": user.username, "groups": names})
                    self.users += 1
                writer.finish()

            if output is None:
                with self.console.status.cleared():
                    write(self.stdout)
            elif is_special(output):  # nothing to replace: written straight through
                with about(output), output.open("w", encoding="utf-8", newline="") as out:
                    write(out)
            else:
                with about(output):
                    replace_atomically(real(output), write)
            if checkpoint is not None:
                checkpoint.remove()
                spill.remove()

    @property
    def _continued(self) -> int:
        """The memberships of the runs a checkpoint continues (0 on a first run).

        ``rows`` counts them too; every other figure (requests, seconds) is this run's.
        """
        return 0 if self.args.by_user else self.rows - self.written

    def _progress(self, memberships: MembershipIterator, now: float) -> None:
        self.console.status.show_paced(
            lambda: listing_status(
                memberships.groups_done,
                memberships.groups_total,
                self.rows,
                self.written if self._continued else None,
                self._counter,
                self._budget,
                now,
            ),
            now,
        )

    def _summary(self, groups_total: int) -> None:
        args = self.args
        seconds = time.monotonic() - self._started
        what = (
            f"{counted(self.users, 'user')} ({counted(self.rows, 'membership')})"
            if args.by_user
            else counted(self.rows, "membership")
        )
        counter = self._counter
        spent = f"in {counted(counter.requests, 'request')}, {seconds:.1f} s"
        notes = [f"{counter.throttled} throttled and retried"] if counter.throttled else []
        summary = f"exported {what} of {counted(groups_total, 'group')}"
        if self._continued:  # the memberships are the file's, of every run; the rest this run's
            notes.insert(0, f"{self.written} of them by this run, {spent}")
        else:
            summary += f" {spent}"
        if notes:
            summary += f" ({'; '.join(notes)})"
        if not args.quiet and (args.output or self.console.status.enabled):
            self.console.say(summary)


class _Rows(Protocol):
    """Where the rows go, counted: a `Writer`, or the spill of ``--by-user``."""

    @property
    def written(self) -> int: ...

    def write(self, user: User, lead: Mapping[str, str]) -> None: ...

    def flush(self) -> None: ...


class _Synced(Protocol):
    """What a commit syncs: the output (or the spill), what it then is returned."""

    def sync(self) -> Committed: ...

    def commit(self, save: Callable[[Committed], object]) -> None: ...


class _Commits:
    """When and how the export commits: the output synced, then the checkpoint replaced.

    The first row is committed at once: an output's first bytes wait in memory for the
    checkpoint that covers them (`OutputFile.commit()`), so there are few of them.
    """

    def __init__(
        self,
        args: argparse.Namespace,
        memberships: MembershipIterator,
        output: _Synced | None,
        checkpoint: CheckpointFile | None,
        writer: _Rows,
    ) -> None:
        self._args = args
        self._memberships = memberships
        self._output = output
        self._checkpoint = checkpoint
        self._writer = writer
        self._last = 0.0
        self._rows_committed = 0

    def when_due(self, now: float) -> None:
        """Commit the first row, then when 0.25 s or 1,000 rows have gone by since the last."""
        written = self._writer.written
        if (
            self._rows_committed == 0
            or now - self._last >= _COMMIT_SECONDS
            or written % _COMMIT_ROWS == 0
        ):
            self.now()

    def now(self) -> None:
        """Commit: without ``--output``, flush stdout; else sync it and replace the checkpoint."""
        self._last = time.monotonic()
        self._rows_committed = self._writer.written
        output = self._output
        if output is None:
            self._writer.flush()
            return
        checkpoint = self._checkpoint
        if checkpoint is None:
            output.sync()
            return
        output.commit(lambda committed: checkpoint.save(self._checkpoint_of(committed)))

    def _checkpoint_of(self, committed: Committed) -> ExportCheckpoint:
        """The checkpoint of the rows written so far, ``committed`` to the output."""
        args = self._args
        return ExportCheckpoint(
            pool=args.user_pool_id,
            groups=args.group,
            format=args.format,
            attributes=chosen_attributes(args.format, args.attribute),
            offset=committed.offset,
            written=self._writer.written,
            memberships=self._memberships.checkpoint,
            output_device=committed.device,
            output_inode=committed.inode,
            output_sha256=committed.sha256,
            by_user=args.by_user,
            csv_raw=_raw_cells(args),
        )


def _refuse_one_file_for_two(args: argparse.Namespace) -> None:
    """Refuse ``--output`` and ``--checkpoint`` naming one file (each save would replace it).

    The same path in other words (``./out`` and ``out``, a symlink) and a hard link to it are
    the same file.
    """
    if not (args.output and args.checkpoint):
        return
    output, checkpoint = Path(args.output), Path(args.checkpoint)
    same = output.resolve() == checkpoint.resolve()
    if not same and output.exists() and checkpoint.exists():
        same = output.samefile(checkpoint)
    if same:
        raise UsageError(
            f"--output {args.output} and --checkpoint {args.checkpoint} are the same file: "
            "give the checkpoint a file of its own"
        )


def _refuse_the_runs_own_files(args: argparse.Namespace) -> None:
    """Refuse an ``--output`` or ``--checkpoint`` that is one of the files the run keeps.

    The run makes, replaces, locks or removes them: the spill of the checkpoint (``--by-user``)
    and SQLite's files beside it, the lock files of the output and of the checkpoint, and the
    temporary files of both (those a killed run left are removed). An output named so would
    be removed with the spill at the end (``exported 200 users``, and no file), or locked
    against itself. By any name: ``./`` in front, a symlink to it, a hard link.
    """
    output = None if args.output is None else Path(args.output)
    if output is not None and is_special(output):
        output = None
    checkpoint = None if args.checkpoint is None else Path(args.checkpoint)
    own: list[tuple[Path, str]] = []
    patterns: list[tuple[Path, str]] = []
    if checkpoint is not None:
        spill = spill_path(checkpoint)
        of_checkpoint = f"--checkpoint {args.checkpoint}"
        own.append((spill, f"the spill of {of_checkpoint} (where --by-user keeps the memberships)"))
        own += [
            (
                spill.with_name(spill.name + side),
                f"a file SQLite keeps beside the spill of {of_checkpoint}",
            )
            for side in SIDE_FILES
        ]
        own.append((lock_path(checkpoint), f"the lock file of {of_checkpoint}"))
        patterns.append((checkpoint, of_checkpoint))
    if output is not None:
        own.append((lock_path(real(output)), f"the lock file of --output {args.output}"))
        patterns.append((real(output), f"--output {args.output}"))
    for option, given, name in (
        ("--output", output, args.output),
        ("--checkpoint", checkpoint, args.checkpoint),
    ):
        if given is None:
            continue
        what = next((what for path, what in own if _same_file(given, path)), None)
        if what is None:
            what = next(
                (
                    f"named as a temporary file of {of} (a run removes those a killed run left)"
                    for path, of in patterns
                    if _temporary_of(given, path)
                ),
                None,
            )
        if what is not None:
            raise UsageError(f"{option} {name} is {what}: give the {option[2:]} a name of its own")


def _same_file(given: Path, own: Path) -> bool:
    """Whether ``given`` names the file ``own`` (the same path in other words, a link to it)."""
    if real(given) == real(own):
        return True
    try:
        return given.samefile(own)
    except OSError:  # one of them does not exist (yet)
        return False


def _temporary_of(given: Path, path: Path) -> bool:
    """Whether ``given`` (or the file it links to) is named as a temporary file of ``path``."""
    folder = real(path.parent)
    return any(
        name.parent == folder and named_as_temporary(name.name, path)
        for name in (real(given.parent) / given.name, real(given))
    )


def _unless_nothing_reached_the_output(
    args: argparse.Namespace, saved: ExportCheckpoint
) -> ExportCheckpoint | None:
    """``saved``, or ``None`` (the export starts afresh) when its output is empty.

    An output's first bytes are written after the checkpoint that covers them is saved
    (`OutputFile.commit()`): a run killed in between leaves an empty output under a
    checkpoint past it; a run killed before leaves one under a checkpoint of none. An empty
    file has nothing to lose: the export starts it afresh. ``--by-user`` continues its spill,
    not its output: ``saved`` stays.
    """
    if args.by_user:
        return saved
    output = Path(args.output)
    try:
        with about(output):
            size = output.stat().st_size
    except FileError as err:
        if isinstance(err.__cause__, FileNotFoundError):
            return saved  # refused by OutputFile: the checkpoint continues that file
        raise
    return None if size == 0 else saved


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options that do not go together."""
    if args.checkpoint and not args.output:
        raise UsageError("--checkpoint needs --output (a file it can cut back and continue)")
    if args.checkpoint and is_special(Path(args.output)):
        raise UsageError(
            f"--checkpoint needs --output to be a file it can cut back and continue: "
            f"{args.output} is a device or a pipe"
        )
    if args.checkpoint and is_special(Path(args.checkpoint)):
        raise UsageError(
            f"--checkpoint needs a file of its own: {args.checkpoint} is a device or a pipe"
        )


def _check_saved(args: argparse.Namespace, saved: ExportCheckpoint) -> None:
    """Refuse a checkpoint made for another export."""
    differences = [
        (what, made, given)
        for what, made, given in (
            ("user pool", saved.pool, args.user_pool_id),
            ("group list", saved.groups, args.group),
            ("format", saved.format, args.format),
            # In effect, in the checkpoint's format (another format is named as such).
            ("attribute list", saved.attributes, chosen_attributes(saved.format, args.attribute)),
            ("kind of record", _kind(saved.by_user), _kind(args.by_user)),
            ("CSV cells", _cells(saved.csv_raw), _cells(_raw_cells(args))),
        )
        if made != given
    ]
    if differences:
        whats = " and ".join(what for what, _, _ in differences)
        values = "; ".join(
            f"{what}: {_shown(made)} in the checkpoint, {_shown(given)} in this run"
            for what, made, given in differences
        )
        raise UsageError(
            f"{args.checkpoint} was made for another {whats} ({values}): run the command it "
            "was made for, or remove it to start over"
        )
    try:
        check_membership_request(
            args.user_pool_id,
            args.group,
            concurrency=args.concurrency,
            page_size=60,
            checkpoint=saved.memberships,
        )
    except InvalidParameterError as err:
        raise UsageError(
            f"{args.checkpoint} holds a membership checkpoint this export cannot continue "
            f"({err.message}): remove it to start over"
        ) from err


def _raw_cells(args: argparse.Namespace) -> bool:
    """Whether the rows' CSV cells are exact (``--csv-raw``); ``False`` in other formats."""
    return bool(args.csv_raw) and args.format == "csv"


def _cells(raw: bool) -> str:
    """How CSV cells are written, as `_check_saved()` names it."""
    return "exact (--csv-raw)" if raw else "guarded against formulas"


def _kind(by_user: bool) -> str:
    """The records an export writes, as `_check_saved()` names them."""
    return "one per user (--by-user)" if by_user else "one per membership"


def _shown(value: str | list[str] | None) -> str:
    """An option's value as the command line gives it (``every`` when it was not given)."""
    if value is None:
        return "every"
    return ", ".join(value) if isinstance(value, list) else value
