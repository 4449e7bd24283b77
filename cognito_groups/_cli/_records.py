"""The records of ``cognito-groups export``: one per membership, or one per user with its groups.

Written as JSON Lines, one JSON array, or CSV, with the protections of every other output
(formulas neutralised in CSV, control characters escaped on a terminal, JSON safe to print).
A writer can continue a file a crash cut short: it is told how many records the file already
holds, so it writes no second header or ``[`` and puts the right separator first.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any, cast

from cognito_groups._render import json_line, safe_csv_cells, user_to_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import TextIO

    from cognito_groups._models import User

__all__ = ["EXPORT_FORMATS", "RecordWriter", "csv_columns", "membership_record", "user_record"]

EXPORT_FORMATS = ("jsonl", "csv", "json")
_USER_COLUMNS = (
    "username",
    "user_status",
    "enabled",
    "user_create_date",
    "user_last_modified_date",
)


def membership_record(
    group_name: str, user: User, attributes: Sequence[str] | None
) -> dict[str, Any]:
    """``group_name`` first, then the user as ``users`` writes it."""
    return {"group_name": group_name, **user_to_json(user, attributes)}


def user_record(
    user: User, groups: Iterable[str], attributes: Sequence[str] | None
) -> dict[str, Any]:
    """``username``, its ``groups`` (sorted), then the user's other fields."""
    fields = user_to_json(user, attributes)
    return {"username": fields.pop("username"), "groups": sorted(groups), **fields}


def csv_columns(by_user: bool, attributes: Sequence[str]) -> list[str]:
    """The CSV header: the record's fields, then one column per attribute."""
    lead = ["username", "groups", *_USER_COLUMNS[1:]] if by_user else ["group_name", *_USER_COLUMNS]
    return [*lead, *attributes]


def _cell(record: dict[str, Any], column: str) -> str:
    value = record[column] if column in record else record["attributes"].get(column)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ";".join(cast("list[str]", value))
    return str(value)


class RecordWriter:
    """Writes records to ``out`` in one of `EXPORT_FORMATS`; see the module's docstring.

    Args:
        out: Where to write.
        format_name: ``jsonl``, ``csv`` or ``json``.
        columns: The CSV header (see `csv_columns()`).
        csv_raw: Write CSV cells exactly.
        terminal: ``out`` is a terminal: escape control characters in CSV cells.
        written: Records the file already holds (a resumed export); ``None``: a new file.
    """

    def __init__(
        self,
        out: TextIO,
        format_name: str,
        columns: Sequence[str],
        *,
        csv_raw: bool,
        terminal: bool,
        written: int | None = None,
    ) -> None:
        self._out = out
        self._format = format_name
        self._columns = list(columns)
        self._csv_raw = csv_raw
        self._terminal = terminal
        self._csv = csv.writer(out, lineterminator="\r\n")
        self.written = written or 0
        if written is None:
            self._begin()

    def _begin(self) -> None:
        if self._format == "csv":
            self._row(self._columns)
        elif self._format == "json":
            self._out.write("[")

    def _row(self, cells: Sequence[str]) -> None:
        self._csv.writerow(safe_csv_cells(cells, csv_raw=self._csv_raw, terminal=self._terminal))

    def write(self, record: dict[str, Any]) -> None:
        """Write one record."""
        if self._format == "csv":
            self._row([_cell(record, column) for column in self._columns])
        elif self._format == "json":
            self._out.write(("\n" if self.written == 0 else ",\n") + json_line(record))
        else:
            self._out.write(json_line(record) + "\n")
        self.written += 1

    def end(self) -> None:
        """Write what closes the document (the ``]`` of ``json``)."""
        if self._format == "json":
            self._out.write("\n]\n")
