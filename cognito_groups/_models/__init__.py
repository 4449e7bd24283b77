"""The typed values the library returns, and the one way it writes and reads a moment.

One concern per module:

* ``_values``: `User`, `Attribute`, `MFAOption`, `Group`, `Membership`, `Page` and the enums,
  built from the service's wire dicts;
* ``_time``: moments: the one text shape every file and database of the library writes
  (`format_moment()`, `parse_moment()`), and the service's timestamps parsed to UTC.
"""

from cognito_groups._models._time import parse_utc_timestamp
from cognito_groups._models._values import (
    Attribute,
    DeliveryMedium,
    Group,
    Membership,
    MFAOption,
    Page,
    User,
    UserStatus,
)

__all__ = [
    "Attribute",
    "DeliveryMedium",
    "Group",
    "MFAOption",
    "Membership",
    "Page",
    "User",
    "UserStatus",
    "parse_utc_timestamp",
]
