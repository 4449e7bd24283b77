"""``cognito-groups changes`` as a person reads it: the baseline note, the table, ``--since``.

The mirror is synced with the library against a loopback Cognito; the command runs in this
process (`run_main`), its stdout not a terminal.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from cognito_groups import CognitoGroups, Mirror
from cognito_groups._cli._changes import parse_since
from cognito_groups._cli._records import iso_utc
from cognito_groups._cli._report import UsageError

from .conftest import run_main
from .quota_server import POOL, QuotaServer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OTHER_POOL = "us-east-1_Other9"


@pytest.fixture
def server() -> Iterator[QuotaServer]:
    """A loopback Cognito of two pools (its groups change in the tests), no quota."""
    with QuotaServer({"g0": 6, "g1": 4}, pools={OTHER_POOL: {"o0": 3}}, rate=None) as served:
        yield served


def sync(server: QuotaServer, db: Path, pool: str = POOL) -> None:
    """One sync of ``pool`` into ``db``."""
    with Mirror(db) as mirror:
        cognito = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        mirror.sync(cognito, pool)


def changes(db: Path, *args: str) -> tuple[int, str, str]:
    """``cognito-groups changes ... --db db``: exit code, stdout, stderr."""
    return run_main(["changes", *args, "--db", str(db)])


def baseline_notes(stderr: str) -> list[str]:
    """The lines of stderr that name a baseline."""
    return [line for line in stderr.splitlines() if "is its baseline" in line]


def test_the_baseline_is_named_only_when_it_explains_the_listing(
    server: QuotaServer, tmp_path: Path
) -> None:
    """Named while it is the latest sync, or when --since reaches back to it; not on every run."""
    db = tmp_path / "m.db"
    sync(server, db)
    code, _, err = changes(db, POOL, "--format", "jsonl")
    assert code == 0, err
    assert [line.split(":")[0] for line in baseline_notes(err)] == [POOL]  # nothing compared yet
    server.groups["g0"] = server.groups["g0"][2:]
    sync(server, db)
    with Mirror(db) as mirror:
        baseline, second = mirror.syncs(POOL)
    assert baseline.finished is not None
    assert second.finished is not None
    code, out, err = changes(db, POOL, "--format", "jsonl")
    assert (code, len(out.splitlines()), baseline_notes(err)) == (0, 2, [])
    after_baseline = iso_utc(baseline.finished + timedelta(microseconds=1)) or ""
    code, out, err = changes(db, POOL, "--format", "jsonl", "--since", after_baseline)
    assert (code, len(out.splitlines()), baseline_notes(err)) == (0, 2, [])
    code, out, err = changes(db, POOL, "--format", "jsonl", "--since", "1d")
    assert (code, len(out.splitlines()), len(baseline_notes(err))) == (0, 2, 1)
    code, _, err = changes(db, POOL, "--format", "jsonl", "--since", "1d", "--quiet")
    assert (code, err) == (0, "")


def test_a_table_of_one_pool_has_no_pool_column(server: QuotaServer, tmp_path: Path) -> None:
    """`changes POOL --format table` leaves POOL_ID out; every pool's, and csv, keep it."""
    db = tmp_path / "m.db"
    sync(server, db)
    sync(server, db, OTHER_POOL)
    server.groups["g1"] = server.groups["g1"][1:]
    sync(server, db)
    _, one, _ = changes(db, POOL, "--format", "table")
    _, every, _ = changes(db, "--format", "table")
    _, as_csv, _ = changes(db, POOL, "--format", "csv")
    header = ["OBSERVED_AT", "CHANGE", "GROUP_NAME", "USERNAME", "POOL_ID", "SYNC_ID", "SUB"]
    assert one.splitlines()[0].split() == [name for name in header if name != "POOL_ID"]
    assert POOL not in one
    assert every.splitlines()[0].split() == header
    assert as_csv.splitlines()[0].split(",") == [name.lower() for name in header]


@pytest.mark.parametrize(
    "text",
    [
        "\u0663d",  # ARABIC-INDIC DIGIT THREE, then d
        "\uff17d",  # FULLWIDTH DIGIT SEVEN, then d
        "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0660\u0661",  # 2026-11-01, Arabic-Indic
        "\uff12\uff10\uff12\uff16-11-01",  # a fullwidth year
        "3d\u00a0",  # a no-break space after
    ],
    ids=["arabic-indic", "fullwidth", "arabic-indic date", "fullwidth year", "no-break space"],
)
def test_since_is_ascii_only(text: str) -> None:
    """Digits of other scripts (and other non-ASCII) are refused, not read as 0-9."""
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with pytest.raises(UsageError) as caught:
        parse_since(text, now)
    assert (
        str(caught.value) == f"--since {text!r} is not ASCII: write its digits 0-9 (2026-11-01, 7d)"
    )


@pytest.mark.parametrize("text", ["999999d", "1000000d", "99999999d", "9999999999999999999999w"])
def test_a_time_ago_out_of_range_is_one_error(text: str) -> None:
    """Too far back, however many digits: the same error, naming the range."""
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with pytest.raises(UsageError) as caught:
        parse_since(text, now)
    assert str(caught.value) == (
        f"--since {text!r} is out of range: it reaches back before the year 1"
    )


def test_the_command_refuses_such_a_since(server: QuotaServer, tmp_path: Path) -> None:
    """Exit 2 and one line, for non-ASCII digits and for a time ago out of range."""
    db = tmp_path / "m.db"
    sync(server, db)
    for text, said in (("\u0663d", "is not ASCII"), ("99999999d", "is out of range")):
        code, out, err = changes(db, POOL, "--since", text)
        assert (code, out, len(err.splitlines())) == (2, "", 1)
        assert said in err


def test_a_future_since_says_so(server: QuotaServer, tmp_path: Path) -> None:
    """--since after now: nothing to list, and stderr says why (unless --quiet); exit 0."""
    db = tmp_path / "m.db"
    sync(server, db)
    server.groups["g1"] = server.groups["g1"][1:]
    sync(server, db)
    code, out, err = changes(db, POOL, "--since", "2999-01-01", "--format", "json")
    moment = iso_utc(datetime(2999, 1, 1, tzinfo=timezone.utc))
    assert (code, json.loads(out)) == (0, [])
    assert err == f"--since 2999-01-01 is in the future ({moment}): no change can be listed yet\n"
    code, out, err = changes(db, POOL, "--since", "2999-01-01", "--format", "json", "--quiet")
    assert (code, json.loads(out), err) == (0, [], "")
    code, out, err = changes(db, POOL, "--since", "1d", "--format", "json")
    assert (code, len(json.loads(out)), "in the future" in err) == (0, 1, False)
