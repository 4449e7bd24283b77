"""The digest of a sync's staged rows: what it listed, checked before it is continued.

A sync in progress stages its groups (``sync_groups``: name, present), its memberships
(``sync_memberships``: group, username, the account's sub) and its users (``sync_users``: the
usernames). A row deleted or added by hand there (a membership removed, a ``ghost-user`` put
in) would make the sync's end record a false ``left`` or ``joined``, and the next sync the
reverse. So each commit keeps, in the same transaction, ``syncs.staged_digest``: the sum
(modulo 2**256) of the SHA-256 of every staged row. The sum does not depend on the order, so a
commit adds the rows it stages (those new: a row staged again adds nothing) and an unstaged
group subtracts its rows, with no need to read the others. A sync is continued only if the
digest of its staged rows, read whole, is the one committed (`_resume.resumable()`). It finds
edits and damage; like ``cursor_digest`` it is no signature: whoever can write the database can
compute one.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from cognito_groups._mirror._database import Database

__all__ = ["EMPTY", "added", "group_row", "membership_row", "not_staged", "of_staged", "user_row"]

_MODULUS = 2**256
#: The digest of no staged row.
EMPTY = f"{0:064x}"
#: Rows looked up at once by `not_staged()` (bound parameters stay well within the limits).
_CHUNK = 400


def _hash(*fields: object) -> int:
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), "big")


def group_row(group_name: str, present: bool) -> int:
    """The hash of a ``sync_groups`` row."""
    return _hash("group", group_name, bool(present))


def membership_row(group_name: str, username: str, sub: str | None) -> int:
    """The hash of a ``sync_memberships`` row (its ``sub`` included: the swap reads it)."""
    return _hash("membership", group_name, username, sub)


def user_row(username: str) -> int:
    """The hash of a ``sync_users`` row (its username: its values may be staged again)."""
    return _hash("user", username)


def added(digest: str | None, plus: Iterable[int] = (), minus: Iterable[int] = ()) -> str:
    """``digest`` with the rows of ``plus`` staged and those of ``minus`` removed."""
    total = int(digest or EMPTY, 16) + sum(plus) - sum(minus)
    return f"{total % _MODULUS:064x}"


def of_staged(db: Database, sync_id: int) -> str:
    """The digest of the rows a sync has staged now, read whole (row by row: bounded memory)."""
    total = 0
    for name, present in db.rows(
        "SELECT group_name, present FROM sync_groups WHERE sync_id = ?", (sync_id,)
    ):
        total += group_row(str(name), bool(present))
    for group, user, sub in db.rows(
        "SELECT group_name, username, sub FROM sync_memberships WHERE sync_id = ?", (sync_id,)
    ):
        total += membership_row(str(group), str(user), None if sub is None else str(sub))
    for (user,) in db.rows("SELECT username FROM sync_users WHERE sync_id = ?", (sync_id,)):
        total += user_row(str(user))
    return added(EMPTY, (total % _MODULUS,))


def not_staged(
    db: Database, sync_id: int, memberships: Sequence[tuple[str, str]], usernames: Sequence[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Of these memberships and usernames (each once), those the sync has not staged yet."""
    staged: set[tuple[str, str]] = set()
    for start in range(0, len(memberships), _CHUNK):
        chunk = memberships[start : start + _CHUNK]
        values = ", ".join("(?, ?)" for _ in chunk)
        staged.update(
            (str(group), str(user))
            for group, user in db.all(
                "SELECT group_name, username FROM sync_memberships "  # noqa: S608 (placeholders)
                f"WHERE sync_id = ? AND (group_name, username) IN (VALUES {values})",
                [sync_id, *(field for pair in chunk for field in pair)],
            )
        )
    known: set[str] = set()
    for start in range(0, len(usernames), _CHUNK):
        names = list(usernames[start : start + _CHUNK])
        marks = ", ".join("?" for _ in names)
        known.update(
            str(user)
            for (user,) in db.all(
                "SELECT username FROM sync_users "  # noqa: S608 (placeholders only)
                f"WHERE sync_id = ? AND username IN ({marks})",
                [sync_id, *names],
            )
        )
    return (
        [pair for pair in memberships if pair not in staged],
        [user for user in usernames if user not in known],
    )
