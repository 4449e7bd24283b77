"""``cognito-groups changes``: who joined and who left, as the mirror's syncs observed it.

It reads the mirror (`Mirror.changes()`) and writes one record per change, oldest first, with
the command's writers (table, json, jsonl, csv: the same safety as ``users``). A pool's first
complete sync is its baseline and records no change: stderr says so when that explains what is
listed (see `Changes._baselines()`), not on every run. A table of one pool has no ``pool_id``
column; the other formats keep every field, whatever was asked (a stable record for programs).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import TYPE_CHECKING

from cognito_groups._cli._records import iso_utc
from cognito_groups._cli._report import UsageError
from cognito_groups._cli._writers import WRITERS
from cognito_groups._listing._validate import check_group_names, check_user_pool_id
from cognito_groups._mirror._database import dialect_for
from cognito_groups._mirror._mirror import Mirror
from cognito_groups._models import User
from cognito_groups._models._time import as_utc

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator
    from typing import TextIO

    from cognito_groups._cli._records import Lead
    from cognito_groups._cli._terminal import Console
    from cognito_groups._errors import CognitoGroupsError
    from cognito_groups._mirror._records import MembershipChange, SyncRecord

__all__ = ["COLUMNS", "Changes", "parse_since"]

#: The fields of a change record, in order.
#: ``sub`` last: added after the others (the fields before it keep their places), and the
#: widest, so a narrow table cuts it rather than the time.
COLUMNS = ("observed_at", "change", "group_name", "username", "pool_id", "sync_id", "sub")
_PAGE = 500
#: A time ago: ASCII digits (``\d`` would take any script's), then the unit.
_AGO = re.compile(r"([0-9]+)([mhdw])")
#: More digits than any time ago within the calendar has (999,999,999 days is timedelta's end).
_AGO_DIGITS = 12
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Changes:
    """One run of ``changes``."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, console: Console) -> None:
        self.args = args
        self.stdout = stdout
        self.console = console

    def hint(self, err: CognitoGroupsError) -> str | None:
        """Nothing is listed from AWS: no hint."""
        return None

    def interrupt_hint(self) -> str | None:
        """Nothing to continue."""
        return None

    def file_hint(self) -> str | None:
        """Nothing to continue."""
        return None

    def run(self) -> None:
        """Write the changes (see the module's docstring)."""
        args = self.args
        pool = None if args.user_pool_id is None else check_user_pool_id(args.user_pool_id)
        names = check_group_names(args.group)
        now = datetime.now(timezone.utc)
        since = parse_since(args.since, now)
        format_name: str = args.format or ("table" if self.stdout.isatty() else "jsonl")
        dialect_for(args.db, parameter="--db")  # refused naming the option
        with Mirror(args.db) as mirror:
            syncs = mirror.syncs(pool)
            complete = [sync for sync in syncs if sync.status == "complete"]
            if pool is not None and not complete:
                raise UsageError(
                    f"{pool} has no complete sync in {mirror.database}: run "
                    f"cognito-groups sync {pool} first"
                )
            self._baselines(complete, since)
            if since is not None and since > now and not args.quiet:
                self.console.say(
                    f"--since {args.since} is in the future ({iso_utc(since)}): no change can "
                    "be listed yet"
                )
            changes = mirror.changes(pool, since=since, group_names=names)
            self._write(changes, format_name)

    def _baselines(self, complete: list[SyncRecord], since: datetime | None) -> None:
        """Say which baselines explain what is listed: what they found is not a change.

        A baseline is named when ``--since`` reaches back to it (the window starts before the
        history does), or when it is its pool's latest complete sync (nothing compared yet):
        not on every run of a mirror with changes since.
        """
        if self.args.quiet:
            return
        latest = {sync.user_pool_id: sync.id for sync in complete}  # oldest first: the last wins
        for sync in complete:
            finished = sync.finished
            if finished is None or not sync.baseline:
                continue
            if (since is not None and finished >= since) or latest[sync.user_pool_id] == sync.id:
                self.console.say(
                    f"{sync.user_pool_id}: sync {sync.id} ({iso_utc(finished)}) is its "
                    "baseline: the memberships it found are not recorded as changes"
                )

    def _write(self, changes: Iterator[MembershipChange], format_name: str) -> None:
        out = self.stdout
        one_pool = format_name == "table" and self.args.user_pool_id is not None
        writer = WRITERS[format_name](
            out,
            [],
            fields=tuple(c for c in COLUMNS if c != "pool_id") if one_pool else COLUMNS,
            csv_raw=self.args.csv_raw,
            terminal=out.isatty(),
            lead_only=True,
        )
        started = False
        while page := list(islice(changes, _PAGE)):
            leads = [_lead(change) for change in page]
            users = [User(change.username) for change in page]
            with self.console.status.cleared():
                writer.open_page(users, leads)
                for user, lead in zip(users, leads, strict=True):
                    writer.write(user, lead)
                writer.flush()
            started = True
        with self.console.status.cleared():
            if not started:
                writer.begin()
            writer.finish()
        if not started and self.console.status.enabled:  # a person at a terminal: say so
            self.console.say("no change recorded" + (" in that window" if self.args.since else ""))


def _lead(change: MembershipChange) -> Lead:
    return {
        "observed_at": iso_utc(change.observed_at) or "",
        "change": change.change,
        "group_name": change.group_name,
        "username": change.username,
        "pool_id": change.user_pool_id,
        "sync_id": change.sync_id,
        "sub": change.sub,
    }


def parse_since(text: str | None, now: datetime) -> datetime | None:
    """``--since``: an ISO 8601 date or time (UTC unless it says), or a time ago (``7d``).

    Raises:
        UsageError: none of those (exit 2).
    """
    if text is None:
        return None
    if not text.isascii():
        raise UsageError(f"--since {text!r} is not ASCII: write its digits 0-9 (2026-11-01, 7d)")
    ago = _AGO.fullmatch(text.strip())
    if ago is not None:
        digits, unit = ago.groups()
        try:
            if len(digits) > _AGO_DIGITS:
                raise OverflowError
            return now - timedelta(**{_UNITS[unit]: int(digits)})
        except OverflowError:
            raise UsageError(
                f"--since {text!r} is out of range: it reaches back before the year 1"
            ) from None
    try:
        moment = datetime.fromisoformat(text.strip().removesuffix("Z").removesuffix("z"))
    except ValueError:
        raise UsageError(
            f"--since {text!r} is not a date, a time or a time ago (2026-11-01, "
            "2026-11-01T08:00:00Z, 90m, 36h, 7d, 2w)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return as_utc(moment)
