"""What a staged row holds: the service's values as a database stores them, or refused.

A NUL or a lone surrogate is no text a database stores. The service model allows neither in
names, so a username or group name holding one is refused as a malformed response; in a free
text (a group's description, a role ARN, a status) the sync goes on with it escaped, and says
so at WARNING, naming the field and the group, never the value.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cognito_groups._errors import LIST_USERS_IN_GROUP, MalformedResponseError
from cognito_groups._mirror._dialect import NOT_TEXT, to_json

if TYPE_CHECKING:
    from datetime import datetime

    from cognito_groups._mirror._database import Database
    from cognito_groups._models import Group, User

__all__ = ["check_listed_username", "group_row", "storable", "user_row"]

_LOG = logging.getLogger("cognito_groups.mirror")


def group_row(db: Database, sync_id: int, name: str, group: Group | None) -> tuple[object, ...]:
    """The ``sync_groups`` row of group ``name`` of the sync's scope (``None``: not in the pool).

    Raises:
        MalformedResponseError: ``name`` is not text a database stores.
    """
    _check_name("group name", name)
    if group is None:
        return (sync_id, name, False, None, None, None, None, None)
    return (
        sync_id,
        name,
        True,
        storable(group.description, "Description", name),
        _precedence(group.precedence, name),
        storable(group.role_arn, "RoleArn", name),
        _time(db, group.creation_date),
        _time(db, group.last_modified_date),
    )


def _time(db: Database, moment: datetime | None) -> object:
    return None if moment is None else db.dialect.bind_time(moment)


def user_row(
    db: Database, sync_id: int, user: User, attributes: tuple[str, ...] | None
) -> tuple[Any, ...]:
    """The ``sync_users`` row of ``user``: its attributes those kept (all for ``None``).

    The attributes by name: the same record in another order is the same text (unchanged).
    Its ``sub`` is kept whatever ``attributes`` says: it tells one account from another of
    the same username (deleted and created again).
    """
    kept = dict(
        sorted(
            (attribute.name, attribute.value)
            for attribute in user.attributes
            if attributes is None or attribute.name in attributes
        )
    )
    return (
        sync_id,
        user.username,
        None if user.user_status is None else storable(user.user_status.value, "UserStatus"),
        user.enabled,
        _time(db, user.user_create_date),
        _time(db, user.user_last_modified_date),
        to_json(kept),
        _text_or_none(user.sub),
    )


def storable(value: str | None, field: str, group_name: str | None = None) -> str | None:
    r"""``value`` as a database stores it: a NUL or lone surrogate written as its escape.

    Only a broken or hostile endpoint sends one in a group's ``Description`` or ``RoleArn`` or
    a user's ``UserStatus`` (anyone who may edit a group can set its description): the sync
    goes on with the text escaped (``\u0000``, ``\ud800``, as in the mirror's JSON), and says
    so at WARNING, naming the field and the group (never the value), rather than fail the
    mirror of the whole pool for ever.
    """
    if value is None or NOT_TEXT.search(value) is None:
        return value
    _LOG.warning(
        "the service sent a %s%s that no database stores as text (a NUL or a lone surrogate): "
        "mirrored with those characters escaped",
        field,
        "" if group_name is None else f" of group {group_name!r}",
    )
    return NOT_TEXT.sub(lambda found: f"\\u{ord(found.group()):04x}", value)


def _precedence(value: int | None, group_name: str) -> int | None:
    """A group's ``Precedence`` if a 64-bit column holds it, else ``None`` (said at WARNING)."""
    if value is None or -(2**63) <= value < 2**63:
        return value
    _LOG.warning(
        "the service sent a Precedence of group %r beyond a 64-bit integer: mirrored as none",
        group_name,
    )
    return None


def _text_or_none(value: str | None) -> str | None:
    """A value a database stores as text: ``None`` for what is not text (a NUL, a surrogate).

    Only a broken or hostile endpoint sends a ``sub`` that is not a UUID; such a one is kept as
    unknown (the account is then taken as the same), never a failed sync.
    """
    return None if value is None or NOT_TEXT.search(value) is not None else value


def check_listed_username(username: str, group_name: str) -> str:
    """Return a username ``ListUsersInGroup`` sent in ``group_name``, if a database stores it.

    A NUL or a lone surrogate is no text a database stores; the service model allows neither,
    so only a broken or hostile endpoint sends one (the username is not shown: personal data).

    Raises:
        MalformedResponseError: naming ``ListUsersInGroup`` and the group.
    """
    if NOT_TEXT.search(username) is not None:
        error = MalformedResponseError(
            f"ListUsersInGroup sent a username in group {group_name!r} that is not valid text "
            "(a NUL or a lone surrogate): it cannot be mirrored",
            operation=LIST_USERS_IN_GROUP,
        )
        error.group_name = group_name
        raise error
    return username


def _check_name(what: str, name: str) -> None:
    """Refuse a name no database stores as text: a NUL or a lone surrogate.

    The service model allows neither in group names; only a broken or hostile endpoint sends
    one (and `check_listed_group_name()` refuses it first).
    """
    if NOT_TEXT.search(name) is not None:
        raise MalformedResponseError(
            f"the service sent a {what} that is not valid text (a NUL or a lone surrogate): "
            "it cannot be mirrored"
        )
