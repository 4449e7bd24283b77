"""The entry of ``cognito-groups``: parse, run the command, and report how it ended."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from cognito_groups._cli._changes import Changes
from cognito_groups._cli._export import Export
from cognito_groups._cli._files import FileError
from cognito_groups._cli._interrupt import Terminated, stops_raised
from cognito_groups._cli._parser import build_parser, parse
from cognito_groups._cli._report import (
    EXIT_BUG,
    EXIT_FILE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    exit_code,
    message,
    mirror_exit_code,
)
from cognito_groups._cli._sync import Sync
from cognito_groups._cli._terminal import Console
from cognito_groups._cli._users import Listing
from cognito_groups._errors import CognitoGroupsError
from cognito_groups._mirror._errors import MirrorError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import TextIO

__all__ = ["main"]


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``cognito-groups`` with ``argv`` (default: the process's); return the exit code."""
    args = parse(build_parser(), argv)
    out = sys.stdout if stdout is None else stdout
    console = Console(sys.stderr if stderr is None else stderr, debug=args.debug, quiet=args.quiet)
    command = _COMMANDS.get(args.command, Listing)(args, out, console)
    # Until the end is said: a stop that comes while the clean-up or the message is under way
    # is ignored, rather than killing the process before it says how to continue.
    with stops_raised():
        return _run(command, args, console)


#: The commands that are not a group's listing (``users``, ``demo``).
_COMMANDS: dict[str, type[Export | Sync | Changes]] = {
    "export": Export,
    "sync": Sync,
    "changes": Changes,
}


def _run(
    command: Export | Sync | Changes | Listing, args: argparse.Namespace, console: Console
) -> int:
    """Run ``command``; say how it ended; return the exit code."""
    try:
        command.run()
    except Terminated as err:
        console.say(f"cognito-groups: stopped by {err.name}")
        if not isinstance(command, Listing) and (hint := command.interrupt_hint()) is not None:
            console.say(hint)  # exact after any signal (a ``users`` token is exact after Ctrl-C)
        return 128 + err.signum
    except KeyboardInterrupt:
        console.say("cognito-groups: interrupted")
        if (hint := command.interrupt_hint()) is not None:
            console.say(hint)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `| head`: the reader is gone, nothing left to say
        _silence_stdout()
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 (each family is told apart by `_failed`)
        return _failed(err, command, args, console)
    return EXIT_OK


def _failed(
    err: Exception,
    command: Export | Sync | Changes | Listing,
    args: argparse.Namespace,
    console: Console,
) -> int:
    """Say what went wrong, in the words of ``err``'s family; return the family's exit code."""
    if isinstance(err, CognitoGroupsError):
        console.fail(err, message(err, args), command.hint(err))
        return exit_code(err)
    if isinstance(err, UsageError):
        console.fail(err, str(err))
        return EXIT_USAGE
    if isinstance(err, MirrorError):
        code = mirror_exit_code(err)
        console.fail(err, str(err), command.file_hint() if code != EXIT_USAGE else None)
        return code
    if isinstance(err, FileError):
        console.fail(err, str(err), command.file_hint())
        return EXIT_FILE
    if isinstance(err, ImportError):  # the demo without its extra
        console.fail(err, str(err))
        return EXIT_USAGE
    if isinstance(err, OSError):  # every file of ours is named (FileError): this is standard output
        where = err.filename or "standard output"
        console.fail(err, f"{where}: {err.strerror or err}", command.file_hint())
        return EXIT_FILE
    # A bug of ours: say so in two lines, keep exit 1.
    console.fail(err, f"unexpected {type(err).__name__}: {err}")
    if not args.debug:
        console.say("this is a bug: please report it with the output of --debug")
    return EXIT_BUG


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
