"""The output writers of the command line, one page at a time."""

from __future__ import annotations

import io

from cognito_groups import Attribute, User
from cognito_groups._cli._writers import WRITERS

ANA = User("ana", (Attribute("email", "ana@example.com"),))
BO = User("bo", (Attribute("email", "bo@example.com"), Attribute("nickname", "b")))


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
