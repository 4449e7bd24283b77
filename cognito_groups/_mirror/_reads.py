"""What a reader asks the mirror, written once for `Mirror` and `MirrorSnapshot`.

Each method checks its arguments, then asks `_queries` through `_reading()`: a `Mirror`
borrows a connection for the call (each answer from the latest complete sync); a
`MirrorSnapshot` reads in its one transaction (every answer from the same state).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from cognito_groups._listing._validate import (
    check_group_name,
    check_group_names,
    check_user_pool_id,
    fail,
)
from cognito_groups._mirror import _queries
from cognito_groups._mirror._dialect import NOT_TEXT

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from contextlib import AbstractContextManager
    from datetime import datetime

    from cognito_groups._mirror._database import Database
    from cognito_groups._mirror._records import MembershipChange, SyncRecord
    from cognito_groups._models import Group, User

__all__ = ["CHANGES_PAGE", "Reads"]

#: Changes read at once by `Reads.changes()`: its memory, whatever the history's size.
CHANGES_PAGE = 500


class Reads(ABC):
    """The read methods of the mirror; `_reading()` says which connection answers."""

    __slots__ = ()

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Database]:
        """The connection to answer one query with."""

    def members(self, user_pool_id: str, group_name: str) -> list[User]:
        """The members of a group, by username, as the last complete sync saw them.

        Each `User` has the attributes the sync kept (no MFA options), and its ``sub`` (kept
        for every user).
        """
        pool, group = check_user_pool_id(user_pool_id), check_group_name(group_name)
        with self._reading() as db:
            return _queries.members(db, pool, group)

    def groups_of(self, user_pool_id: str, username: str) -> frozenset[str]:
        """The names of the mirrored groups ``username`` is in (empty if none).

        Any text is asked for as it is (request input too): a username with a NUL or a lone
        surrogate, which no sync stores, is in no group.
        """
        pool = check_user_pool_id(user_pool_id)
        name = _check_username(username)
        if NOT_TEXT.search(name) is not None:
            return frozenset()  # no sync stores such a name: in no group (nothing is asked)
        with self._reading() as db:
            return _queries.groups_of(db, pool, name)

    def groups(self, user_pool_id: str) -> list[Group]:
        """The mirrored groups of a pool, by name."""
        pool = check_user_pool_id(user_pool_id)
        with self._reading() as db:
            return _queries.groups(db, pool)

    def syncs(self, user_pool_id: str | None = None) -> list[SyncRecord]:
        """The syncs, oldest first: of one pool, or of every pool."""
        pool = None if user_pool_id is None else check_user_pool_id(user_pool_id)
        with self._reading() as db:
            return _queries.syncs(db, pool)

    def changes(
        self,
        user_pool_id: str | None = None,
        *,
        since: datetime | None = None,
        group_names: Iterable[str] | None = None,
    ) -> Iterator[MembershipChange]:
        """Who joined and who left, oldest first (as recorded), as complete syncs observed it.

        The changes committed when the first is read, and no later one; read 500 at a time,
        each page in a short query of its own (from a `Mirror`), so an iterator left half read
        holds nothing back. A ``joined`` and a ``left`` name the account's ``sub``.

        Args:
            user_pool_id: One pool's changes (default: every pool's).
            since: Only changes observed at or after this moment (an aware datetime).
            group_names: Only these groups' changes.
        """
        pool = None if user_pool_id is None else check_user_pool_id(user_pool_id)
        if since is not None and (
            not hasattr(since, "tzinfo") or since.tzinfo is None or since.utcoffset() is None
        ):
            raise fail("since", "must be an aware datetime (with a time zone)")
        return self._changes(pool, since, check_group_names(group_names))

    def _changes(
        self, pool: str | None, since: datetime | None, names: Sequence[str] | None
    ) -> Iterator[MembershipChange]:
        after, upto = 0, None
        while True:
            with self._reading() as db:
                upto, page = _queries.changes_page(
                    db,
                    pool,
                    since=since,
                    group_names=names,
                    after=after,
                    upto=upto,
                    limit=CHANGES_PAGE,
                )
            for _, change in page:
                yield change
            if len(page) < CHANGES_PAGE:
                return
            after = page[-1][0]


def _check_username(value: object) -> str:
    """A username to look up (any text: the mirror holds what the service sent)."""
    if not isinstance(value, str):
        raise fail("username", f"must be a str, got {type(value).__name__}")
    return value
