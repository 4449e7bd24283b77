"""The one place botocore's errors become the library's, with where the listing stood.

Only service errors and botocore's transport, credential and Region errors are translated. Any
other botocore error (``ParamValidationError``, a test's ``StubAssertionError``) is a bug in the
calling code and propagates unchanged, never disguised as a `TransportError`.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

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

from cognito_groups._errors._classes import (
    CognitoGroupsError,
    CognitoServiceError,
    ConnectionFailedError,
    CredentialsError,
    InternalError,
    InvalidParameterError,
    MalformedResponseError,
    NotAuthorizedError,
    OperationNotEnabledError,
    RegionError,
    RequestTimeoutError,
    ResourceNotFoundError,
    TooManyRequestsError,
)

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping

__all__ = ["TRANSLATED_ERRORS", "came_over_http", "resuming_at", "translate_error", "translated"]

_log = logging.getLogger("cognito_groups")


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
