"""List a whole group through throttling: resume from ``err.next_token`` after a pause.

Real Cognito throttles ListUsersInGroup per account and Region. The library's own client
already retries throttling (botocore's standard mode); when those retries are spent, the error
says where to resume, and this loop waits and goes on, losing and repeating no member.

With no arguments it runs on a stubbed group of 500 users that throttles on page 3 (moto never
throttles); given ``--user-pool-id`` and ``--group`` it lists a real group.
"""

from __future__ import annotations

import argparse
import sys
import time

from cognito_groups import CognitoGroups, CognitoGroupsError, TooManyRequestsError


def list_all(
    groups: CognitoGroups,
    user_pool_id: str,
    group_name: str,
    *,
    pause: float = 1.0,
    max_pauses: int = 20,
) -> list[str]:
    """Every member's username, resuming after each throttle (at most ``max_pauses`` times)."""
    names: list[str] = []
    token: str | None = None
    for attempt in range(max_pauses + 1):
        try:
            for user in groups.iter_users(user_pool_id, group_name, next_token=token):
                names.append(user.username)
            return names
        except TooManyRequestsError as err:
            if attempt == max_pauses:
                raise
            print(f"throttled after {len(names)} members; resuming in {pause:.1f}s")
            token = err.next_token
            time.sleep(pause)
            pause = min(pause * 2, 30.0)
    return names  # pragma: no cover - the loop returns or raises


def main(argv: list[str] | None = None) -> int:
    """Run the example; see the module docstring."""
    parser = argparse.ArgumentParser(description="List a group, resuming after throttling.")
    parser.add_argument("--user-pool-id")
    parser.add_argument("--group")
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    try:
        if args.user_pool_id and args.group:
            names = list_all(CognitoGroups(region_name=args.region), args.user_pool_id, args.group)
        else:
            from cognito_groups.testing import GroupStub

            with GroupStub() as stub:
                stub.add_group(500, error_on_page=3, error=TooManyRequestsError, then_resume=True)
                names = list_all(stub.groups, stub.user_pool_id, stub.group_name, pause=0.01)
                stub.assert_all_used()
    except CognitoGroupsError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(f"{len(names)} members, {len(set(names))} distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
