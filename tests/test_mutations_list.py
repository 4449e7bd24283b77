"""``make mutations`` names pieces of code that still exist (it stops at a stale one)."""

from __future__ import annotations

from tests.mutations import MUTATIONS, stale


def test_every_mutation_names_a_piece_found_exactly_once() -> None:
    assert stale() == []


def test_a_piece_the_code_no_longer_has_is_reported() -> None:
    moved = MUTATIONS[0].__class__("moved", MUTATIONS[0].path, "no such line\n", "", ())
    assert stale((moved, *MUTATIONS[:1])) == [f"{moved.path}: moved"]
