"""Writing users to a stream as a table, JSON, JSON Lines or CSV, one page at a time.

Every writer is told about each page as it arrives (`Writer.write_page()`) and flushes it,
so ``jsonl`` and ``csv`` never hold more than one page, and a listing that fails part-way leaves
complete lines behind. Columns of ``table`` and ``csv`` are chosen on the first page; a ``table``
whose later page needs wider columns writes its header again, at the new widths, so that every
row stays aligned under the header above it. Timestamps always have one shape (`iso_utc()`).

Values are attacker-controlled (anyone who signs up picks their own ``name``), so the text
formats, which are for people, are made safe with `_safe_text`: ``table``
shows control characters escaped and aligns by display width; ``csv`` neutralises cells a
spreadsheet would run as formulas (unless ``csv_raw``) and, on a terminal, escapes control
characters too. ``json`` and ``jsonl``, which are for programs, keep every value exactly
(their text escapes the characters a terminal would act on).
"""

from __future__ import annotations

import csv
import json
from datetime import timezone
from typing import TYPE_CHECKING, Any, TextIO

from cognito_groups._safe_text import (
    display_width,
    json_for_terminal,
    neutralize_formula,
    pad,
    visible,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from cognito_groups._models import User

__all__ = [
    "FORMATS",
    "Writer",
    "iso_utc",
    "json_line",
    "make_writer",
    "safe_csv_cells",
    "user_to_json",
]

FORMATS = ("table", "json", "jsonl", "csv")
_FIXED_COLUMNS = ("username", "user_status", "enabled", "user_create_date")


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, always of one shape: ``2026-11-27T14:43:51.000000Z`` (or ``None``).

    Microseconds are always written, even when they are zero, so that a consumer's fixed parse
    format (``%Y-%m-%dT%H:%M:%S.%fZ``) never meets a value without them.
    """
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


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
    """Writes pages of users to ``out``; subclasses choose the format (see `make_writer()`)."""

    #: Whether the output of no user is only a header (nothing worth writing after a failure).
    header_only_output = False

    def __init__(
        self,
        out: TextIO,
        attributes: Sequence[str] | None,
        *,
        only_present: bool = False,
        csv_raw: bool = False,
        terminal: bool = False,
        header: bool = True,
    ) -> None:
        self.out = out
        self.header = header
        self._csv_raw = csv_raw
        self._terminal = terminal
        self._attributes = attributes
        self._only_present = only_present
        self.columns: list[str] = []
        #: With every attribute asked for: names first seen after the first page (no column).
        self.unlisted: set[str] = set()
        self._started = False

    def write_page(self, users: Sequence[User]) -> None:
        """Write one page (the first one fixes the columns) and flush it."""
        if self._started:
            self.next_page(users)
        else:
            self._begin(users)
        for user in users:
            if self._attributes is None:
                self.unlisted.update(a.name for a in user.attributes if a.name not in self.columns)
            self.write_user(user)
        self.out.flush()

    def finish(self, *, failed: bool = False) -> None:
        """Close the document (also after a failure, so that what was written stays valid).

        A listing that ``failed`` before its first page leaves no header of ``table`` or
        ``csv`` behind (a ``json`` document is still closed: ``[]``).
        """
        if not self._started:
            if failed and self.header_only_output:
                return
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

    def next_page(self, users: Sequence[User]) -> None:
        """Write what comes before the users of a page after the first one."""

    def write_user(self, user: User) -> None:
        """Write one user."""
        raise NotImplementedError

    def end(self) -> None:
        """Write what comes after the last user."""


class JsonLinesWriter(Writer):
    """One JSON object per line."""

    def write_user(self, user: User) -> None:
        """Write the user as one line."""
        self.out.write(_json_text(user, self._attributes) + "\n")


class JsonWriter(Writer):
    """One JSON array, written as it goes and closed even after a failure."""

    _separator = "\n"

    def start(self, users: Sequence[User]) -> None:
        """Open the array."""
        self.out.write("[")

    def write_user(self, user: User) -> None:
        """Write the user as one element."""
        self.out.write(self._separator + _json_text(user, self._attributes))
        self._separator = ",\n"

    def end(self) -> None:
        """Close the array."""
        self.out.write("\n]\n")


class CsvWriter(Writer):
    """A header row, then one row per user; one column per chosen attribute."""

    header_only_output = True

    def start(self, users: Sequence[User]) -> None:
        """Write the header."""
        # CRLF (RFC 4180): the writer then quotes any field holding CR or LF, so a bare CR in a
        # value cannot split a row in two (with "\n" alone it went out unquoted).
        self._csv = csv.writer(self.out, lineterminator="\r\n")
        if self.header:
            self._row(self.columns)

    def write_user(self, user: User) -> None:
        """Write the user's row."""
        self._row([_cell(user, column) for column in self.columns])

    def _row(self, cells: Sequence[str]) -> None:
        self._csv.writerow(safe_csv_cells(cells, csv_raw=self._csv_raw, terminal=self._terminal))


class TableWriter(Writer):
    """Aligned columns for a person at a terminal.

    The first page sizes the columns. A later page with a wider value widens them and writes
    the header again at the new widths (without a header, the rows simply widen), so no row is
    ever cut or misaligned under its header.
    """

    header_only_output = True

    def start(self, users: Sequence[User]) -> None:
        """Size the columns on the first page and write the header."""
        self._widths = [display_width(visible(column)) for column in self.columns]
        self._widen(users)
        self._write_header()

    def next_page(self, users: Sequence[User]) -> None:
        """Widen the columns if this page needs it, and then write the header again."""
        if self._widen(users):
            self._write_header()

    def _widen(self, users: Sequence[User]) -> bool:
        """Make every column as wide as its widest cell in ``users``; say whether one grew."""
        needed = [
            max([width, *(display_width(visible(_cell(user, column))) for user in users)])
            for column, width in zip(self.columns, self._widths, strict=True)
        ]
        grew = needed != self._widths
        self._widths = needed
        return grew

    def _write_header(self) -> None:
        if self.header:
            self._row([column.upper() for column in self.columns])

    def _row(self, cells: Sequence[str]) -> None:
        padded = [
            pad(visible(cell), width) for cell, width in zip(cells, self._widths, strict=True)
        ]
        self.out.write("  ".join(padded).rstrip() + "\n")

    def write_user(self, user: User) -> None:
        """Write the user's row (control characters escaped: one user, one line)."""
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
    csv_raw: bool = False,
    terminal: bool = False,
    header: bool = True,
) -> Writer:
    """A writer of ``format_name`` (one of `FORMATS`); see `Writer`.

    Args:
        format_name: ``table``, ``json``, ``jsonl`` or ``csv``.
        out: Where to write.
        attributes: The attribute columns of ``table`` and ``csv``, or the attributes kept
            in ``json`` and ``jsonl`` (``None``: all).
        only_present: Keep only the ``attributes`` some user of the first page has (columns).
        csv_raw: Write CSV cells exactly, without neutralising formulas.
        terminal: ``out`` is a terminal: escape control characters in CSV cells too.
        header: Write the header row of ``table`` and ``csv``.
    """
    return _WRITERS[format_name](
        out,
        attributes,
        only_present=only_present,
        csv_raw=csv_raw,
        terminal=terminal,
        header=header,
    )


def _json_text(user: User, attributes: Sequence[str] | None) -> str:
    """The user as one line of JSON, exact once parsed, safe to print."""
    return json_line(user_to_json(user, attributes))


def json_line(document: Any) -> str:
    """``document`` as one line of JSON, exact once parsed, safe to print on a terminal."""
    return json_for_terminal(json.dumps(document, ensure_ascii=False))


def safe_csv_cells(cells: Sequence[str], *, csv_raw: bool, terminal: bool) -> list[str]:
    """CSV cells made safe: formulas neutralised (not if ``csv_raw``), controls escaped.

    See the module's docstring for why.
    """
    if not csv_raw:
        cells = [neutralize_formula(cell) for cell in cells]
    if terminal:
        cells = [visible(cell) for cell in cells]
    return list(cells)
