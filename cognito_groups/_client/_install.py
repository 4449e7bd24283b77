"""How to install an extra, for the errors that need one: the package is not on PyPI yet.

Until it is published, installing that name from the index fails, and would install
whatever someone else registers under it later: every hint names a checkout or the wheel that
``make dist`` builds from one, never the name on the package index.
"""

from __future__ import annotations

from cognito_groups._version import __version__

__all__ = ["WHEEL", "install_hint"]

#: The wheel ``make dist`` builds (``dist/`` of a checkout).
WHEEL = f"cognito_groups-{__version__}-py3-none-any.whl"


def install_hint(extra: str) -> str:
    """How to install the package with ``extra``, from a checkout or from its wheel."""
    return (
        f"install cognito-groups with its {extra} extra, from a checkout "
        f"(pip install '/path/to/cognito-groups[{extra}]') or from the wheel of make dist "
        f"(pip install 'dist/{WHEEL}[{extra}]')"
    )
