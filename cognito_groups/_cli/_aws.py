"""The command's way to AWS: the facade built from its options, and the requests it sent."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from botocore.config import Config

from cognito_groups._budget import DEFAULT_MEMBERSHIP_RPS
from cognito_groups._cli._terminal import counted
from cognito_groups._client import CognitoGroups
from cognito_groups._counting import RequestCounter as Counting
from cognito_groups._errors import ClientSetupError

if TYPE_CHECKING:
    import argparse

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


def facade(args: argparse.Namespace, max_rps: float | None = None) -> CognitoGroups:
    """A facade with a client of its own, built from the AWS options.

    The options are ``--profile``, ``--region``, ``--endpoint-url``, ``--connect-timeout`` and
    ``--read-timeout``; without a Region, the pool id's prefix is the Region.
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
        max_rps=max_rps,
    )


class RequestRate:
    """Requests per second over the last `RATE_WINDOW` seconds, from the moments they were sent.

    The span runs from one request (the last sent at or before the window's start, else the
    first of the run) to now, and counts the requests after it. So requests paced by a budget
    of r per second read r, never more, while the budget's bucket is empty (as when the
    service answers fast): each request after the first of the span took a token that the
    bucket made in the span. Counting from an arbitrary moment instead reads up to one request
    per span too many. A burst the bucket saved during a pause shows, as it happened (up to 4
    requests per window above the budget: `_budget.BURST_MAX` less the span's first). No rate
    (``None``) until the first request is `RATE_SHOWN_AFTER` seconds old.

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
            return (len(self._sent) - 1) / (now - self._sent[0])

    def _forget(self, now: float) -> None:
        """Drop the requests before the span's first one."""
        sent = self._sent
        while len(sent) > 1 and sent[1] <= now - RATE_WINDOW:
            sent.popleft()


class RequestCounter(Counting):
    """Requests sent (every attempt), their rate, and throttled answers (see `_counting`)."""

    def __init__(self, cognito: CognitoGroups) -> None:
        self.rate = RequestRate()
        super().__init__(cognito.client, sent=lambda: self.rate.sent(time.monotonic()))


def listing_status(
    groups_done: int,
    groups_total: int | None,
    memberships: int,
    by_this_run: int | None,
    counter: RequestCounter,
    max_rps: float | None,
    now: float,
) -> str:
    """The status line of a listing of many groups (``export``, ``sync``).

    ``groups 3/7 · 410 memberships (240 by this run) · 19.8 requests/s (budget 20) · 0
    throttled``: ``by_this_run`` is shown when the run continues an earlier one.
    """
    groups = f"groups {groups_done}/{'?' if groups_total is None else groups_total}"
    rows = counted(memberships, "membership")
    if by_this_run is not None:
        rows += f" ({by_this_run} by this run)"
    rate = counter.rate.at(now)
    budget = max_rps or DEFAULT_MEMBERSHIP_RPS
    return (
        f"{groups} · {rows} · {'?' if rate is None else f'{rate:.1f}'} requests/s "
        f"(budget {budget:g}) · {counter.throttled} throttled"
    )
