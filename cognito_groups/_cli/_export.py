"""``cognito-groups export``: every membership of a pool to a file, crash-safe, within the quota.

The listing is the library's ``iter_memberships`` (its budget, its checkpoints); the rows are
the command's writers' (`_writers`), the files are `_files`'. This module runs the export;
`_export_checks` refuses what it cannot do first, and `_commits` says when it commits.
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
from typing import TYPE_CHECKING

from cognito_groups._cli._aws import RequestCounter, facade, listing_status
from cognito_groups._cli._checkpoint_file import CheckpointFile, ExportCheckpoint
from cognito_groups._cli._commits import Commits
from cognito_groups._cli._export_checks import (
    check_options,
    check_saved,
    raw_cells,
    unless_nothing_reached_the_output,
)
from cognito_groups._cli._files import (
    about,
    check_writable,
    is_special,
    real,
    remove_orphans,
    replace_atomically,
)
from cognito_groups._cli._lock import locked
from cognito_groups._cli._output_file import OutputFile
from cognito_groups._cli._records import USER_COLUMNS, chosen_attributes
from cognito_groups._cli._report import export_hint, export_resume_hint
from cognito_groups._cli._spill import MembershipSpill
from cognito_groups._cli._terminal import counted
from cognito_groups._cli._writers import WRITERS
from cognito_groups._errors import CognitoGroupsError

if TYPE_CHECKING:
    import argparse
    from typing import TextIO

    from cognito_groups import MembershipIterator
    from cognito_groups._cli._commits import Rows
    from cognito_groups._cli._terminal import Console
    from cognito_groups._cli._writers import Writer

__all__ = ["Export"]

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
        check_options(args)  # before anything is created or sent
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
            check_saved(args, saved)
            saved = unless_nothing_reached_the_output(args, saved)
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
                commit = Commits(
                    self._checkpoint_prototype(), memberships, output, checkpoint, writer
                )
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
        self, memberships: MembershipIterator, writer: Rows, commit: Commits, *, shared: bool
    ) -> None:
        """A row per membership, committed when due; on an error, the rows so far are kept.

        ``shared``: the rows go to the terminal the status line is on, which is erased first.
        """
        ticking = self.console.status.ticking(lambda: self._progress(memberships, time.monotonic()))
        with ticking:
            self._rows_of(memberships, writer, commit, shared=shared)

    def _rows_of(
        self, memberships: MembershipIterator, writer: Rows, commit: Commits, *, shared: bool
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
            commit = Commits(self._checkpoint_prototype(), memberships, spill, checkpoint, spill)
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

    def _checkpoint_prototype(self) -> ExportCheckpoint:
        """What every checkpoint of this run says of the export; a commit adds how far it got."""
        args = self.args
        return ExportCheckpoint(
            pool=args.user_pool_id,
            groups=args.group,
            format=args.format,
            attributes=chosen_attributes(args.format, args.attribute),
            offset=0,
            written=0,
            memberships=None,
            output_device=None,
            output_inode=None,
            output_sha256=None,
            by_user=args.by_user,
            csv_raw=raw_cells(args),
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
