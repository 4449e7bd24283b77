"""Requests a facade sent (every attempt) and the throttled answers it got.

Used by the command line (its progress and summary) and by the mirror (each sync's
``requests`` and ``throttled``). A request is counted when it leaves, from botocore's events:
the budget's handler, on the operation's own event, runs before this one on the service's
(botocore calls the most specific first). Throttled answers are those the budgets saw (a paced
request's throttles never reach botocore's retries: `_budget`), since the counter was made,
and those botocore's retry handler was asked about (an unpaced request's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from cognito_groups._client._sync import CognitoGroups

__all__ = ["RequestCounter"]

_THROTTLED = "TooManyRequestsException"


class RequestCounter:
    """Counts the requests ``cognito`` sends and its throttled answers, until `close()`.

    ``sent``: also called for each request sent (e.g. to measure a rate). ``user_pool_id``: the
    pool ``cognito`` is about to list (its client is built for it, if none was yet).
    """

    def __init__(
        self,
        cognito: CognitoGroups,
        user_pool_id: str | None = None,
        *,
        sent: Callable[[], None] | None = None,
    ) -> None:
        self.requests = 0
        self._unpaced = 0  # throttles botocore's retry handler was asked about
        self._cognito = cognito
        self._before = self._paced()
        self._then = sent
        client = cognito.client if user_pool_id is None else cognito._client_for(user_pool_id)
        self._events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        self._sent_event = f"before-send.{service}"
        self._answer_event = f"needs-retry.{service}"
        self._events.register(self._sent_event, self._sent)
        self._events.register(self._answer_event, self._answered)

    @property
    def throttled(self) -> int:
        """Throttled answers since the counter was made."""
        return self._paced() - self._before + self._unpaced

    def _paced(self) -> int:
        return self._cognito.budget.throttled + self._cognito.groups_budget.throttled

    def _sent(self, **_: object) -> None:
        self.requests += 1
        if self._then is not None:
            self._then()

    def _answered(self, response: Any = None, **_: object) -> None:
        if response is not None:
            code = response[1].get("Error", {}).get("Code")
            if code == _THROTTLED:
                self._unpaced += 1

    def close(self) -> None:
        """Stop counting (the client's handlers are removed)."""
        self._events.unregister(self._sent_event, self._sent)
        self._events.unregister(self._answer_event, self._answered)
