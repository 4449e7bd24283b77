"""Request budgets, one per quota bucket, and the one place a request is paced.

Cognito limits requests per quota category (`_quotas.OPERATION_QUOTAS`), for the whole account
and Region, shared with every other caller. A `RequestBudget` paces one bucket of a category (its
limit per account, or per user pool) at an adaptive rate (`_pace`): up to its ceiling (the
quota, or ``max_rps``), cut at once when the service throttles, climbing back to just below the
rate where it was throttled. Its state lives in a `_store` store: by default a file shared
by the machine's processes that list the same account and Region, so that they spend one budget
together. A token is taken for every attempt of a request, retries included, and the request
leaves at the token's moment.

``ListUsersInGroup`` (UserList) takes a token from one budget; ``ListGroups``
(UserPoolResourceRead) from its pool's budget and then from the category's (`CategoryBudget`).

How a paced request goes (`paced()` and `apaced()`, which the facades build every call with):

1. A ``before-send`` handler waits for a token of each of the request's budgets (the async one
   with ``asyncio.sleep``). It paces only requests the library marks as its own (a context
   variable), so a client shared with other code is paced for the library's requests only.
2. A ``needs-retry`` handler on the operation's own event, which botocore calls before its retry
   handler, takes a throttled answer of a paced request away from botocore: botocore neither
   retries it nor spends its retry quota on it (which would leave no retries for the errors
   that need them). `paced()` tells the budgets, which cut their rate, and sends the request
   again at their pace, for as long as it takes, until ``patience`` seconds pass without any
   request of the budgets succeeding. Then it raises `TooManyRequestsError` (the iterators add
   the exact resume token). Other errors are botocore's to retry as usual.
3. The answer is translated (`_errors.translated()`).

Iterators never see a budget.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from botocore import xform_name
from botocore.exceptions import ClientError

from cognito_groups._errors import LIST_GROUPS, LIST_USERS_IN_GROUP, translated
from cognito_groups._listing._validate import check_flag, check_max_rps, check_patience
from cognito_groups._pacing._pace import Pace, PaceState
from cognito_groups._pacing._quotas import OPERATION_QUOTAS, QuotaCategory
from cognito_groups._pacing._store import (
    BUSY,
    BUSY_DELAY,
    LocalPaceStore,
    PaceStore,
    budget_folder,
    digest,
    identity,
    open_store,
)

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

#: A request of the library's: keyword parameters in, the parsed response out.
Call = Callable[..., Mapping[str, Any]]
#: Its awaited twin.
AsyncCall = Callable[..., Awaitable[Mapping[str, Any]]]

__all__ = [
    "DEFAULT_PATIENCE",
    "THROTTLING_CODES",
    "AsyncCall",
    "BudgetHome",
    "Call",
    "CategoryBudget",
    "FacadeBudgets",
    "Pacer",
    "RequestBudget",
    "apaced",
    "list_groups_budget",
    "paced",
    "user_list_budget",
]

_log = logging.getLogger("cognito_groups")

#: Seconds a paced request goes on being throttled, without any request of its budgets
#: succeeding, before it gives up.
DEFAULT_PATIENCE = 120.0
#: The error codes of a throttled answer (Cognito's, and botocore's other throttling codes).
THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
#: Seconds between two DEBUG records of a budget's rate going up.
_RISE_LOG_SECONDS = 1.0

#: The operations the library sends, paced when a budget applies: those of the quota table.
_OPERATIONS = tuple(OPERATION_QUOTAS)
_HANDLER_ID = "cognito-groups-budget"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/,\s]*/([^/,\s]+)/")


class BudgetHome:
    """Where the budgets of one facade keep their pace (see `_store`).

    Shared (the default): the file of the account and Region of the first request sent, read
    off that signed request; until then, and with ``shared=False``, this process alone.
    """

    __slots__ = ("_early", "_folder", "_lock", "_store")

    def __init__(self, *, shared: bool = True) -> None:
        self._folder = budget_folder() if shared else None
        self._early = LocalPaceStore()
        self._store: PaceStore | None = None if self._folder is not None else self._early
        self._lock = threading.Lock()

    @property
    def store(self) -> PaceStore:
        """The store of the budgets' states (this process's own until the first request)."""
        store = self._store
        return self._early if store is None else store

    @property
    def path(self) -> Path | None:
        """The shared file in use (``None``: the budgets are this process's alone)."""
        store = self._store
        return None if store is None else store.path

    def bind(self, request: Any) -> None:
        """Settle the store on the first request: the file of its account and Region."""
        if self._store is not None:
            return
        with self._lock:
            if self._store is not None:
                return
            folder = self._folder
            assert folder is not None  # noqa: S101 (else the store was set at once)
            url = str(getattr(request, "url", "") or "")
            endpoint = url.split("://", 1)[-1].split("/", 1)[0]
            scheme = url.split("://", 1)[0] if "://" in url else ""
            headers: Any = getattr(request, "headers", None) or {}
            signature = headers.get("Authorization") or b""
            if isinstance(signature, bytes):
                signature = signature.decode("latin-1")
            found = _CREDENTIAL.search(str(signature))
            key_id, region = (found.group(1), found.group(2)) if found else ("", "")
            name = identity(f"{scheme}://{endpoint}", region, key_id)
            self._store = open_store(folder, name)


class RequestBudget:
    """The adaptive budget of one quota bucket, thread-safe (the algorithm: ``_budget``).

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


class CategoryBudget:
    """The budgets of a quota category: one per pool (with a limit per pool), within one for all.

    A request takes a token from its pool's budget and then from the category's. A pool's
    budget is made on its first request. Thread-safe; shared by the tasks of an event loop.
    Its state is the account budget's: `rate`, `ceiling`, `throttled`, `shared`; `pool()` has
    a pool's.
    """

    __slots__ = ("_account", "_clock", "_home", "_lock", "_pools", "category")

    def __init__(
        self,
        category: QuotaCategory,
        home: BudgetHome,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.category = category
        self._home = home
        self._clock = clock
        self._account = RequestBudget(
            category.name,
            category.name,
            category.account_rps,
            home,
            clock=clock,
            burst_max=category.burst_max,
        )
        self._pools: dict[str, RequestBudget] = {}
        self._lock = threading.Lock()

    def pool(self, user_pool_id: str) -> RequestBudget:
        """The budget of one pool's requests (the category's, if it has no limit per pool)."""
        rate = self.category.pool_rps
        if rate is None:
            return self._account
        with self._lock:
            budget = self._pools.get(user_pool_id)
            if budget is None:
                budget = self._pools[user_pool_id] = RequestBudget(
                    f"{self.category.name} of {user_pool_id}",
                    f"{self.category.name} {digest(user_pool_id)}",
                    rate,
                    self._home,
                    clock=self._clock,
                    burst_max=self.category.burst_max,
                )
        return budget

    def budgets(self, params: Mapping[str, Any]) -> tuple[RequestBudget, ...]:
        """The budget of the request's pool (``UserPoolId``), then the category's."""
        pool = self.pool(str(params.get("UserPoolId", "")))
        return (self._account,) if pool is self._account else (pool, self._account)

    @property
    def ceiling(self) -> float:
        """The category's limit per account, in requests per second."""
        return self._account.ceiling

    @property
    def rate(self) -> float:
        """The rate the category's budget allows now."""
        return self._account.rate

    @property
    def throttled(self) -> int:
        """The throttled answers the category's requests got (in this process)."""
        return self._account.throttled

    @property
    def shared(self) -> Path | None:
        """The file it shares with the machine's other processes (``None``: not shared)."""
        return self._home.path

    @property
    def home(self) -> BudgetHome:
        """Where its states live."""
        return self._home


class FacadeBudgets:
    """What the sync and async facades share of their budgets: the options, the budgets.

    ``max_rps`` (a ceiling for ``ListUsersInGroup``, and the pacing of its single-group
    listings), ``patience`` and ``shared_budget`` are checked here, once for both facades.
    """

    __slots__ = ("_budget", "_groups_budget", "_max_rps", "_patience")

    def __init__(self, max_rps: object, patience: object, shared_budget: object) -> None:
        self._max_rps = check_max_rps(max_rps)
        self._patience = check_patience(patience)
        home = BudgetHome(shared=check_flag("shared_budget", shared_budget))
        self._budget = user_list_budget(home, self._max_rps)
        self._groups_budget = list_groups_budget(home)

    def _pacer(self, *, paced: bool = True) -> Pacer | None:
        """How ``ListUsersInGroup`` requests are paced (``None``: not)."""
        return Pacer(self._budget, self._patience) if paced else None

    def _users_pacer(self) -> Pacer | None:
        """How `iter_users()` and `iter_pages()` are paced: by ``max_rps`` only."""
        return self._pacer(paced=self._max_rps is not None)

    def _groups_pacer(self) -> Pacer:
        """How ``ListGroups`` requests are paced."""
        return Pacer(self._groups_budget, self._patience)

    @property
    def max_rps(self) -> float | None:
        """The ceiling given for ``ListUsersInGroup`` in requests per second (``None``: none)."""
        return self._max_rps

    @property
    def patience(self) -> float:
        """Seconds a paced request may stay throttled without any success before it fails."""
        return self._patience

    @property
    def budget(self) -> RequestBudget:
        """The ``ListUsersInGroup`` budget (UserList): its ``rate``, ``ceiling``, ``throttled``."""
        return self._budget

    @property
    def groups_budget(self) -> CategoryBudget:
        """The ``ListGroups`` budgets (UserPoolResourceRead): the account's, and ``pool(id)``."""
        return self._groups_budget


class Pacer(NamedTuple):
    """How a facade paces one operation: its budget and its patience."""

    budget: RequestBudget | CategoryBudget
    patience: float = DEFAULT_PATIENCE


class _Pacing(NamedTuple):
    """The request being sent: its budgets, their home, and how its waits end early."""

    home: BudgetHome
    budgets: tuple[RequestBudget, ...]
    stop: threading.Event
    deadline: Callable[[], float]


#: The request being sent, if the library paces it.
_current: ContextVar[_Pacing | None] = ContextVar("cognito_groups_pacing", default=None)
#: When the current attempt left (its budgets' clock).
_sent_at: ContextVar[float] = ContextVar("cognito_groups_sent_at", default=-math.inf)


class Throttled(Exception):
    """A paced request was throttled (from the ``needs-retry`` handler to `paced()`, only)."""

    def __init__(self, response: Mapping[str, Any], sent_at: float) -> None:
        super().__init__("throttled")
        self.response = response
        self.sent_at = sent_at


class OutOfPatience(Exception):
    """A wait for a token outlasted the call's patience (from a handler to `paced()`)."""


class Stopped(Exception):
    """The listing was closed while a request waited for its token: it is not sent."""


@contextmanager
def pacing(
    home: BudgetHome,
    budgets: tuple[RequestBudget, ...],
    stop: threading.Event | None = None,
    deadline: Callable[[], float] | None = None,
) -> Generator[None, None, None]:
    """Mark the requests sent inside as the library's, paced by ``budgets``."""
    token = _current.set(_Pacing(home, budgets, stop or threading.Event(), deadline or _never))
    try:
        yield
    finally:
        _current.reset(token)


def _never() -> float:
    return math.inf


class _Attempts:
    """What `paced()` knows of one call: when it started, its last throttle, when to give up."""

    __slots__ = ("budgets", "last", "operation", "patience", "started")

    def __init__(self, operation: str, pacer: Pacer, params: Mapping[str, Any]) -> None:
        self.operation = operation
        self.patience = pacer.patience
        self.budgets = pacer.budget.budgets(params)
        self.started = self.budgets[0].clock()
        self.last: Throttled | None = None

    def deadline(self) -> float:
        """When this call gives up: ``patience`` after its start or the budgets' last success.

        Only while its budgets are being throttled (waiting for a token is not being
        throttled): since then, no deadline until a throttle.
        """
        since = max(self.started, *(budget.last_success for budget in self.budgets))
        if self._last_throttle(since) is None:
            return math.inf
        return since + self.patience

    def _last_throttle(self, since: float) -> Mapping[str, Any] | None:
        """The last throttled answer of this call or its budgets after ``since``, if any."""
        if self.last is not None:
            return self.last.response
        found = [b.last_throttle for b in self.budgets]
        latest = max((seen for seen in found if seen is not None and seen[0] >= since),
                     default=None, key=lambda seen: seen[0])  # fmt: skip
        return None if latest is None else latest[1]

    def throttled(self, signal: Throttled) -> None:
        """Tell the budgets; give up once patience is out."""
        self.last = signal
        for budget in self.budgets:
            budget.throttled_answer(signal.sent_at, signal.response)
        if self.budgets[0].clock() >= self.deadline():
            raise self.give_up()

    def give_up(self) -> ClientError:
        """The last throttle, as the ClientError to translate, saying that patience ran out."""
        found = self._last_throttle(-math.inf)
        assert found is not None  # noqa: S101 (no deadline before a throttle)
        response = dict(found)
        error = dict(response.get("Error") or {})
        said = error.get("Message")
        error["Message"] = (
            f"throttled for {self.patience:g} s without a request getting through (patience)"
            + (f": {said}" if said else "")
        )
        response["Error"] = error
        _log.debug("%s: %s", self.operation, error["Message"])
        return ClientError(cast("Any", response), self.operation)

    def succeeded(self) -> None:
        sent_at = _sent_at.get()
        for budget in self.budgets:
            budget.succeeded(sent_at)


class PacedCall:
    """A request of the library's, paced (if ``pacer``) and translated: a sync `Call`.

    `cancel()` ends its waits: a listing closed while its requests wait for tokens, or are
    throttled again and again, does not wait them out (the request waiting is not sent; one
    in flight is answered, then not sent again).
    """

    __slots__ = ("_client", "_name", "_operation", "_pacer", "_stop")

    def __init__(self, client: Any, operation: str, pacer: Pacer | None) -> None:
        self._client = client
        self._operation = operation
        self._pacer = pacer
        self._name = _method_name(client, operation, pacer, _before_send)
        self._stop = threading.Event()

    def cancel(self) -> None:
        """End the waits of the requests in progress, and of any later one."""
        self._stop.set()

    def __call__(self, **params: Any) -> Mapping[str, Any]:
        operation, pacer = self._operation, self._pacer
        send = getattr(self._client, self._name)
        if pacer is None:
            with translated(operation):
                response: Mapping[str, Any] = send(**params)
                return response
        attempts = _Attempts(operation, pacer, params)
        home = pacer.budget.home
        with translated(operation):
            while True:
                try:
                    with pacing(home, attempts.budgets, self._stop, attempts.deadline):
                        response = send(**params)
                except Throttled as signal:
                    attempts.throttled(signal)
                    if self._stop.is_set():
                        raise attempts.give_up() from None
                    continue
                except OutOfPatience:
                    raise attempts.give_up() from None
                attempts.succeeded()
                return response


def paced(client: Any, operation: str, pacer: Pacer | None) -> PacedCall:
    """``client``'s method for ``operation``: paced by ``pacer`` (if any), errors translated.

    With a pacer, the handlers are registered on the client (once); every attempt takes a
    token from each of its budgets, and a throttled attempt is sent again at their pace until
    ``patience`` runs out (see the module's docstring).
    """
    return PacedCall(client, operation, pacer)


def apaced(client: Any, operation: str, pacer: Pacer | None) -> AsyncCall:
    """`paced()` for an aiobotocore client: the budgets' waits never block the event loop.

    A task cancelled while it waits stops at once (``asyncio.sleep`` raises): no `cancel()`.
    """
    name = _method_name(client, operation, pacer, _before_send_async)
    if pacer is None:

        async def plain(**params: Any) -> Mapping[str, Any]:
            with translated(operation):
                response: Mapping[str, Any] = await getattr(client, name)(**params)
                return response

        return plain

    home = pacer.budget.home

    async def call(**params: Any) -> Mapping[str, Any]:
        attempts = _Attempts(operation, pacer, params)
        with translated(operation):
            while True:
                try:
                    with pacing(home, attempts.budgets, deadline=attempts.deadline):
                        response: Mapping[str, Any] = await getattr(client, name)(**params)
                except Throttled as signal:
                    attempts.throttled(signal)
                    continue
                except OutOfPatience:
                    raise attempts.give_up() from None
                attempts.succeeded()
                return response

    return call


def _before_send(request: Any = None, **_: Any) -> None:
    current = _current.get()
    if current is None or not current.budgets:
        return
    current.home.bind(request)
    for budget in current.budgets:
        budget.wait(current.stop, current.deadline)
    _sent_at.set(current.budgets[0].clock())


async def _before_send_async(request: Any = None, **_: Any) -> None:
    current = _current.get()
    if current is None or not current.budgets:
        return
    current.home.bind(request)
    for budget in current.budgets:
        await budget.await_turn(current.deadline)
    _sent_at.set(current.budgets[0].clock())


def _take_throttle(response: Any = None, **_: Any) -> None:
    """``needs-retry``: a throttled answer of a paced request is `paced()`'s, not botocore's."""
    current = _current.get()
    if response is None or current is None or not current.budgets:
        return
    parsed: Mapping[str, Any] = response[1]
    error: Any = parsed.get("Error") or {}
    if error.get("Code") in THROTTLING_CODES:
        raise Throttled(parsed, _sent_at.get())


def _method_name(client: Any, operation: str, pacer: Pacer | None, handler: Any) -> str:
    """The name of ``client``'s method for ``operation``; the handlers registered if paced."""
    if pacer is not None:
        _register(client, handler)
    return xform_name(operation)


def _register(client: Any, handler: Any) -> None:
    """Register the pacing handlers on a client's events for every operation (idempotent)."""
    events = client.meta.events
    service = client.meta.service_model.service_id.hyphenize()
    for operation in _OPERATIONS:
        events.register(
            f"before-send.{service}.{operation}", handler, unique_id=f"{_HANDLER_ID}-{operation}"
        )
        events.register_first(
            f"needs-retry.{service}.{operation}",
            _take_throttle,
            unique_id=f"{_HANDLER_ID}-throttle-{operation}",
        )


def user_list_budget(
    home: BudgetHome,
    max_rps: float | None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> RequestBudget:
    """The budget of ``ListUsersInGroup`` (UserList): adaptive up to the quota or ``max_rps``."""
    category = OPERATION_QUOTAS[LIST_USERS_IN_GROUP]
    return RequestBudget(
        f"{LIST_USERS_IN_GROUP} ({category.name})",
        category.name,
        category.account_rps,
        home,
        limit=max_rps,
        clock=clock,
        burst_max=category.burst_max,
    )


def list_groups_budget(home: BudgetHome) -> CategoryBudget:
    """The budgets of ``ListGroups``: its category's limits per pool and per account."""
    return CategoryBudget(OPERATION_QUOTAS[LIST_GROUPS], home)
