"""Moments: the one text shape every file and database of the library writes, and UTC parsing.

Every moment the library writes as text (export files, the ``--by-user`` spill, a SQLite
mirror, the command's messages) has one shape, `format_moment()`'s:
``2026-11-27T14:43:51.000000Z``: UTC, the year in four digits, microseconds always (a
consumer's fixed parse format never meets a value without them), so that text order is time
order. `parse_moment()` reads that shape and nothing else. What the service sends is parsed
to aware UTC datetimes by `parse_utc_timestamp()` and `to_utc()`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from botocore.utils import parse_timestamp

__all__ = [
    "as_utc",
    "format_moment",
    "parse_moment",
    "parse_utc_timestamp",
    "to_utc",
]

_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def format_moment(moment: datetime) -> str:
    """``moment`` as the library writes it: ``2026-11-27T14:43:51.000000Z`` (see the module).

    A naive ``moment`` is taken as UTC; an aware one within a day of year 1 or 9999 whose UTC
    falls outside the calendar is written as its first or last moment (`as_utc()`).
    """
    utc = as_utc(moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment)
    # The year in 4 digits, as the text order needs (strftime("%Y") gives "999").
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


def parse_moment(text: str) -> datetime:
    """The aware UTC datetime `format_moment()` wrote as ``text``.

    Raises:
        ValueError: ``text`` is not of that one shape (or names no date, such as February 30).
    """
    if _MOMENT.fullmatch(text) is None:
        raise ValueError(f"not a moment as the library writes one: {text!r}")
    # Checked, then parsed by fromisoformat (strptime took most of a mirror read's time).
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; within a day of year 1 or 9999, the calendar's first or last moment."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=timezone.utc)


def to_utc(value: object) -> datetime | None:
    """Return ``value`` as an aware UTC datetime.

    botocore gives datetimes in the machine's local zone (or in UTC on the library's own fast
    client); a stubbed client may give a datetime, an epoch number or a string. A naive datetime
    is taken as UTC.

    Raises:
        TypeError: ``value`` is none of those types.
        ValueError: a string that is not a timestamp.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is timezone.utc:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return parse_utc_timestamp(value)
    raise TypeError(f"expected a timestamp, got {type(value).__name__}")


def parse_utc_timestamp(value: str | float) -> datetime:
    """Botocore's timestamp parser, but straight to UTC (installed on the library's sessions).

    botocore's default turns every epoch number into a datetime in the machine's local zone
    (``tzlocal()``, which is slow), only for `to_utc()` to convert it back.
    """
    if isinstance(value, str):
        parsed = parse_timestamp(value)
        if parsed.tzinfo is None:  # no zone in the string: taken as UTC, like naive datetimes
            return parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    return datetime.fromtimestamp(value, timezone.utc)
