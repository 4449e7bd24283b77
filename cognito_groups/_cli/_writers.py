"""The command's writers: rows of users as a table, JSON, JSON Lines or CSV, for every command.

One row is a user and its *lead*: the fields written before the user's own (none for ``users``;
``group_name`` for a membership of ``export``; ``username`` and ``groups`` for ``export
--by-user``). Each row is converted once, straight from the `User`: to its CSV or table cells,
or to one JSON object (`_records`).

``users`` writes a page at a time (`Writer.write_page()`, flushed), so ``jsonl`` and ``csv``
never hold more than one page, and a listing that fails part-way leaves complete lines behind.
Its columns are chosen on the first page; a ``table`` whose later page needs wider columns
writes its header again, at the new widths, so that every row stays aligned under the header
above it. On a terminal, a ``table`` row fits the terminal's width: the widest columns are cut
(with ``…``) so that one long value cannot make every row wrap; in a pipe or a file nothing
is cut. ``export`` writes a row at a time (`Writer.write()`) with fixed columns, and can
continue a file a crash cut short: told how many rows the file holds (``written``), the writer
writes no second header or ``[`` and puts the right separator first.

Values are attacker-controlled (anyone who signs up picks their own ``name``), so the text
formats, which are for people, are made safe with `_safe_text`: ``table`` shows control
characters escaped and aligns by display width; ``csv`` neutralises cells a spreadsheet would
run as formulas (unless ``csv_raw``) and, on a terminal, escapes control characters too.
``json`` and ``jsonl``, which are for programs, keep every value exactly (their text escapes
the characters a terminal would act on, and lone surrogates). Every format's text is valid
UTF-8, whatever the service sent: CSV, which has no escapes, writes a lone surrogate as U+FFFD.
"""

from __future__ import annotations

import csv
import json
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from cognito_groups._cli._records import USER_COLUMNS, text_cell, user_to_json
from cognito_groups._cli._safe_text import (
    cut,
    display_width,
    encodable,
    json_for_terminal,
    neutralize_formula,
    pad,
    visible,
)
from cognito_groups._cli._terminal import capped_widths, terminal_columns

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cognito_groups import User
    from cognito_groups._cli._records import Lead

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "WRITERS",
    "Writer",
]

FORMATS = ("table", "json", "jsonl", "csv")
EXPORT_FORMATS = ("jsonl", "csv", "json")
_NO_LEAD: Lead = {}


class Writer:
    """Writes rows of users to ``out``; subclasses choose the format (see `WRITERS`).

    Args:
        out: Where to write.
        attributes: The attribute columns of ``table`` and ``csv``, or the attributes kept
            in ``json`` and ``jsonl`` (``None``: all); see `chosen_attributes()`.
        fields: The columns before the attributes: the lead's names and the user's fields.
        only_present: Keep only the ``attributes`` some user of the first page has (columns).
        csv_raw: Write CSV cells exactly, without neutralising formulas.
        terminal: ``out`` is a terminal: escape control characters in CSV cells too, and fit
            ``table`` rows in the terminal's width.
        header: Write the header row of ``table`` and ``csv``.
        written: Rows the document already holds (a file being continued); ``None``: a new one.
        width: The columns a ``table`` row may take on a terminal; ``None``: the terminal's
            width, measured on every page (so a resized window is followed).
        lead_only: Each row is its lead alone (``fields`` are the lead's names; the user
            written with it is only a placeholder): ``cognito-groups changes``.
    """

    #: Whether the output of no user is only a header (nothing worth writing after a failure).
    header_only_output = False

    def __init__(
        self,
        out: TextIO,
        attributes: Sequence[str] | None,
        *,
        fields: Sequence[str] = USER_COLUMNS,
        only_present: bool = False,
        csv_raw: bool = False,
        terminal: bool = False,
        header: bool = True,
        written: int | None = None,
        width: int | None = None,
        lead_only: bool = False,
    ) -> None:
        self.out = out
        self._lead_only = lead_only
        self._first_leads: Sequence[Lead] = ()
        self._width = width
        self.header = header
        self._csv_raw = csv_raw
        self._terminal = terminal
        self._attributes = attributes
        self._only_present = only_present
        self._fields = tuple(fields)
        self.columns: list[str] = []
        #: With every attribute asked for: names first seen after the first page (no column).
        self.unlisted: set[str] = set()
        #: Rows the document holds: those of a file being continued, then those written.
        self.written = written or 0
        self._continued = written is not None
        self._started = False

    def begin(self, users: Sequence[User] = (), leads: Sequence[Lead] = ()) -> None:
        """Choose the columns (on ``users``, the first page) and write what comes first.

        A document being continued (``written`` given) gets no second header or ``[``.
        ``leads``: the leads of the first page's rows, when they are known (a table is sized
        on them too).
        """
        self._first_leads = leads
        self._started = True
        present = {attribute.name for user in users for attribute in user.attributes}
        if self._attributes is None:
            chosen = sorted(present)
        elif self._only_present:
            chosen = [name for name in self._attributes if name in present]
        else:
            chosen = list(self._attributes)
        self.columns = [*self._fields, *chosen]
        if not self._continued:
            self.start(users)

    def write_page(self, users: Sequence[User]) -> None:
        """Write one page of users, without a lead (the first page fixes the columns); flush."""
        self.open_page(users)
        for user in users:
            self.write_listed(user)
        self.out.flush()

    def open_page(self, users: Sequence[User], leads: Sequence[Lead] = ()) -> None:
        """Write what comes before a page of ``users`` (the first page fixes the columns).

        Its users are then written one at a time with `write_listed()` (or `write()`, with
        the ``leads`` given here).
        """
        if self._started:
            self.next_page(users, leads)
        else:
            self.begin(users, leads)

    def write_listed(self, user: User) -> None:
        """Write one user of the page opened last, without a lead.

        With every attribute asked for, names without a column are noted in ``unlisted``.
        """
        if self._attributes is None:
            self.unlisted.update(a.name for a in user.attributes if a.name not in self.columns)
        self.write(user)

    def write(self, user: User, lead: Lead = _NO_LEAD) -> None:
        """Write one row: ``lead``'s fields, then the user's (after `begin()`)."""
        self.write_row(user, lead)
        self.written += 1

    def flush(self) -> None:
        """Flush what was written to ``out``."""
        self.out.flush()

    def finish(self, *, failed: bool = False) -> None:
        """Close the document (also after a failure, so that what was written stays valid).

        A listing that ``failed`` before its first page leaves no header of ``table`` or
        ``csv`` behind (a ``json`` document is still closed: ``[]``).
        """
        if not self._started:
            if failed and self.header_only_output:
                return
            self.begin(())
        self.end()
        self.out.flush()

    def cells(self, user: User, lead: Lead) -> list[str]:
        """The row's text, column by column."""
        return [text_cell(user, lead, column, self._fields) for column in self.columns]

    def json_text(self, user: User, lead: Lead) -> str:
        """The row as one line of JSON (lead first), exact once parsed, safe to print."""
        row = dict(lead) if self._lead_only else {**lead, **user_to_json(user, self._attributes)}
        return json_for_terminal(json.dumps(row, ensure_ascii=False))

    def start(self, users: Sequence[User]) -> None:
        """Write what comes before the first row (``users`` is the first page)."""

    def next_page(self, users: Sequence[User], leads: Sequence[Lead] = ()) -> None:
        """Write what comes before the users of a page after the first one (and their leads)."""

    def write_row(self, user: User, lead: Lead) -> None:
        """Write one row."""
        raise NotImplementedError

    def end(self) -> None:
        """Write what comes after the last row."""


class JsonLinesWriter(Writer):
    """One JSON object per line."""

    def write_row(self, user: User, lead: Lead) -> None:
        """Write the row as one line."""
        self.out.write(self.json_text(user, lead) + "\n")


class JsonWriter(Writer):
    """One JSON array, written as it goes and closed even after a failure.

    In a file or a pipe each element's ``,`` ends its line once the next one comes. On a
    terminal every element ends its line at once and the ``,`` starts the next one's (still
    valid JSON): a line left open would be erased by the status line drawn under it.
    """

    def start(self, users: Sequence[User]) -> None:
        """Open the array."""
        self.out.write("[\n" if self._terminal else "[")

    def write_row(self, user: User, lead: Lead) -> None:
        """Write the row as one element (after a ``,`` if the array holds one already)."""
        first = self.written == 0
        if self._terminal:
            self.out.write(("" if first else ",") + self.json_text(user, lead) + "\n")
        else:
            self.out.write(("\n" if first else ",\n") + self.json_text(user, lead))

    def end(self) -> None:
        """Close the array."""
        self.out.write("]\n" if self._terminal else "\n]\n")


class CsvWriter(Writer):
    """A header row, then one row per user; one column per chosen attribute."""

    header_only_output = True

    def start(self, users: Sequence[User]) -> None:
        """Write the header."""
        if self.header:
            self._row(self.columns)

    def write_row(self, user: User, lead: Lead) -> None:
        """Write the row."""
        self._row(self.cells(user, lead))

    def _row(self, cells: Sequence[str]) -> None:
        """Write one row of cells, made safe (see the module's docstring for why).

        Formulas are neutralised (unless ``csv_raw``); on a terminal, controls are escaped;
        elsewhere, a lone surrogate (no UTF-8 file can hold one) is written as U+FFFD.
        """
        if not self._csv_raw:
            cells = [neutralize_formula(cell) for cell in cells]
        if self._terminal:
            cells = [visible(cell) for cell in cells]
        else:
            cells = [encodable(cell) for cell in cells]
        self._csv.writerow(cells)

    @cached_property
    def _csv(self) -> Any:  # made on first use: a continued file has no header row first
        # CRLF (RFC 4180): the writer then quotes any field holding CR or LF, so a bare CR in a
        # value cannot split a row in two (with "\n" alone it went out unquoted).
        return csv.writer(self.out, lineterminator="\r\n")


class TableWriter(Writer):
    """Aligned columns for a person at a terminal.

    The first page sizes the columns. A later page with a wider value widens them and writes
    the header again at the new widths (without a header, the rows simply widen), so no row is
    misaligned under its header.

    On a terminal every row fits its width (``width``, else the terminal's): when the columns
    need more, the widest free-text ones (username, attributes) are cut first, all to one
    width, while the columns of a fixed form (status, enabled, dates) keep theirs, and a cut
    cell ends in ``…``. Only a terminal too narrow for them beside one-character free-text
    columns cuts them too. A column never gets narrower than one character, so a terminal
    too narrow even for that still wraps. In a pipe or a file nothing
    is cut: the values are what a program or a later reader gets.
    """

    header_only_output = True

    def start(self, users: Sequence[User]) -> None:
        """Size the columns on the first page and write the header."""
        self._needed = [display_width(visible(column)) for column in self.columns]
        self._widths: list[int] = []
        self._widen(users, self._first_leads)
        self._write_header()

    def next_page(self, users: Sequence[User], leads: Sequence[Lead] = ()) -> None:
        """Resize the columns if this page needs it, and then write the header again."""
        if self._widen(users, leads):
            self._write_header()

    def _widen(self, users: Sequence[User], leads: Sequence[Lead] = ()) -> bool:
        """Size the columns for their widest cell so far; say whether the widths shown changed.

        A column needs the width of its widest cell (in ``users`` or before); on a terminal the
        widths shown are those cut to fit (`_fitted()`).
        """
        rows = [
            self.cells(user, lead)
            for user, lead in zip(
                users, [*leads, *([_NO_LEAD] * (len(users) - len(leads)))], strict=True
            )
        ]
        self._needed = [
            max([width, *(display_width(visible(row[index])) for row in rows)])
            for index, width in enumerate(self._needed)
        ]
        shown = self._fitted(self._needed)
        changed = shown != self._widths
        self._widths = shown
        return changed

    def _fitted(self, needed: list[int]) -> list[int]:
        """The widths to show: ``needed``, cut on a terminal so that a row fits its width.

        First only the free-text columns (username, attributes) are cut, the widest first,
        as far as one character (docs/cli.md: status, enabled and date keep their width);
        only if that is not enough are the columns of a fixed form cut too, every column
        down to one.
        """
        if not self._terminal or not needed:
            return needed
        room = (self._width or terminal_columns(self.out)) - 2 * (len(needed) - 1)
        if sum(needed) <= room:
            return needed
        fixed = [column in _FIXED_FORM and column in self._fields for column in self.columns]
        floors = [
            width if fixed_form else min(width, 1)
            for width, fixed_form in zip(needed, fixed, strict=True)
        ]
        widths = capped_widths(needed, floors, room)
        if sum(widths) > room:
            widths = capped_widths(needed, [min(width, 1) for width in needed], room)
        return widths

    def _write_header(self) -> None:
        if self.header:
            self._row([column.upper() for column in self.columns])

    def _row(self, cells: Sequence[str]) -> None:
        padded = [
            pad(cut(visible(cell), width), width)
            for cell, width in zip(cells, self._widths, strict=True)
        ]
        self.out.write("  ".join(padded).rstrip() + "\n")

    def write_row(self, user: User, lead: Lead) -> None:
        """Write the row (control characters escaped: one user, one line)."""
        self._row(self.cells(user, lead))


#: The table's columns of a fixed form, cut on a terminal only once the others are narrow.
_FIXED_FORM = frozenset({"user_status", "enabled", "user_create_date", "user_last_modified_date"})


#: The writer of each format, by name.
WRITERS: dict[str, type[Writer]] = {
    "table": TableWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
    "csv": CsvWriter,
}
