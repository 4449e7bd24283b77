"""The pytest plugin of cognito-groups: the ``cognito_stub`` fixture.

Registered through the ``pytest11`` entry point, so it is there in any project that has
cognito-groups and pytest installed; nothing else in the package imports pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cognito_groups.testing import GroupStub

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["cognito_stub"]


@pytest.fixture
def cognito_stub() -> Iterator[GroupStub]:
    """A :class:`~cognito_groups.testing.GroupStub`; at teardown, every queued response used."""
    with GroupStub() as stub:
        yield stub
        stub.assert_all_used()
