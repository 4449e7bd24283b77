"""The commit cadence that export and the mirror's sync share (`_durable._cadence`)."""

from __future__ import annotations

from cognito_groups._durable._cadence import COMMIT_ROWS, COMMIT_SECONDS, Cadence


class Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rows_are_due_every_quarter_of_a_second() -> None:
    """A row added 0.25 s after the last commit is due; one added sooner is not."""
    clock = Clock()
    cadence = Cadence(clock=clock)
    assert not cadence.added(clock.now + COMMIT_SECONDS - 0.001)
    assert cadence.added(clock.now + COMMIT_SECONDS)
    clock.now += 1.0
    cadence.committed()
    assert cadence.pending == 0
    assert not cadence.added(clock.now + 0.1)


def test_rows_are_due_every_1000_rows_since_the_last_commit() -> None:
    """The 1,000th row since the last commit is due, whatever the time; counted from zero again."""
    clock = Clock()
    cadence = Cadence(clock=clock)
    due = [cadence.added(clock.now) for _ in range(COMMIT_ROWS)]
    assert due == [False] * (COMMIT_ROWS - 1) + [True]
    cadence.committed()
    assert not cadence.added(clock.now)


def test_the_first_row_is_due_at_once_when_asked_even_after_a_commit_of_none() -> None:
    """``first_at_once``: the first row is due; a commit of no rows first changes nothing."""
    clock = Clock()
    cadence = Cadence(first_at_once=True, clock=clock)
    cadence.committed()  # export's checkpoint from the very start
    assert cadence.added(clock.now)
    cadence.committed()
    assert not cadence.added(clock.now)
    assert not Cadence(clock=clock).added(clock.now)
