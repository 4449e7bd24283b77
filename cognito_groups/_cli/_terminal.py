"""The command's stderr: its messages, and the one line of live status on a terminal.

The status line (progress, or a waiting notice) is drawn only when stderr is a terminal (and
not ``--quiet``), always on one line that is erased before anything else is written to the
terminal: a row, a header, an error. So rows and headers start at column 0 and no progress
text is left among them. The line is cut to the terminal's width, so that it never wraps (a
wrapped line could not be erased); a table's columns are cut to fit it (`capped_widths()`).
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
import traceback
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from cognito_groups._cli._safe_text import display_width, visible

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Sequence
    from typing import TextIO

    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

__all__ = ["Console", "RequestWatch", "StatusLine", "capped_widths", "counted", "terminal_columns"]

_ERASE = "\r\x1b[K"  # back to column 0, and clear to the end of the line

#: The least time between two progress lines (`StatusLine.show_paced()`).
PROGRESS_SECONDS = 0.2
#: Seconds of silence before "waiting for ..." is shown.
WAIT_NOTICE_AFTER = 3.0


def counted(count: int, noun: str) -> str:
    """``1 user``, ``2 users``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to; 80 when it is unknown.

    Unknown: ``stream`` is not a real file, or its size is 0; then ``COLUMNS`` or the
    process's terminal (`shutil.get_terminal_size()`) tells, else 80.
    """
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, io.UnsupportedOperation):
        columns = 0
    return columns or shutil.get_terminal_size().columns or 80


class StatusLine:
    """A line of status on a terminal, rewritten in place; does nothing when disabled.

    Every method is safe to call from another thread (the waiting notice is drawn by one).
    """

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self.enabled = enabled
        self._stream = stream
        self._lock = threading.RLock()
        self._text = ""  # what is on the line now ("" when it is erased)
        self._paced = float("-inf")  # when `show_paced()` last drew

    def show(self, text: str) -> None:
        """Replace the line's text."""
        if not self.enabled:
            return
        with self._lock:
            self._stream.write(_ERASE + self._fit(visible(text)))
            self._stream.flush()
            self._text = text

    def show_paced(self, text: Callable[[], str], now: float) -> None:
        """Show ``text()``, unless a paced line was shown less than `PROGRESS_SECONDS` ago.

        For progress told faster than a terminal is worth redrawing (each row, each tick).
        """
        if not self.enabled:
            return
        with self._lock:
            if now - self._paced < PROGRESS_SECONDS:
                return
            self._paced = now
            self.show(text())

    def clear(self) -> None:
        """Erase the line, if anything is on it."""
        with self._lock:
            if self._text:
                self._stream.write(_ERASE)
                self._stream.flush()
                self._text = ""

    @contextmanager
    def cleared(self) -> Generator[None, None, None]:
        """Erase the line and keep it erased while the caller writes to the terminal."""
        with self._lock:
            self.clear()
            yield

    @contextmanager
    def ticking(self, draw: Callable[[], None], every: float = 0.5) -> Generator[None, None, None]:
        """Call ``draw`` every ``every`` seconds in a thread while inside (if enabled).

        So that the line moves on while the caller waits, e.g. while requests are throttled
        and sent again and no row arrives to redraw it.
        """
        if not self.enabled:
            yield
            return
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(every):
                draw()

        thread = threading.Thread(target=tick, name="cognito-groups-status", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _fit(self, text: str) -> str:
        """``text`` cut to one column less than the terminal's width (it must not wrap)."""
        width = terminal_columns(self._stream) - 1
        if display_width(text) <= width:
            return text
        while text and display_width(text + "…") > width:
            text = text[:-1]
        return text + "…"


class Console:
    """What the command says on stderr: lines, errors with their hint, and the status line.

    Args:
        stderr: Where to write.
        debug: Write the traceback before an error (``--debug``).
        quiet: Draw no status line (``--quiet``); it is drawn only on a terminal anyway.
    """

    def __init__(self, stderr: TextIO, *, debug: bool, quiet: bool) -> None:
        self.stderr = stderr
        self.debug = debug
        self.status = StatusLine(stderr, enabled=stderr.isatty() and not quiet)

    def say(self, line: str) -> None:
        """One line on stderr, control characters escaped (it may quote the server)."""
        with self.status.cleared():
            self.stderr.write(visible(line) + "\n")
            self.stderr.flush()

    def fail(self, err: BaseException, what: str, hint: str | None = None) -> None:
        """The error in one line, then the hint; with ``debug``, the traceback first."""
        if self.debug:
            with self.status.cleared():
                traceback.print_exception(err, file=self.stderr)
        self.say(f"cognito-groups: error: {what}")
        if hint is not None:
            self.say(hint)


class RequestWatch:
    """Shows "waiting for HOST (attempt n/m)" when a request has been silent for a while.

    It follows the client's requests through botocore's events: each call (``before-call``),
    each attempt of it, retries included (``before-send``), and its end (``after-call``,
    ``after-call-error``). A background thread draws the notice on the status line after
    `WAIT_NOTICE_AFTER` seconds without an answer, and redraws it for every new attempt.
    """

    def __init__(self, client: CognitoIdentityProviderClient, status: StatusLine) -> None:
        self._status = status
        self._host = urlparse(client.meta.endpoint_url).netloc or client.meta.endpoint_url
        given: object = getattr(client.meta.config, "retries", None)
        retries: dict[str, Any] = (
            dict(cast("dict[str, Any]", given)) if isinstance(given, dict) else {}
        )
        self._attempts_max = retries.get("total_max_attempts") or (
            5 if retries.get("mode") == "legacy" else 3
        )
        self._since: float | None = None  # when the current call started (None: no call)
        self._attempt = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if status.enabled:
            events = client.meta.events
            operation = f"{client.meta.service_model.service_id.hyphenize()}.ListUsersInGroup"
            events.register(f"before-call.{operation}", self._call_started)
            events.register(f"before-send.{operation}", self._attempt_started)
            events.register(f"after-call.{operation}", self._call_ended)
            events.register(f"after-call-error.{operation}", self._call_ended)
            self._thread = threading.Thread(target=self._watch, name="cognito-groups-wait")
            self._thread.daemon = True
            self._thread.start()

    def close(self) -> None:
        """Stop watching (the thread ends within a fraction of a second)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _call_started(self, **_: object) -> None:
        self._attempt = 0
        self._since = time.monotonic()

    def _attempt_started(self, **_: object) -> None:
        self._attempt += 1

    def _call_ended(self, **_: object) -> None:
        self._since = None

    def _watch(self) -> None:
        shown = ""
        while not self._stop.wait(0.2):
            since = self._since
            if since is None or time.monotonic() - since < WAIT_NOTICE_AFTER:
                shown = ""
                continue
            attempt = max(self._attempt, 1)
            text = f"waiting for {self._host} (attempt {attempt}/{self._attempts_max})…"
            if text != shown:
                self._status.show(text)
                shown = text


def capped_widths(needed: Sequence[int], floors: Sequence[int], room: int) -> list[int]:
    """``needed`` cut to one common width (never below ``floors``) to fit ``room`` if it can.

    The widest columns are cut first, to the largest common width that fits; the columns
    that leaves spare go to the first of the cut columns, one each. When even the floors do
    not fit, the floors.
    """

    def under(cap: int) -> list[int]:
        return [max(min(width, cap), floor) for width, floor in zip(needed, floors, strict=True)]

    cap = max(needed)
    while cap > 1 and sum(under(cap)) > room:
        cap -= 1
    widths = under(cap)
    spare = room - sum(widths)
    for index, width in enumerate(widths):
        if spare <= 0:
            break
        if width == cap < needed[index]:
            widths[index] += 1
            spare -= 1
    return widths
