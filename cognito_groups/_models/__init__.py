"""The typed values the library returns, and the one way it writes and reads a moment.

One concern per module:

* ``_values``: `User`, `Attribute`, `MFAOption`, `Group`, `Membership`, `Page` and the enums,
  built from the service's wire dicts;
* ``_time``: moments: the one text shape every file and database of the library writes
  (`format_moment()`, `parse_moment()`), and the service's timestamps parsed to UTC.
"""

from cognito_groups._models import _time, _values
from cognito_groups._models._time import *  # noqa: F403 (the package's names are theirs)
from cognito_groups._models._values import *  # noqa: F403

__all__: list[str] = []
__all__ += _values.__all__
__all__ += _time.__all__
