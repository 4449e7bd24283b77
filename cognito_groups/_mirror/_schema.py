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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_groups._mirror import _staged_digest
from cognito_groups._mirror._errors import NotAMirrorError, SchemaVersionError
from cognito_groups._mirror._staging import cursor_digest

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cognito_groups._mirror._database import Database

    #: A step of a migration: a statement (its types as `Dialect.types` names them), or a
    #: function run with the database.
    Migration = str | Callable[[Database], None]

__all__ = ["APPLICATION", "MIGRATIONS", "SCHEMA_VERSION", "TABLES", "check_schema", "ensure_schema"]

#: What ``schema_version.application`` says in a mirror of cognito-groups.
APPLICATION = "cognito-groups mirror"

_VERSION_1 = (
    """CREATE TABLE schema_version (
    application TEXT NOT NULL,
    version {int} NOT NULL
)""",
    # One row per sync. A running or failed sync with no `finished` is continued by the next
    # sync of its pool, from `listing_checkpoint` (committed with the rows it covers).
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
    error TEXT
)""",
    "CREATE INDEX syncs_by_pool ON syncs (pool_id, status)",
    # The groups whose members the mirror holds (groups of the pool covered by a complete sync).
    """CREATE TABLE groups (
    pool_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    description TEXT,
    precedence {int},
    role_arn TEXT,
    creation_date {ts},
    last_modified_date {ts},
    first_seen {ts} NOT NULL,
    last_seen {ts} NOT NULL,
    first_sync_id {int} NOT NULL,
    last_sync_id {int} NOT NULL,
    PRIMARY KEY (pool_id, group_name)
){rowid}""",
    # The latest record of each user in at least one mirrored group.
    """CREATE TABLE users (
    pool_id TEXT NOT NULL,
    username TEXT NOT NULL,
    user_status TEXT,
    enabled {bool},
    user_create_date {ts},
    user_last_modified_date {ts},
    attributes {json} NOT NULL,
    first_seen {ts} NOT NULL,
    updated {ts} NOT NULL,
    updated_sync_id {int} NOT NULL,
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
    observed_at {ts} NOT NULL
)""",
    "CREATE INDEX membership_changes_by_time ON membership_changes (pool_id, observed_at)",
    "CREATE INDEX membership_changes_by_user ON membership_changes (pool_id, username)",
    # What a sync in progress has listed (staged): swapped in when it completes, then removed.
    """CREATE TABLE sync_groups (
    sync_id {int} NOT NULL,
    group_name TEXT NOT NULL,
    present {bool} NOT NULL,
    record_changes {bool},
    description TEXT,
    precedence {int},
    role_arn TEXT,
    creation_date {ts},
    last_modified_date {ts},
    PRIMARY KEY (sync_id, group_name)
){rowid}""",
    """CREATE TABLE sync_memberships (
    sync_id {int} NOT NULL,
    group_name TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (sync_id, group_name, username)
){rowid}""",
    """CREATE TABLE sync_users (
    sync_id {int} NOT NULL,
    username TEXT NOT NULL,
    user_status TEXT,
    enabled {bool},
    user_create_date {ts},
    user_last_modified_date {ts},
    attributes {json} NOT NULL,
    PRIMARY KEY (sync_id, username)
){rowid}""",
)


def _digest_interrupted_syncs(db: Database) -> None:
    """Version 2: the digest of each sync that a sync of the new release may continue.

    Syncs interrupted before the upgrade had none: their rows are taken as they are (edited
    or not, they were written without a digest), so that an upgrade mid-sync needs no
    ``--restart``. One that cannot be read is left without one, and refused as damaged.
    """
    rows = list(
        db.rows(
            "SELECT id, pool_id, group_names, attributes, listing_checkpoint, memberships "
            "FROM syncs WHERE status <> 'complete' AND finished IS NULL"
        )
    )
    for sync_id, pool, names, attributes, checkpoint, memberships in rows:
        try:
            digest = cursor_digest(
                db.read_int(sync_id, "syncs.id", minimum=1),
                pool,
                db.read_names(names, "syncs.group_names"),
                db.read_names(attributes, "syncs.attributes"),
                checkpoint,
                db.read_int(memberships, "syncs.memberships"),
            )
        except NotAMirrorError:
            continue
        db.execute("UPDATE syncs SET cursor_digest = ? WHERE id = ?", (digest, sync_id))


_VERSION_2 = (
    # The SHA-256 of what decides how a sync in progress continues, written with its cursor.
    "ALTER TABLE syncs ADD COLUMN cursor_digest TEXT",
    _digest_interrupted_syncs,
)


def _digest_staged_rows(db: Database) -> None:
    """Version 3: the staged rows' digest of each sync that may be continued, taken as they are."""
    rows = list(db.rows("SELECT id FROM syncs WHERE status <> 'complete' AND finished IS NULL"))
    for (sync_id,) in rows:
        digest = _staged_digest.of_staged(db, sync_id)
        db.execute("UPDATE syncs SET staged_digest = ? WHERE id = ?", (digest, sync_id))


_VERSION_3 = (
    # Every mirrored user's ``sub`` (Cognito's id of the account, never reused): a username
    # deleted and created again is another person. Null where a sync of an older version wrote
    # the row (taken as the same account, until a sync sees its sub).
    "ALTER TABLE users ADD COLUMN sub TEXT",
    "ALTER TABLE sync_users ADD COLUMN sub TEXT",
    "ALTER TABLE sync_memberships ADD COLUMN sub TEXT",
    # The account that holds the membership, and the one a change is about.
    "ALTER TABLE memberships ADD COLUMN sub TEXT",
    "ALTER TABLE membership_changes ADD COLUMN sub TEXT",
    # The digest of what a sync in progress has staged (`_staged_digest`), checked before it
    # is continued; computed here for a sync interrupted before the upgrade, as it is.
    "ALTER TABLE syncs ADD COLUMN staged_digest TEXT",
    _digest_staged_rows,
    # Readers page a pool's changes by id (`_queries`): without it, each page sorted all of
    # the pool's later changes (100,000 changes of one pool: 8.5 s instead of a fraction).
    "CREATE INDEX membership_changes_by_pool_id ON membership_changes (pool_id, id)",
)

#: Each migration's steps: ``MIGRATIONS[n - 1]`` makes version ``n``. A step is a statement,
#: or a function given the database (inside the migration's transaction).
MIGRATIONS: tuple[Sequence[Migration], ...] = (_VERSION_1, _VERSION_2, _VERSION_3)
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
