"""Servers the tests start on 127.0.0.1 and stop: a shared moto, a failing proxy, silence."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

_ROOT = Path(__file__).resolve().parent.parent
#: ``serve_forever``'s options for the loopback servers: ``shutdown()`` waits for the loop's next
#: poll, every half second by default, and every test stops a server or more.
STOPS_QUICKLY: dict[str, Any] = {"poll_interval": 0.01}
_STARTED: list[subprocess.Popen[bytes]] = []  # kept, so that none is collected while running


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a server's watcher asks it of its test run)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover (alive, someone else's)
        return True
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shared_moto(folder: Path, owner: int) -> dict[str, Any]:
    """The session's seeded moto server (``tests/moto_process.py``): started by the first caller.

    Every pytest process of one run (xdist workers included) passes the same ``folder``; a lock
    file there makes one of them start the server, and the others read what it wrote. The server
    lives until :func:`stop_shared_servers` or until process ``owner`` (the run) is gone.
    Returns ``{"url", "pid", "pool"}``.
    """
    return _shared(folder, "moto-server", "tests.moto_process", owner)


def shared_postgres(folder: Path, owner: int) -> dict[str, Any]:
    """The session's PostgreSQL server (``tests/postgres_process.py``), as `shared_moto()`.

    Returns ``{"url", "pid", "server_pid", "data"}``; ``url`` is the ``postgres`` database's.
    """
    return _shared(folder, "postgres-server", "tests.postgres_process", owner)


def start_postgres(folder: Path, owner: int, data: Path | None = None) -> dict[str, Any]:
    """A PostgreSQL server of a test's own (on ``data``, kept: a stopped one can start again)."""
    name = f"postgres-{len(_STARTED)}-{os.getpid()}"
    extra = () if data is None else (str(data),)
    return _start(folder, name, "tests.postgres_process", owner, extra)


def stop_server(info: dict[str, Any]) -> None:
    """Stop a server started here, and wait for its process to end."""
    with suppress(ProcessLookupError):
        os.kill(info["pid"], signal.SIGTERM)
    for process in _STARTED:
        if process.pid == info["pid"]:
            process.wait(timeout=60)


def _shared(folder: Path, name: str, module: str, owner: int) -> dict[str, Any]:
    """The server ``module`` of the run in ``folder``, started by the first caller."""
    info = folder / f"{name}.json"
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not info.exists():
            _start(folder, name, module, owner)
    found: dict[str, Any] = json.loads(info.read_text())
    return found


def _start(
    folder: Path, name: str, module: str, owner: int, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Start ``python -m module INFO OWNER ...`` and wait for its ``INFO`` file."""
    info = folder / f"{name}.json"
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_CONFIG"}
    with (folder / f"{name}.log").open("wb") as log:  # moto logs every request
        process = subprocess.Popen(  # noqa: S603 (our own helper)
            [sys.executable, "-m", module, str(info), str(owner), *extra],
            cwd=_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
    _STARTED.append(process)
    deadline = time.monotonic() + 120  # only catches a hang
    while not info.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = (folder / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the {name} ({module}) did not start:\n{tail}")
        time.sleep(0.05)
    found: dict[str, Any] = json.loads(info.read_text())
    return found


def stop_shared_servers(folder: Path) -> None:
    """Stop the servers :func:`_shared` started in ``folder``, if it started any."""
    for name in ("moto-server", "postgres-server"):
        info = folder / f"{name}.json"
        if info.exists():
            pid = json.loads(info.read_text())["pid"]
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    for process in _STARTED:
        process.wait(timeout=60)


@contextmanager
def failing_proxy(upstream: str, *, fail_from: int) -> Iterator[str]:
    """A proxy to ``upstream`` that fails from request number ``fail_from`` on (1-based).

    Failing requests get 500 InternalErrorException. Yields its URL; stopped afterwards.
    """
    count = {"requests": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms ACK wait

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                count["requests"] += 1
                number = count["requests"]
            if number >= fail_from:
                payload = b'{"__type":"InternalErrorException","message":"injected"}'
                status = 500
            else:
                request = urllib.request.Request(  # noqa: S310 (loopback only)
                    upstream, data=body, headers=dict(self.headers), method="POST"
                )
                try:
                    with urllib.request.urlopen(request) as response:  # noqa: S310
                        status, payload = response.status, response.read()
                except urllib.error.HTTPError as err:
                    status, payload = err.code, err.read()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs=STOPS_QUICKLY, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Silent:
    """An endpoint that never answers: its URL, and the connections it accepted (held)."""

    url: str
    held: list[socket.socket] = field(default_factory=list)

    @property
    def connections(self) -> int:
        """How many connections it accepted."""
        return len(self.held)


@contextmanager
def silent_server() -> Iterator[Silent]:
    """An endpoint on 127.0.0.1 that accepts every connection and never answers.

    Every connection it held is closed when the block ends. A client that gives up on a read
    timeout drops its connection, so each attempt is one more accepted connection.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    silent = Silent(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            silent.held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield silent
    finally:
        stop.set()
        thread.join()
        for connection in silent.held:
            connection.close()
        listener.close()
