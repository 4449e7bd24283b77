"""The ``cognito-groups`` command: list a group's members from the terminal.

It writes no paging, validation or error translation of its own: it calls the library's. Its
modules, one concern each:

* ``_main``: the entry (parse, run the command, map its errors to exit codes and messages);
* ``_parser``: the parser: its commands, their help, and usage errors;
* ``_options``: each command's options, in the groups the commands share, and their types;
* ``_aws``: the facade built from the AWS options, and the count of requests it sent;
* ``_users``: ``users`` and ``demo``, a group listed page by page;
* ``_export``: ``export``, every membership of a pool, crash-safe;
* ``_export_checks``: what ``export`` refuses before it writes;
* ``_other_files``: files an output must not replace (another run's, a checkpoint, a database);
* ``_commits``: when and how ``export`` commits (rows synced, then the checkpoint);
* ``_spill``: ``export --by-user``, the memberships regrouped by user in a file on disk;
* ``_sync``: ``sync``, a pool mirrored into a database (the library's `Mirror`);
* ``_changes``: ``changes``, who joined and who left, from the mirror;
* ``_files``: the files ``export`` writes (named errors, atomic replace, temporaries);
* ``_checkpoint_file``: its checkpoint; ``_output_file``: its output, created or continued;
* ``_lock``: one export per file (a lock beside each file written, held for the run);
* ``_writers``: the one writer family (table, json, jsonl, csv) of both commands;
* ``_records``: a row of output: a user and its lead as one JSON object or as cell text;
* ``_terminal``: stderr, with the live status line; ``_safe_text``: text made safe to show;
* ``_interrupt``: Ctrl-C held back while a row is written and counted (exact resume hints),
  SIGTERM and SIGHUP raised so that clean-up runs;
* ``_report``: error messages, exit codes, resume hints.

Exit codes (one per error family; ``--debug`` adds a traceback and keeps them)::

    0  success
    1  unexpected error (a bug: please report it with --debug output)
    2  bad usage or bad parameter (also: no Region configured; a --db that is not a mirror,
       of a newer schema, or with another sync of the pool running)
    3  user pool or group not found
    4  not authorized, or no usable credentials
    5  throttled (TooManyRequestsException after retries)
    6  other service error (internal error, operation not enabled, broken paging ...)
    7  connection failed, timed out, or the response was garbled (also: the mirror's
       PostgreSQL server cannot be reached or went away, or its SQLite file stayed locked by
       another writer for 30 s)
    8  a file could not be written or read (full disk, no permission, no such folder ...),
       the mirror's database included
    129 stopped by SIGHUP, 143 by SIGTERM (temporary and lock files removed first)
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

from cognito_groups._cli._main import main
from cognito_groups._cli._parser import build_parser
from cognito_groups._cli._report import EXIT_CODES, exit_code

__all__ = ["EXIT_CODES", "build_parser", "exit_code", "main"]
