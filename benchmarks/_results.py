"""What both benchmarks share: the stamp of a run, and its generated block in the docs."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from typing import TYPE_CHECKING, Any

import boto3
import botocore

import cognito_groups

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def commit() -> str:
    """The commit measured (``-dirty`` when tracked files have changes), or ``unknown``.

    The files the benchmarks write themselves (the docs' results blocks and charts, the results
    files) do not count as changes.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!docs/performance.md",
                ":!docs/*-chart.svg",
                ":!benchmarks/*.json",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def stamp(**extra: Any) -> dict[str, Any]:
    """Which commit was measured, when, where, with which versions."""
    return {
        "commit": commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "cognito_groups": cognito_groups.__version__,
        **extra,
    }


def publish(
    results: dict[str, Any],
    path: Path,
    docs: Path,
    markers: tuple[str, str],
    render: Callable[[dict[str, Any]], str],
) -> None:
    """Write ``results`` to ``path``; replace their block in ``docs`` (see `replace_block()`).

    The block is ``render(results)``, markers included; it is printed too.
    """
    path.write_text(json.dumps(results, indent=2) + "\n")
    block = render(results)
    replace_block(docs, *markers, block)
    print(block)


def replace_block(docs: Path, begin: str, end: str, block: str) -> None:
    """Replace the text from ``begin`` to ``end`` (markers included) in ``docs`` by ``block``."""
    text = docs.read_text()
    start, stop = text.index(begin), text.index(end) + len(end)
    docs.write_text(text[:start] + block + text[stop:])
