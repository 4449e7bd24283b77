"""The exceptions the library raises (the tree is in the package's docstring)."""

from __future__ import annotations

from typing import Any, ClassVar

from botocore.exceptions import ClientError

__all__ = [
    "CONVERSION_ERRORS",
    "LIST_GROUPS",
    "LIST_USERS_IN_GROUP",
    "OPERATION_NAME",
    "ClientSetupError",
    "CognitoGroupsError",
    "CognitoServiceError",
    "ConnectionFailedError",
    "CredentialsError",
    "InternalError",
    "InvalidParameterError",
    "MalformedResponseError",
    "NotAuthorizedError",
    "OperationNotEnabledError",
    "PaginationError",
    "RegionError",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "TooManyRequestsError",
    "TransportError",
]

#: The operations the library sends (the names errors and the budget's table use).
LIST_USERS_IN_GROUP = "ListUsersInGroup"
LIST_GROUPS = "ListGroups"
#: The operation whose rules a check before sending applies.
OPERATION_NAME = LIST_USERS_IN_GROUP

#: What converting a response of the wrong shape raises (a ``Page._from_wire`` of a body that
#: does not follow the service model); it becomes `MalformedResponseError`.
CONVERSION_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


class CognitoGroupsError(Exception):
    """Base class of every exception this library raises.

    Attributes:
        next_token: Where to resume a listing that failed, exact to the user: ``None`` if
            nothing had been returned yet from a listing that started at the beginning (or if
            nothing was being listed).
        group_name: The group whose listing failed: the group of `iter_users()` and
            `iter_pages()`, or the first failing group of ``iter_memberships`` (whose
            ``checkpoint`` is then the way to resume); ``None`` when no group was being
            listed (``ListGroups``, building a client, a parameter refused before sending).
        operation: The operation that failed (``"ListUsersInGroup"`` or ``"ListGroups"``);
            ``None`` when no request was involved (building a client).
    """

    next_token: str | None
    #: The operation that failed (``ListUsersInGroup``, ``ListGroups``), else ``None``.
    operation: str | None = None
    #: The group whose listing failed (``None``: no group was being listed).
    group_name: str | None = None

    def __init__(
        self, message: str, *, next_token: str | None = None, operation: str | None = None
    ) -> None:
        super().__init__(message)
        self.next_token = next_token
        self.operation = operation


class CognitoServiceError(CognitoGroupsError, ClientError):
    """The service answered with an error.

    It is also a `botocore.exceptions.ClientError`, so existing ``except ClientError``
    handlers keep working, and ``response`` is the original parsed error response.

    Attributes:
        code: The service's error code, e.g. ``"ResourceNotFoundException"``.
        message: The service's message.
        http_status: The HTTP status of the response (``None`` for a local check).
        request_id: The service's request id (``None`` for a local check).
        operation_name: botocore's name of the operation, as `operation`.
        operation: The operation that failed, ``"ListUsersInGroup"`` or ``"ListGroups"``
            (for a check before sending, ``"ListUsersInGroup"``, whose rules it applies).
        next_token: See [`CognitoGroupsError`][cognito_groups.CognitoGroupsError].
    """

    #: The error code this class stands for (``None`` on the generic class).
    error_code: ClassVar[str | None] = None

    code: str
    message: str
    http_status: int | None
    request_id: str | None

    def __init__(
        self,
        error_response: Any,
        operation_name: str = OPERATION_NAME,
        *,
        next_token: str | None = None,
    ) -> None:
        ClientError.__init__(self, error_response, operation_name)
        self.next_token = next_token
        self.operation = operation_name
        error = self.response.get("Error", {})
        metadata = self.response.get("ResponseMetadata", {})
        self.code = error.get("Code") or "Unknown"
        self.message = error.get("Message") or ""
        self.http_status = metadata.get("HTTPStatusCode")
        self.request_id = metadata.get("RequestId") or None
        if self.response.get("parameter") is not None:
            # Caught before sending (see InvalidParameterError._local): botocore's wording,
            # "An error occurred ... when calling the ... operation", would claim a request.
            self.args = (f"{self.message} (found before sending: no request was made)",)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {"next_token": self.next_token, "group_name": self.group_name}
        return (type(self), (self.response, self.operation_name), state)


class InvalidParameterError(CognitoServiceError):
    """A parameter broke a rule of the service, found by the service or before sending.

    Attributes:
        reason_code: The service's ``reasonCode``, when it sent one.
        parameter: The Python parameter at fault, when the library caught it before sending.
    """

    error_code = "InvalidParameterException"

    @property
    def reason_code(self) -> str | None:
        """The service's ``reasonCode``, when it sent one."""
        return _optional_str(dict(self.response).get("reasonCode"))

    @property
    def parameter(self) -> str | None:
        """The Python parameter at fault, when the library caught it before sending."""
        return _optional_str(dict(self.response).get("parameter"))

    @classmethod
    def _local(cls, parameter: str, message: str) -> InvalidParameterError:
        """The error for bad input caught before any request (no request id, no status).

        Its ``str()`` says that no request was sent; it is still a ``ClientError`` with the
        service's code, so ``except ClientError`` handlers keep working.
        """
        return cls(
            {
                "Error": {"Code": cls.error_code, "Message": message},
                "ResponseMetadata": {},
                "parameter": parameter,
            }
        )


class ResourceNotFoundError(CognitoServiceError):
    """The user pool or the group does not exist."""

    error_code = "ResourceNotFoundException"


class TooManyRequestsError(CognitoServiceError):
    """The service throttled the request, and botocore's retries are spent."""

    error_code = "TooManyRequestsException"


class NotAuthorizedError(CognitoServiceError):
    """The caller is not allowed to list this group."""

    error_code = "NotAuthorizedException"


class InternalError(CognitoServiceError):
    """The service failed internally, and botocore's retries are spent."""

    error_code = "InternalErrorException"


class OperationNotEnabledError(CognitoServiceError):
    """The operation is not enabled for this user pool."""

    error_code = "OperationNotEnabledException"


class ClientSetupError(CognitoGroupsError):
    """The request could not be built: missing credentials or Region."""


class CredentialsError(ClientSetupError):
    """No credentials were found, or they were partial, or loading them failed."""


class RegionError(ClientSetupError):
    """No AWS Region was given or configured."""


class TransportError(CognitoGroupsError):
    """The request or its response was lost or garbled on the way."""


class ConnectionFailedError(TransportError):
    """The endpoint could not be reached, or the connection was closed or reset."""


class RequestTimeoutError(TransportError):
    """Connecting or reading the response took longer than the configured timeout."""


class MalformedResponseError(TransportError):
    """The response could not be parsed, or did not have the shape the service model says."""


class PaginationError(CognitoGroupsError):
    """The service broke the paging contract (for example it returned the token it was sent)."""
