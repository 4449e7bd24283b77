"""Export a group's members to a CSV file, streaming (never the whole group in memory).

With no arguments it exports the demo group of an in-process moto Cognito to ``members.csv``;
given ``--user-pool-id`` and ``--group`` it exports a real group.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from cognito_groups import CognitoGroups, CognitoGroupsError

COLUMNS = ["username", "status", "enabled", "created_utc", "email", "email_verified"]


def export(groups: CognitoGroups, user_pool_id: str, group_name: str, path: Path) -> int:
    """Write one row per member to ``path``; return how many were written."""
    count = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for user in groups.iter_users(user_pool_id, group_name):
            created = user.user_create_date.isoformat() if user.user_create_date else ""
            writer.writerow(
                [user.username, user.user_status or "", user.enabled, created,
                 user.email or "", user.email_verified]
            )  # fmt: skip
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Run the export; see the module docstring."""
    parser = argparse.ArgumentParser(description="Export a group's members to CSV.")
    parser.add_argument("--user-pool-id")
    parser.add_argument("--group")
    parser.add_argument("--region")
    parser.add_argument("--output", type=Path, default=Path("members.csv"))
    args = parser.parse_args(argv)
    try:
        if args.user_pool_id and args.group:
            groups = CognitoGroups(region_name=args.region)
            count = export(groups, args.user_pool_id, args.group, args.output)
        else:
            from cognito_groups.demo import demo_cognito

            with demo_cognito() as (client, pool):
                count = export(
                    CognitoGroups(client), pool.user_pool_id, pool.group_name, args.output
                )
    except CognitoGroupsError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(f"wrote {count} members to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
