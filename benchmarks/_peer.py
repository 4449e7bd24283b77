"""The peer of ``make bench-quota``: what a user would write instead of the library.

Raw boto3, in botocore's ``standard`` or ``adaptive`` retry mode
(``Config(retries={"mode": ...})``, its default attempts): one client, the pool's group names
from a ``ListGroups`` loop (``NextToken``, ``Limit=60``), then a queue of groups and
`THREADS` threads, each taking the next group and paging it with ``NextToken`` and
``Limit=60``. A group whose listing raises after botocore's retries is a failed group: the
thread counts it and takes the next one (the memberships it had listed are kept, as a script
that appends as it goes would).

Run as a process (the three-processes scenario)::

    python -m benchmarks._peer URL POOL MODE OUTPUT

writes the memberships to ``OUTPUT`` (JSON Lines, ``group_name`` and ``username``), prints
``{"failed_groups": N, "error": null}`` and exits 1 if a group (or the group list) failed.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

#: Threads listing groups at once.
THREADS = 4
#: The service's page-size maximum, sent as ``Limit``.
PAGE = 60
REGION = "us-east-1"
#: botocore's retry modes the peer runs in.
Mode = Literal["standard", "adaptive"]
MODES: tuple[Mode, ...] = ("standard", "adaptive")


@dataclass
class PeerOutcome:
    """What a peer run listed, the groups it failed, and what stopped it early, if anything."""

    memberships: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    group_names: list[str] = field(default_factory=list[str])
    failed_groups: int = 0
    error: str | None = None


def client(url: str, mode: Mode) -> Any:
    """A boto3 client of the loopback Cognito at ``url``, in botocore's retry ``mode``."""
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=url,
        config=Config(retries={"mode": mode}),
    )


def list_group_names(cognito: Any, pool: str) -> list[str]:
    """Every group of ``pool``: a ``ListGroups`` loop (raises what boto3 raises)."""
    names: list[str] = []
    params: dict[str, Any] = {"UserPoolId": pool, "Limit": PAGE}
    while True:
        page = cognito.list_groups(**params)
        names.extend(group["GroupName"] for group in page["Groups"])
        if not page.get("NextToken"):
            return names
        params["NextToken"] = page["NextToken"]


def list_group(cognito: Any, pool: str, name: str, found: list[tuple[str, str]]) -> None:
    """Append every member of group ``name`` to ``found`` (raises what boto3 raises)."""
    params: dict[str, Any] = {"UserPoolId": pool, "GroupName": name, "Limit": PAGE}
    while True:
        page = cognito.list_users_in_group(**params)
        found.extend((name, user["Username"]) for user in page["Users"])
        if not page.get("NextToken"):
            return
        params["NextToken"] = page["NextToken"]


def groups_only(url: str, pool: str, mode: Mode) -> PeerOutcome:
    """Every group of ``pool``, one ``ListGroups`` page after another."""
    outcome = PeerOutcome()
    try:
        outcome.group_names = list_group_names(client(url, mode), pool)
    except ClientError as err:
        outcome.error = f"ListGroups: {err.response['Error']['Code']}"
    return outcome


def memberships(url: str, pool: str, mode: Mode) -> PeerOutcome:
    """Every member of every group of ``pool``: the group list, then `THREADS` threads."""
    cognito = client(url, mode)
    outcome = PeerOutcome()
    try:
        names = list_group_names(cognito, pool)
    except ClientError as err:
        outcome.error = f"ListGroups: {err.response['Error']['Code']}"
        return outcome
    waiting: queue.SimpleQueue[str] = queue.SimpleQueue()
    for name in names:
        waiting.put(name)
    lock = threading.Lock()

    def work() -> None:
        while True:
            try:
                name = waiting.get_nowait()
            except queue.Empty:
                return
            found: list[tuple[str, str]] = []
            try:
                list_group(cognito, pool, name, found)
            except ClientError:
                with lock:
                    outcome.failed_groups += 1
            with lock:
                outcome.memberships.extend(found)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def main(argv: list[str]) -> int:
    url, pool, mode, output = argv
    if mode not in MODES:
        raise SystemExit(f"mode: one of {', '.join(MODES)}, not {mode!r}")
    outcome = memberships(url, pool, mode)
    with Path(output).open("w") as file:
        for group_name, username in outcome.memberships:
            file.write(json.dumps({"group_name": group_name, "username": username}) + "\n")
    print(json.dumps({"failed_groups": outcome.failed_groups, "error": outcome.error}))
    return 1 if outcome.failed_groups or outcome.error else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
