"""An HTTP handler (AWS Lambda / API Gateway style) that serves a group a page at a time.

The front end asks ``GET /groups/{group}/members?cursor=...``; the handler answers one page of
members and the cursor of the next, or a clear status for each typed error. The client is made
once per container, outside the handler, as Lambda recommends.

With no arguments it calls the handler on an in-process moto Cognito seeded with the demo pool.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from cognito_groups import (
    CognitoGroups,
    CognitoGroupsError,
    InvalidParameterError,
    ResourceNotFoundError,
    TooManyRequestsError,
)

_groups: CognitoGroups | None = None


def groups() -> CognitoGroups:
    """One CognitoGroups per container (built on first use)."""
    global _groups
    if _groups is None:
        _groups = CognitoGroups()
    return _groups


def handler(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """Answer one page of a group's members: ``{"members": [...], "cursor": ...}``."""
    group: str = event["pathParameters"]["group"]
    query: dict[str, str] = event.get("queryStringParameters") or {}
    cursor = query.get("cursor")
    pool = os.environ["USER_POOL_ID"]
    try:
        page = next(groups().iter_pages(pool, group, page_size=50, next_token=cursor), None)
    except InvalidParameterError as err:
        return _answer(400, {"error": f"bad request: {err.parameter or 'parameter'}"})
    except ResourceNotFoundError:
        return _answer(404, {"error": f"no group {group!r}"})
    except TooManyRequestsError as err:
        return _answer(429, {"error": "slow down", "cursor": err.next_token})
    except CognitoGroupsError:
        return _answer(502, {"error": "Cognito failed; try again"})
    members = [] if page is None else [
        {"username": u.username, "email": u.email, "status": str(u.user_status)}
        for u in page.users
    ]  # fmt: skip
    return _answer(200, {"members": members, "cursor": None if page is None else page.next_token})


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}  # fmt: skip


def main() -> int:
    """Call the handler on the demo pool, following cursors, then ask for a missing group."""
    global _groups
    from cognito_groups.demo import demo_cognito

    with demo_cognito() as (client, pool):
        os.environ["USER_POOL_ID"] = pool.user_pool_id
        _groups = CognitoGroups(client)
        cursor: str | None = None
        total = pages = 0
        while True:
            query = {"cursor": cursor} if cursor else None
            event = {"pathParameters": {"group": pool.group_name}, "queryStringParameters": query}
            body = json.loads(handler(event)["body"])
            total, pages = total + len(body["members"]), pages + 1
            cursor = body["cursor"]
            if cursor is None:
                break
        print(f"{total} members in {pages} pages")
        missing = handler({"pathParameters": {"group": "nobody"}})
        print(missing["statusCode"], json.loads(missing["body"])["error"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
