"""The output writers of the command line, one page at a time."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest

from cognito_groups import Attribute, User, UserStatus
from cognito_groups._cli._safe_text import cut, display_width
from cognito_groups._cli._writers import WRITERS

ANA = User("ana", (Attribute("email", "ana@example.com"),))
BO = User("bo", (Attribute("email", "bo@example.com"), Attribute("nickname", "b")))
CREATED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def column_starts(header: str) -> list[int]:
    return [match.start() for match in re.finditer(r"\S+", header)]


def test_csv_all_attributes_notes_names_first_seen_later() -> None:
    """Columns come from the first page; names first seen later are reported, not hidden."""
    out = io.StringIO()
    writer = WRITERS["csv"](out, None)
    writer.write_page([ANA])
    writer.write_page([BO])
    writer.finish()
    assert out.getvalue().splitlines()[0] == "username,user_status,enabled,user_create_date,email"
    assert writer.unlisted == {"nickname"}


def test_explicit_attributes_are_kept_even_if_absent() -> None:
    """--attribute NAME gives a column even when no user has it."""
    out = io.StringIO()
    writer = WRITERS["csv"](out, ["phone_number"])
    writer.write_page([ANA])
    writer.finish()
    assert out.getvalue().splitlines() == [
        "username,user_status,enabled,user_create_date,phone_number",
        "ana,,,,",
    ]


def test_empty_listing_is_still_a_document() -> None:
    """No users: json is [], csv and table still have their header."""
    header = "username,user_status,enabled,user_create_date\r\n"  # RFC 4180 line ends
    for name, expected in (("json", "[\n]\n"), ("jsonl", ""), ("csv", header)):
        out = io.StringIO()
        WRITERS[name](out, ["email"], only_present=True).finish()
        assert out.getvalue() == expected, name
    out = io.StringIO()
    WRITERS["table"](out, ["email"]).finish()
    assert out.getvalue() == "USERNAME  USER_STATUS  ENABLED  USER_CREATE_DATE  EMAIL\n"


def table_lines(users: list[User], *, terminal: bool, width: int) -> list[str]:
    out = io.StringIO()
    writer = WRITERS["table"](out, ["email"], terminal=terminal, width=width)
    writer.write_page(users[:1])
    writer.write_page(users[1:])
    writer.finish()
    return out.getvalue().splitlines()


LONG = "a-very-long-username-" * 10  # 210 characters
LONG_USERS = [
    User("ana", (Attribute("email", "ana@example.com"),), user_status=UserStatus.CONFIRMED,
         enabled=True, user_create_date=CREATED),
    User(LONG, (Attribute("email", LONG + "@example.com"),), user_status=UserStatus.CONFIRMED,
         enabled=True, user_create_date=CREATED),
    User("bo", (Attribute("email", "bo@example.com"),), user_status=UserStatus.CONFIRMED,
         enabled=True, user_create_date=CREATED),
]  # fmt: skip


def test_table_on_a_terminal_fits_its_width() -> None:
    """On a terminal one long value cuts the widest cells, with "…": no row is wider.

    The username and email columns are cut, the status, enabled and date columns are whole,
    and every row stays aligned under the header written again at the new widths.
    """
    lines = table_lines(LONG_USERS, terminal=True, width=100)
    assert max(display_width(line) for line in lines) <= 100
    header, row = lines[2], lines[3]  # the header again, at the widths of the second page
    assert header.startswith("USERNAME ")
    assert row.startswith(LONG[:20])
    assert LONG not in row
    assert row.count("…") == 2  # username and email, each cut once
    assert row.endswith("…")
    assert "  CONFIRMED    true     2024-05-06T07:08:09.000000Z  " in row
    for line in lines[3:]:
        assert [line[index - 2 : index] for index in column_starts(header)[1:]] == ["  "] * 4


def test_table_in_a_pipe_or_file_is_never_cut() -> None:
    """Not on a terminal, the full value is written, whatever the width."""
    lines = table_lines(LONG_USERS, terminal=False, width=40)
    assert "…" not in "".join(lines)
    assert lines[3].startswith(LONG + "  CONFIRMED")
    assert lines[3].endswith(LONG + "@example.com")


def test_a_cut_never_splits_a_wide_character() -> None:
    """Wide characters are cut whole (the cell is padded instead); the next column aligns."""
    users = [
        User(name, user_status=UserStatus.CONFIRMED)
        for name in ("ab", "山" * 60, "e\u0301" * 60)  # wide; with combining marks
    ]
    out = io.StringIO()
    writer = WRITERS["table"](out, [], terminal=True, width=40)
    writer.write_page(users)
    writer.finish()
    lines = out.getvalue().splitlines()
    assert max(display_width(line) for line in lines) <= 40
    starts = {display_width(line[: line.index("CONFIRMED")]) for line in lines[1:]}
    assert len(starts) == 1
    assert lines[2].startswith("山山")
    assert "山…" in lines[2]
    assert "e\u0301…" in lines[3]


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdef", 4, "abc…"),
        ("abcdef", 1, "…"),
        ("abcdef", 0, ""),
        ("山田太郎", 5, "山田…"),
        ("山田太郎", 4, "山…"),  # 3 columns: half of 田 would not fit
        ("e\u0301e\u0301e\u0301", 2, "e\u0301…"),  # the mark stays with its letter
    ],
    ids=["fits", "cut", "only-the-mark", "no-room", "wide", "wide-left-out", "combining"],
)
def test_cut_by_terminal_columns(text: str, width: int, expected: str) -> None:
    """`cut()` keeps whole characters within ``width`` columns and ends a cut with "…"."""
    assert cut(text, width) == expected
