"""The ``cognito-groups`` command: list a group's members from the terminal.

It writes no paging, validation or error translation of its own: it calls the library's. Its
modules: ``_parser`` (the options), ``_terminal`` (the live status line on stderr), ``_report``
(error messages, exit codes, resume hints) and ``_main`` (the run).

Exit codes (one per error family; ``--debug`` adds a traceback and keeps them)::

    0  success
    1  unexpected error (a bug: please report it with --debug output)
    2  bad usage or bad parameter (also: no Region configured)
    3  user pool or group not found
    4  not authorized, or no usable credentials
    5  throttled (TooManyRequestsException after retries)
    6  other service error (internal error, operation not enabled, broken paging ...)
    7  connection failed, timed out, or the response was garbled
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

from cognito_groups._cli._main import main
from cognito_groups._cli._parser import build_parser
from cognito_groups._cli._report import EXIT_CODES, exit_code

__all__ = ["EXIT_CODES", "build_parser", "exit_code", "main"]
