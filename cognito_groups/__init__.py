"""Typed, streaming listing of the members of an Amazon Cognito user-pool group.

Example:
    >>> import cognito_groups
    >>> for user in cognito_groups.iter_users_in_group(  # doctest: +SKIP
    ...     "us-east-1_AbC123", "admins"
    ... ):
    ...     print(user.username, user.user_status, user.get_attribute("email"))
"""

from typing import TYPE_CHECKING, Any

from cognito_groups._async_multi import AsyncGroupIterator, AsyncMembershipIterator
from cognito_groups._client import CognitoGroups, iter_users_in_group
from cognito_groups._errors import (
    ClientSetupError,
    CognitoGroupsError,
    CognitoServiceError,
    ConnectionFailedError,
    CredentialsError,
    InternalError,
    InvalidParameterError,
    MalformedResponseError,
    NotAuthorizedError,
    OperationNotEnabledError,
    PaginationError,
    RegionError,
    RequestTimeoutError,
    ResourceNotFoundError,
    TooManyRequestsError,
    TransportError,
)
from cognito_groups._iterators import PageIterator, UserIterator
from cognito_groups._models import (
    Attribute,
    DeliveryMedium,
    Group,
    Membership,
    MFAOption,
    Page,
    User,
    UserStatus,
)
from cognito_groups._multi import GroupIterator, MembershipIterator
from cognito_groups._version import __version__

if TYPE_CHECKING:  # imported on first use: aiobotocore is an optional extra
    from cognito_groups._async import (
        AsyncCognitoGroups,
        AsyncPageIterator,
        AsyncUserIterator,
        aiter_users_in_group,
    )

__all__ = [
    "AsyncCognitoGroups",
    "AsyncGroupIterator",
    "AsyncMembershipIterator",
    "AsyncPageIterator",
    "AsyncUserIterator",
    "Attribute",
    "ClientSetupError",
    "CognitoGroups",
    "CognitoGroupsError",
    "CognitoServiceError",
    "ConnectionFailedError",
    "CredentialsError",
    "DeliveryMedium",
    "Group",
    "GroupIterator",
    "InternalError",
    "InvalidParameterError",
    "MFAOption",
    "MalformedResponseError",
    "Membership",
    "MembershipIterator",
    "NotAuthorizedError",
    "OperationNotEnabledError",
    "Page",
    "PageIterator",
    "PaginationError",
    "RegionError",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "TooManyRequestsError",
    "TransportError",
    "User",
    "UserIterator",
    "UserStatus",
    "__version__",
    "aiter_users_in_group",
    "iter_users_in_group",
]

_ASYNC_NAMES = frozenset(
    {"AsyncCognitoGroups", "AsyncPageIterator", "AsyncUserIterator", "aiter_users_in_group"}
)


def __getattr__(name: str) -> Any:
    """Import the async twin on first use, so that the core never needs aiobotocore."""
    if name in _ASYNC_NAMES:
        from cognito_groups import _async

        value = getattr(_async, name)
        if isinstance(value, type):
            value.__module__ = __name__
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ASYNC_NAMES})


def _publish() -> None:
    """Make tracebacks and reprs read ``cognito_groups.User``, not the private module."""
    for name in __all__:
        obj = globals().get(name)
        if isinstance(obj, type):
            obj.__module__ = __name__


_publish()
del _publish
