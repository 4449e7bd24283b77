"""Request budgets: requests per second, shared by every thread and task that sends through them.

Cognito limits requests per quota category (`_quotas.OPERATION_QUOTAS`), for the whole account
and Region. `RequestBudget` is a smooth token bucket: it refills at ``rate`` tokens
per second up to ``burst`` tokens (at most `BURST_MAX`: a burst as large as the rate would
make a client at 28/s overrun a 30/s quota at start-up), and each request takes one token at
the moment it is sent, waiting while there is none. The take is atomic under a lock, and a
thread or task that wakes up late (a busy machine) checks again rather than going on a
reservation made earlier, so requests never leave faster than the bucket allows, across
threads and tasks. The async wait is ``asyncio.sleep``: it never blocks the loop.

Each category has budgets of its own, so that one category's requests never take another's
tokens. UserList (``ListUsersInGroup``) is paced by one `RequestBudget` (``max_rps``, or
`DEFAULT_MEMBERSHIP_RPS` in ``iter_memberships``). UserPoolResourceRead (``ListGroups``) is
paced by a `CategoryBudget`: a request takes a token from its pool's bucket (the category's
limit per pool) and then from the category's bucket (its limit per account).

Every attempt counts, retries included: the budget is taken in a ``before-send`` handler that
botocore (and aiobotocore, awaiting it) calls for each attempt. The handler paces only requests
the library marks as its own (`pacing()`, a context variable), so a client you share with
other code is paced for the library's requests only.

`paced()` and `apaced()` are the one place a request is paced: the facades build every call
they hand to an iterator with them (paced by a budget or not, and translated by
`_errors.translated()`); iterators never see a budget.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from botocore import xform_name

from cognito_groups._errors import LIST_GROUPS, translated
from cognito_groups._quotas import OPERATION_QUOTAS, QuotaCategory

if TYPE_CHECKING:
    from collections.abc import Generator

#: A request of the library's: keyword parameters in, the parsed response out.
Call = Callable[..., Mapping[str, Any]]
#: Its awaited twin.
AsyncCall = Callable[..., Awaitable[Mapping[str, Any]]]

__all__ = [
    "BURST_MAX",
    "DEFAULT_MEMBERSHIP_RPS",
    "AsyncCall",
    "Call",
    "CategoryBudget",
    "Pace",
    "RequestBudget",
    "apaced",
    "list_groups_budget",
    "paced",
]

#: The largest burst a budget allows, in requests.
BURST_MAX = 5
#: The budget of ``iter_memberships`` on a facade without ``max_rps``: below the quota of about
#: 30 requests per second, so that default arguments never provoke throttling on their own.
DEFAULT_MEMBERSHIP_RPS = 25.0

#: The operations the library sends, paced when a budget applies: those of the quota table.
_OPERATIONS = tuple(OPERATION_QUOTAS)
_HANDLER_ID = "cognito-groups-budget"

#: The budgets the request being sent takes a token from, in order (empty: not paced).
_current: ContextVar[tuple[RequestBudget, ...]] = ContextVar("cognito_groups_budget", default=())


class Pace(Protocol):
    """What paces an operation's requests: the budgets one request takes a token from."""

    def budgets(self, params: Mapping[str, Any]) -> tuple[RequestBudget, ...]:
        """The budgets of the request with these parameters, in the order they are taken."""
        ...


class RequestBudget:
    """A smooth token bucket of ``rate`` requests per second, burst ``min(5, max(1, rate))``.

    It starts with one token, not full: the first requests of a job go out at the rate, and a
    burst is only ever the spare capacity of an idle moment. (Started full, the burst meets the
    service's own burst while the first requests are still on their way, since connecting
    delays them more than the requests that follow: measured against a 30/s quota with burst 5,
    a budget of 25/s started full was throttled at start-up.) Thread-safe; `wait()` and
    `await_turn()` take one request's token.
    """

    __slots__ = ("_clock", "_lock", "_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(min(BURST_MAX, max(1.0, math.floor(rate))))
        self._clock = clock  # seconds; a test's own clock makes the arithmetic exact
        self._tokens = 1.0
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take a token if there is one (return 0), else return how long until there is one."""
        with self._lock:
            now = self._clock()
            tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if tokens >= 1.0:
                self._tokens = tokens - 1.0
                return 0.0
            self._tokens = tokens
        return (1.0 - tokens) / self.rate

    def wait(self) -> None:
        """Block this thread until it has taken a token."""
        while (delay := self.take()) > 0:
            time.sleep(delay)

    async def await_turn(self) -> None:
        """Wait, without blocking the event loop, until this task has taken a token."""
        while (delay := self.take()) > 0:
            await asyncio.sleep(delay)

    def budgets(self, params: Mapping[str, Any]) -> tuple[RequestBudget, ...]:
        """This budget alone, whatever the request (`Pace`)."""
        del params
        return (self,)


class CategoryBudget:
    """The budgets of a quota category: one `RequestBudget` per user pool, within one for all.

    A request takes a token from its pool's budget (``category.pool_rps``, if the category
    has a limit per pool) and then from the category's (``category.account_rps``). A pool's
    budget is made on its first request. Thread-safe; shared by the tasks of an event loop.
    """

    __slots__ = ("_account", "_clock", "_lock", "_pools", "category")

    def __init__(
        self, category: QuotaCategory, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.category = category
        self._clock = clock
        self._account = RequestBudget(category.account_rps, clock=clock)
        self._pools: dict[str, RequestBudget] = {}
        self._lock = threading.Lock()

    def budgets(self, params: Mapping[str, Any]) -> tuple[RequestBudget, ...]:
        """The budget of the request's pool (``UserPoolId``), then the category's."""
        rate = self.category.pool_rps
        if rate is None:
            return (self._account,)
        pool = str(params.get("UserPoolId", ""))
        with self._lock:
            budget = self._pools.get(pool)
            if budget is None:
                budget = self._pools[pool] = RequestBudget(rate, clock=self._clock)
        return (budget, self._account)


def list_groups_budget() -> CategoryBudget:
    """A new budget for ``ListGroups``: its category's limits per pool and per account."""
    return CategoryBudget(OPERATION_QUOTAS[LIST_GROUPS])


@contextmanager
def pacing(budgets: tuple[RequestBudget, ...]) -> Generator[None, None, None]:
    """Mark the requests sent inside as the library's, paced by ``budgets`` (empty: not)."""
    token = _current.set(budgets)
    try:
        yield
    finally:
        _current.reset(token)


def paced(client: Any, operation: str, budget: Pace | None) -> Call:
    """``client``'s method for ``operation``: paced by ``budget`` (if any), errors translated.

    With a budget, the pacing handler is registered on the client (once) and every attempt
    of the request, retries included, takes a token from each of its budgets.
    """
    name = _method_name(client, operation, budget, _before_send)

    def call(**params: Any) -> Mapping[str, Any]:
        with pacing(_budgets(budget, params)), translated(operation):
            response: Mapping[str, Any] = getattr(client, name)(**params)
            return response

    return call


def apaced(client: Any, operation: str, budget: Pace | None) -> AsyncCall:
    """`paced()` for an aiobotocore client: the budget's wait never blocks the event loop."""
    name = _method_name(client, operation, budget, _before_send_async)

    async def call(**params: Any) -> Mapping[str, Any]:
        with pacing(_budgets(budget, params)), translated(operation):
            response: Mapping[str, Any] = await getattr(client, name)(**params)
            return response

    return call


def _budgets(budget: Pace | None, params: Mapping[str, Any]) -> tuple[RequestBudget, ...]:
    return () if budget is None else budget.budgets(params)


def _before_send(**_: Any) -> None:
    for budget in _current.get():
        budget.wait()


async def _before_send_async(**_: Any) -> None:
    for budget in _current.get():
        await budget.await_turn()


def _method_name(client: Any, operation: str, budget: Pace | None, handler: Any) -> str:
    """The name of ``client``'s method for ``operation``, looked up at each call.

    The pacing ``handler`` is registered on the client if there is a budget.
    """
    if budget is not None:
        _register(client, handler)
    return xform_name(operation)


def _register(client: Any, handler: Any) -> None:
    """Register the pacing ``handler`` on a client's events for every operation (idempotent)."""
    service = client.meta.service_model.service_id.hyphenize()
    for operation in _OPERATIONS:
        client.meta.events.register(
            f"before-send.{service}.{operation}", handler, unique_id=f"{_HANDLER_ID}-{operation}"
        )
