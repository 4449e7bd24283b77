"""The run of ``cognito-groups``: list, write page by page, and report how it ended."""

from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.config import Config

from cognito_groups._cli._export import ExportError, export
from cognito_groups._cli._parser import build_parser, output_format, parse
from cognito_groups._cli._report import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code,
    export_hint,
    message,
    resume_hint,
    token_option,
)
from cognito_groups._cli._terminal import RequestWatch, StatusLine, counted
from cognito_groups._client import CognitoGroups
from cognito_groups._errors import ClientSetupError, CognitoGroupsError
from cognito_groups._render import make_writer
from cognito_groups._safe_text import visible
from cognito_groups._validate import check_list_request

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Generator, Sequence
    from typing import TextIO

    from cognito_groups._iterators import PageIterator
    from cognito_groups._models import User

__all__ = ["main"]


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``cognito-groups`` with ``argv`` (default: the process's); return the exit code."""
    parser = build_parser()
    args = parse(parser, argv)
    run = _Run(
        args, sys.stdout if stdout is None else stdout, sys.stderr if stderr is None else stderr
    )
    try:
        if args.command == "export":
            export(args, run)
        else:
            run.list(output_format(args.command_parser, args, run.stdout))
    except CognitoGroupsError as err:
        if args.command == "export":
            hint = export_hint(err, checkpoint=args.checkpoint, written=run.listed)
        else:
            hint = resume_hint(err, listed=run.listed)
        run.fail(err, message(err, args), hint)
        return exit_code(err)
    except ExportError as err:
        run.fail(err, str(err))
        return EXIT_USAGE
    except ImportError as err:  # the demo without its extra
        run.fail(err, str(err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        run.say("cognito-groups: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `| head`: the reader is gone, nothing left to say
        _silence_stdout()
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 (a bug of ours: say so in two lines, keep exit 1)
        run.fail(err, f"unexpected {type(err).__name__}: {err}")
        if not args.debug:
            run.say("this is a bug: please report it with the output of --debug")
        return EXIT_BUG
    return EXIT_OK


class _Run:
    """One run of the command: its arguments, its streams, and how far it got."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
        self.args = args
        self.stdout = stdout
        self.stderr = stderr
        self.status = StatusLine(stderr, enabled=stderr.isatty() and not args.quiet)
        self.listed = 0  # users listed, counted before the filters
        self.pages = 0

    def say(self, line: str) -> None:
        """One line on stderr, control characters escaped (it may quote the server)."""
        with self.status.cleared():
            self.stderr.write(visible(line) + "\n")
            self.stderr.flush()

    def fail(self, err: BaseException, what: str, hint: str | None = None) -> None:
        """The error in one line, then the resume hint; with ``--debug``, the traceback first."""
        if self.args.debug:
            with self.status.cleared():
                traceback.print_exception(err, file=self.stderr)
        self.say(f"cognito-groups: error: {what}")
        if hint is not None:
            self.say(hint)

    def list(self, format_name: str) -> None:
        """List the group, writing every page as it arrives."""
        args = self.args
        with self._groups() as groups:
            watch = RequestWatch(groups.client, self.status)
            try:
                pages = groups.iter_pages(
                    args.user_pool_id,
                    args.group_name,
                    page_size=args.page_size,
                    max_users=args.max_users,
                    next_token=args.next_token,
                )
                self._write(pages, format_name)
            finally:
                watch.close()
        if self.status.enabled:
            self.say(f"listed {counted(self.listed, 'user')} in {counted(self.pages, 'page')}")
        if pages.next_token is not None:
            self.say(f"more users: continue with {token_option(pages.next_token)}")

    @contextmanager
    def _groups(self) -> Generator[CognitoGroups, None, None]:
        """The facade to list with: the demo's, or one built from the AWS options."""
        args = self.args
        if args.command == "demo":
            from cognito_groups.demo import demo_cognito

            with demo_cognito() as (client, pool):
                args.user_pool_id, args.group_name = pool.user_pool_id, pool.group_name
                yield CognitoGroups(client)
            return
        # Bad parameters are reported before the client is built (which may need a Region).
        check_list_request(
            args.user_pool_id,
            args.group_name,
            page_size=args.page_size,
            max_users=args.max_users,
            next_token=args.next_token,
        )
        with self.facade() as groups:
            yield groups

    def facade(self, max_rps: float | None = None) -> CognitoGroups:
        """A facade built from the AWS options (profile, Region, endpoint, timeouts)."""
        args = self.args
        session = None
        if args.profile:
            import boto3
            from botocore.exceptions import BotoCoreError

            try:
                session = boto3.Session(profile_name=args.profile)
            except BotoCoreError as err:
                raise ClientSetupError(str(err)) from err
        return CognitoGroups._for_pool(
            args.user_pool_id,
            session=session,
            region_name=args.region,
            endpoint_url=args.endpoint_url,
            config=Config(connect_timeout=args.connect_timeout, read_timeout=args.read_timeout),
            max_rps=max_rps,
        )

    def _write(self, pages: PageIterator, format_name: str) -> None:
        """Write page by page; close the document even if the listing fails part-way."""
        args = self.args
        if format_name in ("table", "csv"):
            attributes = None if args.all_attributes else (args.attribute or ["email"])
        else:  # json and jsonl: every attribute, or those asked for
            attributes = args.attribute
        writer = make_writer(
            format_name,
            self.stdout,
            attributes,
            only_present=not args.attribute,
            csv_raw=args.csv_raw,
            terminal=self.stdout.isatty(),
            header=not args.no_header,
        )
        keep = _keep(args)
        failed = True
        try:
            for page in pages:
                self.listed += len(page.users)
                self.pages += 1
                with self.status.cleared():
                    writer.write_page([user for user in page.users if keep(user)])
                self.status.show(
                    f"listed {counted(self.listed, 'user')} ({counted(self.pages, 'page')})"
                )
            failed = False
        finally:
            with self.status.cleared():
                writer.finish(failed=failed)
        if writer.unlisted and format_name in ("table", "csv"):
            names = ", ".join(sorted(writer.unlisted))
            self.say(f"note: attributes first seen after the first page have no column: {names}")


def _keep(args: argparse.Namespace) -> Callable[[User], bool]:
    """The filter of ``--status``, ``--enabled-only`` and ``--disabled-only``."""
    statuses: set[str] = set(args.status or ())
    wanted_enabled = True if args.enabled_only else False if args.disabled_only else None

    def keep(user: User) -> bool:
        if statuses and (user.user_status is None or user.user_status.value not in statuses):
            return False
        return wanted_enabled is None or user.enabled is wanted_enabled

    return keep


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
