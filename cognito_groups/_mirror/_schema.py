"""The mirror's tables, their version, and the numbered forward migrations that make them.

The schema is a stable interface (``docs/mirror.md`` describes it): applications read these
tables with SQL. It is written once for both back ends; the dialect fills in the column types
(``{ts}`` is ``TEXT`` in SQLite, in the fixed shape ``2026-11-27T14:43:51.000000Z``, and
``TIMESTAMPTZ`` in PostgreSQL ...).

``schema_version`` holds one row: the application (so that a table of that name made by
another program is not taken for ours) and the version. ``MIGRATIONS[n - 1]`` takes a
database from version ``n - 1`` to ``n``; each runs in its own transaction, with the version
row, so a database is always at one version. A sync brings its database up to
`SCHEMA_VERSION`; a database of a newer version is refused, never written (`SchemaVersionError`).
Version 1 is the schema of 0.1.0, the first release; the development schemas before it were
never released and are not migrated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_groups._mirror._errors import NotAMirrorError, SchemaVersionError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cognito_groups._mirror._database import Database

    #: A step of a migration: a statement (its types as `Dialect.types` names them), or a
    #: function run with the database.
    Migration = str | Callable[[Database], None]

__all__ = ["APPLICATION", "MIGRATIONS", "SCHEMA_VERSION", "TABLES", "check_schema", "ensure_schema"]

#: What ``schema_version.application`` says in a mirror of cognito-groups.
APPLICATION = "cognito-groups mirror"

#: The columns of a user's record as the listing gives it: in `users`, and in `sync_users`, a
#: sync's staged copy that `_swap` moves into it.
_USER_RECORD = """\
    username TEXT NOT NULL,
    user_status TEXT,
    enabled {bool},
    user_create_date {ts},
    user_last_modified_date {ts},
    attributes {json} NOT NULL,
"""
#: The columns of a group's record as the listing gives it: in `groups` and `sync_groups`.
_GROUP_RECORD = """\
    description TEXT,
    precedence {int},
    role_arn TEXT,
    creation_date {ts},
    last_modified_date {ts},
"""

_VERSION_1 = (
    """CREATE TABLE schema_version (
    application TEXT NOT NULL,
    version {int} NOT NULL
)""",
    # One row per sync. A running or failed sync with no `finished` is continued by the next
    # sync of its pool, from `listing_checkpoint` (committed with the rows it covers), once
    # `cursor_digest` (the SHA-256 of what decides how it continues, written with its cursor)
    # and `staged_digest` (of what it has staged, `_staged_digest`) say they are as written.
    """CREATE TABLE syncs (
    id {id},
    pool_id TEXT NOT NULL,
    started {ts} NOT NULL,
    finished {ts},
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    requests {int} NOT NULL DEFAULT 0,
    throttled {int} NOT NULL DEFAULT 0,
    memberships {int} NOT NULL DEFAULT 0,
    joined {int},
    left_count {int},
    baseline {bool} NOT NULL,
    group_names {json},
    attributes {json},
    listing_checkpoint TEXT,
    error TEXT,
    cursor_digest TEXT,
    staged_digest TEXT
)""",
    "CREATE INDEX syncs_by_pool ON syncs (pool_id, status)",
    # The groups whose members the mirror holds (groups of the pool covered by a complete sync).
    """CREATE TABLE groups (
    pool_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
"""
    + _GROUP_RECORD
    + """\
    first_seen {ts} NOT NULL,
    last_seen {ts} NOT NULL,
    first_sync_id {int} NOT NULL,
    last_sync_id {int} NOT NULL,
    PRIMARY KEY (pool_id, group_name)
){rowid}""",
    # The latest record of each user in at least one mirrored group. Its `sub` is Cognito's id
    # of the account, never reused: a username deleted and created again is another person
    # (null where the listing gave none). A membership's `sub` is the account that holds it, a
    # change's the account that joined or left.
    """CREATE TABLE users (
    pool_id TEXT NOT NULL,
"""
    + _USER_RECORD
    + """\
    first_seen {ts} NOT NULL,
    updated {ts} NOT NULL,
    updated_sync_id {int} NOT NULL,
    sub TEXT,
    PRIMARY KEY (pool_id, username)
){rowid}""",
    """CREATE TABLE memberships (
    pool_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    username TEXT NOT NULL,
    first_seen {ts} NOT NULL,
    last_seen {ts} NOT NULL,
    first_sync_id {int} NOT NULL,
    last_sync_id {int} NOT NULL,
    sub TEXT,
    PRIMARY KEY (pool_id, group_name, username)
){rowid}""",
    "CREATE INDEX memberships_by_user ON memberships (pool_id, username)",
    """CREATE TABLE membership_changes (
    id {id},
    pool_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    username TEXT NOT NULL,
    change TEXT NOT NULL CHECK (change IN ('joined', 'left')),
    sync_id {int} NOT NULL,
    observed_at {ts} NOT NULL,
    sub TEXT
)""",
    "CREATE INDEX membership_changes_by_time ON membership_changes (pool_id, observed_at)",
    "CREATE INDEX membership_changes_by_user ON membership_changes (pool_id, username)",
    # Readers page a pool's changes by id (`_queries`): without it, each page sorted all of
    # the pool's later changes (100,000 changes of one pool: 8.5 s instead of a fraction).
    "CREATE INDEX membership_changes_by_pool_id ON membership_changes (pool_id, id)",
    # What a sync in progress has listed (staged): swapped in when it completes, then removed.
    """CREATE TABLE sync_groups (
    sync_id {int} NOT NULL,
    group_name TEXT NOT NULL,
    present {bool} NOT NULL,
    record_changes {bool},
"""
    + _GROUP_RECORD
    + """\
    PRIMARY KEY (sync_id, group_name)
){rowid}""",
    """CREATE TABLE sync_memberships (
    sync_id {int} NOT NULL,
    group_name TEXT NOT NULL,
    username TEXT NOT NULL,
    sub TEXT,
    PRIMARY KEY (sync_id, group_name, username)
){rowid}""",
    """CREATE TABLE sync_users (
    sync_id {int} NOT NULL,
"""
    + _USER_RECORD
    + """\
    sub TEXT,
    PRIMARY KEY (sync_id, username)
){rowid}""",
)


#: Each migration's steps: ``MIGRATIONS[n - 1]`` makes version ``n``. A step is a statement,
#: or a function given the database (inside the migration's transaction).
MIGRATIONS: tuple[Sequence[Migration], ...] = (_VERSION_1,)
#: The version this release writes and reads.
SCHEMA_VERSION = len(MIGRATIONS)
#: The mirror's tables (a database holding one of them without being a mirror is refused).
TABLES = frozenset(
    {
        "schema_version",
        "syncs",
        "groups",
        "users",
        "memberships",
        "membership_changes",
        "sync_groups",
        "sync_memberships",
        "sync_users",
    }
)


def check_schema(db: Database, *, migrations: Sequence[Sequence[Migration]] = MIGRATIONS) -> int:
    """The database's schema version: 0 for a database without the mirror's tables.

    Raises:
        NotAMirrorError: the database holds other tables (SQLite) or tables of the mirror's
            names that are not the mirror's (PostgreSQL).
        SchemaVersionError: its version is newer than ``len(migrations)``.
        NotAMirrorError: its version is not a positive integer (changed by hand or damaged).
    """
    tables = db.tables()
    where = db.shown
    if "schema_version" in tables:
        row = db.one("SELECT application, version FROM schema_version")
        if row is not None and row[0] == APPLICATION:
            version = db.read_int(row[1], "schema_version.version", minimum=1)
            known = len(migrations)
            if version > known:
                raise SchemaVersionError(
                    where,
                    f"{where} is a mirror of schema version {version}, written by a newer "
                    f"cognito-groups (this one knows up to {known}): upgrade cognito-groups",
                    found=version,
                    known=known,
                )
            return version
    clashes = sorted(tables & TABLES)
    others = sorted(tables)
    if clashes or (others and not db.dialect.shares_database):
        names = ", ".join((clashes or others)[:5])
        raise NotAMirrorError(
            where,
            f"{where} is a database, but not a mirror of cognito-groups (it has tables {names}): "
            "give the mirror a database of its own",
        )
    return 0


def ensure_schema(db: Database, *, migrations: Sequence[Sequence[Migration]] = MIGRATIONS) -> int:
    """Bring the database up to the newest version, one migration per transaction.

    Returns the version it was at. Two processes may do this at once: each migration takes
    the schema lock and checks the version again inside its transaction.
    """
    start = check_schema(db, migrations=migrations)
    db.dialect.prepare_to_write(db.connection)  # a mirror, or empty: WAL mode from now on
    version = start
    while version < len(migrations):
        with db.transaction(), db.dialect.schema_lock(db.connection):
            version = check_schema(db, migrations=migrations)
            if version >= len(migrations):
                break
            for step in migrations[version]:
                if isinstance(step, str):
                    db.execute(step.format_map(db.dialect.types))
                else:
                    step(db)
            if version == 0:
                db.execute(
                    "INSERT INTO schema_version (application, version) VALUES (?, ?)",
                    (APPLICATION, 1),
                )
            else:
                db.execute("UPDATE schema_version SET version = ?", (version + 1,))
            version += 1
    return start
