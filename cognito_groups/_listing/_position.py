"""A place in a group's listing, exact to the user, and the resume token that names it.

The service's ``NextToken`` can only name a page boundary. To stop anywhere (after a ``break``
in the middle of a page, after ``max_users`` on a page longer than asked, after an error) the
library also needs "the page that starts at service token T, after its first k users". That is
a `Position`; `Position.to_token()` writes it as the string users keep:

* at a page boundary, the service's own token, unchanged (usable with any SDK);
* inside a page, ``cg1:skip:<k>:<T>``, or ``cg1:skip:<k>:`` inside the first page.

A string that starts with ``cg1:skip:`` is always ours: should the service ever send a token
that starts with it, the library hands it out wrapped (``cg1:skip:0:<token>``), so the two can
never be confused. Every other string is a service token and is sent as it is. ``k`` is
written in decimal without leading zeros; the prefix holds only characters that need no
quoting in a shell.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RESUME_PREFIX", "START", "Position", "parse_position"]

#: What every resume token of ours starts with (and no service token is taken to).
RESUME_PREFIX = "cg1:skip:"

#: The largest ``k`` a token of ours may hold (a page is at most 60 users on Cognito; servers
#: that ignore ``Limit`` send more, but never a billion).
SKIP_MAX = 999_999_999


@dataclass(frozen=True, slots=True)
class Position:
    """The response to a request sent with ``token`` (``None``: the first page), after ``skip``."""

    token: str | None
    skip: int = 0

    def to_token(self) -> str | None:
        """The resume token for this position (``None`` only for the start of the group)."""
        token = self.token
        if self.skip == 0 and (token is None or not token.startswith(RESUME_PREFIX)):
            return token
        return f"{RESUME_PREFIX}{self.skip}:{'' if token is None else token}"


#: The start of a group.
START = Position(None)


def parse_position(value: str) -> Position:
    """The position a resume token names.

    Raises:
        ValueError: ``value`` starts like a token of ours but is not one (the message says
            why, without quoting the token).
    """
    if not value.startswith(RESUME_PREFIX):
        return Position(value)
    count, colon, token = value[len(RESUME_PREFIX) :].partition(":")
    if not colon:
        raise ValueError(f"a {RESUME_PREFIX} token needs ':' after its count of users")
    if not (count.isascii() and count.isdigit()) or (len(count) > 1 and count[0] == "0"):
        raise ValueError(
            f"a {RESUME_PREFIX} token's count of users must be a decimal number without "
            "leading zeros"
        )
    if len(count) > len(str(SKIP_MAX)):
        raise ValueError(f"a {RESUME_PREFIX} token's count of users is at most {SKIP_MAX}")
    return Position(token or None, int(count))
