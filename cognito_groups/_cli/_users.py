"""``cognito-groups users`` and ``demo``: list one group, writing every page as it arrives.

After Ctrl-C the listing says where to resume, exact to the user: a page is written one user
at a time, and `Progress` knows how many of the page are done (written, or left out by a
filter), so the token it gives continues right after the last user written, even half-way
through a page. Ctrl-C is held back while a user is written and counted, and while the page
is flushed (`HeldInterrupt`), so that no user is both written and left to the next run, and
none counted as written is dropped.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from cognito_groups._cli._aws import facade
from cognito_groups._cli._interrupt import HeldInterrupt
from cognito_groups._cli._parser import output_format
from cognito_groups._cli._records import chosen_attributes
from cognito_groups._cli._report import (
    WHERE_TOKENS_COME_FROM,
    rejected_token,
    resume_hint,
    token_option,
)
from cognito_groups._cli._terminal import RequestWatch, counted
from cognito_groups._cli._writers import WRITERS
from cognito_groups._client._sync import CognitoGroups
from cognito_groups._listing._position import START, Position, parse_position
from cognito_groups._listing._validate import check_list_request

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Generator
    from typing import TextIO

    from cognito_groups import CognitoGroupsError, Page, PageIterator, User
    from cognito_groups._cli._terminal import Console

__all__ = ["Listing", "Progress"]


class Progress:
    """How far a listing got, exact to the user: the ``--next-token`` of what is left.

    It holds the token the current page was requested with, the page, and how many of its
    users are done, in one tuple replaced at once, so that it is consistent whenever Ctrl-C
    lands. Inside a page the token is the library's own form (`Position`): the page's start,
    plus the users done.
    """

    def __init__(self, token: str | None) -> None:
        self._at: tuple[str | None, Page | None, int] = (token, None, 0)

    def page(self, page: Page) -> None:
        """``page`` arrived, requested where the listing stands now; none of it is done."""
        self._at = (self.next_token, page, 0)

    def done(self, count: int) -> None:
        """The first ``count`` users of the current page are done (written or left out)."""
        start, page, _ = self._at
        self._at = (start, page, count)

    @property
    def next_token(self) -> str | None:
        """Where a new listing continues; ``None``: at the start, or the group is finished."""
        start, page, count = self._at
        if page is None or count == 0:
            return start
        if count >= len(page.users):
            return page.next_token
        position = START if start is None else parse_position(start)
        return Position(position.token, position.skip + count).to_token()


class Listing:
    """One listing: its options, where it writes, and how far it got (for the resume hint)."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, console: Console) -> None:
        self.args = args
        self.stdout = stdout
        self.console = console
        self.listed = 0  # users listed, counted before the filters
        self.pages = 0
        self.progress = Progress(args.next_token)

    def hint(self, err: CognitoGroupsError) -> str | None:
        """How to resume after ``err``, when resuming helps.

        When the service refused the token given, where tokens come from instead.
        """
        if rejected_token(err, self.args.next_token):
            return WHERE_TOKENS_COME_FROM
        return resume_hint(err, listed=self.listed)

    def interrupt_hint(self) -> str | None:
        """How to continue after Ctrl-C: right after the last user written, when that helps.

        It helps when the listing got somewhere and is not finished (``None`` otherwise).
        """
        token = self.progress.next_token
        if token is None or token == self.args.next_token:
            return None
        return f"resume with: {token_option(token)}"

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
        progress = self.progress
        interrupt = HeldInterrupt()
        failed = True
        try:
            with interrupt.installed():
                for page in pages:
                    progress.page(page)
                    self.listed += len(page.users)
                    self.pages += 1
                    with status.cleared():
                        with interrupt.held():  # a header whole, too
                            writer.open_page([user for user in page.users if keep(user)])
                        for done, user in enumerate(page.users, start=1):
                            with interrupt.held():  # written and counted, or neither
                                if keep(user):
                                    writer.write_listed(user)
                                progress.done(done)
                        with interrupt.held():  # rows counted as done must not be dropped
                            writer.out.flush()
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
