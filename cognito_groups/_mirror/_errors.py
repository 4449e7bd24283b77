"""The mirror's exceptions: one tree, each naming the database (never its password).

The tree:

    MirrorError                     base of every error of the mirror's database or its syncs
    ├── NotAMirrorError             the file or database is not a mirror (nor empty), is missing,
    │                               or holds a value no mirror writes (changed by hand, damaged)
    ├── SchemaVersionError          the mirror was written by a newer cognito-groups
    ├── SyncInProgressError         another sync of the pool into this database holds its lock
    ├── InterruptedSyncError        a sync of the pool was interrupted with other options
    ├── UnknownGroupError           a group named to sync is neither in the pool nor the mirror
    ├── DatabaseUnavailableError    the database cannot be reached, or went away (PostgreSQL)
    ├── DatabaseAuthenticationError the database refused the credentials (PostgreSQL)
    └── DatabaseWriteError          the database cannot be written or read: full disk,
                                    read-only file, I/O error, permission

Errors of the listing itself are the library's (`CognitoGroupsError` and its subclasses):
the sync stops, keeps what it staged with its cursor, and the next sync continues it.
"""

from __future__ import annotations

__all__ = [
    "DatabaseAuthenticationError",
    "DatabaseUnavailableError",
    "DatabaseWriteError",
    "InterruptedSyncError",
    "MirrorError",
    "NotAMirrorError",
    "SchemaVersionError",
    "SyncInProgressError",
    "UnknownGroupError",
]


class MirrorError(Exception):
    """A problem with the mirror's database or a sync: its message names the database.

    Attributes:
        database: The database as it can be shown (a path, or a PostgreSQL URL without its
            password).
    """

    def __init__(self, database: str, message: str) -> None:
        super().__init__(message)
        self.database = database


class NotAMirrorError(MirrorError):
    """The file or database is not a mirror of cognito-groups (nor empty), or does not exist.

    Also a mirror holding a value no mirror writes (a moment that is not one, a count that is
    not a number, a schema version that is not a positive integer): changed by hand or
    damaged. The message names the table and column.
    """


class SchemaVersionError(MirrorError):
    """The mirror's schema is newer than this version of cognito-groups knows.

    Attributes:
        found: The database's schema version.
        known: The newest version this release knows.
    """

    def __init__(self, database: str, message: str, *, found: int, known: int) -> None:
        super().__init__(database, message)
        self.found = found
        self.known = known


class SyncInProgressError(MirrorError):
    """Another sync of the same pool into the same database is running.

    Attributes:
        user_pool_id: The pool.
        holder: Who holds it, as far as can be told (``"pid 1234"``, a PostgreSQL
            ``application_name``), or ``None``.
    """

    def __init__(
        self, database: str, message: str, *, user_pool_id: str, holder: str | None
    ) -> None:
        super().__init__(database, message)
        self.user_pool_id = user_pool_id
        self.holder = holder


class InterruptedSyncError(MirrorError):
    """A sync of the pool was interrupted with other groups or attributes: pass ``restart``."""


class UnknownGroupError(MirrorError):
    """A group named to sync is neither in the pool nor in the mirror.

    Attributes:
        group_name: The group.
    """

    def __init__(self, database: str, message: str, *, group_name: str) -> None:
        super().__init__(database, message)
        self.group_name = group_name


class DatabaseUnavailableError(MirrorError):
    """The database server cannot be reached, or the connection was lost (PostgreSQL).

    What was committed stays; the next sync of the pool continues from its last commit.
    """


class DatabaseAuthenticationError(MirrorError):
    """The database server refused the credentials (PostgreSQL).

    A wrong password, a role that does not exist, or a connection its ``pg_hba.conf`` does not
    allow. Not an outage: trying again changes nothing until the credentials are mended. The message
    never holds the password.
    """


class DatabaseWriteError(MirrorError):
    """The database cannot be written or read: a full disk, a read-only file, an I/O error.

    The transaction under way is rolled back: the database stays as it was at the last commit,
    and the next sync continues from there once the cause is mended.
    """
