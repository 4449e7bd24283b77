"""The exceptions this library raises, and the one place botocore errors become them.

The tree:

    CognitoGroupsError                  base of everything raised here
    ├── CognitoServiceError             the service answered with an error (also a ClientError)
    │   ├── InvalidParameterError       InvalidParameterException, or bad input caught locally
    │   ├── ResourceNotFoundError       ResourceNotFoundException (no such pool or group)
    │   ├── TooManyRequestsError        TooManyRequestsException, after botocore's retries
    │   ├── NotAuthorizedError          NotAuthorizedException
    │   ├── InternalError               InternalErrorException
    │   └── OperationNotEnabledError    OperationNotEnabledException
    ├── ClientSetupError                the request could not be built
    │   ├── CredentialsError            no or partial credentials, or they could not be loaded
    │   └── RegionError                 no Region configured
    ├── TransportError                  the request or its response was lost on the way (only)
    │   ├── ConnectionFailedError       endpoint unreachable, connection closed or reset
    │   ├── RequestTimeoutError         connect or read timeout
    │   └── MalformedResponseError      the response could not be parsed or converted
    └── PaginationError                 the service broke the paging contract (repeated token)

Any other service error code (``AccessDeniedException``, an emulator's ``InvalidToken`` …) is
raised as [`CognitoServiceError`][cognito_groups.CognitoServiceError] itself, with its code
preserved.

Every error raised while listing carries ``next_token``: where the listing stood when it failed,
exact to the user (``None`` if nothing had been returned from a listing that started at the
beginning). Calling again with ``next_token=err.next_token`` resumes with no user lost or
repeated.

Only service errors and botocore's transport, credential and Region errors are translated. Any
other botocore error (``ParamValidationError``, a test's ``StubAssertionError``) is a bug in the
calling code and propagates unchanged, never disguised as a `TransportError`.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    HTTPClientError,
    IncompleteReadError,
    NoAuthTokenError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping

__all__ = [
    "CONVERSION_ERRORS",
    "LIST_GROUPS",
    "LIST_USERS_IN_GROUP",
    "OPERATION_NAME",
    "TRANSLATED_ERRORS",
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
    "came_over_http",
    "resuming_at",
    "translate_error",
    "translated",
]

#: The operations the library sends (the names errors and the budget's table use).
LIST_USERS_IN_GROUP = "ListUsersInGroup"
LIST_GROUPS = "ListGroups"
#: The operation whose rules a check before sending applies.
OPERATION_NAME = LIST_USERS_IN_GROUP

_log = logging.getLogger("cognito_groups")

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


_SERVICE_ERRORS: dict[str | None, type[CognitoServiceError]] = {
    cls.error_code: cls
    for cls in (
        InvalidParameterError,
        ResourceNotFoundError,
        TooManyRequestsError,
        NotAuthorizedError,
        InternalError,
        OperationNotEnabledError,
    )
}

# The families, in order: the first matching botocore class wins (a connect timeout is also a
# connection error). Only these, and ClientError, are translated; any other botocore error (a
# test's Stubber that did not match, ParamValidationError, a bad config) is a programming error
# and propagates unchanged.
_FAMILIES: tuple[tuple[type[Exception], type[CognitoGroupsError]], ...] = (
    (ConnectTimeoutError, RequestTimeoutError),
    (ReadTimeoutError, RequestTimeoutError),
    (BotoConnectionError, ConnectionFailedError),  # refused, DNS, proxy, SSL
    (HTTPClientError, ConnectionFailedError),  # connection closed or reset, cut stream
    (IncompleteReadError, ConnectionFailedError),
    (ResponseParserError, MalformedResponseError),
    (NoCredentialsError, CredentialsError),
    (PartialCredentialsError, CredentialsError),
    (CredentialRetrievalError, CredentialsError),
    (TokenRetrievalError, CredentialsError),
    (SSOError, CredentialsError),
    (NoAuthTokenError, CredentialsError),
    (NoRegionError, RegionError),
)

#: What the clients catch around a request and translate: service errors, and the botocore
#: errors of the families above. Nothing broader.
TRANSLATED_ERRORS: tuple[type[Exception], ...] = (
    ClientError,
    *(botocore_class for botocore_class, _ in _FAMILIES),
)


def translate_error(
    err: Exception,
    *,
    operation: str | None = None,
    next_token: str | None = None,
    fallback: type[CognitoGroupsError] | None = None,
) -> CognitoGroupsError:
    """Return the exception of ours that stands for a botocore error.

    The caller raises it ``from err``. A ``ClientError`` maps through the ``{code: class}``
    table (unknown codes give [`CognitoServiceError`][cognito_groups.CognitoServiceError]);
    another botocore error maps to its family (see `TRANSLATED_ERRORS`).

    Args:
        err: A botocore error.
        operation: The operation that was sent (``None``: none, e.g. building a client).
        next_token: Where to resume the listing that failed.
        fallback: The class for a botocore error of no known family (while building a client:
            `ClientSetupError`).

    Raises:
        TypeError: ``err`` is of no known family and there is no ``fallback`` (a caller that
            catches only `TRANSLATED_ERRORS` never sees this).
    """
    if isinstance(err, ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        cls = _SERVICE_ERRORS.get(code, CognitoServiceError)
        return cls(err.response, err.operation_name, next_token=next_token)
    ours = next((cls for base, cls in _FAMILIES if isinstance(err, base)), fallback)
    if ours is None:
        raise TypeError(f"no family for {type(err).__name__}") from err
    # A parser's message can quote the response body, which may hold attribute values.
    if ours is MalformedResponseError:
        message = f"the {operation or 'service'} response could not be parsed"
    else:
        message = str(err)
    return ours(message, next_token=next_token, operation=operation)


@contextmanager
def translated(operation: str) -> Generator[None, None, None]:
    """Around one ``operation`` request: a botocore error inside becomes ours, ``from`` it.

    The one translation point of every request the library sends (see `_paced.paced()`).
    """
    try:
        yield
    except _CAUGHT as err:
        error = _ours(err, operation)
        if error is None:
            raise  # not botocore's: a bug, ours or the caller's
        _log.debug("%s failed: %s", operation, type(error).__name__)
        try:
            raise error from err
        finally:
            # No cycle (this frame -> error -> its traceback -> this frame): the failed
            # response, and the connection it holds, go as soon as the caller drops the error.
            del error


#: What `translated()` looks at: botocore's errors, and what its parser raises bare.
_CAUGHT: tuple[type[Exception], ...] = (*TRANSLATED_ERRORS, ValueError, RuntimeError)


def _ours(err: Exception, operation: str) -> CognitoGroupsError | None:
    """Our error for ``err``, raised in an ``operation`` request; ``None``: not botocore's."""
    if isinstance(err, TRANSLATED_ERRORS):
        return translate_error(err, operation=operation)
    if _raised_by_the_parser(err):
        # A value botocore cannot convert (a timestamp like "yesterday"): its parser raises a
        # bare ValueError (or RuntimeError), not a ResponseParserError.
        return MalformedResponseError(
            f"the {operation} response could not be parsed: a value of the wrong shape",
            operation=operation,
        )
    return None


def _raised_by_the_parser(err: BaseException) -> bool:
    """Whether ``err`` came out of botocore's (or aiobotocore's) response parser."""
    trace = err.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        if module in ("botocore.parsers", "aiobotocore.parsers"):
            return True
        trace = trace.tb_next
    return False


@contextmanager
def resuming_at(
    next_token: str | None, group_name: str | None = None
) -> Generator[None, None, None]:
    """Around a request of a listing: an error of ours leaves carrying ``next_token``.

    And ``group_name``, the group being listed, when there is one.
    """
    try:
        yield
    except CognitoGroupsError as err:
        err.next_token = next_token
        if group_name is not None:
            err.group_name = group_name
        raise


def came_over_http(response: Mapping[str, Any]) -> bool:
    """Whether botocore parsed ``response`` from HTTP (a stub's responses have no headers)."""
    metadata = response.get("ResponseMetadata")
    return isinstance(metadata, dict) and "HTTPHeaders" in metadata
