"""List a group with the async client, and two groups at once with asyncio.gather.

With no arguments it runs on a moto server started on 127.0.0.1 (aiobotocore does not go
through moto's in-process patching); given ``--user-pool-id`` and ``--group`` it lists a real
group with your AWS credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from cognito_groups import AsyncCognitoGroups, CognitoGroupsError


async def count_members(groups: AsyncCognitoGroups, user_pool_id: str, group_name: str) -> int:
    """How many members ``group_name`` has, listed 60 at a time."""
    return len([user async for user in groups.iter_users(user_pool_id, group_name)])


async def run(user_pool_id: str, groups_to_list: list[str], **options: Any) -> None:
    """List every group concurrently on one client and print how many members each has."""
    async with AsyncCognitoGroups(**options) as groups:
        counts = await asyncio.gather(
            *(count_members(groups, user_pool_id, name) for name in groups_to_list)
        )
    for name, count in zip(groups_to_list, counts, strict=True):
        print(f"{name}: {count} members")


def demo() -> None:
    """Start a moto server, seed the demo pool in it, and list two of its groups at once."""
    from aiobotocore.session import AioSession
    from moto.server import ThreadedMotoServer

    from cognito_groups._client._config import new_cognito_client
    from cognito_groups.demo import DEMO_REGION, seed_demo_pool

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        client = new_cognito_client(
            region_name=DEMO_REGION,
            endpoint_url=url,
            aws_access_key_id="demo",
            aws_secret_access_key="demo",  # noqa: S106 (the emulator ignores it)
        )
        pool = seed_demo_pool(client)
        client.create_group(UserPoolId=pool.user_pool_id, GroupName="empty")
        session = AioSession()
        session.set_credentials("demo", "demo")  # the emulator accepts any credentials
        asyncio.run(
            run(
                pool.user_pool_id,
                [pool.group_name, "empty"],
                session=session,
                region_name=DEMO_REGION,
                endpoint_url=url,
            )
        )
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the example; see the module docstring."""
    parser = argparse.ArgumentParser(description="List groups with the async client.")
    parser.add_argument("--user-pool-id")
    parser.add_argument("--group", action="append", help="a group name (repeatable)")
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    try:
        if args.user_pool_id and args.group:
            asyncio.run(run(args.user_pool_id, args.group, region_name=args.region))
        else:
            demo()
    except CognitoGroupsError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
