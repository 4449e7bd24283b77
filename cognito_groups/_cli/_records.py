"""A row of the command's output: a user and its lead, as one JSON object or as cell text.

Every writer converts a user here, once, straight from the `User`; timestamps have the
library's one shape (`iso_utc()`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_groups._models._time import format_moment

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence
    from datetime import datetime

    from cognito_groups import User

    #: The fields written before the user's: a text, a number, a list (``;``-joined in CSV),
    #: or ``None`` (unknown: an empty cell, JSON's null). A writer made ``lead_only`` writes
    #: rows that are their lead alone.
    Lead = Mapping[str, str | int | list[str] | None]

__all__ = ["USER_COLUMNS", "chosen_attributes", "iso_utc", "text_cell", "user_to_json"]


#: The fixed columns of ``users`` (``export`` adds ``user_last_modified_date`` and its lead).
USER_COLUMNS = ("username", "user_status", "enabled", "user_create_date")


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, the library's one shape (`format_moment()`), or ``None``.

    ``2026-11-27T14:43:51.000000Z``: microseconds always written, so that a consumer's fixed
    parse format (``%Y-%m-%dT%H:%M:%S.%fZ``) never meets a value without them.
    """
    return None if moment is None else format_moment(moment)


def user_to_json(user: User, attributes: Sequence[str] | None = None) -> dict[str, Any]:
    """A user as a JSON-ready dict: every field, attributes as a name -> value object.

    Args:
        user: The user.
        attributes: Keep only these attributes (those the user has); ``None``: all of them.
    """
    chosen = user.attributes
    if attributes is not None:
        chosen = tuple(attribute for attribute in chosen if attribute.name in attributes)
    return {
        "username": user.username,
        "user_status": None if user.user_status is None else user.user_status.value,
        "enabled": user.enabled,
        "user_create_date": iso_utc(user.user_create_date),
        "user_last_modified_date": iso_utc(user.user_last_modified_date),
        "attributes": {attribute.name: attribute.value for attribute in chosen},
        "mfa_options": [
            {
                "delivery_medium": None
                if option.delivery_medium is None
                else option.delivery_medium.value,
                "attribute_name": option.attribute_name,
            }
            for option in user.mfa_options
        ],
    }


def text_cell(user: User, lead: Lead, column: str, fields: Collection[str]) -> str:
    """The text of ``column`` in a row: the lead's, the user's field, else the attribute.

    A column named like a user field is that field only among ``fields`` (the fixed columns).
    """
    if column in lead:
        value = lead[column]
        if value is None:  # unknown: an empty cell (JSON: null)
            return ""
        if isinstance(value, int):
            return str(value)
        return value if isinstance(value, str) else ";".join(value)
    if column in fields and (field := _FIELD_TEXT.get(column)) is not None:
        return field(user)
    return user.get_attribute(column) or ""


#: The text of each of the user's own fields that a row may show.
_FIELD_TEXT: dict[str, Callable[[User], str]] = {
    "username": lambda user: user.username,
    "user_status": lambda user: "" if user.user_status is None else user.user_status.value,
    "enabled": lambda user: "" if user.enabled is None else str(user.enabled).lower(),
    "user_create_date": lambda user: iso_utc(user.user_create_date) or "",
    "user_last_modified_date": lambda user: iso_utc(user.user_last_modified_date) or "",
}


def chosen_attributes(
    format_name: str, named: Sequence[str] | None, *, every: bool = False
) -> list[str] | None:
    """What ``--attribute`` (``named``) means in ``format_name``.

    In ``table`` and ``csv``, the attribute columns: those named, else the email column
    (``every``: one per attribute of the first page, ``None``). In ``json`` and ``jsonl``,
    the attributes kept: those named, else all of them (``None``).
    """
    if format_name in ("table", "csv"):
        return None if every else list(named or ["email"])
    return None if named is None else list(named)
