"""The database mirror of a pool's groups and members, with the history of who joined and left.

One concern per module:

* ``_errors``: the mirror's exceptions;
* ``_records``: the frozen dataclasses the mirror returns, and a sync's options;
* ``_dialect``: what differs between SQLite and PostgreSQL (the `Dialect`): connecting, types,
  transactions, moments, errors, and the lock that lets one sync of a pool run at a time;
* ``_sqlite`` / ``_postgres``: the two dialects, one file each;
* ``_database``: a connection through its dialect, ``dialect_for`` a ``--db``;
* ``_schema``: the tables, ``schema_version`` and the numbered forward migrations;
* ``_staging``: a sync in progress, staged page by page with its cursor;
* ``_rows``: what a staged row holds: the service's values as a database stores them;
* ``_staged_digest``: the digest of a sync's staged rows, checked before it is continued;
* ``_swap``: the end of a sync: the diff and the swap, in one transaction;
* ``_job``: one run of a sync: the pool's lock, start or continue, list, stage, complete;
* ``_resume``: how a run begins: the interrupted sync found and continued (or refused), or a
  new one;
* ``_queries``: what readers ask (members, groups of a user, changes, syncs), one short
  statement each;
* ``_readers``: the reader connections of a `Mirror`, a small pool shared by threads;
* ``_reads``: the read methods, written once for `Mirror` and `MirrorSnapshot`;
* ``_snapshot``: `MirrorSnapshot`, every read from one read transaction;
* ``_mirror``: `Mirror`, the public facade.
"""
