"""The exceptions this library raises, and the one place botocore errors become them.

One concern per module: ``_classes``, the exceptions; ``_translate``, botocore's errors
translated to them, with where the listing stood.

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

from cognito_groups._errors import _classes, _translate
from cognito_groups._errors._classes import *  # noqa: F403 (the package's names are theirs)
from cognito_groups._errors._translate import *  # noqa: F403

__all__: list[str] = []
__all__ += _classes.__all__
__all__ += _translate.__all__
