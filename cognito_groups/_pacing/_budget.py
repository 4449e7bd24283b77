"""Request budgets, one per quota bucket: the adaptive pace of each, kept in its store.

Cognito limits requests per quota category (`_quotas.OPERATION_QUOTAS`), for the whole account
and Region, shared with every other caller. A `RequestBudget` paces one bucket of a category (its
limit per account, or per user pool) at an adaptive rate (`_pace`): up to its ceiling (the
quota, or ``max_rps``), cut at once when the service throttles, climbing back to just below the
rate where it was throttled. Its state lives in a `_store` store (`_home`): by default a file
shared by the machine's processes that list the same account and Region, so that they spend
one budget together. A token is taken for every attempt of a request, retries included, and the
request leaves at the token's moment.

Which budgets a request takes from, by its category and pool, is `_categories`'.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from cognito_groups._pacing._pace import Pace, PaceState
from cognito_groups._pacing._store import (
    BUSY,
    BUSY_DELAY,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from cognito_groups._pacing._home import BudgetHome

__all__ = ["OutOfPatience", "RequestBudget", "Stopped"]

_log = logging.getLogger("cognito_groups")
#: Seconds between two DEBUG records of a budget's rate going up.
_RISE_LOG_SECONDS = 1.0


class OutOfPatience(Exception):
    """A wait for a token outlasted the call's patience (from a handler to `paced()`)."""


class Stopped(Exception):
    """The listing was closed while a request waited for its token: it is not sent."""


class RequestBudget:
    """The adaptive budget of one quota bucket, thread-safe (the algorithm: ``_pace``).

    The facades make their own (``CognitoGroups.budget``, ``groups_budget.pool(id)``); import
    the class to annotate them. Its state is read-only from outside: `rate`, `ceiling`,
    `throttled`, `shared`.

    Args:
        name: What it paces, for the logs, e.g. ``"ListUsersInGroup (UserList)"``.
        key: Its bucket's name in the store (the same for every process that shares it).
        quota: The bucket's limit, in requests per second (the adaptive rate's ceiling).
        home: Where its state lives.
        limit: This process's own ceiling (``max_rps``), if lower than ``quota``.
        clock: Seconds, monotonic (a test's own makes the arithmetic exact).
        burst_max: The most requests sent on tokens saved during a pause (``None``: the
            pace's own; the quota category's, `QuotaCategory.burst_max`).
    """

    __slots__ = (
        "_clock",
        "_home",
        "_key",
        "_last_logged",
        "_last_success",
        "_last_throttle",
        "_limit",
        "_lock",
        "_name",
        "_not_before",
        "_pace",
        "_pending",
        "_rate",
        "_round_trip",
        "_tat",
        "_throttled",
    )

    def __init__(
        self,
        name: str,
        key: str,
        quota: float,
        home: BudgetHome,
        *,
        limit: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        burst_max: int | None = None,
    ) -> None:
        self._name = name
        self._key = key
        self._limit = limit if limit is not None and limit < quota else None
        ceiling = max(quota, limit or 0.0)
        self._pace = Pace(ceiling) if burst_max is None else Pace(ceiling, burst_max=burst_max)
        self._home = home
        self._clock = clock
        self._lock = threading.Lock()
        self._rate = self.ceiling
        self._tat = -math.inf  # the limit's theoretical arrival time (GCRA)
        self._throttled = 0
        self._pending: list[tuple[float, float]] = []  # throttles not yet told to a busy store
        self._last_success = -math.inf
        self._round_trip = math.inf  # the shortest seen (no burst only, see `succeeded()`)
        self._not_before = -math.inf
        self._last_throttle: tuple[float, Mapping[str, Any]] | None = None
        self._last_logged = (-math.inf, self.ceiling)  # (when, rate) of the last record

    @property
    def name(self) -> str:
        """What it paces, as its log records say it."""
        return self._name

    @property
    def ceiling(self) -> float:
        """The highest rate it goes to, in requests per second (the quota, or ``max_rps``)."""
        return self._pace.ceiling if self._limit is None else self._limit

    @property
    def rate(self) -> float:
        """The rate it allows now, in requests per second (as of its last request)."""
        return min(self._rate, self.ceiling)

    @property
    def throttled(self) -> int:
        """The throttled answers its requests got (in this process)."""
        return self._throttled

    @property
    def shared(self) -> Path | None:
        """The file it shares with the machine's other processes (``None``: not shared)."""
        return self._home.path

    @property
    def last_throttle(self) -> tuple[float, Mapping[str, Any]] | None:
        """When a request of this budget was last throttled (its clock), and the answer."""
        return self._last_throttle

    @property
    def last_success(self) -> float:
        """When a request of this budget last succeeded (its clock; ``-inf``: never)."""
        return self._last_success

    @property
    def clock(self) -> Callable[[], float]:
        """Its clock."""
        return self._clock

    def take(self) -> tuple[bool, float]:
        """Take a token: ``(True, 0.0)``, or ``(False, seconds to wait before trying again)``.

        `wait()` and `await_turn()` call it in a loop.
        """
        now = self._clock()
        limit = self._limit
        with self._lock:
            if now < self._not_before:  # no burst: the last request may have arrived late
                return False, self._not_before - now
            if limit is not None:  # this process's own ceiling first (GCRA), reserved at once
                earliest = self._tat - (self._pace.burst(limit) - 1) / limit
                if now < earliest:
                    return False, earliest - now
                self._tat = max(self._tat, now) + 1 / limit
            pending, self._pending = self._pending, []
        outcome = self._home.store.update(self._key, now, lambda s: self._take(s, now, pending))
        if outcome is BUSY:
            self._give_back(pending)
            return False, BUSY_DELAY
        delay, rate, cuts = outcome
        self._note(now, rate, cuts)
        if delay > 0:
            self._give_back([])
            return False, delay
        return True, 0.0

    def _give_back(self, pending: list[tuple[float, float]]) -> None:
        """No token after all: the ceiling's reservation back, the throttles still to tell."""
        with self._lock:
            if self._limit is not None:
                self._tat -= 1 / self._limit
            self._pending[:0] = pending

    def _take(
        self, state: PaceState, now: float, pending: list[tuple[float, float]]
    ) -> tuple[float, float, list[tuple[float, float]]]:
        """In the store: apply the throttles told meanwhile, then take a token."""
        cuts: list[tuple[float, float]] = []
        for at, sent_at in pending:
            before = self._pace.rate(state, at)
            after = self._pace.throttled(state, at, sent_at)
            if after is not None:
                cuts.append((before, after))
        delay = self._pace.take(state, now)
        return delay, self._pace.rate(state, now), cuts

    def wait(self, stop: threading.Event, deadline: Callable[[], float]) -> None:
        """Block this thread until it has its token.

        Raises `Stopped` if ``stop`` is set meanwhile, `OutOfPatience` once ``deadline()`` (on
        its clock) has passed.
        """
        while True:
            taken, seconds = self.take()
            if taken:
                return
            if stop.wait(self._bounded(seconds, deadline)):
                raise Stopped

    async def await_turn(self, deadline: Callable[[], float]) -> None:
        """Wait, without blocking the event loop, for a token (`OutOfPatience` as `wait()`)."""
        while True:
            taken, seconds = self.take()
            if taken:
                return
            await asyncio.sleep(self._bounded(seconds, deadline))

    def _bounded(self, seconds: float, deadline: Callable[[], float]) -> float:
        """``seconds``, cut short at ``deadline()``; `OutOfPatience` if that has passed."""
        remaining = deadline() - self._clock()
        if remaining <= 0:
            raise OutOfPatience
        return min(seconds, remaining)

    def throttled_answer(self, sent_at: float, response: Mapping[str, Any] | None = None) -> None:
        """A request sent at ``sent_at`` (its clock) was throttled: cut the rate if due."""
        now = self._clock()
        with self._lock:
            self._throttled += 1
            if response is not None:
                self._last_throttle = (now, response)
        outcome = self._home.store.update(self._key, now, lambda s: self._cut(s, now, sent_at))
        if outcome is BUSY:  # told with the next take
            with self._lock:
                self._pending.append((now, sent_at))
            return
        before, after = outcome
        self._note(now, after, [] if after is None else [(before, after)])

    def _cut(self, state: PaceState, now: float, sent_at: float) -> tuple[float, float | None]:
        before = self._pace.rate(state, now)
        return before, self._pace.throttled(state, now, sent_at)

    def succeeded(self, sent_at: float = -math.inf) -> None:
        """A request of this budget, sent at ``sent_at``, succeeded (patience starts again).

        With no burst, the next request leaves a spacing after the moment this one may have
        reached the service, not after its token was taken: a request that opened a connection
        (a TLS handshake; an event loop's first request) arrives later than it left, and the
        next one, on time, would arrive less than an interval after it. That moment is the
        answer's less the shortest round trip seen (this budget's first answer: the answer's
        own moment, nothing being known yet). In this process only.
        """
        now = self._clock()
        self._last_success = now
        if self._pace.burst_max > 1 or sent_at == -math.inf:
            return
        with self._lock:
            arrived = now if self._round_trip == math.inf else max(sent_at, now - self._round_trip)
            self._round_trip = min(self._round_trip, now - sent_at)
            self._not_before = max(self._not_before, arrived + self._pace.spacing(self.rate))

    def _note(self, now: float, rate: float | None, cuts: list[tuple[float, float]]) -> None:
        """Keep the rate seen; log a cut (INFO) or a rise (DEBUG, at most once a second)."""
        for before, after in cuts:
            rates = (min(before, self.ceiling), min(after, self.ceiling))
            # At the floor a cut changes nothing: not worth an INFO record every round trip.
            level = logging.INFO if rates[1] < rates[0] else logging.DEBUG
            _log.log(level, "%s: throttled; pace cut from %.3g to %.3g requests/s", self._name,
                     *rates)  # fmt: skip
        if rate is None:
            return
        self._rate = rate
        shown = min(rate, self.ceiling)
        when, logged = self._last_logged
        if cuts:
            self._last_logged = (now, shown)
        elif shown > logged and now - when >= _RISE_LOG_SECONDS:
            _log.debug("%s: pace up to %.1f requests/s", self._name, shown)
            self._last_logged = (now, shown)

    def budgets(self, params: Mapping[str, Any]) -> tuple[RequestBudget, ...]:
        """This budget alone, whatever the request (`Pacer`)."""
        del params
        return (self,)

    @property
    def home(self) -> BudgetHome:
        """Where its state lives."""
        return self._home
