"""A bounded soak under random faults, and one client shared by eight threads."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

from botocore.config import Config

from cognito_groups import CognitoGroups, CognitoGroupsError

from .fault_server import GROUP, POOL, Fault, FaultServer, Request

SOAK_FAULTS = [
    Fault("error", "TooManyRequestsException", message="Rate exceeded"),
    Fault("error", "InternalErrorException", status=500),
    Fault("error", "InvalidParameterException", message="bad token", reason_code="INVALID_TOKEN"),
    Fault("close_before_headers"),
    Fault("close_after_headers"),
    Fault("malformed"),
    Fault("truncated"),
    Fault("stall", seconds=0.3),
    Fault("repeat_token"),
    Fault("short", count=13),
    Fault("unknown_enums"),
]


def random_faults(seed: int, rate: float) -> object:
    """A script with a fault on about ``rate`` of the requests, the same for the same seed."""

    def script(number: int, _request: Request) -> Fault | None:
        draw = random.Random(seed * 1_000_003 + number)
        return draw.choice(SOAK_FAULTS) if draw.random() < rate else None

    return script


def test_soak_20000_users_with_5_percent_faults() -> None:
    """Resuming from err.next_token after every error lists 20,000 users exactly once, fast."""
    config = Config(retries={"total_max_attempts": 1}, read_timeout=0.2, connect_timeout=1)
    with FaultServer(users=20_000, script=random_faults(seed=7, rate=0.05)) as server:  # type: ignore[arg-type]
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1", config=config)
        started = time.monotonic()
        seen: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        token: str | None = None
        for _ in range(2_000):  # bounded: far more than ~350 pages and their faults
            try:
                seen.update(u.username for u in groups.iter_users(POOL, GROUP, next_token=token))
                break
            except CognitoGroupsError as err:
                errors[type(err).__name__] += 1
                token = err.next_token
        elapsed = time.monotonic() - started
    assert len(seen) == 20_000
    assert set(seen.values()) == {1}
    assert sum(errors.values()) > 5  # faults really happened, of several kinds
    assert len(errors) >= 4
    assert elapsed < 600  # only catches a hang; the resume count above is the real check


def test_one_client_shared_by_eight_threads() -> None:
    """Eight threads listing through one CognitoGroups each get the whole group, once."""
    with FaultServer(users=600) as server:
        groups = CognitoGroups(endpoint_url=server.url, region_name="us-east-1")
        results: dict[int, list[str]] = {}

        def work(index: int) -> None:
            page_size = 20 + index * 5
            results[index] = [
                user.username for user in groups.iter_users(POOL, GROUP, page_size=page_size)
            ]

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        expected = server.usernames()
    assert sorted(results) == list(range(8))
    assert all(names == expected for names in results.values())
