"""The parser of ``cognito-groups``: its commands, their help, and usage errors of two lines."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, NoReturn

from cognito_groups._cli._options import (
    aws_options,
    changes_options,
    export_options,
    listing_options,
    sync_options,
)
from cognito_groups._cli._safe_text import visible
from cognito_groups._client._install import install_hint
from cognito_groups._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

__all__ = [
    "build_parser",
    "output_format",
    "parse",
]


_EXAMPLES_USERS = """\
examples:
  cognito-groups users us-east-1_AbC123 admins
  cognito-groups users us-east-1_AbC123 admins --format csv --attribute email --attribute name
  cognito-groups users us-east-1_AbC123 admins --format jsonl --status CONFIRMED --enabled-only
  cognito-groups users us-east-1_AbC123 admins --max-users 100 --format csv > admins.csv
  cognito-groups users us-east-1_AbC123 admins --max-users 100 --format csv --no-header \\
      --next-token TOKEN >> admins.csv                # go on where the first run stopped
  cognito-groups users us-east-1_Local1 admins --endpoint-url http://127.0.0.1:5000

The Region is --region, else AWS_REGION or your profile's, else the pool id's prefix
(us-east-1_AbC123: us-east-1). AWS_ENDPOINT_URL points every run at another endpoint.
Timestamps are UTC, always as 2026-11-27T14:43:51.000000Z.
"""
_EXAMPLES_EXPORT = """\
examples:
  cognito-groups export us-east-1_AbC123 -o members.jsonl --checkpoint members.checkpoint
  cognito-groups export us-east-1_AbC123 --format csv --attribute email -o members.csv
  cognito-groups export us-east-1_AbC123 --group admins --group ops --format json
  cognito-groups export us-east-1_AbC123 --by-user --format csv -o users.csv
  cognito-groups export us-east-1_AbC123 --by-user -o users.jsonl --checkpoint users.checkpoint

After a crash, a kill or an error, run the same command again: with --checkpoint it continues
the file, and every membership ends up in it exactly once (with --by-user, every user once,
with exactly its groups).
"""
_EXAMPLES_SYNC = """\
examples:
  cognito-groups sync us-east-1_AbC123                       # into ./cognito-groups.db
  cognito-groups sync us-east-1_AbC123 --db /srv/mirror.db --attribute email --attribute name
  cognito-groups sync us-east-1_AbC123 --group admins --group ops
  cognito-groups sync us-east-1_AbC123 --db postgresql://mirror@db.internal/cognito

After a crash, a kill or an error, run the same command again: it continues the same sync.
The mirror's tables change only when a sync completes. The pool's first complete sync is its
baseline: it records no change.
"""
_EXAMPLES_CHANGES = """\
examples:
  cognito-groups changes us-east-1_AbC123 --since 7d
  cognito-groups changes us-east-1_AbC123 --group admins --since 2026-11-01 --format csv
  cognito-groups changes --db postgresql://mirror@db.internal/cognito --format jsonl

observed_at is when the sync that saw the change completed (UTC): the change happened
between the group's previous complete sync and then.
"""
_EXAMPLES_DEMO = """\
examples:
  cognito-groups demo
  cognito-groups demo --format csv --all-attributes
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors in two lines: what is wrong, and where to read more (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {visible(message)}\nsee: {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cognito-groups``."""
    parser = _Parser(
        prog="cognito-groups",
        description="List the members of an Amazon Cognito user-pool group.",
        epilog="exit codes: 0 ok, 1 bug, 2 bad usage/parameter, 3 not found, "
        "4 not authorized/credentials, 5 throttled, 6 service error, 7 connection/timeout, "
        "8 file or database not writable/readable, 130 Ctrl-C, 129/143 SIGHUP/SIGTERM",
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
    listing_options(users)
    aws_options(users)
    demo = commands.add_parser(
        "demo",
        help="list a demo group on an in-process moto Cognito (no AWS account needed)",
        description="List the demo group of an in-process moto Cognito seeded with a demo "
        f"pool (needs moto: {install_hint('demo')}).",
        epilog=_EXAMPLES_DEMO,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing_options(demo)
    export = commands.add_parser(
        "export",
        help="every membership of a pool to a file, crash-safe, within the quota",
        description="Export every membership of USER_POOL_ID (or of the --group's named): one "
        "record per membership, group_name first, written as pages arrive.",
        epilog=_EXAMPLES_EXPORT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export_options(export)
    aws_options(export)
    sync = commands.add_parser(
        "sync",
        help="mirror a pool's groups and members into a database, with who joined and left",
        description="Sync the groups and members of USER_POOL_ID (or of the --group's named) "
        "into a database: SQLite (default) or PostgreSQL. Crash-safe: run it again to continue.",
        epilog=_EXAMPLES_SYNC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync_options(sync)
    aws_options(sync)
    changes = commands.add_parser(
        "changes",
        help="who joined and who left, as the mirror's syncs saw it",
        description="The membership changes recorded in the mirror (of USER_POOL_ID, or of "
        "every pool), oldest first.",
        epilog=_EXAMPLES_CHANGES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    changes_options(changes)
    for command in (users, demo, export, sync, changes):  # usage errors point to its --help
        command.set_defaults(command_parser=command)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments; an unknown one is the command's usage error (`see: ... users --help`)."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def output_format(parser: argparse.ArgumentParser, args: argparse.Namespace, stdout: TextIO) -> str:
    """The output format in effect; an option that cannot apply to it is a usage error."""
    format_name: str = args.format or ("table" if stdout.isatty() else "jsonl")
    if args.no_header and format_name not in ("table", "csv"):
        parser.error(
            f"--no-header applies to table and csv output; the output is {format_name}"
            + ("" if args.format else " (pass --format csv or --format table)")
        )
    return format_name
