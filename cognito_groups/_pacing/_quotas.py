"""Cognito's request-rate quotas: each operation the library sends, with its category's limits.

Source: "Quotas in Amazon Cognito", section "Amazon Cognito user pools API operation
categories and request rate quotas",
https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html. The page groups the
user-pool operations into categories; a category's quota is a number of requests per second
for all its operations together, per AWS account and Region (across all the account's user
pools), so every program of the account shares it.

- ``ListUsersInGroup``: UserList, 30 per account and Region (not adjustable).
- ``ListGroups``: UserPoolResourceRead, 20 per account and Region, and 5 for one operation on
  a single user pool.

``ListUsers`` is in UserList too; the library does not send it. What the page says and what
this table assumes: the extracts of the page read when this table was written (December 2026)
confirm that the quotas are per category, per account and Region, for all the category's
operations together; they did not show the rows of the two categories. The figures above are
issue 22's (UserList 30, not adjustable; UserPoolResourceRead 20 per account and Region and 5
for ``ListGroups`` on one pool), which its measurements were made against: check them against
the page's table before relying on them. An account may have bought more capacity; the table
keeps the defaults, the floor every account has.

A test (``tests/test_quotas.py``) fails if the library sends an operation this table lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from cognito_groups._errors import LIST_GROUPS, LIST_USERS_IN_GROUP

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OPERATION_QUOTAS", "USER_LIST", "USER_POOL_RESOURCE_READ", "QuotaCategory"]


@dataclass(frozen=True, slots=True)
class QuotaCategory:
    """A quota category: its name and its request rates.

    Attributes:
        name: The category's name on the quotas page, e.g. ``"UserList"``.
        account_rps: Requests per second of all its operations, per account and Region.
        pool_rps: Requests per second of one of its operations on one user pool (``None``:
            no limit per pool below ``account_rps``).
        burst_max: The most requests its budgets send on tokens saved during a pause
            (``None``: the pace's own, `_pace.BURST_MAX`). AWS documents no burst for any
            quota; 1 is for a category whose requests gain nothing from one.
    """

    name: str
    account_rps: float
    pool_rps: float | None = None
    burst_max: int | None = None


USER_LIST = QuotaCategory("UserList", account_rps=30.0)
#: ``ListGroups``' pages follow each other (one request at a time): a burst saves no time, and
#: against a service bucket that saves no token (a request admitted only 200 ms after the last
#: one, on one pool) it cost 2 throttles and 1.36x the floor of 5 per second.
USER_POOL_RESOURCE_READ = QuotaCategory(
    "UserPoolResourceRead", account_rps=20.0, pool_rps=5.0, burst_max=1
)

#: Each operation the library sends -> its quota category.
OPERATION_QUOTAS: Mapping[str, QuotaCategory] = MappingProxyType(
    {
        LIST_USERS_IN_GROUP: USER_LIST,
        LIST_GROUPS: USER_POOL_RESOURCE_READ,
    }
)
