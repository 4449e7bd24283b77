"""Benchmark: the peak memory of ``cognito-groups export --by-user``, against the plain export.

Run with ``make bench-by-user`` (or ``python benchmarks/by_user.py``). A loopback Cognito
(``tests/quota_server.py``, no quota, no latency) serves 200,000 users in three groups that
overlap (every user in the first, half of them in the second, a tenth in the third). Each
variant is ``python -m cognito_groups export ... -o FILE`` in a fresh process, started by a
fresh wrapper process that prints the peak resident set size of its child
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``):

* the plain export (one record per membership);
* ``--by-user`` (its memberships spilled to a temporary SQLite file);
* ``--by-user --checkpoint`` (the spill beside the checkpoint, committed as it goes).

It checks each output (every membership, or every user with its groups, once), and writes
``benchmarks/by-user-results.json`` (stamped with the commit, date, machine and versions) and
the table between the ``by-user`` markers of ``docs/performance.md``, generated from that file
(``tests/test_docs.py`` checks that they agree). The issue's bound: ``--by-user`` within 1.3x
of the plain export's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import publish, stamp  # noqa: E402
from tests.quota_server import POOL, QuotaServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "by-user-results.json"
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- by-user:begin -->", "<!-- by-user:end -->"
BOUND = 1.3
#: Print the peak RSS (KiB) of the command in argv, run as this process's only child.
WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)
VARIANTS = {
    "plain export": [],
    "--by-user": ["--by-user"],
    "--by-user --checkpoint": ["--by-user", "--checkpoint", "{folder}/users.checkpoint"],
}


def pool(users: int) -> dict[str, list[str]]:
    """Three overlapping groups of ``users`` users: all of them, half, a tenth."""
    names = [f"user-{index:07d}" for index in range(users)]
    return {"everyone": names, "half": names[: users // 2], "tenth": names[: users // 10]}


def peak_rss_kib(url: str, output: Path, extra: list[str]) -> tuple[int, float]:
    """The peak RSS of one export in a fresh process, and its wall time."""
    command = [sys.executable, "-m", "cognito_groups", "export", POOL, "--endpoint-url", url,
               "--region", "us-east-1", "--max-rps", "1000", "-q", "-o", str(output),
               *extra]  # fmt: skip
    started = time.perf_counter()
    printed = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    return int(printed.strip()), time.perf_counter() - started


def exact(output: Path, by_user: bool, server: QuotaServer) -> bool:
    """Whether ``output`` holds every membership (or every user with its groups) once."""
    records = [json.loads(line) for line in output.read_text().splitlines()]
    if not by_user:
        got = sorted((record["group_name"], record["username"]) for record in records)
        return got == sorted(server.memberships())
    expected: dict[str, list[str]] = {}
    for group, user in server.memberships():
        expected.setdefault(user, []).append(group)
    table = {record["username"]: record["groups"] for record in records}
    return len(table) == len(records) and table == {u: sorted(g) for u, g in expected.items()}


def measure(users: int) -> dict[str, Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    groups = pool(users)
    rows: dict[str, dict[str, Any]] = {}
    with QuotaServer(groups, rate=None) as server, tempfile.TemporaryDirectory() as folder:
        for name, extra in VARIANTS.items():
            output = Path(folder) / "out.jsonl"
            arguments = [argument.format(folder=folder) for argument in extra]
            kib, wall = peak_rss_kib(server.url, output, arguments)
            rows[name] = {
                "peak_rss_kib": kib,
                "wall_s": wall,
                "exact": exact(output, "--by-user" in extra, server),
            }
            output.unlink()
    plain = rows["plain export"]["peak_rss_kib"]
    for row in rows.values():
        row["x_plain"] = row["peak_rss_kib"] / plain
    return {
        "stamp": stamp(),
        "setup": {
            "users": users,
            "groups": {name: len(members) for name, members in groups.items()},
            "memberships": sum(len(members) for members in groups.values()),
            "bound_x_plain": BOUND,
        },
        "variants": rows,
    }


def render(results: dict[str, Any]) -> str:
    """The Markdown table of ``results``, as it appears in docs/performance.md."""
    run, setup = results["stamp"], results["setup"]
    groups = ", ".join(f"{count:,}" for count in setup["groups"].values())
    lines = [
        BEGIN,
        f"{setup['users']:,} users in {len(setup['groups'])} overlapping groups ({groups} "
        f"members: {setup['memberships']:,} memberships), `--format jsonl -o FILE`, each "
        f"variant in a fresh process. Commit {run['commit']}, {run['date']}, {run['machine']}, "
        f"Python {run['python']}, botocore {run['botocore']}, cognito-groups "
        f"{run['cognito_groups']} (`benchmarks/by-user-results.json`).",
        "",
        "| variant | peak RSS | × plain | wall time | exact |",  # noqa: RUF001
        "|---|---:|---:|---:|---|",
    ]
    for name, row in results["variants"].items():
        lines.append(
            f"| `{name}` | {row['peak_rss_kib'] / 1024:.1f} MiB | {row['x_plain']:.2f} | "
            f"{row['wall_s']:.1f} s | {'yes' if row['exact'] else 'NO'} |"
        )
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200_000)
    args = parser.parse_args()
    results = measure(args.users)
    publish(results, RESULTS, DOCS, (BEGIN, END), render)


if __name__ == "__main__":
    main()
