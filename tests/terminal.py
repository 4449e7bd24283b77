"""Run a command in a pseudo-terminal and render what a person would see (with pyte).

Also how an interactive shell starts a command (`AS_A_SHELL_STARTS_IT`), for Ctrl-C tests.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

import pyte

#: Runs a command with Ctrl-C (SIGINT) and the hang-up (SIGHUP) at their defaults, as a
#: terminal's shell starts it. A test run started in the background by a non-interactive shell
#: (`make test &`, some CI runners) has SIGINT and SIGQUIT ignored, as POSIX asks for
#: asynchronous commands, and one started under `nohup` has SIGHUP ignored; every child
#: inherits that, and the command rightly leaves an ignored signal ignored, so it would never
#: see the Ctrl-C or the hang-up the test sends.
AS_A_SHELL_STARTS_IT = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGHUP, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
]


@dataclass(frozen=True)
class Screen:
    """How a terminal run ended: its exit code, the rendered screen and the raw bytes."""

    returncode: int
    lines: list[str]  # the screen's lines, right-stripped, trailing empty lines dropped
    raw: str  # every byte the command wrote, decoded (escape sequences included)
    seconds: float


def run_in_terminal(
    command: list[str], *, columns: int = 160, rows: int = 400, timeout: float = 90
) -> Screen:
    """Run ``command`` with stdin, stdout and stderr on one pseudo-terminal, as in a shell."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 (the tests' own commands)
        command, stdin=follower, stdout=follower, stderr=follower, start_new_session=True
    )
    os.close(follower)
    raw = b""
    try:
        while chunk := os.read(leader, 65536):
            raw += chunk
    except OSError:  # EIO: every writer closed the terminal and everything was read
        pass
    finally:
        os.close(leader)
    returncode = process.wait(timeout=timeout)
    seconds = time.monotonic() - started
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    stream.feed(raw)  # the pseudo-terminal already turned each "\n" into "\r\n" (ONLCR)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return Screen(returncode, lines, raw.decode(errors="replace"), seconds)
