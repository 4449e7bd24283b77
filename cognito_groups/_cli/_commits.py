"""How ``export`` commits: the rows synced, then the checkpoint that covers them.

On the cadence of every commit (`_durable._cadence`: a quarter of a second, 1,000 rows) the
output (or ``--by-user``'s spill) is synced and only then the checkpoint replaced; the first
row is committed at once. Without a checkpoint a commit only syncs, and without an output it
flushes standard output.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Protocol

from cognito_groups._durable._cadence import Cadence

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cognito_groups import MembershipIterator, User
    from cognito_groups._cli._checkpoint_file import CheckpointFile, ExportCheckpoint
    from cognito_groups._cli._output_file import Committed

__all__ = ["Commits", "Rows", "Synced"]


class Rows(Protocol):
    """Where the rows go, counted: a `Writer`, or the spill of ``--by-user``."""

    @property
    def written(self) -> int: ...

    def write(self, user: User, lead: Mapping[str, str]) -> None: ...

    def flush(self) -> None: ...


class Synced(Protocol):
    """What a commit syncs: the output (or the spill), what it then is returned."""

    def sync(self) -> Committed: ...

    def commit(self, save: Callable[[Committed], object]) -> None: ...


class Commits:
    """When and how the export commits: the output synced, then the checkpoint replaced.

    The first row is committed at once: an output's first bytes wait in memory for the
    checkpoint that covers them (`OutputFile.commit()`), so there are few of them.
    """

    def __init__(
        self,
        prototype: ExportCheckpoint,
        memberships: MembershipIterator,
        output: Synced | None,
        checkpoint: CheckpointFile | None,
        writer: Rows,
    ) -> None:
        self._prototype = prototype
        self._memberships = memberships
        self._output = output
        self._checkpoint = checkpoint
        self._writer = writer
        self._cadence = Cadence(first_at_once=True)

    def when_due(self, now: float) -> None:
        """A row was written at ``now``: commit it, the first at once, then on the cadence."""
        if self._cadence.added(now):
            self.now()

    def now(self) -> None:
        """Commit: without ``--output``, flush stdout; else sync it and replace the checkpoint."""
        self._cadence.committed()
        output = self._output
        if output is None:
            self._writer.flush()
            return
        checkpoint = self._checkpoint
        if checkpoint is None:
            output.sync()
            return
        output.commit(lambda committed: checkpoint.save(self._checkpoint_of(committed)))

    def _checkpoint_of(self, committed: Committed) -> ExportCheckpoint:
        """The checkpoint of the rows written so far, ``committed`` to the output."""
        return dataclasses.replace(
            self._prototype,
            offset=committed.offset,
            written=self._writer.written,
            memberships=self._memberships.checkpoint,
            output_device=committed.device,
            output_inode=committed.inode,
            output_sha256=committed.sha256,
        )
