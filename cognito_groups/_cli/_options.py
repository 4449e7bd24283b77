"""The options of each ``cognito-groups`` command, in groups the commands share, and their types."""

from __future__ import annotations

import argparse
import math
import os
from typing import TYPE_CHECKING

from cognito_groups._cli._writers import EXPORT_FORMATS, FORMATS
from cognito_groups._listing._validate import DEFAULT_PAGE_SIZE, PAGE_SIZE_MAX
from cognito_groups._mirror._database import DEFAULT_DATABASE
from cognito_groups._models import UserStatus
from cognito_groups._pacing._paced import DEFAULT_PATIENCE
from cognito_groups._pacing._quotas import USER_LIST

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CONNECT_TIMEOUT",
    "DATABASE_VARIABLE",
    "READ_TIMEOUT",
    "aws_options",
    "changes_options",
    "export_options",
    "listing_options",
    "sync_options",
]


#: The environment variable that names the mirror's database (``--db``'s default): a URL with
#: a password given there stays out of the process list.
DATABASE_VARIABLE = "COGNITO_GROUPS_DB"


#: The command's timeouts, in seconds: with botocore's 3 attempts (standard retries), an
#: endpoint that never answers fails in about 35 s. The library keeps botocore's 60 s.
CONNECT_TIMEOUT = 5.0


READ_TIMEOUT = 10.0


_KNOWN_STATUSES = tuple(status.value for status in UserStatus)


def _user_status(value: str) -> str:
    """A known user status, in capitals (the filter of ``--status``)."""
    status = value.upper()
    if status not in _KNOWN_STATUSES:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a user status; choose from {', '.join(_KNOWN_STATUSES)}"
        )
    return status


def _positive(unit: str) -> Callable[[str], float]:
    """The argparse type of a positive, finite number of ``unit`` (seconds, requests ...)."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number of {unit}") from None
        if not (math.isfinite(number) and number > 0):
            raise argparse.ArgumentTypeError(f"must be more than 0 {unit}, got {value}")
        return number

    return parse


_seconds = _positive("seconds")
_rate = _positive("requests per second")


def _file(value: str) -> str:
    """A file name: neither empty nor ending with ``/``.

    ``""`` would name the current folder, or nothing at all; ``out/`` names a folder, and
    would otherwise be taken for the file ``out``.
    """
    if not value:
        raise argparse.ArgumentTypeError("needs a file name, got an empty one")
    if value.endswith("/"):
        raise argparse.ArgumentTypeError(f"{value!r} ends with '/': give a file's name")
    return value


def _patience(value: str) -> float:
    """Seconds above 0, or ``inf`` (never give up; so is a number too large for a float)."""
    try:
        if float(value) == math.inf:
            return math.inf
    except ValueError:
        pass
    return _seconds(value)


def listing_options(parser: argparse.ArgumentParser) -> None:
    """The options that shape a listing's output (shared by `users` and `demo`)."""
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default on a terminal, where its widest cells are cut with … so that "
        "rows fit the window; never cut in a pipe or file), json (one document), jsonl (one "
        "user per line; default when stdout is not a terminal) or csv",
    )
    columns = out.add_mutually_exclusive_group()
    columns.add_argument(
        "--attribute",
        action="append",
        metavar="NAME",
        help="an attribute column of table/csv, or an attribute kept in json/jsonl "
        "(repeatable; default: the email column, and every attribute in json/jsonl)",
    )
    columns.add_argument(
        "--all-attributes",
        action="store_true",
        help="a column for every attribute of the first page (table/csv)",
    )
    out.add_argument(
        "--no-header",
        action="store_true",
        help="no header row (table/csv), e.g. to append a resumed run to a file",
    )
    out.add_argument(
        "--csv-raw",
        action="store_true",
        help="write CSV cells exactly: do not neutralise cells a spreadsheet would run as "
        "formulas (=, +, -, @, tab, CR) with a leading '",
    )
    chosen = parser.add_argument_group("filters (applied to the listed users)")
    chosen.add_argument(
        "--status",
        action="append",
        type=_user_status,
        metavar="STATUS",
        help=f"keep users in this status (repeatable): {', '.join(_KNOWN_STATUSES)}",
    )
    enabled = chosen.add_mutually_exclusive_group()
    enabled.add_argument("--enabled-only", action="store_true", help="keep enabled users only")
    enabled.add_argument("--disabled-only", action="store_true", help="keep disabled users only")
    paging = parser.add_argument_group("paging")
    paging.add_argument(
        "--max-users",
        type=int,
        metavar="N",
        help="list at most N members (counted before filters); stderr then says how to go on",
    )
    paging.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        metavar="N",
        help=f"users per request, 1-{PAGE_SIZE_MAX} ({DEFAULT_PAGE_SIZE})",
    )
    paging.add_argument("--next-token", metavar="TOKEN", help="resume where a listing stopped")
    _common_options(parser)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress or waiting notice on stderr"
    )
    parser.add_argument(
        "--debug", action="store_true", help="add the traceback to an error (same exit code)"
    )


def export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_pool_id", metavar="USER_POOL_ID")
    chosen = parser.add_argument_group("what")
    chosen.add_argument(
        "--group",
        action="append",
        metavar="NAME",
        help="export this group (repeatable; default: every group of the pool)",
    )
    chosen.add_argument(
        "--by-user",
        action="store_true",
        help="one record per user with its groups, written at the end; the memberships wait in "
        "a SQLite file (beside --checkpoint, or a temporary one), so memory stays flat",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="jsonl",
        help="jsonl (default: one record per line), csv, or json (one array)",
    )
    out.add_argument("--output", "-o", type=_file, metavar="FILE", help="write to FILE (mode 0600)")
    out.add_argument(
        "--checkpoint",
        type=_file,
        metavar="FILE",
        help="crash-safe: keep the position in FILE (mode 0600); the same command continues "
        "after a crash, a kill or an error; removed on success (needs --output)",
    )
    out.add_argument(
        "--attribute",
        action="append",
        metavar="NAME",
        help="csv: an attribute column (repeatable; default: email); json/jsonl: keep only "
        "these attributes (default: all)",
    )
    out.add_argument(
        "--csv-raw", action="store_true", help="write CSV cells exactly (no formula guard)"
    )
    _pace_options(parser)
    _common_options(parser)


def _pace_options(parser: argparse.ArgumentParser) -> None:
    """How fast a listing of many groups goes (shared by `export` and `sync`)."""
    pace = parser.add_argument_group("pace")
    pace.add_argument(
        "--max-rps",
        type=_rate,
        metavar="N",
        help="the most ListUsersInGroup requests per second, all of them (default: the "
        f"account's quota, {USER_LIST.account_rps:g}, which AWS does not raise: more is for "
        "emulators); the pace adapts below it, cut when the service throttles, back up when "
        "it does not; ListGroups has its own budget",
    )
    pace.add_argument(
        "--patience",
        type=_patience,
        default=DEFAULT_PATIENCE,
        metavar="SECONDS",
        help="give up after this long throttled without any request getting through "
        f"({DEFAULT_PATIENCE:g}; 'inf': never); until then throttled requests are sent again",
    )
    pace.add_argument(
        "--no-shared-budget",
        dest="shared_budget",
        action="store_false",
        help="keep the budget to this process (default: shared with the other cognito-groups "
        "processes of this machine that use the same account and Region)",
    )
    pace.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="groups listed at once, 1-32 (4)"
    )


def _db_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--db``, the mirror's database (shared by `sync` and `changes`)."""
    parser.add_argument(
        "--db",
        metavar="DB",
        default=os.environ.get(DATABASE_VARIABLE) or DEFAULT_DATABASE,
        help=f"{what}: a SQLite file (a path, or sqlite:///PATH; created 0600) or "
        f"postgresql://USER@HOST/NAME (default: ${DATABASE_VARIABLE}, else {DEFAULT_DATABASE})",
    )


def sync_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_pool_id", metavar="USER_POOL_ID")
    _db_option(parser, "the mirror to sync into")
    chosen = parser.add_argument_group("what")
    chosen.add_argument(
        "--group",
        action="append",
        metavar="NAME",
        help="sync this group (repeatable; default: every group of the pool)",
    )
    kept = chosen.add_mutually_exclusive_group()
    kept.add_argument(
        "--attribute",
        action="append",
        metavar="NAME",
        help="keep this attribute of each user (repeatable; default: email only)",
    )
    kept.add_argument(
        "--all-attributes", action="store_true", help="keep every attribute of each user"
    )
    kept.add_argument(
        "--no-attributes", action="store_true", help="keep no attribute (usernames and status)"
    )
    how = parser.add_argument_group("runs")
    how.add_argument(
        "--wait",
        action="store_true",
        help="if another sync of the pool into DB runs, wait for it (default: exit 2 at once)",
    )
    how.add_argument(
        "--restart",
        action="store_true",
        help="abandon an interrupted sync of the pool instead of continuing it",
    )
    _pace_options(parser)
    _common_options(parser)


def changes_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_pool_id", metavar="USER_POOL_ID", nargs="?")
    _db_option(parser, "the mirror to read")
    chosen = parser.add_argument_group("what")
    chosen.add_argument(
        "--since",
        metavar="WHEN",
        help="only changes observed since WHEN: a date or time in ISO 8601 (2026-11-01, "
        "2026-11-01T08:00:00Z; UTC unless it says), or a time ago (90m, 36h, 7d, 2w); "
        "ASCII digits only",
    )
    chosen.add_argument(
        "--group", action="append", metavar="NAME", help="only this group's (repeatable)"
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default on a terminal), json, jsonl (default otherwise) or csv",
    )
    out.add_argument(
        "--csv-raw", action="store_true", help="write CSV cells exactly (no formula guard)"
    )
    _common_options(parser)


def aws_options(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("AWS")
    aws.add_argument(
        "--region", help="AWS Region (default: AWS_REGION, your profile, or the pool id's)"
    )
    aws.add_argument("--profile", help="a profile of your AWS config")
    aws.add_argument(
        "--endpoint-url",
        help="another endpoint: moto, cognito-local, LocalStack (default: AWS_ENDPOINT_URL)",
    )
    aws.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=CONNECT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up connecting after this long, per attempt ({CONNECT_TIMEOUT:g})",
    )
    aws.add_argument(
        "--read-timeout",
        type=_seconds,
        default=READ_TIMEOUT,
        metavar="SECONDS",
        help=f"give up waiting for an answer after this long, per attempt ({READ_TIMEOUT:g})",
    )
