"""``cognito-groups users`` and ``demo``: list one group, writing every page as it arrives."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from cognito_groups._cli._aws import facade
from cognito_groups._cli._parser import output_format
from cognito_groups._cli._report import (
    WHERE_TOKENS_COME_FROM,
    rejected_token,
    resume_hint,
    token_option,
)
from cognito_groups._cli._terminal import RequestWatch, counted
from cognito_groups._cli._writers import WRITERS, chosen_attributes
from cognito_groups._client import CognitoGroups
from cognito_groups._validate import check_list_request

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Generator
    from typing import TextIO

    from cognito_groups import CognitoGroupsError, PageIterator, User
    from cognito_groups._cli._terminal import Console

__all__ = ["Listing"]


class Listing:
    """One listing: its options, where it writes, and how far it got (for the resume hint)."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, console: Console) -> None:
        self.args = args
        self.stdout = stdout
        self.console = console
        self.listed = 0  # users listed, counted before the filters
        self.pages = 0

    def hint(self, err: CognitoGroupsError) -> str | None:
        """How to resume after ``err``, when resuming helps.

        When the service refused the token given, where tokens come from instead.
        """
        if rejected_token(err, self.args.next_token):
            return WHERE_TOKENS_COME_FROM
        return resume_hint(err, listed=self.listed)

    def interrupt_hint(self) -> str | None:
        """How to continue after Ctrl-C: not said yet (a page may be cut half-way written)."""
        return None

    def file_hint(self) -> str | None:
        """How to continue after a file error: the listing writes no file of its own."""
        return None

    def run(self) -> None:
        """List the group, writing every page as it arrives."""
        args = self.args
        format_name = output_format(args.command_parser, args, self.stdout)
        status = self.console.status
        with self._cognito() as cognito:
            watch = RequestWatch(cognito.client, status)
            try:
                pages = cognito.iter_pages(
                    args.user_pool_id,
                    args.group_name,
                    page_size=args.page_size,
                    max_users=args.max_users,
                    next_token=args.next_token,
                )
                self._write(pages, format_name)
            finally:
                watch.close()
        if status.enabled:
            self.console.say(
                f"listed {counted(self.listed, 'user')} in {counted(self.pages, 'page')}"
            )
        if pages.next_token is not None:
            self.console.say(f"more users: continue with {token_option(pages.next_token)}")

    @contextmanager
    def _cognito(self) -> Generator[CognitoGroups, None, None]:
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
        with facade(args) as cognito:
            yield cognito

    def _write(self, pages: PageIterator, format_name: str) -> None:
        """Write page by page; close the document even if the listing fails part-way."""
        args = self.args
        status = self.console.status
        writer = WRITERS[format_name](
            self.stdout,
            chosen_attributes(format_name, args.attribute, every=args.all_attributes),
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
                with status.cleared():
                    writer.write_page([user for user in page.users if keep(user)])
                status.show(
                    f"listed {counted(self.listed, 'user')} ({counted(self.pages, 'page')})"
                )
            failed = False
        finally:
            with status.cleared():
                writer.finish(failed=failed)
        if writer.unlisted and format_name in ("table", "csv"):
            names = ", ".join(sorted(writer.unlisted))
            self.console.say(
                f"note: attributes first seen after the first page have no column: {names}"
            )


def _keep(args: argparse.Namespace) -> Callable[[User], bool]:
    """The filter of ``--status``, ``--enabled-only`` and ``--disabled-only``."""
    statuses: set[str] = set(args.status or ())
    wanted_enabled = True if args.enabled_only else False if args.disabled_only else None

    def keep(user: User) -> bool:
        if statuses and (user.user_status is None or user.user_status.value not in statuses):
            return False
        return wanted_enabled is None or user.enabled is wanted_enabled

    return keep
