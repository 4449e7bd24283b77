"""``cognito-groups sync``: a pool's groups and members mirrored into a database.

The work is the library's `Mirror.sync()` (the listing, the staging with its cursor, the
swap); this module gives it the command's facade (`_aws.facade()`: the AWS and pace options),
shows progress on a terminal, and says how the sync ended.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cognito_groups._cli._aws import RequestCounter, facade, listing_status
from cognito_groups._cli._report import continuing_helps
from cognito_groups._cli._terminal import counted
from cognito_groups._mirror._database import dialect_for
from cognito_groups._mirror._mirror import DEFAULT_ATTRIBUTES, Mirror

if TYPE_CHECKING:
    import argparse
    from typing import TextIO

    from cognito_groups._cli._terminal import Console
    from cognito_groups._errors import CognitoGroupsError
    from cognito_groups._mirror._records import SyncProgress, SyncRecord
    from cognito_groups._pacing._budget import RequestBudget

__all__ = ["Sync"]


class Sync:
    """One run of ``sync``: its options, and how far it got (for the hints after a stop)."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, console: Console) -> None:
        self.args = args
        self.console = console
        self._last: SyncProgress | None = None
        self._counter: RequestCounter | None = None
        self._budget: RequestBudget | None = None
        self._database = ""  # the mirror as it names itself: never with a password

    def hint(self, err: CognitoGroupsError) -> str | None:
        """How to continue after a listing error, when continuing helps."""
        if self._last is None or not continuing_helps(err, done=self._last.memberships):
            return None
        return self._again()

    def interrupt_hint(self) -> str | None:
        """After Ctrl-C or a signal: the same command continues the sync, once it started."""
        return None if self._last is None else self._again()

    def file_hint(self) -> str | None:
        """After the database failed: once mended, the same command continues."""
        if self._last is None:
            return None
        return "when that is mended, run the same command again to continue the sync"

    def _again(self) -> str:
        return f"run the same command again to continue sync {self._sync_id()}"

    def _sync_id(self) -> int:
        return 0 if self._last is None else self._last.sync_id

    def run(self) -> None:
        """Sync (see the module's docstring), then say what was done."""
        args = self.args
        # Bad parameters are refused by the library before anything is created or sent: the
        # pool id when the facade is built, the others by sync() before it writes.
        if args.all_attributes:
            attributes = None
        elif args.no_attributes:
            attributes = ()
        else:
            attributes = tuple(args.attribute or DEFAULT_ATTRIBUTES)
        started = time.monotonic()
        dialect_for(args.db, parameter="--db")  # refused naming the option
        with Mirror(args.db) as mirror, facade(args) as cognito:
            self._database = mirror.database  # never with a password
            self._counter = RequestCounter(cognito)
            self._budget = cognito.budget
            with self.console.status.ticking(self._redraw):  # it moves while throttled too
                record = mirror.sync(
                    cognito,
                    args.user_pool_id,
                    args.group,
                    attributes=attributes,
                    concurrency=args.concurrency,
                    wait=args.wait,
                    restart=args.restart,
                    progress=self._progress,
                    waiting=self._waiting,
                )
        self._summary(record, mirror.database, time.monotonic() - started)

    def _waiting(self, holder: str) -> None:
        if self.args.quiet:
            return
        self.console.say(
            f"waiting for another sync of {self.args.user_pool_id} into {self._database} "
            f"({holder}) to end…"
        )

    def _redraw(self) -> None:
        """The status line again, with the last progress the sync told (if any yet)."""
        if self._last is not None:
            self._progress(self._last)

    def _progress(self, progress: SyncProgress) -> None:
        self._last = progress
        counter, budget = self._counter, self._budget
        if counter is None or budget is None:
            return
        now = time.monotonic()
        self.console.status.show_paced(
            lambda: listing_status(
                progress.groups_done,
                progress.groups_total,
                progress.memberships,
                progress.listed_by_this_run if progress.continued else None,
                counter,
                budget,
                now,
            ),
            now,
        )

    def _summary(self, record: SyncRecord, database: str, seconds: float) -> None:
        if self.args.quiet:
            return
        counter = self._counter
        requests = 0 if counter is None else counter.requests
        last = self._last
        groups = None if last is None else last.groups_total
        what = counted(record.memberships, "membership")
        if groups is not None:
            what += f" of {counted(groups, 'group')}"
        spent = f"in {counted(requests, 'request')}, {seconds:.1f} s"
        if last is not None and last.continued:
            spent = f"(sync {record.id} continued: {last.listed_by_this_run} by this run, {spent})"
        if record.baseline:
            outcome = f"the baseline of {record.user_pool_id}: no change recorded"
        else:
            outcome = f"{record.joined} joined, {record.left} left"
        throttled = f" ({record.throttled} throttled and retried)" if record.throttled else ""
        self.console.say(f"synced {what} into {database} {spent}{throttled}: {outcome}")
