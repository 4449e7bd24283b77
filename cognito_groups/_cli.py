"""The ``cognito-groups`` command: list a group's members from the terminal.

It writes no paging, validation or error translation of its own: it calls the library's.

Exit codes (one per error family)::

    0  success
    1  unexpected error (a bug: please report it with --debug output)
    2  bad usage or bad parameter (also: no Region configured)
    3  user pool or group not found
    4  not authorized, or no usable credentials
    5  throttled (TooManyRequestsException after retries)
    6  other service error (internal error, operation not enabled, broken paging ...)
    7  connection failed, timed out, or the response was garbled
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

from cognito_groups._client import CognitoGroups
from cognito_groups._errors import (
    ClientSetupError,
    CognitoGroupsError,
    CognitoServiceError,
    CredentialsError,
    InvalidParameterError,
    NotAuthorizedError,
    RegionError,
    ResourceNotFoundError,
    TooManyRequestsError,
    TransportError,
)
from cognito_groups._render import FORMATS, make_writer
from cognito_groups._safe_text import visible
from cognito_groups._validate import check_list_request
from cognito_groups._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cognito_groups._iterators import PageIterator
    from cognito_groups._models import User

__all__ = ["EXIT_CODES", "main"]

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_NOT_AUTHORIZED = 4
EXIT_THROTTLED = 5
EXIT_SERVICE = 6
EXIT_CONNECTION = 7
EXIT_INTERRUPTED = 130

#: (error class, exit code), most specific first.
EXIT_CODES: tuple[tuple[type[CognitoGroupsError], int], ...] = (
    (InvalidParameterError, EXIT_USAGE),
    (ResourceNotFoundError, EXIT_NOT_FOUND),
    (NotAuthorizedError, EXIT_NOT_AUTHORIZED),
    (CredentialsError, EXIT_NOT_AUTHORIZED),
    (TooManyRequestsError, EXIT_THROTTLED),
    (ClientSetupError, EXIT_USAGE),
    (TransportError, EXIT_CONNECTION),
    (CognitoGroupsError, EXIT_SERVICE),
)
_ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "UnrecognizedClientException"})

_EXAMPLES_USERS = """\
examples:
  cognito-groups users us-east-1_AbC123 admins
  cognito-groups users us-east-1_AbC123 admins --format csv --attribute email --attribute name
  cognito-groups users us-east-1_AbC123 admins --format jsonl --status CONFIRMED --enabled-only
  cognito-groups users us-east-1_AbC123 admins --max-users 100            # then, to go on:
  cognito-groups users us-east-1_AbC123 admins --max-users 100 --next-token TOKEN
  cognito-groups users us-east-1_Local1 admins --endpoint-url http://127.0.0.1:5000
"""
_EXAMPLES_DEMO = """\
examples:
  cognito-groups demo
  cognito-groups demo --format csv --all-attributes
"""


def _listing_options(parser: argparse.ArgumentParser) -> None:
    """The options that shape a listing's output (shared by `users` and `demo`)."""
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default on a terminal), json (one document), jsonl (one user per line; "
        "default when stdout is not a terminal) or csv",
    )
    columns = out.add_mutually_exclusive_group()
    columns.add_argument(
        "--attribute",
        action="append",
        metavar="NAME",
        help="an attribute column for table/csv (repeatable; default: email, if present)",
    )
    columns.add_argument(
        "--all-attributes",
        action="store_true",
        help="a column for every attribute of the first page (table/csv)",
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
        metavar="STATUS",
        help="keep users in this status (repeatable), e.g. CONFIRMED, FORCE_CHANGE_PASSWORD",
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
    paging.add_argument("--page-size", type=int, default=60, metavar="N", help="1-60 (60)")
    paging.add_argument("--next-token", metavar="TOKEN", help="resume where a listing stopped")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    parser.add_argument("--debug", action="store_true", help="full tracebacks on errors")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cognito-groups``."""
    parser = argparse.ArgumentParser(
        prog="cognito-groups",
        description="List the members of an Amazon Cognito user-pool group.",
        epilog="exit codes: 0 ok, 1 bug, 2 bad usage/parameter, 3 not found, "
        "4 not authorized/credentials, 5 throttled, 6 service error, 7 connection",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    users = commands.add_parser(
        "users",
        help="list a group's members",
        description="List the members of GROUP_NAME in USER_POOL_ID.",
        epilog=_EXAMPLES_USERS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    users.add_argument("user_pool_id", metavar="USER_POOL_ID")
    users.add_argument("group_name", metavar="GROUP_NAME")
    _listing_options(users)
    aws = users.add_argument_group("AWS")
    aws.add_argument("--region", help="AWS Region (default: from your AWS config)")
    aws.add_argument("--profile", help="a profile of your AWS config")
    aws.add_argument("--endpoint-url", help="another endpoint: moto, cognito-local, LocalStack")
    demo = commands.add_parser(
        "demo",
        help="list a demo group on an in-process moto Cognito (no AWS account needed)",
        description="List the demo group of an in-process moto Cognito seeded with a demo "
        "pool (needs the demo extra: pip install 'cognito-groups[demo]').",
        epilog=_EXAMPLES_DEMO,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _listing_options(demo)
    return parser


class _Progress:
    """``listed N users (P pages)`` on stderr, rewritten in place; only on a terminal."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self.users = 0
        self.pages = 0

    def page(self, count: int) -> None:
        self.users += count
        self.pages += 1
        if self._enabled:
            self._stream.write(f"\rlisted {self.users} users ({self.pages} pages)")
            self._stream.flush()

    def done(self) -> None:
        if self._enabled and self.pages:
            self._stream.write("\n")
            self._stream.flush()


def _keep(args: argparse.Namespace) -> Callable[[User], bool]:
    statuses = {status.upper() for status in args.status or ()}
    wanted_enabled = True if args.enabled_only else False if args.disabled_only else None

    def keep(user: User) -> bool:
        if statuses and (user.user_status is None or user.user_status.value not in statuses):
            return False
        return wanted_enabled is None or user.enabled is wanted_enabled

    return keep


_FLAGS = {
    "user_pool_id": "USER_POOL_ID",
    "group_name": "GROUP_NAME",
    "page_size": "--page-size",
    "max_users": "--max-users",
    "next_token": "--next-token",
    "region_name": "--region",
    "endpoint_url": "--endpoint-url",
}


def _message(err: CognitoGroupsError, args: argparse.Namespace) -> str:
    """One line that names the problem (the command's flag, for a parameter caught locally)."""
    if isinstance(err, InvalidParameterError) and err.parameter in _FLAGS:
        rule = err.message.removeprefix(f"{err.parameter}: ")
        return f"{_FLAGS[err.parameter]}: {rule}"
    if isinstance(err, ResourceNotFoundError):
        if "user pool" in err.message.lower():
            return f"user pool {args.user_pool_id} not found"
        return f"group {args.group_name!r} not found in user pool {args.user_pool_id}"
    if isinstance(err, CognitoServiceError):
        return f"{err.message or err.code} ({err.code})"
    if isinstance(err, RegionError):
        return "no AWS Region: pass --region or set AWS_REGION"
    return str(err)


def _exit_code(err: CognitoGroupsError) -> int:
    if isinstance(err, CognitoServiceError) and err.code in _ACCESS_DENIED_CODES:
        return EXIT_NOT_AUTHORIZED
    return next(code for cls, code in EXIT_CODES if isinstance(err, cls))


def _list(
    pages: PageIterator,
    args: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    """Write every page as it arrives; close the output even if the listing fails."""
    format_name = args.format or ("table" if stdout.isatty() else "jsonl")
    attributes = None if args.all_attributes else (args.attribute or ["email"])
    writer = make_writer(
        format_name,
        stdout,
        attributes,
        only_present=not args.attribute,
        csv_raw=args.csv_raw,
        terminal=stdout.isatty(),
    )
    progress = _Progress(stderr, stderr.isatty() and not args.quiet)
    keep = _keep(args)
    try:
        for page in pages:
            progress.page(len(page.users))
            writer.write_page([user for user in page.users if keep(user)])
    finally:
        progress.done()
        writer.finish()
    if writer.unlisted and format_name in ("table", "csv"):
        names = ", ".join(sorted(writer.unlisted))
        _say(stderr, f"note: attributes first seen after the first page have no column: {names}")
    if pages.next_token is not None:
        _say(stderr, f"more users: continue with --next-token {pages.next_token}")


def _say(stderr: TextIO, line: str) -> None:
    """One line on stderr, with control characters escaped (it may quote the server)."""
    stderr.write(visible(line) + "\n")


def _run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
    options = {
        "page_size": args.page_size,
        "max_users": args.max_users,
        "next_token": args.next_token,
    }
    if args.command == "demo":
        from cognito_groups.demo import demo_cognito

        with demo_cognito() as (client, pool):
            args.user_pool_id, args.group_name = pool.user_pool_id, pool.group_name
            pages = CognitoGroups(client).iter_pages(pool.user_pool_id, pool.group_name, **options)
            _list(pages, args, stdout, stderr)
        return
    # Bad parameters are reported before the client is built (which may need a Region).
    check_list_request(args.user_pool_id, args.group_name, **options)
    session = None
    if args.profile:
        import boto3
        from botocore.exceptions import BotoCoreError

        try:
            session = boto3.Session(profile_name=args.profile)
        except BotoCoreError as err:
            raise ClientSetupError(str(err)) from err
    groups = CognitoGroups(session=session, region_name=args.region, endpoint_url=args.endpoint_url)
    with groups:
        pages = groups.iter_pages(args.user_pool_id, args.group_name, **options)
        _list(pages, args, stdout, stderr)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``cognito-groups`` with ``argv`` (default: the process's); return the exit code."""
    out: TextIO = sys.stdout if stdout is None else stdout
    err_out: TextIO = sys.stderr if stderr is None else stderr
    args = build_parser().parse_args(argv)
    try:
        _run(args, out, err_out)
    except CognitoGroupsError as err:
        if args.debug:
            raise
        _say(err_out, f"cognito-groups: error: {_message(err, args)}")
        if err.next_token is not None:
            _say(err_out, f"resume with: --next-token {err.next_token}")
        return _exit_code(err)
    except ImportError as err:  # the demo without its extra
        _say(err_out, f"cognito-groups: error: {err}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err_out.write("cognito-groups: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `| head`: the reader is gone, nothing left to say
        _silence_stdout()
        return EXIT_OK
    return EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
