"""Requests a client sent (every attempt) and the throttled answers, from botocore's events.

Used by the command line (its progress and summary) and by the mirror (each sync's
``requests`` and ``throttled``). A request is counted when it leaves: the budget's handler, on
the operation's own event, runs before this one on the service's (botocore calls the most
specific first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

__all__ = ["RequestCounter"]

_THROTTLED = "TooManyRequestsException"


class RequestCounter:
    """Counts the requests ``client`` sends and its throttled answers, until `close()`.

    ``sent``: also called for each request sent (e.g. to measure a rate).
    """

    def __init__(
        self, client: CognitoIdentityProviderClient, *, sent: Callable[[], None] | None = None
    ) -> None:
        self.requests = 0
        self.throttled = 0
        self._then = sent
        self._events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        self._sent_event = f"before-send.{service}"
        self._answer_event = f"needs-retry.{service}"
        self._events.register(self._sent_event, self._sent)
        self._events.register(self._answer_event, self._answered)

    def _sent(self, **_: object) -> None:
        self.requests += 1
        if self._then is not None:
            self._then()

    def _answered(self, response: Any = None, **_: object) -> None:
        if response is not None:
            code = response[1].get("Error", {}).get("Code")
            if code == _THROTTLED:
                self.throttled += 1

    def close(self) -> None:
        """Stop counting (the client's handlers are removed)."""
        self._events.unregister(self._sent_event, self._sent)
        self._events.unregister(self._answer_event, self._answered)
