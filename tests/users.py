"""The fake users of the tests' servers and of the benchmark: one factory, on `testing.make_user`.

``numbered_user(i)`` is user number ``i`` of a generated group, as the service sends it (dates
as datetimes, like a Stubber response); ``wire_json`` writes a response body as the service
does, dates as epoch seconds.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from cognito_groups.testing import make_user

#: The pool and group every test's fake Cognito (Stubber, fault server, quota server) serves.
POOL = "us-east-1_AbC123"
GROUP = "admins"

STATUSES = ("CONFIRMED", "FORCE_CHANGE_PASSWORD", "UNCONFIRMED", "RESET_REQUIRED")
#: When user 0 was created (epoch 1,700,000,000); user i one second after user i - 1.
FIRST_CREATED = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


#: Values anyone who signs up can give their ``name``, and the service sends back as they are:
#: lone surrogates (its JSON may hold any ``\\uXXXX``), NUL and every other control character,
#: CSV's own delimiters, a formula, a pair that is one character.
HOSTILE_VALUES = (
    "\ud800",
    "lone \udfff low",
    "\udbff\ud800 reversed",
    "nul\x00inside",
    "".join(chr(code) for code in range(0x20)),
    "del\x7f c1\x80\x9b31m",
    "line\u2028para\u2029",
    '"quoted", with comma',
    "crlf\r\nsplit",
    '=HYPERLINK("http://evil.example")',
    "emoji \U0001f600 pair",
    "\u202eright-to-left",
)


def username(index: int) -> str:
    """The name of user number ``index``: ``user-00042``."""
    return f"user-{index:05d}"


def numbered_user(index: int, name: str | None = None, *, hostile: bool = False) -> dict[str, Any]:
    """User number ``index``: 5 attributes (email, email_verified, sub, name, custom:team).

    Statuses, ``Enabled`` and the legacy SMS MFA option vary with ``index``; ``name`` replaces
    the username. ``hostile``: the ``name`` attribute is one of `HOSTILE_VALUES` (by index).
    """
    name = username(index) if name is None else name
    return make_user(
        name,
        email=f"{name}@example.com",
        user_status=STATUSES[index % len(STATUSES)],
        enabled=index % 7 != 0,
        attributes={
            "sub": str(uuid.UUID(int=index + 1)),
            "name": HOSTILE_VALUES[index % len(HOSTILE_VALUES)]
            if hostile
            else f"User Number {index}",
            "custom:team": f"team-{index % 4}",
        },
        created=FIRST_CREATED + timedelta(seconds=index),
        mfa_phone=index % 5 == 0,
    )


def _epoch(value: object) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON: {value!r}")  # pragma: no cover (a bug in a server here)


def wire_json(body: object) -> bytes:
    """A JSON 1.1 response body as Cognito writes it: dates as epoch seconds."""
    return json.dumps(body, default=_epoch).encode()
