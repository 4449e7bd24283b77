"""An application that checks group membership in the mirror, on every request, from any thread.

One `Mirror` for the whole process, at module level: threads share it (each read borrows a
connection of its own from the mirror's small pool), and each answer is from the latest
complete sync. A scheduled ``cognito-groups sync`` keeps the mirror fresh; the application
only reads, and sends nothing to AWS.

Run it (after a sync) as::

    USER_POOL_ID=us-east-1_AbC123 COGNITO_GROUPS_DB=/srv/mirror/cognito-groups.db \
        python examples/mirror_app.py USERNAME
"""

from __future__ import annotations

import atexit
import os
import sys

from cognito_groups import Mirror

USER_POOL_ID = os.environ.get("USER_POOL_ID", "us-east-1_AbC123")
MIRROR = Mirror(os.environ.get("COGNITO_GROUPS_DB", "/srv/mirror/cognito-groups.db"))
atexit.register(MIRROR.close)  # the connections of every thread, closed once


def is_admin(username: str) -> bool:
    """Whether ``username`` is in ``admins``, as the latest complete sync saw it."""
    return "admins" in MIRROR.groups_of(USER_POOL_ID, username)


def access_review() -> dict[str, list[str]]:
    """Every group's members, all from one sync (a snapshot), however long it takes."""
    with MIRROR.snapshot() as snapshot:
        return {
            group.group_name: [
                user.username for user in snapshot.members(USER_POOL_ID, group.group_name)
            ]
            for group in snapshot.groups(USER_POOL_ID)
        }


def main(argv: list[str]) -> int:
    """``USERNAME``: print whether the user is an admin (exit 0) or not (exit 1)."""
    (username,) = argv
    admin = is_admin(username)
    print(f"{username} is {'an admin' if admin else 'not an admin'}")
    return 0 if admin else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
