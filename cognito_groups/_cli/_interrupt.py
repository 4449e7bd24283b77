"""Ctrl-C held back while a row is written and counted, so that the resume hint is exact.

Python raises `KeyboardInterrupt` between any two bytecodes. A Ctrl-C that lands between a
row's write and its count would make the hint after it repeat that row (or, counted first,
skip it). Worse, a SIGINT that interrupts a write blocked on a full pipe or a slow terminal
makes the write return part-way, and with ``PYTHONUNBUFFERED`` (common in containers) the
text layer drops the rest of the row: the output holds half a line, and the user it names is
never listed again.

`HeldInterrupt` closes both gaps. While it is `installed()`, SIGINT is blocked during a
`held()` block (``pthread_sigmask``, where there is one), so no write of it is cut short,
and a SIGINT that reaches Python's handler there anyway (delivered to another thread) is
noted; either way `KeyboardInterrupt` is raised when the block ends. Anywhere else Ctrl-C is
raised at once, as Python's own handler does (a slow request is still interrupted).

It changes only Python's default handler, and only in the main thread (the one signals are
handled in): a SIGINT that the shell had ignored (a background job) stays ignored, and a
program that runs `main()` with a handler of its own keeps it.

SIGTERM and SIGHUP (`stops_raised()`) raise `Terminated`, so that a stopped run removes its
temporary files and lock files as it does after Ctrl-C; they are not held back, so
``users`` prints no ``--next-token`` after them (``export``'s checkpoint needs none).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Generator
    from types import FrameType

__all__ = ["HeldInterrupt", "Terminated", "stops_raised"]

#: Whether a thread can block signals here (POSIX; not on Windows).
_CAN_BLOCK = hasattr(signal, "pthread_sigmask")


class HeldInterrupt:
    """Holds a Ctrl-C back for the length of a `held()` block, then raises it."""

    def __init__(self) -> None:
        self._installed = False
        self._holding = False
        self._pending = False

    @contextmanager
    def installed(self) -> Generator[None, None, None]:
        """Let `held()` hold Ctrl-C back during this block (see the module's docstring)."""
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        ):
            yield
            return
        self._pending = False
        signal.signal(signal.SIGINT, self._on_sigint)
        self._installed = True
        try:
            yield
        finally:
            self._installed = False
            signal.signal(signal.SIGINT, signal.default_int_handler)

    @contextmanager
    def held(self) -> Generator[None, None, None]:
        """Raise a Ctrl-C that arrives in this block only once it has ended (without an error)."""
        self._holding = True
        mask = (
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            if self._installed and _CAN_BLOCK
            else None
        )
        try:
            yield
        finally:
            if mask is not None:  # a SIGINT that came meanwhile is handled now (and held)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            self._holding = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self._holding:
            self._pending = True
            return
        signal.default_int_handler(signum, frame)


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM, SIGHUP): raised so that clean-up code runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


#: The signals that end a run (their default would kill the process, leaving temporary files).
_STOPS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def stops_raised() -> Generator[None, None, None]:
    """SIGTERM and SIGHUP raise `Terminated` during this block, instead of killing at once.

    Then ``finally`` blocks run: temporary files are removed, locks let go, and the command
    says how to continue. Once one has come, the others are ignored until the block ends.
    Only signals left at their default are changed (``nohup`` makes SIGHUP ignored: it stays
    ignored), and only in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    changed = [stop for stop in _STOPS if signal.getsignal(stop) is signal.SIG_DFL]
    for stop in changed:
        signal.signal(stop, _raise_terminated)
    try:
        yield
    finally:
        for stop in changed:
            signal.signal(stop, signal.SIG_DFL)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # One stop is enough: another one, raised in the middle of the clean-up (in a lock's
    # release, a thread pool's shutdown), would leave it half done, or hang the exit. The
    # others go to a handler that does nothing, not to SIG_IGN: a stop that came meanwhile and
    # waits for Python to run its handler would then find none, and Python raises
    # "OSError: Signal 15 ignored due to race condition" in whatever code runs next.
    for stop in _STOPS:
        signal.signal(stop, _ignore)
    raise Terminated(signum)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A stop after the first: nothing to do (the run is already ending)."""
