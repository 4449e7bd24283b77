r"""Checks of the caller's input, made before any request, mirroring the service model.

Real Cognito rejects what breaks these rules with ``InvalidParameterException``; emulators
(moto, cognito-local) often do not. Checking here gives the same
[`InvalidParameterError`][cognito_groups.InvalidParameterError] everywhere, names the Python
parameter at fault, and sends nothing.

The rules (``ListUsersInGroupRequest`` in botocore's ``cognito-idp`` model):

==============  ============================================================================
parameter       rule
==============  ============================================================================
user_pool_id    str, 1-55 characters, full match of ``[\\w-]+_[0-9a-zA-Z]+`` (ASCII ``\\w``)
group_name      str, 1-128 characters, each in a Unicode category L, M, S, N or P
page_size       int (not bool), 1-60 (60 is the service maximum)
max_users       None, or int (not bool) >= 1
next_token      None, or str of 1-131072 characters, none of them (ASCII) whitespace, and no
                lone surrogates (they cannot be sent); a resume token of ours
                (``cg1:skip:<k>:<T>``, see ``_position``) must be well formed, and its
                service token ``T`` follows the same rules
==============  ============================================================================
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from urllib.parse import urlparse

from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from cognito_groups._errors import LIST_GROUPS, InvalidParameterError, MalformedResponseError
from cognito_groups._listing._checkpoint import (
    CHECKPOINT_PREFIX,
    MembershipCheckpoint,
    decode_checkpoint,
)
from cognito_groups._listing._position import START, Position, parse_position

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DEFAULT_PAGE_SIZE = 60
USER_POOL_ID_MAX = 55
GROUP_NAME_MAX = 128
PAGE_SIZE_MAX = 60
NEXT_TOKEN_MAX = 131_072
CONCURRENCY_MAX = 32
DEFAULT_CONCURRENCY = 4
#: The lowest ``max_rps``: one request in 1,000 seconds.
MAX_RPS_MIN = 0.001

_USER_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+", re.ASCII)
_GROUP_NAME_CATEGORIES = frozenset("LMSNP")
_TOKEN_FORBIDDEN = re.compile(r"[\s\ud800-\udfff]", re.ASCII)


@dataclass(frozen=True, slots=True)
class MembershipRequest:
    """A validated request to list the members of many groups."""

    user_pool_id: str
    group_names: tuple[str, ...] | None
    concurrency: int
    page_size: int
    saved: MembershipCheckpoint | None


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A validated request to list a group: what the page loop needs to start."""

    user_pool_id: str
    group_name: str
    page_size: int
    max_users: int | None
    start: Position


def _shown(value: str) -> str:
    """A short, safe rendering of a rejected identifier for an error message."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def fail(parameter: str, problem: str) -> InvalidParameterError:
    """The error for ``parameter`` breaking a rule, caught before sending (raise it)."""
    return InvalidParameterError._local(parameter, f"{parameter}: {problem}")


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_str(parameter: str, value: object, maximum: int) -> str:
    if not isinstance(value, str):
        raise fail(parameter, f"must be a str, got {_type_name(value)}")
    if not 1 <= len(value) <= maximum:
        raise fail(parameter, f"must be 1 to {maximum} characters long, got {len(value)}")
    return value


def _check_int(parameter: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(parameter, f"must be an int, got {_type_name(value)}")
    return value


def _check_form(
    parameter: str, value: object, maximum: int, fits: Callable[[str], bool], form: str
) -> str:
    """``value`` if it is a string of 1 to ``maximum`` characters that ``fits``, else raise.

    The error names the value and what it is not: ``form`` (e.g. "a Region name (...)").
    """
    text = _check_str(parameter, value, maximum)
    if not fits(text):
        raise fail(parameter, f"{_shown(text)} is not {form}")
    return text


def check_user_pool_id(value: object) -> str:
    """Return ``value`` if it is a well-formed user pool id, else raise."""
    return _check_form(
        "user_pool_id",
        value,
        USER_POOL_ID_MAX,
        lambda text: _USER_POOL_ID.fullmatch(text) is not None,
        r"of the form REGION_ID (pattern [\w-]+_[0-9a-zA-Z]+, e.g. 'us-east-1_AbC123')",
    )


def check_group_name(value: object) -> str:
    """Return ``value`` if it is a well-formed group name, else raise."""
    group_name = _check_str("group_name", value, GROUP_NAME_MAX)
    problem = _group_name_problem(group_name)
    if problem is not None:
        raise fail("group_name", problem)
    return group_name


def check_listed_group_name(group_name: str) -> str:
    """Return a group name ``ListGroups`` sent, if the service model allows it, else raise.

    A name it does not allow cannot be sent back in ``ListUsersInGroup``: only a broken or
    hostile endpoint sends one, so it is a malformed response, not the caller's mistake.

    Raises:
        MalformedResponseError: the name breaks the service model's rules.
    """
    problem = (
        _group_name_problem(group_name)
        if 1 <= len(group_name) <= GROUP_NAME_MAX
        else f"it is {len(group_name)} characters long (1 to {GROUP_NAME_MAX} allowed)"
    )
    if problem is not None:
        raise MalformedResponseError(
            f"ListGroups sent a group name the service model does not allow "
            f"({_shown(group_name)}: {problem}); its members cannot be listed",
            operation=LIST_GROUPS,
        )
    return group_name


def _group_name_problem(group_name: str) -> str | None:
    """What is wrong with a group name of the right length (``None``: nothing)."""
    for position, char in enumerate(group_name, start=1):
        if unicodedata.category(char)[0] not in _GROUP_NAME_CATEGORIES:
            return (
                f"character {position} ({char!r}) is not allowed: only letters, marks, symbols, "
                "numbers and punctuation (no spaces or control characters)"
            )
    return None


def check_page_size(value: object) -> int:
    """Return ``value`` if it is a page size the service accepts (1-60), else raise."""
    page_size = _check_int("page_size", value)
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        raise fail(
            "page_size",
            f"must be from 1 to {PAGE_SIZE_MAX} (the service maximum), got {page_size}",
        )
    return page_size


def check_max_users(value: object) -> int | None:
    """Return ``value`` if it is ``None`` or a positive int, else raise."""
    if value is None:
        return None
    max_users = _check_int("max_users", value)
    if max_users < 1:
        raise fail("max_users", f"must be at least 1, got {max_users}")
    return max_users


def check_next_token(value: object) -> Position:
    """Return the position ``value`` resumes from (``None``: the start), or raise.

    The token itself never appears in the message: it is as good as a credential to the group.
    """
    if value is None:
        return START
    if not isinstance(value, str):
        raise fail("next_token", f"must be a str, got {_type_name(value)}")
    bad = _TOKEN_FORBIDDEN.search(value)
    if bad is not None:
        raise fail(
            "next_token",
            f"character {bad.start()} is whitespace or a lone surrogate; a token has neither "
            "(pass it exactly as the iterator, the page or the error gave it)",
        )
    try:
        position = parse_position(value)
    except ValueError as err:
        raise fail("next_token", f"not a valid resume token: {err}") from None
    if position.token is not None:
        _check_str("next_token", position.token, NEXT_TOKEN_MAX)
    return position


_REGION = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)", re.ASCII)


def check_region_name(value: object) -> str | None:
    """Return ``value`` if it is ``None`` or a well-formed Region name (a DNS label), else raise.

    botocore's own check (``validate_region_name``), made here so that it is reported as an
    [`InvalidParameterError`][cognito_groups.InvalidParameterError] like every other bad parameter.
    """
    if value is None:
        return None
    return _check_form(
        "region_name",
        value,
        63,
        lambda text: _REGION.fullmatch(text) is not None,
        "a Region name (letters, digits and '-', e.g. 'us-east-1')",
    )


def check_endpoint_url(value: object) -> str | None:
    """Return ``value`` if it is ``None`` or a URL botocore accepts as an endpoint, else raise."""
    if value is None:
        return None
    return _check_form(
        "endpoint_url",
        value,
        2048,
        _is_endpoint_url,
        "an http(s) URL with a host, e.g. 'http://127.0.0.1:5000'",
    )


def _is_endpoint_url(text: str) -> bool:
    """Whether botocore accepts ``text`` as an endpoint, and its scheme is http or https."""
    try:
        valid = is_valid_endpoint_url(text) or is_valid_ipv6_endpoint_url(text)
    except ValueError:  # urlparse's own complaints, e.g. an unclosed IPv6 bracket
        return False
    return bool(valid) and urlparse(text).scheme in ("http", "https")


def check_max_rps(value: object) -> float | None:
    """Return ``value`` as a float if it is ``None`` or a finite rate from `MAX_RPS_MIN`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail("max_rps", f"must be a number of requests per second, got {_type_name(value)}")
    rate = _as_float(value)
    if not (math.isfinite(rate) and rate >= MAX_RPS_MIN):
        raise fail(
            "max_rps", f"must be from {MAX_RPS_MIN:g} and finite, got {_shown_number(value)}"
        )
    return rate


def _as_float(value: int | float) -> float:
    """``value`` as a float (an int too large for one is infinite)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _shown_number(value: int | float) -> str:
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}..."


def check_patience(value: object) -> float:
    """Return ``value`` as a float if it is a number of seconds above 0 (``inf``: never give up)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail("patience", f"must be a number of seconds, got {_type_name(value)}")
    seconds = _as_float(value)
    if math.isnan(seconds) or seconds <= 0:
        raise fail("patience", f"must be more than 0 seconds, got {_shown_number(value)}")
    return seconds


def check_concurrency(value: object) -> int:
    """Return ``value`` if it is an int from 1 to `CONCURRENCY_MAX`, else raise."""
    concurrency = _check_int("concurrency", value)
    if not 1 <= concurrency <= CONCURRENCY_MAX:
        raise fail("concurrency", f"must be from 1 to {CONCURRENCY_MAX}, got {concurrency}")
    return concurrency


def check_group_names(value: object, parameter: str = "group_names") -> tuple[str, ...] | None:
    """Return ``value`` as a tuple of distinct, valid group names (in order), or ``None``."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise fail(parameter, f"must be a list of group names or None, got {_type_name(value)}")
    names: dict[str, None] = {}  # in order, each once
    for item in cast("Iterable[object]", value):
        name = check_group_name(item)
        if name in names:
            raise fail(parameter, f"{name!r} is listed twice")
        names[name] = None
    return tuple(names)


def check_checkpoint(value: object, user_pool_id: str) -> MembershipCheckpoint | None:
    """Return the checkpoint ``value`` names if it is one of ``user_pool_id``'s, else raise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail("checkpoint", f"must be a checkpoint string starting with {CHECKPOINT_PREFIX}")
    try:
        saved = decode_checkpoint(value)
    except ValueError as err:
        raise fail("checkpoint", str(err)) from None
    if saved.user_pool_id != user_pool_id:
        raise fail("checkpoint", "was made for another user pool")
    known = set(check_group_names(saved.groups, "checkpoint") or ())
    if not (saved.done <= known and set(saved.at) <= known):
        raise fail("checkpoint", "is not a checkpoint of this library (damaged or cut?)")
    for token in saved.at.values():
        check_next_token(token)
    return saved


def check_flag(parameter: str, value: object) -> bool:
    """Return ``value`` if it is a bool, else raise."""
    if not isinstance(value, bool):
        raise fail(parameter, f"must be True or False, got {_type_name(value)}")
    return value


def check_own_client_options(
    client: object, region_name: object, endpoint_url: object
) -> tuple[str | None, str | None]:
    """The Region and endpoint of a module function's own client; refused with ``client``."""
    if client is not None:
        for parameter, value in (("region_name", region_name), ("endpoint_url", endpoint_url)):
            if value is not None:
                raise fail(parameter, "cannot be combined with client: the client is used as it is")
    return check_region_name(region_name), check_endpoint_url(endpoint_url)


def check_list_request(
    user_pool_id: object,
    group_name: object,
    *,
    page_size: object,
    max_users: object,
    next_token: object,
) -> ListRequest:
    """Validate every parameter of a listing, in signature order, and bundle them."""
    return ListRequest(
        check_user_pool_id(user_pool_id),
        check_group_name(group_name),
        check_page_size(page_size),
        check_max_users(max_users),
        check_next_token(next_token),
    )


def check_membership_request(
    user_pool_id: object,
    group_names: object,
    *,
    concurrency: object,
    page_size: object,
    checkpoint: object,
) -> MembershipRequest:
    """Validate the parameters of ``iter_memberships``, in signature order, and bundle them."""
    pool = check_user_pool_id(user_pool_id)
    names = check_group_names(group_names)
    checked_concurrency = check_concurrency(concurrency)
    size = check_page_size(page_size)
    saved = check_checkpoint(checkpoint, pool)
    if saved is not None and names is not None and saved.groups != names:
        raise fail("checkpoint", "was made for other groups than group_names")
    return MembershipRequest(pool, names, checked_concurrency, size, saved)
