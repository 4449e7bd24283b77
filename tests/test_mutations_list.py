"""``make mutations`` names pieces of code that still exist (it stops at a stale one)."""

from __future__ import annotations

from tests.mutations import MUTATIONS, stale


def test_every_mutation_names_a_piece_found_exactly_once() -> None:
    """Each mutation's piece of code is in its file once: the mutation changes what it names."""
    assert stale() == []


def test_a_piece_the_code_no_longer_has_is_reported() -> None:
    """A mutation whose piece is gone from its file is named by ``stale()``, the others not."""
    moved = MUTATIONS[0].__class__("moved", MUTATIONS[0].path, "no such line\n", "", ())
    assert stale((moved, *MUTATIONS[:1])) == [f"{moved.path}: moved"]
