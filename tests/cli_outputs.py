"""The command line's output on a fixed set of commands, to compare two revisions byte for byte.

``make cli-compare REV=<rev>`` runs every command of `commands()` with this checkout and with
a clone of ``REV`` (each by ``python -m cognito_groups`` with its own package first on
``sys.path``), against the same loopback servers (`quota_server`, with tokens numbered from 0
for each command), and lists what differs: exit code, stdout, stderr, and the files in the
command's folder. A restructuring keeps them all; a change the CHANGELOG lists may differ in
the commands it names. What varies from run to run is written as a placeholder: the folder,
the servers' URLs, seconds, moments, pids, inode numbers, digests, and the demo's random subs.

Usage, from the checkout's folder: ``python -m tests.cli_outputs record CHECKOUT OUT.json``,
then ``python -m tests.cli_outputs compare BEFORE.json AFTER.json`` (exit 1 if any differs).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.quota_server import POOL, QuotaServer

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
GROUPS = {"admins": 3, "big": 130, "empty": 0, "odd+name=ü": 5}


class NumberedTokens(QuotaServer):
    """A `QuotaServer` whose tokens are numbered (``tok00000`` ...) from 0 for each command."""

    counter = itertools.count()

    def _token(self, key: str, offset: int) -> str:
        token = f"tok{next(NumberedTokens.counter):05d}"
        with self._lock:
            self._tokens[token] = (key, offset)
        return token


def commands(url: str, hostile: str, folder: str) -> list[list[str]]:
    """The commands, in order (``sync`` and ``changes`` share their databases)."""
    aws = ["--endpoint-url", url, "--region", "us-east-1"]
    bad = ["--endpoint-url", hostile, "--region", "us-east-1"]
    one = ["--concurrency", "1"]  # export's and sync's rows in one order
    found: list[list[str]] = []
    for form in ("json", "jsonl", "csv", "table"):
        found += [
            ["users", POOL, "admins", "--format", form, *aws],
            ["users", POOL, "h", "--format", form, *bad],
            ["users", POOL, "h", "--format", form, "--all-attributes", *bad],
        ]
    for form in ("jsonl", "json", "csv"):
        found += [
            ["export", POOL, *one, "-o", f"{folder}/e.{form}", "--format", form, *aws],
            ["export", POOL, *one, "-o", f"{folder}/b.{form}", "--format", form, "--by-user", *aws],
            ["export", POOL, *one, "-o", f"{folder}/c.{form}", "--checkpoint",
             f"{folder}/c.{form}.cp", "--format", form, *aws],
        ]  # fmt: skip
    return [
        *found,
        ["users", POOL, "big", *aws],
        ["users", POOL, "big", "--max-users", "7", *aws],
        ["users", POOL, "big", "--max-users", "70", "--page-size", "30", *aws],
        ["users", POOL, "big", "--next-token", "cg1:skip:3:", *aws],
        ["users", POOL, "big", "--next-token", "tok00001", *aws],
        ["users", POOL, "big", "--status", "UNCONFIRMED", "--format", "csv", *aws],
        ["users", POOL, "big", "--enabled-only", "--format", "jsonl", *aws],
        ["users", POOL, "big", "--disabled-only", "--format", "table", *aws],
        ["users", POOL, "big", "--max-users", "61", "--format", "json", *aws],
        ["users", POOL, "big", "--page-size", "61", *aws],
        ["users", POOL, "big", "--max-users", "0", *aws],
        ["users", POOL, "empty", "--format", "csv", *aws],
        ["users", POOL, "empty", "--format", "table", *aws],
        ["users", POOL, "nope", *aws],
        ["users", "bad", "admins", *aws],
        ["users", POOL, "admins", "--page-size", "0", *aws],
        ["users", POOL, "admins", "--next-token", "cg1:skip:x:", *aws],
        ["users", POOL, "admins", "--status", "CONFIRMED", "--attribute", "name", "--format",
         "csv", *aws],
        ["users", POOL, "admins", "--region", "eu-west-1", "--endpoint-url", url],
        ["users", POOL, "admins", "--read-timeout", "0", *aws],
        ["users", POOL, "admins", "--quiet", "--debug", "--format", "csv", *aws],
        ["users", POOL, "h", "--csv-raw", "--format", "csv", *bad],
        ["users", POOL, "h", "--no-header", "--format", "csv", *bad],
        ["users", POOL, "h", "--attribute", "name", "--attribute", "email", "--format", "table",
         *bad],
        ["users", POOL, "h", "--format", "json", "--attribute", "name", *bad],
        ["export", POOL, *one, *aws],
        ["export", POOL, *one, "--group", "admins", "--group", "odd+name=ü", *aws],
        ["export", POOL, *one, "--group", "big", "--group", "admins", "--format", "json", *aws],
        ["export", POOL, *one, "--group", "nope", *aws],
        ["export", POOL, *one, "--by-user", *aws],
        ["export", POOL, *one, "--by-user", "-o", f"{folder}/bu.jsonl", "--checkpoint",
         f"{folder}/bu.cp", *aws],
        ["export", POOL, *one, "--by-user", "--format", "csv", "--all-attributes", *bad],
        ["export", POOL, *one, "--format", "csv", "--csv-raw", *bad],
        ["export", POOL, *one, "--format", "csv", "--no-attributes", *aws],
        ["export", POOL, *one, "--attribute", "email", "--format", "csv", *aws],
        ["export", POOL, *one, "-o", f"{folder}/h.jsonl", *bad],
        ["export", POOL, *one, "-o", f"{folder}/nofolder/x.jsonl", *aws],
        ["export", POOL, *one, "--checkpoint", f"{folder}/x.cp", *aws],
        ["export", POOL, *one, "-o", f"{folder}/same", "--checkpoint", f"{folder}/same", *aws],
        ["export", POOL, *one, "--concurrency", "0", *aws],
        ["export", POOL, *one, "--max-rps", "0", *aws],
        ["export", POOL, *one, "--max-rps", "5", "--patience", "10", "--no-shared-budget", "-o",
         f"{folder}/r.jsonl", *aws],
        ["sync", POOL, *one, "--db", f"{folder}/m.db", *aws],
        ["sync", POOL, *one, "--db", f"{folder}/m.db", *aws],
        ["sync", POOL, *one, "--db", f"{folder}/m.db", "--group", "admins", *aws],
        ["changes", "--db", f"{folder}/m.db"],
        ["changes", POOL, "--db", f"{folder}/m.db", "--format", "json"],
        ["changes", POOL, "--db", f"{folder}/m.db", "--format", "csv"],
        ["changes", "--db", f"{folder}/none.db"],
        ["sync", POOL, *one, "--db", f"{folder}/n.db", "--no-attributes", *aws],
        ["sync", POOL, *one, "--db", f"{folder}/a.db", "--all-attributes", "--group", "big", *aws],
        ["sync", POOL, *one, "--db", f"{folder}/a.db", "--all-attributes", "--group", "admins",
         *aws],
        ["sync", POOL, *one, "--db", f"{folder}/a.db", "--all-attributes", "--group", "admins",
         "--restart", *aws],
        ["changes", POOL, "--db", f"{folder}/a.db", "--since", "2000-01-01"],
        ["changes", POOL, "--db", f"{folder}/a.db", "--since", "yesterday"],
        ["changes", POOL, "--db", f"{folder}/a.db", "--group", "admins", "--format", "jsonl"],
        ["sync", POOL, *one, "--db", f"{folder}/h.db", *bad],
        ["changes", POOL, "--db", f"{folder}/h.db", "--format", "csv"],
        ["sync", "bad", "--db", f"{folder}/m2.db", *aws],
        ["sync", POOL, "--db", "mysql://x", *aws],
        ["demo"], ["--version"], ["users"], ["export"], ["nope"],
        ["users", "--help"], ["export", "--help"], ["sync", "--help"], ["changes", "--help"],
        ["--help"],
    ]  # fmt: skip


def _placeholders(raw: bytes, replaced: dict[str, str], *, demo: bool) -> str:
    text = raw.decode("utf-8", "surrogateescape")
    for value, placeholder in replaced.items():
        text = text.replace(value, placeholder)
    text = re.sub(r"\d+\.\d s\b", "<S> s", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "<T>", text)
    text = re.sub(r"pid \d+", "pid <P>", text)
    text = re.sub(r'"output_(device|inode)": \d+', r'"output_\1": <N>', text)
    text = re.sub(r'"digest": "[0-9a-f]{64}"', '"digest": <H>', text)
    return _UUID.sub("<UUID>", text) if demo else text


def record(checkout: Path, out: Path) -> None:
    """Run every command with ``checkout``'s package; write what each printed and left."""
    results: list[dict[str, Any]] = []
    with (
        NumberedTokens(GROUPS, rate=None) as plain,
        NumberedTokens({"h": 12}, rate=None, hostile=True) as hostile,
    ):
        folder = tempfile.mkdtemp()
        replaced = {folder: "<D>", plain.url: "<URL>", hostile.url: "<HURL>"}
        env = {**os.environ, "PYTHONPATH": str(checkout), "AWS_ACCESS_KEY_ID": "x",
               "AWS_SECRET_ACCESS_KEY": "x", "COGNITO_GROUPS_BUDGET_DIR": "off",
               "COLUMNS": "100"}  # fmt: skip
        for argv in commands(plain.url, hostile.url, folder):
            NumberedTokens.counter = itertools.count()
            done = subprocess.run(  # noqa: S603 (this interpreter, our own commands)
                [sys.executable, "-m", "cognito_groups", *argv],
                capture_output=True, env=env, cwd=folder, timeout=120, check=False,
            )  # fmt: skip
            demo = argv == ["demo"]
            files = {
                str(path.relative_to(folder)): _placeholders(path.read_bytes(), replaced, demo=demo)
                for path in sorted(Path(folder).rglob("*"))
                if path.is_file() and not path.name.endswith((".db", "-wal", "-shm"))
            }
            results.append({
                "argv": [_placeholders(arg.encode(), replaced, demo=False) for arg in argv],
                "rc": done.returncode,
                "out": _placeholders(done.stdout, replaced, demo=demo),
                "err": _placeholders(done.stderr, replaced, demo=demo),
                "files": files,
            })  # fmt: skip
    out.write_text(json.dumps(results, indent=1))


def compare(before: Path, after: Path) -> int:
    """Print each command whose output differs (and where); 1 if any does."""
    old: list[dict[str, Any]] = json.loads(before.read_text())
    new: list[dict[str, Any]] = json.loads(after.read_text())
    differ = 0
    for was, now in zip(old, new, strict=True):
        if was == now:
            continue
        differ += 1
        print("differs:", " ".join(was["argv"]))
        for key in ("rc", "out", "err", "files"):
            if was[key] != now[key]:
                print(f"  {key}: {str(was[key])[:300]!r}\n   now: {str(now[key])[:300]!r}")
    print(f"{len(old) - differ} of {len(old)} commands the same")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "record":
        record(Path(argv[1]).resolve(), Path(argv[2]))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
