"""``cognito-groups export``: every membership of a pool to a file, crash-safe, within the quota.

The listing is the library's ``iter_memberships`` (its budget, its checkpoints); this module
writes the records and makes the file survive a crash. With ``--output`` and ``--checkpoint``,
every quarter of a second (and every 1,000 records) it commits: the records written so far are
flushed and ``fsync``-ed, and only then is the checkpoint replaced, atomically (a new file made with
``mkstemp``, synced, then ``os.replace``-d over the old one, so no planted symlink is ever
followed). The checkpoint holds the output's length at that moment and the exact membership
checkpoint of the records it covers. A re-run of the same command cuts the output back to that
length (a partial last line, and rows written after the last commit, go) and continues from
there: the file ends with every membership exactly once, whenever the first run died.

Every file it creates (the output, the checkpoint and its temporary files) is created with mode
0600: they hold personal data.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cognito_groups._budget import DEFAULT_MEMBERSHIP_RPS
from cognito_groups._cli._records import (
    RecordWriter,
    csv_columns,
    membership_record,
    user_record,
)
from cognito_groups._cli._terminal import counted
from cognito_groups._errors import CognitoGroupsError
from cognito_groups._memberships import check_membership_request

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import TextIO

    from cognito_groups._cli._terminal import StatusLine
    from cognito_groups._client import CognitoGroups
    from cognito_groups._models import User
    from cognito_groups._multi import MembershipIterator

__all__ = ["ExportError", "export"]

_VERSION = 1
_COMMIT_SECONDS = 0.25
_COMMIT_RECORDS = 1000
_PROGRESS_SECONDS = 0.2
_MODE = 0o600


class _Run(Protocol):
    """What the export needs of the command's run (its streams, status line and facade)."""

    stdout: TextIO
    status: StatusLine
    listed: int  # records written by this run (for the hint after a failure)

    def say(self, line: str) -> None: ...

    def facade(self, max_rps: float | None = None) -> CognitoGroups: ...


class ExportError(Exception):
    """A problem with the export's files or options: exit 2, with this message."""


@dataclass(frozen=True)
class _Saved:
    """The checkpoint file's content."""

    pool: str
    groups: list[str] | None
    format: str
    attributes: list[str] | None
    offset: int
    written: int
    memberships: str | None
    version: int = _VERSION


class _CheckpointFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> _Saved | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            document: Any = json.loads(text)
            saved = _Saved(**document)
        except (ValueError, TypeError):
            raise ExportError(f"{self.path} is not a checkpoint of cognito-groups export") from None
        if saved.version != _VERSION:
            raise ExportError(f"{self.path} was written by another version of cognito-groups")
        return saved

    def save(self, saved: _Saved) -> None:
        """Replace the checkpoint atomically (see `_replace_atomically()`)."""
        _replace_atomically(self.path, lambda out: json.dump(asdict(saved), out))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _replace_atomically(target: Path, write: Callable[[TextIO], object]) -> None:
    """Write a new file (0600, a random name beside ``target``), sync it, rename it over.

    ``mkstemp`` never follows a planted symlink, and the rename replaces a link at ``target``
    instead of writing through it. A failure removes the new file and leaves ``target`` as it
    was.
    """
    folder = target.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _Output:
    """The output file: created 0600, or cut back to a checkpoint's length and continued."""

    def __init__(self, path: Path, saved: _Saved | None) -> None:
        if saved is None:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _MODE)
        else:
            try:
                descriptor = os.open(path, os.O_WRONLY)
            except FileNotFoundError:
                raise ExportError(
                    f"{path} is missing: the checkpoint continues that file (remove the "
                    "checkpoint to start over)"
                ) from None
            if os.fstat(descriptor).st_size < saved.offset:
                os.close(descriptor)
                raise ExportError(
                    f"{path} is shorter than its checkpoint says: it was changed since "
                    "(remove the checkpoint to start over)"
                )
            os.ftruncate(descriptor, saved.offset)
            os.lseek(descriptor, saved.offset, os.SEEK_SET)
        self._descriptor = descriptor
        self.text = io.TextIOWrapper(os.fdopen(descriptor, "wb"), encoding="utf-8", newline="")

    def sync(self) -> int:
        """Flush and ``fsync`` what was written; return the file's length."""
        self.text.flush()
        os.fsync(self._descriptor)
        return os.fstat(self._descriptor).st_size

    def close(self) -> None:
        self.text.close()


class _Counter:
    """Requests sent (every attempt) and throttled answers, from botocore's events."""

    def __init__(self, groups: CognitoGroups) -> None:
        self.requests = 0
        self.throttled = 0
        events = groups.client.meta.events
        service = groups.client.meta.service_model.service_id.hyphenize()
        events.register(f"before-send.{service}", self._sent)
        events.register(f"needs-retry.{service}", self._answered)

    def _sent(self, **_: object) -> None:
        self.requests += 1

    def _answered(self, response: Any = None, **_: object) -> None:
        if response is not None:
            code = response[1].get("Error", {}).get("Code")
            if code == "TooManyRequestsException":
                self.throttled += 1


def _check(args: argparse.Namespace, saved: _Saved | None) -> None:
    if args.checkpoint and not args.output:
        raise ExportError("--checkpoint needs --output (a file it can cut back and continue)")
    if args.by_user and args.checkpoint:
        raise ExportError(
            "--by-user writes its file whole at the end (it needs every group first): it takes "
            "no --checkpoint; a failed run leaves no partial file"
        )
    if saved is None:
        return
    differences = [
        what
        for what, same in (
            ("user pool", saved.pool == args.user_pool_id),
            ("group list", saved.groups == args.group),
            ("format", saved.format == args.format),
            ("attributes", saved.attributes == args.attribute),
        )
        if not same
    ]
    if differences:
        raise ExportError(
            f"{args.checkpoint} was made for another {' and '.join(differences)}: run the "
            "command it was made for, or remove it to start over"
        )


def export(args: argparse.Namespace, run: _Run) -> None:
    """Run ``cognito-groups export`` (see the module's docstring)."""
    # Bad parameters are reported before anything is created or sent.
    check_membership_request(
        args.user_pool_id,
        args.group,
        concurrency=args.concurrency,
        page_size=60,
        checkpoint=None,
    )
    checkpoint = _CheckpointFile(Path(args.checkpoint)) if args.checkpoint else None
    saved = None if checkpoint is None else checkpoint.load()
    _check(args, saved)
    started = time.monotonic()
    with run.facade(args.max_rps) as groups:
        counter = _Counter(groups)
        memberships = groups.iter_memberships(
            args.user_pool_id,
            args.group,
            concurrency=args.concurrency,
            checkpoint=None if saved is None else saved.memberships,
        )
        with memberships:
            job = _Job(args, run, memberships, counter, checkpoint, saved)
            job.write_by_user() if args.by_user else job.write()
    seconds = time.monotonic() - started
    total = memberships.groups_total or 0
    what = (
        f"{counted(job.users, 'user')} ({counted(job.records, 'membership')})"
        if args.by_user
        else counted(job.records, "membership")
    )
    summary = (
        f"exported {what} of {counted(total, 'group')} in {counted(counter.requests, 'request')}, "
        f"{seconds:.1f} s"
    )
    if counter.throttled:
        summary += f" ({counter.throttled} throttled and retried)"
    if not args.quiet and (args.output or run.status.enabled):
        run.say(summary)


class _Job:
    """One export: the records written, the commits, the progress line."""

    def __init__(
        self,
        args: argparse.Namespace,
        run: _Run,
        memberships: MembershipIterator,
        counter: _Counter,
        checkpoint: _CheckpointFile | None,
        saved: _Saved | None,
    ) -> None:
        self.args = args
        self.run = run
        self.memberships = memberships
        self.counter = counter
        self.checkpoint = checkpoint
        self.saved = saved
        self.records = 0 if saved is None else saved.written
        self.users = 0
        self.started = time.monotonic()
        self._shown = 0.0

    def _writer(self, out: TextIO, *, written: int | None) -> RecordWriter:
        attributes = self.args.attribute
        columns = csv_columns(self.args.by_user, attributes or ["email"])
        return RecordWriter(
            out,
            self.args.format,
            columns,
            csv_raw=self.args.csv_raw,
            terminal=out.isatty(),
            written=written,
        )

    def write(self) -> None:
        """One record per membership, committed as it goes (with ``--checkpoint``)."""
        args = self.args
        output = None if args.output is None else _Output(Path(args.output), self.saved)
        out = self.run.stdout if output is None else output.text
        try:
            writer = self._writer(out, written=None if self.saved is None else self.saved.written)
            self._commit(output, writer)  # a checkpoint from the very start
            last_commit = time.monotonic()
            attributes = args.attribute
            # The status line is erased only before writing to the terminal it is on.
            shared = out.isatty()
            try:
                for membership in self.memberships:
                    record = membership_record(membership.group_name, membership.user, attributes)
                    if shared:
                        with self.run.status.cleared():
                            writer.write(record)
                    else:
                        writer.write(record)
                    self.records += 1
                    self.run.listed += 1
                    now = time.monotonic()
                    if (
                        now - last_commit >= _COMMIT_SECONDS
                        or writer.written % _COMMIT_RECORDS == 0
                    ):
                        self._commit(output, writer)
                        last_commit = now
                    self._progress(now)
            except CognitoGroupsError:
                self._commit(output, writer)  # every row so far is whole: keep them
                raise
            writer.end()
            if output is not None:
                output.sync()
            else:
                out.flush()
            if self.checkpoint is not None:
                self.checkpoint.remove()
        finally:
            if output is not None:
                output.close()

    def _commit(self, output: _Output | None, writer: RecordWriter) -> None:
        if output is None:
            self.run.stdout.flush()
            return
        offset = output.sync()
        if self.checkpoint is None:
            return
        args = self.args
        self.checkpoint.save(
            _Saved(
                pool=args.user_pool_id,
                groups=args.group,
                format=args.format,
                attributes=args.attribute,
                offset=offset,
                written=writer.written,
                memberships=self.memberships.checkpoint,
            )
        )

    def write_by_user(self) -> None:
        """One record per user, written whole at the end (atomically, into ``--output``)."""
        found: dict[str, tuple[User, set[str]]] = {}
        for membership in self.memberships:
            user = membership.user
            entry = found.setdefault(user.username, (user, set()))
            entry[1].add(membership.group_name)
            self.records += 1
            self._progress(time.monotonic())
        self.users = len(found)
        attributes = self.args.attribute
        if self.args.output is None:
            writer = self._writer(self.run.stdout, written=None)
            with self.run.status.cleared():
                for user, names in found.values():
                    writer.write(user_record(user, names, attributes))
                writer.end()
            return

        def write(out: TextIO) -> None:
            writer = self._writer(out, written=None)
            for user, names in found.values():
                writer.write(user_record(user, names, attributes))
            writer.end()

        _replace_atomically(Path(self.args.output), write)

    def _progress(self, now: float) -> None:
        if not self.run.status.enabled or now - self._shown < _PROGRESS_SECONDS:
            return
        self._shown = now
        total = self.memberships.groups_total
        groups = f"groups {self.memberships.groups_done}/{'?' if total is None else total}"
        rate = self.counter.requests / max(now - self.started, 1e-3)
        budget = self.args.max_rps or DEFAULT_MEMBERSHIP_RPS
        self.run.status.show(
            f"{groups} · {counted(self.records, 'membership')} · {rate:.1f} requests/s "
            f"(budget {budget:g}) · {self.counter.throttled} throttled"
        )
