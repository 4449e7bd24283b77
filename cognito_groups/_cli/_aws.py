"""The command's way to AWS: the facade built from its options, and the requests it sent."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from botocore.config import Config

from cognito_groups._cli._terminal import counted
from cognito_groups._client._counting import RequestCounter as Counting
from cognito_groups._client._sync import CognitoGroups
from cognito_groups._errors import ClientSetupError
from cognito_groups._pacing._pace import PAIR
from cognito_groups._pacing._paced import DEFAULT_PATIENCE

if TYPE_CHECKING:
    import argparse

    from cognito_groups._pacing._budget import RequestBudget

__all__ = [
    "RATE_SHOWN_AFTER",
    "RATE_WINDOW",
    "RequestCounter",
    "RequestRate",
    "facade",
    "listing_status",
]

#: The seconds of recent requests a rate is measured over.
RATE_WINDOW = 3.0
#: No rate until the first request is this many seconds old: over a shorter span one request
#: more or less swings the figure (one request 30 ms after the start reads 33 requests/s).
RATE_SHOWN_AFTER = 1.0


def facade(args: argparse.Namespace) -> CognitoGroups:
    """A facade with a client of its own, built from the AWS and pace options.

    The options are ``--profile``, ``--region``, ``--endpoint-url``, ``--connect-timeout`` and
    ``--read-timeout``; without a Region, the pool id's prefix is the Region. The pace options
    (``--max-rps``, ``--patience``, ``--no-shared-budget``) apply where the command has them.
    """
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
        max_rps=getattr(args, "max_rps", None),
        patience=getattr(args, "patience", DEFAULT_PATIENCE),
        shared_budget=getattr(args, "shared_budget", True),
    )


class RequestRate:
    """Requests per second over the last `RATE_WINDOW` seconds, from the moments they were sent.

    The span runs from one request (the last sent at or before the window's start, else the
    first of the run) to now, and counts the requests after it and the one that left with it
    (budgets send in pairs: `_pace.PAIR`). So requests paced by a budget of r per second read
    r, never more, while the budget's bucket is empty (as when the service answers fast): each
    request counted took a token that the bucket made in the span. Counting from an arbitrary
    moment instead reads up to a pair per span too many. A burst the bucket saved during a
    pause shows, as it happened (up to 1 request per window above the budget:
    `_pace.BURST_MAX` less the span's pair). No rate (``None``) until the first request is
    `RATE_SHOWN_AFTER` seconds old.

    The times are the caller's (a test gives its own); thread-safe.
    """

    def __init__(self) -> None:
        self._sent: deque[float] = deque()
        self._first: float | None = None
        self._lock = threading.Lock()

    def sent(self, at: float) -> None:
        """Note a request sent at ``at`` (seconds)."""
        with self._lock:
            if self._first is None:
                self._first = at
            self._sent.append(at)
            self._forget(at)

    def at(self, now: float) -> float | None:
        """The rate over the window that ends at ``now``; ``None`` while too early to tell."""
        with self._lock:
            if self._first is None or now - self._first < RATE_SHOWN_AFTER:
                return None
            self._forget(now)
            return (len(self._sent) - self._leading()) / (now - self._sent[0])

    def _leading(self) -> int:
        """The requests that left with the span's first one (a pair, see `_pace.PAIR`)."""
        sent = self._sent
        first = sent[0]
        count = 1
        while count < len(sent) and sent[count] - first <= PAIR:
            count += 1
        return count

    def _forget(self, now: float) -> None:
        """Drop the requests before the span's first one (a pair is kept or dropped whole)."""
        sent = self._sent
        while len(sent) > (leading := self._leading()) and sent[leading] <= now - RATE_WINDOW:
            for _ in range(leading):
                sent.popleft()


class RequestCounter(Counting):
    """Requests sent (every attempt), their rate, and throttled answers (see `_counting`)."""

    def __init__(self, cognito: CognitoGroups) -> None:
        self.rate = RequestRate()
        super().__init__(cognito, sent=lambda: self.rate.sent(time.monotonic()))


def listing_status(
    groups_done: int,
    groups_total: int | None,
    memberships: int,
    by_this_run: int | None,
    counter: RequestCounter,
    budget: RequestBudget,
    now: float,
) -> str:
    """The status line of a listing of many groups (``export``, ``sync``).

    ``groups 3/7 · 410 memberships (240 by this run) · 0 throttled · 19.8 req/s, pace 20/30``:
    ``by_this_run`` is shown when the run continues an earlier one; the pace is the
    ``ListUsersInGroup`` budget's now, and its ceiling.
    """
    groups = f"groups {groups_done}/{'?' if groups_total is None else groups_total}"
    rows = counted(memberships, "membership")
    if by_this_run is not None:
        rows += f" ({by_this_run} by this run)"
    rate = counter.rate.at(now)
    # The throttled count before the rates: on a narrow terminal the line's end is cut.
    return (
        f"{groups} · {rows} · {counter.throttled} throttled · "
        f"{'?' if rate is None else f'{rate:.1f}'} req/s, pace "
        f"{budget.rate:.3g}/{budget.ceiling:.3g}"
    )
