"""A moto server in a process of its own, seeded with the demo pool once for a whole test run.

Run as ``python -m tests.moto_process INFO_FILE OWNER_PID``: it starts moto on 127.0.0.1 (a port
the system picks), seeds 150 users with 130 in "members", writes ``{"url", "pid", "pool"}`` to
INFO_FILE (atomically), and serves until the test session stops it or OWNER_PID is gone (a
killed test run leaves no server behind).

Its own process, because moto keeps an in-process server's state in global backends that the
``mock_aws()`` of any other test resets.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from moto.server import ThreadedMotoServer

from cognito_groups._client._config import new_cognito_client
from cognito_groups.demo import seed_demo_pool
from tests.servers import alive


def main(info_file: Path, owner: int) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = new_cognito_client(region_name="us-east-1", endpoint_url=url)
    pool = seed_demo_pool(client, pool_size=150, group_size=130, group_name="members")
    partial = info_file.with_suffix(".partial")
    info = {"url": url, "pid": os.getpid(), "pool": dataclasses.asdict(pool)}
    partial.write_text(json.dumps(info))
    partial.replace(info_file)
    try:
        while alive(owner):
            time.sleep(0.5)
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    main(Path(sys.argv[1]), int(sys.argv[2]))
