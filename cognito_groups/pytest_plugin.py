"""The pytest plugin of cognito-groups: the ``cognito_stub`` fixture. Opt in to use it.

In your ``conftest.py``::

    pytest_plugins = ["cognito_groups.pytest_plugin"]

or on the command line, ``pytest -p cognito_groups.pytest_plugin``. It is not registered
automatically (no ``pytest11`` entry point): a plugin loaded by every pytest run of every
project that installs this library would import boto3 there too, for nothing. Nothing else in
the package imports pytest.
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
    """A `GroupStub`; at teardown, every queued response used."""
    with GroupStub() as stub:
        yield stub
        stub.assert_all_used()
