"""The one place a request is paced: the facades' options, the paced call, botocore's handlers.

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

import logging
import math
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from botocore import xform_name
from botocore.exceptions import ClientError

from cognito_groups._errors import translated
from cognito_groups._listing._validate import check_flag, check_max_rps, check_patience
from cognito_groups._pacing._budget import OutOfPatience, RequestBudget
from cognito_groups._pacing._categories import (
    CategoryBudget,
    list_groups_budget,
    user_list_budget,
)
from cognito_groups._pacing._home import BudgetHome
from cognito_groups._pacing._quotas import OPERATION_QUOTAS

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = [
    "DEFAULT_PATIENCE",
    "THROTTLING_CODES",
    "AsyncCall",
    "Call",
    "FacadeBudgets",
    "Pacer",
    "apaced",
    "paced",
]

#: A request of the library's: keyword parameters in, the parsed response out.
Call = Callable[..., Mapping[str, Any]]
#: Its awaited twin.
AsyncCall = Callable[..., Awaitable[Mapping[str, Any]]]

_log = logging.getLogger("cognito_groups")

#: Seconds a paced request goes on being throttled, without any request of its budgets
#: succeeding, before it gives up.
DEFAULT_PATIENCE = 120.0
#: The error codes of a throttled answer (Cognito's, and botocore's other throttling codes).
THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)

#: The operations the library sends, paced when a budget applies: those of the quota table.
_OPERATIONS = tuple(OPERATION_QUOTAS)
_HANDLER_ID = "cognito-groups-budget"


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
