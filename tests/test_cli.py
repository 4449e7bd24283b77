"""The `cognito-groups` command, run for real against a moto server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups import CognitoGroups, User
from cognito_groups._cli import _report, main
from cognito_groups._cli._export import Export
from cognito_groups._cli._parser import build_parser
from cognito_groups._cli._records import user_to_json
from cognito_groups._cli._sync import Sync
from cognito_groups._cli._terminal import Console
from cognito_groups._client._config import new_cognito_client
from cognito_groups._client._install import install_hint

from .conftest import run_main
from .servers import failing_proxy

if TYPE_CHECKING:
    from .conftest import ServedPool

SCRIPT = Path(sys.executable).with_name("cognito-groups")


class Server:
    """The module's moto server, with the command-line arguments that point at it."""

    def __init__(self, served: ServedPool) -> None:
        self.url = served.url
        self.pool = served.pool

    def args(self, *extra: str, pool: str | None = None, group: str | None = None) -> list[str]:
        return [
            "users",
            pool or self.pool.user_pool_id,
            group or self.pool.group_name,
            "--region",
            "us-east-1",
            "--endpoint-url",
            self.url,
            *extra,
        ]


@pytest.fixture(scope="module")
def server(served_pool: ServedPool) -> Server:
    """The moto server of this module (see conftest)."""
    return Server(served_pool)


@pytest.fixture(scope="module")
def expected(server: Server) -> list[User]:
    """The group as the library itself lists it."""
    client = new_cognito_client(region_name="us-east-1", endpoint_url=server.url)
    return list(CognitoGroups(client).iter_users(server.pool.user_pool_id, "members"))


def run_script(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (stdout and stderr are pipes, not terminals)."""
    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1"}
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [str(SCRIPT), *args], text=True, env=env, timeout=60, check=False, **streams
    )


def test_jsonl_by_default_on_a_pipe(server: Server, expected: list[User]) -> None:
    """Piped, the script writes JSON Lines: the library's users, each once, in order."""
    result = run_script(server.args())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [user_to_json(user) for user in expected]
    assert result.stderr == ""  # no progress on a pipe


def test_json_format(server: Server, expected: list[User]) -> None:
    """--format json is one document: a list of the users."""
    result = run_script([*server.args("--format", "json")])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [user_to_json(user) for user in expected]


def test_csv_format(server: Server, expected: list[User]) -> None:
    """--format csv: a header, one row per user, one column per chosen attribute."""
    result = run_script(
        server.args("--format", "csv", "--attribute", "email", "--attribute", "custom:team")
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "username", "user_status", "enabled", "user_create_date", "email", "custom:team",
    ]  # fmt: skip
    assert [
        (row["username"], row["user_status"], row["email"], row["custom:team"]) for row in rows
    ] == [
        (u.username, str(u.user_status), u.email, u.get_attribute("custom:team")) for u in expected
    ]
    assert rows[0]["user_create_date"].endswith("Z")


def test_table_format(server: Server, expected: list[User]) -> None:
    """--format table: a header and aligned rows with the email column by default."""
    code, out, _ = run_main(server.args("--format", "table"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["USERNAME", "USER_STATUS", "ENABLED", "USER_CREATE_DATE", "EMAIL"]
    assert [line.split()[0] for line in lines[1:]] == [user.username for user in expected]


def test_all_attributes(server: Server, expected: list[User]) -> None:
    """--all-attributes gives a column for every attribute of the first page."""
    code, out, _ = run_main(server.args("--format", "csv", "--all-attributes"))
    assert code == 0
    header = next(csv.reader(io.StringIO(out)))
    assert set(header[4:]) == {a.name for a in expected[0].attributes}


@pytest.mark.parametrize(
    ("flags", "keep"),
    [
        (["--status", "CONFIRMED"], lambda u: str(u.user_status) == "CONFIRMED"),
        (
            ["--status", "unconfirmed", "--status", "RESET_REQUIRED"],
            lambda u: str(u.user_status) in {"UNCONFIRMED", "RESET_REQUIRED"},
        ),
        (["--enabled-only"], lambda u: u.enabled is True),
        (["--disabled-only"], lambda u: u.enabled is False),
        (["--status", "CONFIRMED", "--disabled-only"],
         lambda u: str(u.user_status) == "CONFIRMED" and u.enabled is False),
    ],
    ids=["status", "two-statuses", "enabled", "disabled", "status-and-disabled"],
)  # fmt: skip
def test_filters(server: Server, expected: list[User], flags: list[str], keep: Any) -> None:
    """Status and enabled filters keep exactly the matching users."""
    code, out, _ = run_main(server.args("--format", "jsonl", *flags))
    assert code == 0
    got = [json.loads(line)["username"] for line in out.splitlines()]
    wanted = [user.username for user in expected if keep(user)]
    assert got == wanted
    assert 0 < len(wanted) < len(expected)


def test_max_users_and_next_token_resume(server: Server, expected: list[User]) -> None:
    """Chunks of --max-users, each resumed with the printed --next-token, give the group once."""
    seen: list[str] = []
    token: list[str] = []
    for _ in range(20):
        result = run_script(server.args("--max-users", "40", "--page-size", "15", *token))
        assert result.returncode == 0, result.stderr
        seen.extend(json.loads(line)["username"] for line in result.stdout.splitlines())
        if "--next-token" not in result.stderr:
            break
        token = ["--next-token", result.stderr.split("--next-token ")[1].split()[0]]
    assert seen == [user.username for user in expected]


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"pool": "us-east-1_Missing"}, 3, "user pool us-east-1_Missing not found"),
        ({"group": "nobody"}, 3, "group 'nobody' not found in user pool "),
        ({"pool": "not-a-pool-id"}, 2, "USER_POOL_ID: 'not-a-pool-id' is not of the form"),
        ({"extra": ["--page-size", "61"]}, 2, "--page-size must be from 1 to 60"),
        ({"extra": ["--max-users", "0"]}, 2, "--max-users must be at least 1"),
    ],
    ids=["missing-pool", "missing-group", "bad-pool-id", "bad-page-size", "bad-max-users"],
)
def test_errors_exit_codes_and_messages(
    server: Server, change: dict[str, Any], code: int, message: str
) -> None:
    """Each failure: its exit code and a one-line message on stderr, no traceback."""
    args = server.args(*change.get("extra", []), pool=change.get("pool"), group=change.get("group"))
    result = run_script(args)
    assert result.returncode == code
    assert result.stderr.startswith(f"cognito-groups: error: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_failed_run_leaves_valid_jsonl_and_a_resume_token(
    server: Server, expected: list[User]
) -> None:
    """A failure on page 3: two pages of complete lines, exit 6, and the token to resume with."""
    with failing_proxy(server.url, fail_from=3) as proxy:
        args = server.args("--page-size", "20")
        args[args.index("--endpoint-url") + 1] = proxy
        result = run_script(args)
    assert result.returncode == 6
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["username"] for line in lines] == [u.username for u in expected[:40]]
    first, second = result.stderr.splitlines()
    assert first == "cognito-groups: error: injected (InternalErrorException)"
    token = second.removeprefix("resume with: --next-token ")
    resumed = run_script(server.args("--page-size", "20", "--next-token", token))
    names = [json.loads(line)["username"] for line in resumed.stdout.splitlines()]
    assert [line["username"] for line in lines] + names == [u.username for u in expected]


def test_failed_json_run_is_still_one_document(
    server: Server, expected: list[User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--format json closes its array even when the listing fails part-way."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with failing_proxy(server.url, fail_from=2) as proxy:
        code, out, err = run_main(
            ["users", server.pool.user_pool_id, "members", "--region", "us-east-1",
             "--endpoint-url", proxy, "--format", "json", "--page-size", "10"]
        )  # fmt: skip
    assert code == 6
    assert [u["username"] for u in json.loads(out)] == [u.username for u in expected[:10]]
    assert "resume with: --next-token " in err


def run_with_terminal_stderr(args: list[str]) -> tuple[int, str]:
    """Run the script with stderr on a pseudo-terminal; return its exit code and what it showed."""
    leader, follower = pty.openpty()
    try:
        result = run_script(args, stderr=follower)
    finally:
        os.close(follower)
    shown = b""
    try:
        while chunk := os.read(leader, 65536):
            shown += chunk
    except OSError:  # EIO: the terminal's other side is closed and everything was read
        pass
    finally:
        os.close(leader)
    return result.returncode, shown.decode()


def test_progress_on_a_terminal_only(server: Server) -> None:
    """Progress goes to stderr when it is a terminal, and never to a pipe."""
    code, terminal = run_with_terminal_stderr(server.args("--page-size", "60"))
    assert code == 0
    assert "listed 130 users (3 pages)" in terminal
    assert terminal.endswith("\r\x1b[Klisted 130 users in 3 pages\r\n")
    piped = run_script(server.args("--page-size", "60"))
    assert "listed" not in piped.stderr


def test_quiet_turns_progress_off(server: Server) -> None:
    """--quiet: no progress even on a terminal."""
    code, terminal = run_with_terminal_stderr(server.args("--quiet"))
    assert code == 0
    assert "listed" not in terminal


def test_python_dash_m_and_version() -> None:
    """`python -m cognito_groups --version` prints the version."""
    result = subprocess.run(
        [sys.executable, "-m", "cognito_groups", "--version"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("cognito-groups 0.")


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("users", "cognito-groups users us-east-1_AbC123 admins --format csv"),
        ("demo", "cognito-groups demo --format csv --all-attributes"),
        ("export", "cognito-groups export us-east-1_AbC123 -o members.jsonl --checkpoint"),
    ],
)
def test_help_shows_examples(
    command: str, example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each subcommand's --help ends with examples."""
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.index("examples:") > help_text.index("options:")
    assert example in help_text


def test_top_level_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    """`cognito-groups --help` names each exit code the command returns, the signals' too."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    listed = " ".join(capsys.readouterr().out.split("exit codes:")[1].split())
    codes = [v for n, v in vars(_report).items() if n.startswith("EXIT_") and isinstance(v, int)]
    assert len(codes) == 10
    for code in (*codes, 128 + signal.SIGHUP, 128 + signal.SIGTERM):
        assert re.search(rf"(?<![0-9]){code}(?![0-9])", listed), code


def test_export_stopped_without_a_checkpoint_says_how_to_make_it_resumable() -> None:
    """Ctrl-C (or a signal) on an export without --checkpoint: the hint an error gives too."""
    parser = build_parser()
    for extra, hint in (
        ([], "re-run with --output FILE --checkpoint FILE to make the export resumable"),
        (["--checkpoint", "x.ckpt"], "run the same command again to continue from x.ckpt"),
    ):
        args = parser.parse_args(["export", "us-east-1_AbC123", "-o", "x.jsonl", *extra])
        console = Console(io.StringIO(), debug=False, quiet=False)
        assert Export(args, io.StringIO(), console).interrupt_hint() == hint


def test_sync_quiet_says_nothing_while_it_waits() -> None:
    """`sync --wait --quiet`: no waiting notice (`--help` promises none)."""
    for quiet, said in ((False, True), (True, False)):
        args = build_parser().parse_args(
            ["sync", "us-east-1_AbC123", "--wait", *(["--quiet"] if quiet else [])]
        )
        err = io.StringIO()
        Sync(args, io.StringIO(), Console(err, debug=False, quiet=quiet))._waiting("pid 42")
        assert ("waiting for another sync" in err.getvalue()) is said


def test_demo_lists_the_demo_group() -> None:
    """`cognito-groups demo` prints the 150 demo members with no AWS account."""
    code, out, _ = run_main(["demo", "--format", "jsonl"])
    assert code == 0
    assert len(out.splitlines()) == 150


def test_unknown_profile_is_a_usage_error() -> None:
    """--profile that does not exist: exit 2."""
    code, _, err = run_main(["users", "us-east-1_AbC123", "admins", "--profile", "nope"])
    assert code == 2
    assert "nope" in err


class Interrupting(io.StringIO):
    """A stdout whose first write is interrupted by Ctrl-C."""

    def write(self, text: str) -> int:
        raise KeyboardInterrupt


def test_ctrl_c_exits_130() -> None:
    """Ctrl-C while writing: exit 130 and one line on stderr."""
    err = io.StringIO()
    assert main(["demo", "--format", "jsonl"], stdout=Interrupting(), stderr=err) == 130
    assert err.getvalue() == "cognito-groups: interrupted\n"


def test_closed_pipe_is_not_an_error() -> None:
    """`cognito-groups demo | head -1`: the reader leaves early; exit 0, no traceback."""
    process = subprocess.Popen(  # noqa: S603
        [str(SCRIPT), "demo", "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    assert json.loads(process.stdout.readline())["username"]
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in process.stderr.read()
    process.stderr.close()


def test_demo_without_moto_prints_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the demo extra, `demo` says how to install it, in one line, exit 2."""
    monkeypatch.setitem(sys.modules, "moto", None)  # as if moto were not installed
    code, _, err = run_main(["demo"])
    assert code == 2
    assert err == f"cognito-groups: error: the demo needs moto: {install_hint('demo')}\n"


def test_access_denied_counts_as_not_authorized() -> None:
    """AccessDeniedException (no class of its own) exits with the not-authorized code."""
    from cognito_groups import CognitoServiceError
    from cognito_groups._cli import exit_code

    err = CognitoServiceError({"Error": {"Code": "AccessDeniedException", "Message": "no"}})
    assert exit_code(err) == 4
