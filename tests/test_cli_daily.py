"""The command in daily use: a real terminal, slow and broken endpoints, exact exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from cognito_groups import (
    CognitoGroups,
    CognitoServiceError,
    InvalidParameterError,
    Page,
    TooManyRequestsError,
    TransportError,
    User,
    iter_users_in_group,
)
from cognito_groups._cli import build_parser, main
from cognito_groups._cli._aws import facade
from cognito_groups._cli._interrupt import HeldInterrupt
from cognito_groups._cli._parser import parse
from cognito_groups._cli._records import iso_utc
from cognito_groups._cli._report import resume_hint
from cognito_groups._cli._terminal import Console, StatusLine, counted
from cognito_groups._cli._users import Listing, Progress
from cognito_groups._client._config import new_cognito_client
from cognito_groups._client._region import region_from_pool_id

from .conftest import run_main
from .fault_server import GROUP, POOL, Fault, FaultServer
from .servers import silent_server
from .terminal import AS_A_SHELL_STARTS_IT, run_in_terminal
from .users import username

if TYPE_CHECKING:
    from collections.abc import Callable

    from .conftest import ServedPool

SCRIPT = Path(sys.executable).with_name("cognito-groups")
UNUSED_URL = "http://127.0.0.1:9"  # an endpoint for clients that send nothing
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def users_args(served: ServedPool, *extra: str, group: str = "members") -> list[str]:
    return ["users", served.pool.user_pool_id, group, "--endpoint-url", served.url, *extra]


def fault_args(server: FaultServer, *extra: str) -> list[str]:
    return ["users", POOL, GROUP, "--endpoint-url", server.url, *extra]


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """One attempt per request: a scripted fault is the answer, not retried away."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


# 1. Terminal output that never garbles.


def column_starts(header: str) -> list[int]:
    return [match.start() for match in re.finditer(r"\S+", header)]


def test_table_in_a_terminal_is_aligned_and_free_of_progress(served_pool: ServedPool) -> None:
    """On a rendered screen: rows at column 0 and under their header, no progress left.

    The header is repeated when widths grow; one summary line ends the run.
    """
    command = [str(SCRIPT), *users_args(served_pool, "--page-size", "7")]
    screen = run_in_terminal(command)
    assert screen.returncode == 0, screen.lines
    *table, summary = screen.lines
    assert summary == "listed 130 users in 19 pages"
    assert "listed" in screen.raw.replace(summary, "")  # progress was shown while listing ...
    assert not any("listed" in line for line in table)  # ... and none of it is left
    headers = [index for index, line in enumerate(table) if line.startswith("USERNAME ")]
    assert headers[0] == 0
    assert len(headers) > 1  # a later page had a longer username
    rows = 0
    for index, line in enumerate(table):
        assert line[:1].strip(), f"line {index} does not start at column 0: {line!r}"
        if index in headers:
            starts = column_starts(line)
            continue
        rows += 1
        for start in starts[1:]:
            assert line[start - 2 : start] == "  ", f"misaligned: {line!r}"
            assert line[start] != " ", f"misaligned: {line!r}"
    assert rows == 130


def test_progress_wording_is_plural_correct() -> None:
    """`1 user`, `2 users`, `0 pages`."""
    assert [counted(1, "user"), counted(2, "user"), counted(0, "page")] == [
        "1 user",
        "2 users",
        "0 pages",
    ]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_is_erased_before_anything_else_is_written() -> None:
    """The status line is cut to the terminal's width and erased before other output."""
    stream = FakeTerminal()
    status = StatusLine(stream, enabled=True)
    status.show("x" * 500)
    assert stream.getvalue().startswith("\r\x1b[K")
    assert len(stream.getvalue()) < 500
    with status.cleared():
        stream.write("ROW\n")
    assert stream.getvalue().endswith("\r\x1b[KROW\n")
    status.clear()  # nothing on the line: nothing written
    assert stream.getvalue().endswith("ROW\n")


def test_the_status_line_ticks_while_nothing_arrives() -> None:
    """Drawn again every interval while the caller waits (throttled, no row); off when disabled."""
    drawn = threading.Event()
    calls: list[int] = []

    def draw() -> None:
        calls.append(1)
        if len(calls) >= 3:
            drawn.set()

    status = StatusLine(FakeTerminal(), enabled=True)
    with status.ticking(draw, every=0.01):
        assert drawn.wait(30)
    after = len(calls)
    drawn.clear()
    assert not drawn.wait(0.05)
    assert len(calls) == after  # the thread ended with the block
    with StatusLine(FakeTerminal(), enabled=False).ticking(draw, every=0.01):
        pass
    assert len(calls) == after


def test_table_header_is_written_again_when_a_page_needs_wider_columns(
    served_pool: ServedPool,
) -> None:
    """Not on a terminal too: every row fits the columns of the header above it."""
    code, out, _ = run_main(users_args(served_pool, "--format", "table", "--page-size", "5"))
    assert code == 0
    lines = out.splitlines()
    for line in lines:
        if line.startswith("USERNAME "):
            starts = column_starts(line)
        else:
            assert all(line[start - 2 : start] == "  " for start in starts[1:]), line


def test_one_long_username_does_not_make_the_rows_wrap_on_a_terminal() -> None:
    """On a 100-column screen every row stays one line: the long cells are cut with "…".

    In a pipe the same listing writes the whole name.
    """
    long_name = "a-rather-long-username-" * 13  # 299 characters
    with FaultServer(users=30, names={12: long_name}) as server:
        screen = run_in_terminal(
            [str(SCRIPT), *fault_args(server, "--page-size", "10")], columns=100
        )
        code, out, _ = run_main(fault_args(server, "--format", "table", "--page-size", "10"))
    assert screen.returncode == 0, screen.lines
    *table, summary = screen.lines
    assert summary == "listed 30 users in 3 pages"
    rows = [line for line in table if not line.startswith("USERNAME ")]
    assert len(rows) == 30  # one line a user: no row wrapped onto a second line
    names = [row.split()[0] for row in rows]
    assert names[12].startswith("a-rather-long-")
    assert names[12].endswith("…")
    assert names[:12] + names[13:] == server.usernames(0, 12) + server.usernames(13)
    for index, line in enumerate(table):
        assert len(line) <= 100
        if line.startswith("USERNAME "):
            starts = column_starts(line)
            continue
        for start in starts[1:]:
            assert line[start - 2 : start] == "  ", f"misaligned line {index}: {line!r}"
    assert code == 0
    assert f"\n{long_name}  " in out


def test_an_80_column_terminal_cuts_username_and_email_not_status_or_date(
    served_pool: ServedPool,
) -> None:
    """At 80 columns, as docs/cli.md says: the widest (free-text) columns are cut, to one width.

    Status (FORCE_CHANGE_PASSWORD), enabled and the date keep their width; every row fits.
    """
    screen = run_in_terminal([str(SCRIPT), *users_args(served_pool)], columns=80)
    code, out, _ = run_main(users_args(served_pool, "--format", "table"))  # a pipe: uncut
    assert (screen.returncode, code) == (0, 0), screen.lines
    *table, _ = screen.lines
    header = table[0]
    assert header.split() == ["USERNAME", "USER_STATUS", "ENABLED", "USER_CREATE_DATE", "EMAIL"]
    rows = [line for line in table if not line.startswith("USERNAME ")]
    whole = out.splitlines()[1:]
    assert len(rows) == len(whole) == 130
    starts = column_starts(header)
    for shown, value in zip(rows, whole, strict=True):
        assert len(shown) <= 80
        cells, values = shown.split(), value.split()
        assert cells[1:4] == values[1:4]  # status, enabled, date: whole
        for cell, full in ((cells[0], values[0]), (cells[4], values[4])):
            assert cell == full or (cell.endswith("…") and full.startswith(cell[:-1]))
    assert "FORCE_CHANGE_PASSWORD" in {row.split()[1] for row in rows}
    # The free text gave way, to one width (the first cut column takes a spare cell).
    username_width, email_width = starts[1] - 2, 80 - starts[4]
    cut_names = {len(row.split()[0]) for row in rows if row.split()[0].endswith("…")}
    cut_emails = {len(row.split()[4]) for row in rows if row.split()[4].endswith("…")}
    assert (cut_names, cut_emails) == ({username_width}, {email_width})
    assert username_width - email_width in (0, 1)


# 2. Timeouts.


def test_an_endpoint_that_never_answers_gives_up_after_three_attempts() -> None:
    """Exit 7 after 3 attempts (counted at the server), with a waiting notice on the terminal.

    `--read-timeout 4` keeps the run short and still past the notice's 3 s; how long the
    defaults take at most is `test_the_defaults_give_up_within_a_minute`. `--read-timeout 1`
    runs at the same time, without a terminal: one line on stderr.
    """
    quick: list[subprocess.CompletedProcess[str]] = []

    def run_quick(url: str) -> None:
        quick.append(subprocess.run(  # noqa: S603
            [str(SCRIPT), "users", POOL, GROUP, "--endpoint-url", url, "--read-timeout", "1"],
            capture_output=True, text=True, check=False, timeout=120,
        ))  # fmt: skip

    with silent_server() as silent, silent_server() as quiet:
        alongside = threading.Thread(target=run_quick, args=(quiet.url,))
        alongside.start()
        screen = run_in_terminal(
            [str(SCRIPT), "users", POOL, GROUP, "--endpoint-url", silent.url, "--read-timeout", "4"]
        )
        alongside.join()
    [quick_result] = quick
    assert screen.returncode == 7
    assert silent.connections == 3
    assert "waiting for 127.0.0.1:" in screen.raw
    assert "(attempt 3/3)" in screen.raw
    assert screen.lines == [f'cognito-groups: error: Read timeout on endpoint URL: "{silent.url}/"']
    assert quick_result.returncode == 7
    assert quiet.connections == 3
    assert quick_result.stderr.count("\n") == 1
    assert "Read timeout" in quick_result.stderr


def built_config(*extra: str) -> Any:
    """The botocore config of the client the command builds for ``users POOL GROUP *extra``.

    It is built as every run builds it (`_aws.facade()` of the parsed options); nothing is sent.
    """
    args = parse(build_parser(), ["users", POOL, GROUP, "--endpoint-url", UNUSED_URL, *extra])
    with facade(args) as cognito:
        return cognito.client.meta.config


def test_the_defaults_give_up_within_a_minute() -> None:
    """The command's client, as built: 3 attempts of at most 5 s + 10 s, backoffs below 4 s.

    botocore waits at most ``connect_timeout`` + ``read_timeout`` per attempt, and between
    attempts ``random() * 2 ** (attempt - 1)`` seconds (standard and legacy modes alike): this
    bounds a run against an endpoint that never answers without timing one.
    """
    config = built_config()
    attempts = config.retries.get("total_max_attempts", 3)
    assert (config.retries["mode"], attempts) == ("standard", 3)
    worst = attempts * (config.connect_timeout + config.read_timeout) + sum(
        2 ** (attempt - 1) for attempt in range(1, attempts)
    )
    assert worst < 60


def test_timeouts_reach_the_client() -> None:
    """--connect-timeout and --read-timeout are the client's; the command's defaults are short."""
    configs = [built_config(), built_config("--connect-timeout", "1.5", "--read-timeout", "4")]
    seen = [(config.connect_timeout, config.read_timeout) for config in configs]
    assert seen == [(5.0, 10.0), (1.5, 4.0)]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_timeout_must_be_a_positive_number(value: str) -> None:
    """A timeout of 0, below 0, not finite or not a number is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["users", POOL, GROUP, "--read-timeout", value], stderr=io.StringIO())
    assert exit_info.value.code == 2


# 3. Exit codes are a contract.


def test_debug_adds_the_traceback_and_keeps_the_exit_code(served_pool: ServedPool) -> None:
    """--debug writes the traceback before the error line; the exit code stays that of the error."""
    code, _, err = run_main(users_args(served_pool, "--debug", group="nobody"))
    assert code == 3
    assert "Traceback (most recent call last)" in err
    assert err.endswith("cognito-groups: error: group 'nobody' not found in user pool "
                        f"{served_pool.pool.user_pool_id}\n")  # fmt: skip


@pytest.mark.usefixtures("no_retries")
def test_an_html_error_page_is_summarised_in_one_line() -> None:
    """A proxy's HTML 500 page: one line with the status, no markup, exit 6."""
    with FaultServer(users=3, script={1: Fault("html_error", status=500)}) as server:
        code, out, err = run_main(fault_args(server))
    assert code == 6
    assert out == ""
    assert err == (
        "cognito-groups: error: HTTP 500 Internal Server Error: a text/html body that is not a "
        "Cognito error response\n"
    )


@pytest.mark.usefixtures("no_retries")
def test_an_html_error_after_some_pages_gives_two_lines_and_resumes() -> None:
    """After two pages: the summary and the hint (the failure is transient), nothing else."""
    script = {3: Fault("html_error", status=502)}
    with FaultServer(users=30, script=script) as server:
        code, out, err = run_main(fault_args(server, "--page-size", "10"))
        first, hint = err.splitlines()
        assert code == 6
        assert "HTTP 502 Bad Gateway" in first
        assert "<" not in err
        resumed = run_main(fault_args(server, "--page-size", "10", *hint.split()[2:]))
    names = [json.loads(line)["username"] for line in (out + resumed[1]).splitlines()]
    assert names == server.usernames()


class _BrokenOutput(io.StringIO):
    """A stdout whose every write fails with an error no branch of the command expects."""

    def write(self, text: str) -> int:
        raise RuntimeError("boom")


def test_an_unexpected_error_is_two_lines_and_exit_1() -> None:
    """An error the command does not know: two lines (it, and "this is a bug"), exit 1."""
    with FaultServer(users=3) as server:
        err = io.StringIO()
        code = main(fault_args(server), stdout=_BrokenOutput(), stderr=err)
        assert code == 1
        assert err.getvalue().splitlines() == [
            "cognito-groups: error: unexpected RuntimeError: boom",
            "this is a bug: please report it with the output of --debug",
        ]
        err = io.StringIO()
        code = main(fault_args(server, "--debug"), stdout=_BrokenOutput(), stderr=err)
    assert code == 1
    assert "Traceback" in err.getvalue()
    assert "this is a bug" not in err.getvalue()


@pytest.mark.usefixtures("no_retries")
def test_a_long_service_message_stays_on_one_line() -> None:
    """A service message with newlines and 1,000 characters is one line of at most 300 (exit 6)."""
    message = "line one\nline two " + "x" * 1000
    script = {1: Fault("error", code="InternalErrorException", status=500, message=message)}
    with FaultServer(users=3, script=script) as server:
        code, _, err = run_main(fault_args(server))
    assert code == 6
    assert len(err.splitlines()) == 1
    assert len(err) <= len("cognito-groups: error: ") + 300 + 1


# 4. Resume hints only when they help.


def test_no_hint_for_a_token_the_service_rejected(served_pool: ServedPool) -> None:
    """A --next-token moto refused: exit 2, and where tokens come from, not a resume hint.

    (A resume hint would give the same token, refused again.)
    """
    code, _, err = run_main(users_args(served_pool, "--next-token", "garbage"))
    assert code == 2  # moto's InvalidToken (real Cognito's InvalidParameterException: 2 too)
    lines = err.splitlines()
    assert len(lines) == 2
    assert "garbage" not in lines[1]  # no resume hint with the refused token
    assert lines[1].startswith("--next-token takes the tokens this command prints")


@pytest.mark.usefixtures("no_retries")
def test_no_hint_when_nothing_was_listed_and_the_failure_is_not_transient() -> None:
    """Nothing listed and a lasting failure (not authorized): the error line only, exit 4."""
    script = {1: Fault("error", code="NotAuthorizedException", message="no")}
    with FaultServer(users=30, script=script) as server:
        code, _, err = run_main(fault_args(server, "--next-token", server.token_for(10)))
    assert code == 4
    assert err == "cognito-groups: error: no (NotAuthorizedException)\n"


@pytest.mark.usefixtures("no_retries")
def test_a_hint_for_a_transient_failure_even_before_any_user() -> None:
    """Throttled before the first user: the hint resumes from the token the run started with."""
    script = {1: Fault("error", code="TooManyRequestsException", message="slow down")}
    with FaultServer(users=30, script=script) as server:
        token = server.token_for(10)
        code, _, err = run_main(fault_args(server, "--next-token", token))
    assert code == 5
    assert err.splitlines()[1] == f"resume with: --next-token {token}"


def test_a_hint_is_quoted_for_the_shell() -> None:
    """The hint quotes the token for a POSIX shell; a rejected or missing token gives none."""
    err = TooManyRequestsError({"Error": {"Code": "TooManyRequestsException"}}, next_token="a&b")
    assert resume_hint(err, listed=0) == "resume with: --next-token 'a&b'"
    rejected = InvalidParameterError({"Error": {"Code": "x"}}, next_token="a")
    assert resume_hint(rejected, listed=5) is None
    unreached = TransportError("reset", next_token=None)
    assert resume_hint(unreached, listed=0) is None


def test_a_5xx_with_an_unknown_code_is_transient() -> None:
    """A 5xx answer with a code the library does not know still gets the resume hint."""
    err = CognitoServiceError(
        {"Error": {"Code": "Oops"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, next_token="t"
    )
    assert resume_hint(err, listed=0) == "resume with: --next-token t"


#: A page of `test_ctrl_c_prints_the_exact_resume_token` is far more than a pipe holds (64 KiB,
#: and the buffers on either side): once the test stops reading half-way through a page, the
#: command cannot reach the page's end, so the Ctrl-C that follows lands inside that page.
CTRL_C_PAGE = 60
CTRL_C_NAME_PAD = "-" + "x" * 5000


def users_interrupted(
    server: FaultServer, lines: int, *, unbuffered: bool
) -> tuple[list[str], str]:
    """Run ``users`` into a pipe, send SIGINT once ``lines`` users were read; its names, stderr.

    ``unbuffered``: with ``PYTHONUNBUFFERED=1``, as many containers run Python (a write cut
    short by the signal then loses the rest of its row unless the signal is held back).
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    command = [*AS_A_SHELL_STARTS_IT, str(SCRIPT), *fault_args(server, "--format", "jsonl")]
    process = subprocess.Popen(  # noqa: S603 (our own script)
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None
    read = b""  # read from the pipe itself: communicate() would not see a reader's buffer
    while read.count(b"\n") < lines:  # each read waits for the command (no sleep)
        chunk = os.read(process.stdout.fileno(), 4096)
        assert chunk, "the listing ended before the Ctrl-C"
        read += chunk
    process.send_signal(signal.SIGINT)
    rest, stderr = process.communicate(timeout=60)  # reading on lets a blocked write finish
    assert process.returncode == 130, stderr
    names = [json.loads(line)["username"] for line in (read + rest).decode().splitlines()]
    return names, stderr.decode()


@pytest.mark.parametrize("trial", range(5))
def test_ctrl_c_prints_the_exact_resume_token(trial: int) -> None:
    """Ctrl-C in `users`: the hint's token lists exactly the users not yet written.

    Interrupted between pages (while the next page is awaited) or half-way through writing one,
    at seeded places, with stdout buffered or not; the run resumed with the token gives the
    rest: every user once, in order, and every line of the first run whole.
    """
    rng = random.Random(f"issue 21, defect 10, trial {trial}")
    page = rng.randrange(3)
    mid_page = trial < 3  # trials 0-2 half-way through a page, 3-4 at a page's end
    offset = rng.randrange(1, CTRL_C_PAGE // 2) if mid_page else CTRL_C_PAGE
    users = 4 * CTRL_C_PAGE
    names = {index: username(index) + CTRL_C_NAME_PAD for index in range(users)}
    with FaultServer(users=users, latency=0.3, names=names) as server:
        first, stderr = users_interrupted(
            server, page * CTRL_C_PAGE + offset, unbuffered=trial % 2 == 0
        )
        *said, hint = stderr.splitlines()
        assert said == ["cognito-groups: interrupted"]
        option, token = shlex.split(hint.removeprefix("resume with: "))
        assert option == "--next-token"
        if mid_page:  # stopped inside the page it was writing: a token of ours, into the page
            written = len(first) - page * CTRL_C_PAGE
            assert 0 < written < CTRL_C_PAGE
            start = "" if page == 0 else server.token_for(page * CTRL_C_PAGE)
            assert token == f"cg1:skip:{written}:{start}"
        rerun = subprocess.run(  # noqa: S603 (our own script)
            [str(SCRIPT), *fault_args(server, "--format", "jsonl", "--next-token", token)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    second = [json.loads(line)["username"] for line in rerun.stdout.splitlines()]
    listed = [name.removesuffix(CTRL_C_NAME_PAD) for name in first + second]
    assert listed == [username(index) for index in range(users)]  # each once, in order


def test_the_token_after_ctrl_c_names_the_user_after_the_last_one_done() -> None:
    """`Progress`: the page's start, plus the users done; the next page's token at its end."""
    pages = [Page((User("a"), User("b"), User("c")), "T2"), Page((User("d"),), None)]
    progress = Progress(None)
    assert progress.next_token is None  # nothing done: the start
    progress.page(pages[0])
    assert progress.next_token is None
    progress.done(2)
    assert progress.next_token == "cg1:skip:2:"
    progress.done(3)
    assert progress.next_token == "T2"
    progress.page(pages[1])
    assert progress.next_token == "T2"
    progress.done(1)
    assert progress.next_token is None  # the group is finished
    resumed = Progress("cg1:skip:5:T1")
    resumed.page(pages[0])
    resumed.done(1)
    assert resumed.next_token == "cg1:skip:6:T1"


@pytest.mark.parametrize(
    ("given", "done", "hint"),
    [
        (None, 0, None),  # nothing listed: the same command starts over
        ("T1", 0, None),  # nothing listed: the token given is the hint already
        (None, 2, "resume with: --next-token cg1:skip:2:"),
        ("T1", 3, "resume with: --next-token 'a&b'"),  # quoted for the shell
        (None, 1, None),  # the last page is written: nothing to resume
    ],
    ids=["nothing-listed", "nothing-after-token", "mid-page", "page-end", "finished"],
)
def test_a_resume_hint_after_ctrl_c_only_when_it_helps(
    given: str | None, done: int, hint: str | None
) -> None:
    """After Ctrl-C the hint comes when users were listed and the listing is not finished."""
    token_args = [] if given is None else ["--next-token", given]
    args = parse(build_parser(), ["users", POOL, GROUP, *token_args])
    listing = Listing(args, io.StringIO(), Console(io.StringIO(), debug=False, quiet=True))
    users = (User("a"), User("b"), User("c"))
    last = done == 1
    listing.progress.page(Page(users[:1], None) if last else Page(users, "a&b"))
    listing.progress.done(done)
    assert listing.interrupt_hint() == hint


def test_ctrl_c_is_held_back_while_a_row_is_written() -> None:
    """`HeldInterrupt`: SIGINT in `held()` is raised when the block ends, elsewhere at once.

    The signal is raised in this thread (``raise_signal``): ``os.kill`` on the process may be
    delivered to another of the test worker's threads, and reach Python's handler only after
    the ``pytest.raises`` block, which crashed the worker now and then.
    """
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    interrupt = HeldInterrupt()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    steps: list[str] = []

    def write_and_count() -> None:
        with interrupt.held():
            signal.raise_signal(signal.SIGINT)
            steps.append("written")
            steps.append("counted")

    def write() -> None:
        signal.raise_signal(signal.SIGINT)
        steps.append("written, not held")  # pragma: no cover (interrupted before)

    try:
        with interrupt.installed():
            with pytest.raises(KeyboardInterrupt):
                write_and_count()
            assert steps == ["written", "counted"]
            with pytest.raises(KeyboardInterrupt):
                write()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert steps == ["written", "counted"]


# 5. Messages in the user's words.


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--max-users", "0"], "--max-users must be at least 1, got 0"),
        (["--page-size", "61"], "--page-size must be from 1 to 60 (the service maximum), got 61"),
        (["--next-token", "cg1:skip:x:"], "--next-token: not a valid resume token"),
        (["--region", "us east"], "--region: 'us east' is not a Region name"),
    ],
)
def test_local_errors_name_the_flag(flags: list[str], message: str) -> None:
    """A parameter the library rejects before sending is named by its flag, in one line, exit 2."""
    code, _, err = run_main(["users", POOL, GROUP, *flags])
    assert code == 2
    assert err.startswith(f"cognito-groups: error: {message}")
    assert "None" not in err
    assert "request" not in err
    assert len(err.splitlines()) == 1


def test_a_local_error_does_not_claim_a_request_was_made() -> None:
    """A rejected parameter says no request was made, and is still a botocore ClientError."""
    with pytest.raises(ClientError) as caught:  # `except ClientError` keeps working
        list(CognitoGroups(new_cognito_client()).iter_users(POOL, GROUP, page_size=0))
    assert isinstance(caught.value, InvalidParameterError)
    assert str(caught.value) == (
        "page_size: must be from 1 to 60 (the service maximum), got 0 "
        "(found before sending: no request was made)"
    )
    assert "when calling" not in repr(caught.value)


def test_usage_errors_are_two_lines() -> None:
    """A missing argument: what is missing, and the command's --help to read (exit 2)."""
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        main(["users", POOL], stderr=err)
    assert exit_info.value.code == 2
    # argparse writes usage errors to sys.stderr itself: checked through the script instead.
    result = subprocess.run(  # noqa: S603
        [str(SCRIPT), "users", POOL], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "cognito-groups users: error: the following arguments are required: GROUP_NAME",
        "see: cognito-groups users --help",
    ]


# 6. Region from the pool id.


def test_the_region_comes_from_the_pool_id(
    served_pool: ServedPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Region configured anywhere: the CLI and iter_users_in_group take the pool's."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, out, err = run_main(users_args(served_pool, "--max-users", "3"))
    assert code == 0, err
    assert len(out.splitlines()) == 3
    monkeypatch.setenv("AWS_ENDPOINT_URL", served_pool.url)  # documented: another endpoint
    users = iter_users_in_group(served_pool.pool.user_pool_id, "members", max_users=4)
    assert len(list(users)) == 4


def test_a_configured_region_wins_over_the_pool_id() -> None:
    """A configured Region (AWS_DEFAULT_REGION) is used, not the pool id's prefix."""
    client = new_cognito_client(user_pool_id="eu-west-1_AbC123")
    assert client.meta.region_name == "us-east-1"  # AWS_DEFAULT_REGION of the test
    client.close()


def test_an_unknown_prefix_is_still_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Region and a pool id prefix botocore does not know: one line naming --region, exit 2."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert region_from_pool_id("mars-1_AbC123") is None
    assert region_from_pool_id("us-gov-west-1_AbC123") == "us-gov-west-1"
    assert region_from_pool_id("us_east_1_AbC123") is None
    code, _, err = run_main(["users", "local_AbC123", GROUP])
    assert code == 2
    assert err == (
        "cognito-groups: error: no AWS Region: pass --region or set AWS_REGION (the prefix of "
        "local_AbC123 is not a Region botocore knows)\n"
    )


def test_aws_endpoint_url_points_the_command_elsewhere(
    served_pool: ServedPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL alone points the command at another endpoint (moto here)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", served_pool.url)
    code, out, _ = run_main(["users", served_pool.pool.user_pool_id, "members", "--max-users", "2"])
    assert code == 0
    assert len(out.splitlines()) == 2


# 7. Stable output shapes.


def test_every_timestamp_has_one_shape(served_pool: ServedPool) -> None:
    """json, jsonl, csv and table: microseconds always written, UTC, a Z."""
    args = users_args(served_pool, "--max-users", "20")
    found: list[str] = []
    for format_name in ("json", "jsonl", "csv", "table"):
        code, out, _ = run_main([*args, "--format", format_name])
        assert code == 0
        found.extend(re.findall(r"\d{4}-\d\d-\d\dT[\d:.]+Z?", out))
    assert len(found) == 20 * 2 * 2 + 20 * 2
    assert all(TIMESTAMP.fullmatch(stamp) for stamp in found), found


def test_a_whole_second_keeps_its_microseconds() -> None:
    """Timestamps always have microseconds (also .000000) and are converted to UTC."""
    from datetime import datetime, timedelta, timezone

    whole = datetime(2026, 11, 27, 14, 43, 51, tzinfo=timezone.utc)
    assert iso_utc(whole) == "2026-11-27T14:43:51.000000Z"
    elsewhere = datetime(2026, 11, 27, 15, 43, 51, 773, tzinfo=timezone(timedelta(hours=1)))
    assert iso_utc(elsewhere) == "2026-11-27T14:43:51.000773Z"


def test_no_header_appends_a_resumed_csv_run(served_pool: ServedPool) -> None:
    """--max-users, then --no-header --next-token: one header, every member once."""
    code, first, err = run_main(users_args(served_pool, "--format", "csv", "--max-users", "50"))
    token = err.split("--next-token ")[1].strip()
    code, rest, _ = run_main(
        users_args(served_pool, "--format", "csv", "--no-header", "--next-token", token)
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(first + rest)))
    assert rows[0][0] == "username"
    assert len(rows) == 131
    assert len({row[0] for row in rows[1:]}) == 130


def test_no_header_on_a_table(served_pool: ServedPool) -> None:
    """--no-header leaves the table's header out: one line per user, nothing else."""
    code, out, _ = run_main(users_args(served_pool, "--format", "table", "--no-header"))
    assert code == 0
    assert "USERNAME" not in out
    assert len(out.splitlines()) == 130


def test_no_header_with_json_is_refused() -> None:
    """--no-header with the default jsonl output is a two-line usage error naming the fix."""
    result = subprocess.run(  # noqa: S603
        [str(SCRIPT), "users", POOL, GROUP, "--no-header"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "cognito-groups users: error: --no-header applies to table and csv output; the output "
        "is jsonl (pass --format csv or --format table)",
        "see: cognito-groups users --help",
    ]


@pytest.mark.parametrize("command", [["users", POOL, GROUP], ["export", POOL], ["demo"]])
def test_an_unknown_option_points_to_the_commands_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown option of any command points to that command's --help (exit 2)."""
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--bogus", "x"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"cognito-groups {command[0]}: error: unrecognized arguments: --bogus x",
        f"see: cognito-groups {command[0]} --help",
    ]


def test_an_unknown_status_is_refused_with_the_valid_ones() -> None:
    """--status with an unknown value is refused, listing the valid statuses."""
    result = subprocess.run(  # noqa: S603
        [str(SCRIPT), "users", POOL, GROUP, "--status", "BOGUS"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    first, second = result.stderr.splitlines()
    assert first.startswith("cognito-groups users: error: argument --status: 'BOGUS' is not a")
    assert "CONFIRMED, ARCHIVED, COMPROMISED" in first
    assert second == "see: cognito-groups users --help"


@pytest.mark.parametrize("format_name", ["json", "jsonl"])
def test_attribute_selects_attributes_in_json(served_pool: ServedPool, format_name: str) -> None:
    """--attribute keeps only those attributes in json/jsonl; without it, every attribute."""
    args = users_args(served_pool, "--format", format_name, "--max-users", "5")
    code, out, _ = run_main([*args, "--attribute", "email", "--attribute", "custom:team"])
    assert code == 0
    users = json.loads(out) if format_name == "json" else [json.loads(x) for x in out.splitlines()]
    assert [set(user["attributes"]) for user in users] == [{"email", "custom:team"}] * 5
    code, out, _ = run_main(args)
    everything = json.loads(out) if format_name == "json" else json.loads(out.splitlines()[0])
    first = everything[0] if format_name == "json" else everything
    assert len(first["attributes"]) > 2


@pytest.mark.usefixtures("no_retries")
def test_a_failure_before_the_first_page_leaves_no_lone_table_header() -> None:
    """Failing before the first page: no lone table or csv header; json is still closed ([])."""

    def script(number: int, request: object) -> Fault:
        return Fault("error", code="InternalErrorException", status=500, message="down")

    with FaultServer(users=3, script=script) as server:
        for format_name, expected in (("table", ""), ("csv", ""), ("json", "[\n]\n")):
            code, out, _ = run_main(fault_args(server, "--format", format_name))
            assert (code, out) == (6, expected)


# 8. Install and release.


def test_make_demo_installs_only_the_demo_extra(tmp_path: Path) -> None:
    """From nothing, `make demo` installs `.[demo]`, never the development tools."""
    root = Path(__file__).parent.parent
    result = subprocess.run(  # noqa: S603
        ["make", "-n", "demo", f"VENV={tmp_path / 'venv'}"],  # noqa: S607
        cwd=root, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert any("-e '.[demo]'" in line for line in installs), installs
    assert not any("[dev]" in line for line in installs), installs


def test_the_command_line_of_main_is_the_console_script() -> None:
    """`cognito-groups --version` from the installed script and from `python -m`."""
    for command in ([str(SCRIPT)], [sys.executable, "-m", "cognito_groups"]):
        result = subprocess.run(  # noqa: S603
            [*command, "--version"], capture_output=True, text=True, check=False, timeout=60,
            env={**os.environ},
        )  # fmt: skip
        assert result.returncode == 0
        assert result.stdout.startswith("cognito-groups ")


@pytest.mark.parametrize("command", ["users", "export"])
def test_json_on_a_terminal_shows_every_record(command: str) -> None:
    """--format json on a terminal: no record is erased by the status line, and it parses.

    (The last record of each page had no newline yet, so the status line's erase wiped it.)
    """
    with FaultServer(users=30) as server:
        args = [command, POOL]
        args += [GROUP, "--page-size", "10"] if command == "users" else ["--group", GROUP]
        screen = run_in_terminal(
            [str(SCRIPT), *args, "--endpoint-url", server.url, "--format", "json"],
            columns=2000,  # one record, one screen line
        )
        expected = server.usernames()
    assert screen.returncode == 0, screen.lines
    text = "\n".join(line for line in screen.lines if not line.startswith(("listed", "exported")))
    assert [record["username"] for record in json.loads(text)] == expected


def test_missing_credentials_say_how_to_give_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere: exit 4, and the line says how to give them.

    (It was botocore's bare "Unable to locate credentials".)
    """
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with FaultServer(users=3) as server:
        code, out, err = run_main(fault_args(server))
        assert server.requests == []
    assert (code, out) == (4, "")
    assert err == (
        "cognito-groups: error: Unable to locate credentials: give credentials with --profile "
        "NAME, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    )


@pytest.mark.usefixtures("no_retries")
@pytest.mark.parametrize("code", ["InvalidParameterException", "InvalidToken"])
def test_a_refused_next_token_is_a_usage_error_saying_where_tokens_come_from(code: str) -> None:
    """--next-token the service refuses (Cognito's code, or an emulator's): exit 2 and a hint.

    (An emulator's InvalidToken was exit 6, "service error"; neither said where tokens come
    from.)
    """
    refused = Fault("error", code, message="Invalid token")
    with FaultServer(users=3, script={1: refused}) as server:
        code_, out, err = run_main(fault_args(server, "--next-token", "garbage"))
    assert (code_, out) == (2, "")
    assert err.splitlines()[1] == (
        '--next-token takes the tokens this command prints ("continue with --next-token ...", '
        '"resume with: ..."); the AWS CLI\'s --starting-token is another format'
    )


def test_paced_progress_is_drawn_at_most_every_interval() -> None:
    """show_paced: a line per PROGRESS_SECONDS, whatever the rate it is told; none when off."""

    def line(number: int) -> Callable[[], str]:
        return lambda: f"line {number}"

    stream = FakeTerminal()
    status = StatusLine(stream, enabled=True)
    for eighth in range(20):  # told every 1/8 s (exact in binary): drawn every other time
        status.show_paced(line(eighth), eighth / 8)
    drawn = [line for line in stream.getvalue().split("\r\x1b[K") if line]
    assert drawn == [f"line {eighth}" for eighth in range(0, 20, 2)]
    off = FakeTerminal()
    StatusLine(off, enabled=False).show_paced(lambda: "never", 0.0)
    assert off.getvalue() == ""
