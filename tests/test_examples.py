"""The examples run as documented."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

EXAMPLES = Path(__file__).parent.parent / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_quickstart_demo_prints_the_group_and_a_typed_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`make demo`: a table of the 150 demo members, then a caught ResourceNotFoundError."""
    assert _load("quickstart").main([]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[2].split() == ["USERNAME", "STATUS", "ENABLED", "EMAIL", "CREATED", "(UTC)"]
    assert "150 users in group 'engineering'." in out
    assert "Caught ResourceNotFoundError (ResourceNotFoundException)" in out
    for status in ("CONFIRMED", "FORCE_CHANGE_PASSWORD", "UNCONFIRMED", "RESET_REQUIRED"):
        assert status in out


def test_quickstart_reports_errors_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a real-looking pool and a bad endpoint, the error is one line on stderr, exit 1."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code = _load("quickstart").main(
        ["--user-pool-id", "us-east-1_AbC123", "--group", "g", "--region", "us-east-1",
         "--endpoint-url", "http://127.0.0.1:1"]
    )  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err.startswith("error: ConnectionFailedError:")


def test_quickstart_needs_both_pool_and_group() -> None:
    """--user-pool-id without --group is a usage error."""
    with pytest.raises(SystemExit) as caught:
        _load("quickstart").main(["--user-pool-id", "us-east-1_AbC123"])
    assert caught.value.code == 2


def test_async_example_lists_two_groups_concurrently(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """examples/async_listing.py: both demo groups, counted concurrently on a moto server."""
    assert _load("async_listing").main([]) == 0
    assert capsys.readouterr().out.splitlines() == ["engineering: 150 members", "empty: 0 members"]


def test_export_csv_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """examples/export_csv.py writes the 150 demo members to a CSV file."""
    import csv

    output = tmp_path / "members.csv"
    assert _load("export_csv").main(["--output", str(output)]) == 0
    with output.open() as exported:
        rows = list(csv.DictReader(exported))
    assert len(rows) == 150
    assert rows[0]["email"].endswith("@example.com")
    assert capsys.readouterr().out == f"wrote 150 members to {output}\n"


def test_resume_after_throttle_example(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/resume_after_throttle.py lists all 500 stubbed members once, across a throttle."""
    assert _load("resume_after_throttle").main([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["throttled after 120 members; resuming in 0.0s", "500 members, 500 distinct"]


def test_lambda_handler_example(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/lambda_handler.py serves the demo group in pages of 50 and a 404."""
    assert _load("lambda_handler").main() == 0
    assert capsys.readouterr().out.splitlines() == [
        "150 members in 3 pages",
        "404 no group 'nobody'",
    ]


def test_access_review_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    """Stopped after 100 rows, then failing on a 500, then run again: every membership once."""
    import csv

    from botocore.config import Config

    from cognito_groups import CognitoGroups

    from .quota_server import POOL, QuotaServer

    example = _load("access_review")
    output = tmp_path / "review.csv"
    groups_of = {f"g{index}": 50 + 20 * index for index in range(5)}
    failing = {"on": True}

    def fault(number: int, operation: str, params: object) -> tuple[int, str] | None:
        return (500, "InternalErrorException") if failing["on"] and number == 8 else None

    with QuotaServer(groups_of, fault=fault) as server:
        groups = CognitoGroups(
            endpoint_url=server.url,
            region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1}),
        )
        assert example.review(groups, POOL, output, stop_after=100) is False
        with pytest.raises(Exception, match="InternalErrorException"):
            example.review(groups, POOL, output)
        failing["on"] = False
        assert example.review(groups, POOL, output) is True
        expected = sorted(server.memberships())
    with output.open(newline="") as written:
        header, *rows = list(csv.reader(written))
    assert header == ["group", "username", "status", "enabled"]
    assert sorted((row[0], row[1]) for row in rows) == expected
    assert len(rows) == len(expected)


def test_mirror_app_shares_one_mirror_among_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/mirror.md's app recipe: one module-level Mirror, 8 threads, a snapshot, exit codes."""
    from concurrent.futures import ThreadPoolExecutor

    from cognito_groups import CognitoGroups, Mirror
    from cognito_groups.demo import demo_cognito

    db = tmp_path / "cognito-groups.db"
    with (
        demo_cognito(pool_size=40, group_size=12, group_name="admins") as (client, pool),
        Mirror(db) as mirror,
    ):
        mirror.sync(CognitoGroups(client), pool.user_pool_id)
        admins = [user.username for user in mirror.members(pool.user_pool_id, "admins")]
    monkeypatch.setenv("COGNITO_GROUPS_DB", str(db))
    monkeypatch.setenv("USER_POOL_ID", pool.user_pool_id)
    app = _load("mirror_app")
    try:
        names = [*admins, "nobody-at-all"] * 20
        with ThreadPoolExecutor(8) as threads:
            answers = list(threads.map(app.is_admin, names))
        assert answers == [name != "nobody-at-all" for name in names]
        assert sorted(app.access_review()["admins"]) == sorted(admins)
        assert app.main([admins[0]]) == 0
        assert app.main(["nobody-at-all"]) == 1
        assert capsys.readouterr().out.splitlines()[-1] == "nobody-at-all is not an admin"
    finally:
        app.MIRROR.close()
