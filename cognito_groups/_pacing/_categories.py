"""The budgets of each quota category the library sends in, and of each of its pools.

``ListUsersInGroup`` (UserList) takes a token from one budget of the account; ``ListGroups``
(UserPoolResourceRead) from its pool's budget and then from the category's (`CategoryBudget`),
each a `RequestBudget` (`_budget`).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from cognito_groups._errors import LIST_GROUPS, LIST_USERS_IN_GROUP
from cognito_groups._pacing._budget import RequestBudget
from cognito_groups._pacing._quotas import OPERATION_QUOTAS, QuotaCategory
from cognito_groups._pacing._store import digest

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from cognito_groups._pacing._home import BudgetHome

__all__ = ["CategoryBudget", "list_groups_budget", "user_list_budget"]


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
