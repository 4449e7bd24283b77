"""List a group's members as a table, then catch a typed error.

With no arguments it runs on an in-process moto Cognito seeded with a demo pool (``make demo``).
Given ``--user-pool-id`` and ``--group`` it lists a real group with your AWS credentials::

    python examples/quickstart.py --user-pool-id us-east-1_AbC123 --group admins
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cognito_groups import CognitoGroups, CognitoGroupsError, ResourceNotFoundError, User

if TYPE_CHECKING:
    from collections.abc import Iterable


def print_table(users: Iterable[User]) -> int:
    """Print one line per user, as they arrive; return how many there were."""
    print(f"{'USERNAME':<24} {'STATUS':<22} {'ENABLED':<7} {'EMAIL':<36} {'CREATED (UTC)':<16}")
    count = 0
    for count, user in enumerate(users, start=1):  # noqa: B007 (the count is the result)
        created = user.user_create_date.strftime("%Y-%m-%d %H:%M") if user.user_create_date else ""
        print(
            f"{user.username:<24} {user.user_status or '':<22} {user.enabled!s:<7} "
            f"{user.email or '':<36} {created:<16}"
        )
    return count


def run(groups: CognitoGroups, user_pool_id: str, group_name: str) -> None:
    """List the group, then show how a missing group is reported."""
    count = print_table(groups.iter_users(user_pool_id, group_name))
    print(f"\n{count} users in group {group_name!r}.\n")

    missing = f"{group_name}-does-not-exist"
    try:
        for _ in groups.iter_users(user_pool_id, missing):
            pass
    except ResourceNotFoundError as err:
        print(f"Caught {type(err).__name__} ({err.code}): {err.message}")


def main(argv: list[str] | None = None) -> int:
    """Run the quickstart; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--user-pool-id", help="a real user pool id (default: the demo pool)")
    parser.add_argument("--group", help="a real group name (with --user-pool-id)")
    parser.add_argument("--region", help="AWS Region (default: from your AWS config)")
    parser.add_argument("--endpoint-url", help="another endpoint, e.g. a moto server")
    args = parser.parse_args(argv)

    try:
        if args.user_pool_id and args.group:
            groups = CognitoGroups(region_name=args.region, endpoint_url=args.endpoint_url)
            run(groups, args.user_pool_id, args.group)
            return 0
        if args.user_pool_id or args.group:
            parser.error("--user-pool-id and --group go together")

        from cognito_groups.demo import demo_cognito

        print("Demo: an in-process moto Cognito seeded with a pool and a group.\n")
        with demo_cognito() as (client, pool):
            run(CognitoGroups(client), pool.user_pool_id, pool.group_name)
    except CognitoGroupsError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
