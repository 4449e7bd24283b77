"""Typed, streaming listing of the members of an Amazon Cognito user-pool group.

Example:
    ```python
    import cognito_groups

    for user in cognito_groups.iter_users_in_group("us-east-1_AbC123", "admins"):
        print(user.username, user.user_status, user.get_attribute("email"))
    ```
"""

from cognito_groups._client._async import AsyncCognitoGroups
from cognito_groups._client._async_iterators import (
    AsyncGroupIterator,
    AsyncMembershipIterator,
    AsyncPageIterator,
    AsyncUserIterator,
)
from cognito_groups._client._async_shortcut import aiter_users_in_group
from cognito_groups._client._iterators import (
    GroupIterator,
    MembershipIterator,
    PageIterator,
    UserIterator,
)
from cognito_groups._client._shortcut import iter_users_in_group
from cognito_groups._client._sync import CognitoGroups
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
from cognito_groups._mirror._errors import (
    DatabaseAuthenticationError,
    DatabaseUnavailableError,
    DatabaseWriteError,
    InterruptedSyncError,
    MirrorError,
    NotAMirrorError,
    SchemaVersionError,
    SyncInProgressError,
    UnknownGroupError,
)
from cognito_groups._mirror._mirror import Mirror
from cognito_groups._mirror._records import MembershipChange, SyncProgress, SyncRecord
from cognito_groups._mirror._snapshot import MirrorSnapshot
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
from cognito_groups._pacing._budget import RequestBudget
from cognito_groups._pacing._categories import CategoryBudget
from cognito_groups._version import __version__

__all__ = [
    "AsyncCognitoGroups",
    "AsyncGroupIterator",
    "AsyncMembershipIterator",
    "AsyncPageIterator",
    "AsyncUserIterator",
    "Attribute",
    "CategoryBudget",
    "ClientSetupError",
    "CognitoGroups",
    "CognitoGroupsError",
    "CognitoServiceError",
    "ConnectionFailedError",
    "CredentialsError",
    "DatabaseAuthenticationError",
    "DatabaseUnavailableError",
    "DatabaseWriteError",
    "DeliveryMedium",
    "Group",
    "GroupIterator",
    "InternalError",
    "InterruptedSyncError",
    "InvalidParameterError",
    "MFAOption",
    "MalformedResponseError",
    "Membership",
    "MembershipChange",
    "MembershipIterator",
    "Mirror",
    "MirrorError",
    "MirrorSnapshot",
    "NotAMirrorError",
    "NotAuthorizedError",
    "OperationNotEnabledError",
    "Page",
    "PageIterator",
    "PaginationError",
    "RegionError",
    "RequestBudget",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "SchemaVersionError",
    "SyncInProgressError",
    "SyncProgress",
    "SyncRecord",
    "TooManyRequestsError",
    "TransportError",
    "UnknownGroupError",
    "User",
    "UserIterator",
    "UserStatus",
    "__version__",
    "aiter_users_in_group",
    "iter_users_in_group",
]


def _publish() -> None:
    """Make tracebacks and reprs read ``cognito_groups.User``, not the private module."""
    for name in __all__:
        obj = globals().get(name)
        if isinstance(obj, type):
            obj.__module__ = __name__


_publish()
del _publish
