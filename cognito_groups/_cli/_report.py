"""What the command says when it fails.

One line in the command's own words, an exit code per error family, and a resume hint only
when resuming helps.
"""

from __future__ import annotations

import shlex
from http import HTTPStatus
from typing import TYPE_CHECKING

from cognito_groups._errors import (
    ClientSetupError,
    CognitoGroupsError,
    CognitoServiceError,
    CredentialsError,
    InternalError,
    InvalidParameterError,
    NotAuthorizedError,
    RegionError,
    ResourceNotFoundError,
    TooManyRequestsError,
    TransportError,
)
from cognito_groups._mirror._errors import (
    DatabaseAuthenticationError,
    DatabaseUnavailableError,
    DatabaseWriteError,
    MirrorError,
    UnknownGroupError,
)

if TYPE_CHECKING:
    import argparse

__all__ = [
    "EXIT_CODES",
    "MIRROR_EXIT_CODES",
    "UsageError",
    "continuing_helps",
    "exit_code",
    "export_hint",
    "message",
    "mirror_exit_code",
    "resume_hint",
    "token_option",
]

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_NOT_AUTHORIZED = 4
EXIT_THROTTLED = 5
EXIT_SERVICE = 6
EXIT_CONNECTION = 7
EXIT_FILE = 8
EXIT_INTERRUPTED = 130

#: (error class, exit code), most specific first.
EXIT_CODES: tuple[tuple[type[CognitoGroupsError], int], ...] = (
    (InvalidParameterError, EXIT_USAGE),
    (ResourceNotFoundError, EXIT_NOT_FOUND),
    (NotAuthorizedError, EXIT_NOT_AUTHORIZED),
    (CredentialsError, EXIT_NOT_AUTHORIZED),
    (TooManyRequestsError, EXIT_THROTTLED),
    (ClientSetupError, EXIT_USAGE),
    (TransportError, EXIT_CONNECTION),
    (CognitoGroupsError, EXIT_SERVICE),
)
#: (mirror error class, exit code), most specific first: a database that cannot be written
#: is a file's problem (8, as for export's files); one that cannot be reached, a connection's
#: (7); one that refuses the credentials, as AWS's credentials (4: not an outage to retry); a
#: database that is not a mirror, of a newer schema, or busy with another sync, the user's to
#: choose another (2).
MIRROR_EXIT_CODES: tuple[tuple[type[MirrorError], int], ...] = (
    (UnknownGroupError, EXIT_NOT_FOUND),
    (DatabaseAuthenticationError, EXIT_NOT_AUTHORIZED),
    (DatabaseUnavailableError, EXIT_CONNECTION),
    (DatabaseWriteError, EXIT_FILE),
    (MirrorError, EXIT_USAGE),
)
_ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "UnrecognizedClientException"})
#: What emulators answer for a token they refuse (Cognito answers InvalidParameterException).
_REJECTED_TOKEN_CODES = frozenset({"InvalidToken", "InvalidNextTokenException"})
#: Where a --next-token comes from, for a user whose token was refused.
WHERE_TOKENS_COME_FROM = (
    '--next-token takes the tokens this command prints ("continue with --next-token ...", '
    '"resume with: ..."); the AWS CLI\'s --starting-token is another format'
)

#: The command's words for the library's parameters.
_FLAGS = {
    "user_pool_id": "USER_POOL_ID",
    "group_name": "GROUP_NAME",
    "page_size": "--page-size",
    "max_users": "--max-users",
    "next_token": "--next-token",
    "region_name": "--region",
    "endpoint_url": "--endpoint-url",
    "max_rps": "--max-rps",
    "patience": "--patience",
    "concurrency": "--concurrency",
    "group_names": "--group",
    "attributes": "--attribute",
}
#: ``export``, ``sync`` and ``changes`` name their groups with ``--group``.
_EXPORT_FLAGS = {**_FLAGS, "group_name": "--group"}
_GROUP_COMMANDS = frozenset({"export", "sync", "changes"})
_LONGEST_MESSAGE = 300


class UsageError(Exception):
    """A command refused before it does anything: exit 2, with this message.

    An option, or a file an option names, that cannot be used (another run's lock included).
    """


def exit_code(err: CognitoGroupsError) -> int:
    """The exit code of ``err``'s family (see the package's docstring)."""
    if isinstance(err, CognitoServiceError) and err.code in _ACCESS_DENIED_CODES:
        return EXIT_NOT_AUTHORIZED
    if isinstance(err, CognitoServiceError) and err.code in _REJECTED_TOKEN_CODES:
        return EXIT_USAGE
    return next(code for cls, code in EXIT_CODES if isinstance(err, cls))


def mirror_exit_code(err: MirrorError) -> int:
    """The exit code of a mirror error's family (see `MIRROR_EXIT_CODES`)."""
    return next(code for cls, code in MIRROR_EXIT_CODES if isinstance(err, cls))


def message(err: CognitoGroupsError, args: argparse.Namespace) -> str:
    """What went wrong, in one line, in the command's words (flags, not Python parameters)."""
    flags = _EXPORT_FLAGS if args.command in _GROUP_COMMANDS else _FLAGS
    if isinstance(err, InvalidParameterError) and err.parameter in flags:
        rule = err.message.removeprefix(f"{err.parameter}: ")
        flag = flags[err.parameter]
        return f"{flag} {rule}" if rule.startswith("must") else f"{flag}: {rule}"
    if isinstance(err, ResourceNotFoundError):
        if "user pool" in err.message.lower():
            return f"user pool {args.user_pool_id} not found"
        group = err.group_name or getattr(args, "group_name", None)
        return f"group {group!r} not found in user pool {args.user_pool_id}"
    if isinstance(err, CognitoServiceError):
        return _shortened(_service_text(err))
    if isinstance(err, CredentialsError):
        return _shortened(
            f"{err}: give credentials with --profile NAME, AWS_PROFILE, or AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(err, RegionError):
        return (
            "no AWS Region: pass --region or set AWS_REGION "
            f"(the prefix of {args.user_pool_id} is not a Region botocore knows)"
        )
    return _shortened(str(err))


def _service_text(err: CognitoServiceError) -> str:
    """The service's message and code, or a summary of a body that is not a Cognito error."""
    headers = err.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    content_type = str(headers.get("content-type", "")).partition(";")[0].strip()
    if (content_type and "json" not in content_type) or err.code.isdigit():
        status = err.http_status or (int(err.code) if err.code.isdigit() else 0)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "unknown status"
        body = f"a {content_type} body" if content_type else "a body"
        return f"HTTP {status} {reason}: {body} that is not a Cognito error response"
    return f"{err.message or err.code} ({err.code})"


def _shortened(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _LONGEST_MESSAGE else line[: _LONGEST_MESSAGE - 1] + "…"


def _transient(err: CognitoGroupsError) -> bool:
    """Whether the same request may well succeed later: throttling, transport, 5xx."""
    if isinstance(err, TooManyRequestsError | TransportError | InternalError):
        return True
    return isinstance(err, CognitoServiceError) and (err.http_status or 0) >= 500


def rejected_token(err: CognitoGroupsError, given: str | None) -> bool:
    """Whether the service refused the token the listing started from, on its first request.

    (The error's resume token is still the one given, and the service called a parameter
    invalid, or answered an emulator's code for a bad token.)
    """
    if given is None or err.next_token != given or not isinstance(err, CognitoServiceError):
        return False
    return isinstance(err, InvalidParameterError) or err.code in _REJECTED_TOKEN_CODES


def resume_hint(err: CognitoGroupsError, *, listed: int) -> str | None:
    """``resume with: --next-token TOKEN`` when resuming helps, else ``None``.

    It helps when the listing got somewhere (``listed`` users) or the failure is transient;
    never for a rejected parameter (a token the service refused would only be refused again).
    The token is quoted for a POSIX shell.
    """
    if err.next_token is None or isinstance(err, InvalidParameterError):
        return None
    if listed == 0 and not _transient(err):
        return None
    return f"resume with: {token_option(err.next_token)}"


def continuing_helps(err: CognitoGroupsError, *, done: int) -> bool:
    """Whether running a stopped job again helps.

    It does when the job got somewhere (``done``) or ``err`` is transient; never for a
    rejected parameter or a pool or group that does not exist.
    """
    if isinstance(err, InvalidParameterError | ResourceNotFoundError):
        return False
    return done > 0 or _transient(err)


def export_hint(err: CognitoGroupsError, *, checkpoint: str | None, written: int) -> str | None:
    """How to continue a failed export, when continuing helps (see `continuing_helps()`)."""
    if not continuing_helps(err, done=written):
        return None
    return export_resume_hint(checkpoint)


def export_resume_hint(checkpoint: str | None) -> str:
    """How to go on with an export stopped midway: from its checkpoint, or how to have one."""
    if checkpoint:
        return f"run the same command again to continue from {checkpoint}"
    return "re-run with --output FILE --checkpoint FILE to make the export resumable"


def token_option(token: str) -> str:
    """``--next-token TOKEN``, quoted for a POSIX shell when the token needs it."""
    return f"--next-token {shlex.quote(token)}"
