"""When a stream of rows is committed: every quarter of a second, or every 1,000 rows.

Export (its output, or ``--by-user``'s spill, then its checkpoint) and the mirror's sync (its
staged rows with the listing's cursor) commit on this one cadence: a run stopped anywhere
loses at most the last quarter of a second, or 1,000 rows, which the next run lists again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["COMMIT_ROWS", "COMMIT_SECONDS", "Cadence"]

#: The longest a row waits for its commit, in seconds (of rows arriving: a stream that
#: stalls commits with its next row, or when it ends).
COMMIT_SECONDS = 0.25
#: The most rows a commit waits for.
COMMIT_ROWS = 1000


class Cadence:
    """When the rows added since the last commit are due to be committed.

    ``first_at_once``: the first row is due at once (export's first bytes wait in memory for
    the checkpoint that covers them: few of them). ``clock``: seconds, monotonic.
    """

    __slots__ = ("_clock", "_first", "_last", "_pending")

    def __init__(
        self, *, first_at_once: bool = False, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._first = first_at_once
        self._last = clock()
        self._pending = 0

    @property
    def pending(self) -> int:
        """The rows added since the last commit."""
        return self._pending

    def added(self, now: float) -> bool:
        """A row was added at ``now``: whether a commit is due."""
        self._pending += 1
        return self._first or now - self._last >= COMMIT_SECONDS or self._pending >= COMMIT_ROWS

    def committed(self) -> None:
        """The rows were committed: the cadence starts again from now.

        A commit of no rows (export's checkpoint from the very start) leaves the first row
        still due at once.
        """
        if self._pending:
            self._first = False
        self._pending = 0
        self._last = self._clock()
