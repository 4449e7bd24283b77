"""Writing users to a stream as a table, JSON, JSON Lines or CSV, one page at a time.

Every writer is told about each page as it arrives (:meth:`Writer.write_page`) and flushes it,
so ``jsonl`` and ``csv`` never hold more than one page, and a listing that fails part-way leaves
complete lines behind. Columns of ``table`` and ``csv`` are fixed by the first page.
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from cognito_groups._models import User

__all__ = ["FORMATS", "Writer", "make_writer", "user_to_json"]

FORMATS = ("table", "json", "jsonl", "csv")
_FIXED_COLUMNS = ("username", "user_status", "enabled", "user_create_date")


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or ``None``."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def user_to_json(user: User) -> dict[str, Any]:
    """A user as a JSON-ready dict: every field, attributes as a name -> value object."""
    return {
        "username": user.username,
        "user_status": None if user.user_status is None else user.user_status.value,
        "enabled": user.enabled,
        "user_create_date": iso_utc(user.user_create_date),
        "user_last_modified_date": iso_utc(user.user_last_modified_date),
        "attributes": {attribute.name: attribute.value for attribute in user.attributes},
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


def _cell(user: User, column: str) -> str:
    if column == "username":
        return user.username
    if column == "user_status":
        return "" if user.user_status is None else user.user_status.value
    if column == "enabled":
        return "" if user.enabled is None else str(user.enabled).lower()
    if column == "user_create_date":
        return iso_utc(user.user_create_date) or ""
    return user.get_attribute(column) or ""


class Writer:
    """Writes pages of users to ``out``; subclasses choose the format.

    Args:
        out: Where to write.
        attributes: The attribute columns (table and csv); ``None`` for every attribute the
            first page has.
        only_present: Keep only the ``attributes`` that some user of the first page has.
    """

    def __init__(
        self, out: TextIO, attributes: Sequence[str] | None, *, only_present: bool = False
    ) -> None:
        self.out = out
        self._attributes = attributes
        self._only_present = only_present
        self.columns: list[str] = []
        #: With every attribute asked for: names first seen after the first page (no column).
        self.unlisted: set[str] = set()
        self._started = False

    def write_page(self, users: Sequence[User]) -> None:
        """Write one page (the first one fixes the columns) and flush it."""
        if not self._started:
            self._begin(users)
        for user in users:
            if self._attributes is None:
                self.unlisted.update(a.name for a in user.attributes if a.name not in self.columns)
            self.write_user(user)
        self.out.flush()

    def finish(self) -> None:
        """Close the document (also after a failure, so that what was written stays valid)."""
        if not self._started:
            self._begin(())
        self.end()
        self.out.flush()

    def _begin(self, users: Sequence[User]) -> None:
        self._started = True
        present = {attribute.name for user in users for attribute in user.attributes}
        if self._attributes is None:
            chosen = sorted(present)
        elif self._only_present:
            chosen = [name for name in self._attributes if name in present]
        else:
            chosen = list(self._attributes)
        self.columns = [*_FIXED_COLUMNS, *chosen]
        self.start(users)

    def start(self, users: Sequence[User]) -> None:
        """Write what comes before the first user (``users`` is the first page)."""

    def write_user(self, user: User) -> None:
        """Write one user."""
        raise NotImplementedError

    def end(self) -> None:
        """Write what comes after the last user."""


class JsonLinesWriter(Writer):
    """One JSON object per line."""

    def write_user(self, user: User) -> None:
        """Write the user as one line."""
        self.out.write(json.dumps(user_to_json(user), ensure_ascii=False) + "\n")


class JsonWriter(Writer):
    """One JSON array, written as it goes and closed even after a failure."""

    _separator = "\n"

    def start(self, users: Sequence[User]) -> None:
        """Open the array."""
        self.out.write("[")

    def write_user(self, user: User) -> None:
        """Write the user as one element."""
        self.out.write(self._separator + json.dumps(user_to_json(user), ensure_ascii=False))
        self._separator = ",\n"

    def end(self) -> None:
        """Close the array."""
        self.out.write("\n]\n")


class CsvWriter(Writer):
    """A header row, then one row per user; one column per chosen attribute."""

    def start(self, users: Sequence[User]) -> None:
        """Write the header."""
        self._csv = csv.writer(self.out, lineterminator="\n")
        self._csv.writerow(self.columns)

    def write_user(self, user: User) -> None:
        """Write the user's row."""
        self._csv.writerow([_cell(user, column) for column in self.columns])


class TableWriter(Writer):
    """Aligned columns for a person at a terminal; widths fixed by the first page."""

    def start(self, users: Sequence[User]) -> None:
        """Size the columns on the first page and write the header."""
        self._widths = [
            max([len(column), *(len(_cell(user, column)) for user in users)])
            for column in self.columns
        ]
        self._row([column.upper() for column in self.columns])

    def _row(self, cells: Sequence[str]) -> None:
        padded = [cell.ljust(width) for cell, width in zip(cells, self._widths, strict=False)]
        self.out.write("  ".join(padded).rstrip() + "\n")

    def write_user(self, user: User) -> None:
        """Write the user's row."""
        self._row([_cell(user, column) for column in self.columns])


_WRITERS: dict[str, type[Writer]] = {
    "table": TableWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
    "csv": CsvWriter,
}


def make_writer(
    format_name: str,
    out: TextIO,
    attributes: Sequence[str] | None,
    *,
    only_present: bool = False,
) -> Writer:
    """A writer of ``format_name`` (one of :data:`FORMATS`); see :class:`Writer`."""
    return _WRITERS[format_name](out, attributes, only_present=only_present)
