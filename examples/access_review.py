"""An access review of every group of a pool, resumable from a saved checkpoint.

It writes one CSV row per membership (group, username, status, enabled) and, after every
row, the iterator's checkpoint to a file next to it. Interrupted (Ctrl-C, a crash, throttling
that outlasted the budget's patience), run it again with the same files: it continues exactly
where the checkpoint says, with no membership written twice or skipped. Requests stay within
the account's quota: the library's adaptive budget, up to ``--max-rps`` if given.

    python examples/access_review.py us-east-1_AbC123 review.csv
    python examples/access_review.py us-east-1_AbC123 review.csv    # again, to continue

The CSV and the checkpoint are written in one order that survives a crash: the row is flushed
before the checkpoint that counts it is replaced (atomically, with ``os.replace``). A crash
between the two leaves one row that the resumed run writes again: a review reads the CSV as a
set of (group, username) pairs, and the script drops such a duplicate on resume.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from cognito_groups import CognitoGroups, CognitoGroupsError


def save(path: Path, checkpoint: str) -> None:
    """Replace the checkpoint file atomically (never half-written)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(checkpoint)
    os.replace(temporary, path)


def review(
    groups: CognitoGroups, user_pool_id: str, output: Path, *, stop_after: int | None = None
) -> bool:
    """Write (or continue) the review; return whether it is complete."""
    state = output.with_suffix(output.suffix + ".checkpoint")
    checkpoint = state.read_text() if state.exists() else None
    written: set[tuple[str, str]] = set()  # the last row written, at most
    if checkpoint is not None and output.exists():
        with output.open(newline="") as previous:
            for row in csv.reader(previous):
                written = {(row[0], row[1])}
    with output.open("a", newline="") as out:
        rows = csv.writer(out)
        if checkpoint is None:
            rows.writerow(["group", "username", "status", "enabled"])
        memberships = groups.iter_memberships(user_pool_id, checkpoint=checkpoint)
        with memberships:
            for count, membership in enumerate(memberships, start=1):
                user = membership.user
                if (membership.group_name, user.username) not in written:
                    rows.writerow(
                        [membership.group_name, user.username, user.user_status, user.enabled]
                    )
                    out.flush()
                save(state, memberships.checkpoint)
                if stop_after is not None and count >= stop_after:
                    return False
        save(state, memberships.checkpoint)
        return memberships.exhausted


def main(argv: list[str] | None = None) -> int:
    """Run the review; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("user_pool_id")
    parser.add_argument("output", type=Path)
    parser.add_argument("--max-rps", type=float, default=None)
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)
    groups = CognitoGroups(endpoint_url=args.endpoint_url, max_rps=args.max_rps)
    try:
        done = review(groups, args.user_pool_id, args.output)
    except CognitoGroupsError as err:
        where = f" in group {err.group_name!r}" if err.group_name else ""
        print(f"stopped{where}: {type(err).__name__}; run again to continue", file=sys.stderr)
        return 1
    print("review complete" if done else "review stopped early", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
