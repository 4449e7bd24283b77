"""A long-lived reader of the mirror, as an application holds one, for the tests.

Run as ``python -m tests.mirror_reader DATABASE POOL USERNAME`` (often as another user, under
``setpriv``): one `Mirror` for the whole run; every 20 ms it asks `syncs()` and
`groups_of()` of one `Mirror.snapshot()` (both answers from one state of the mirror, as the
docs tell applications), and prints a JSON line each time the answer changes: ``{"complete":
n, "groups": [...]}`` (``n`` complete syncs of the pool). A `MirrorError` is printed as
``{"error": class name, "message": ...}`` and ends it with exit 3. It stops when its standard
input closes.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from cognito_groups import Mirror, MirrorError


def main(database: str, pool: str, username: str) -> int:
    stop = threading.Event()

    def wait_for_the_end() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_the_end, daemon=True).start()
    last: dict[str, object] | None = None
    with Mirror(database) as mirror:
        while not stop.is_set():
            try:
                with mirror.snapshot() as snapshot:  # both answers from one state
                    seen: dict[str, object] = {
                        "complete": sum(s.status == "complete" for s in snapshot.syncs(pool)),
                        "groups": sorted(snapshot.groups_of(pool, username)),
                    }
            except MirrorError as err:
                print(json.dumps({"error": type(err).__name__, "message": str(err)}), flush=True)
                return 3
            if seen != last:
                print(json.dumps(seen), flush=True)
                last = seen
            time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
