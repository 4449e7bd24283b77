"""SQL that takes a mirror of the current schema back to an older version, for migration tests."""

from __future__ import annotations

__all__ = ["UNDO_VERSION_3"]

#: Version 3 added each user's and membership's ``sub``, the staged rows' digest, and an index.
UNDO_VERSION_3 = (
    *(
        f"ALTER TABLE {table} DROP COLUMN sub"
        for table in (
            "users",
            "sync_users",
            "sync_memberships",
            "memberships",
            "membership_changes",
        )
    ),
    "ALTER TABLE syncs DROP COLUMN staged_digest",
    "DROP INDEX membership_changes_by_pool_id",
)
