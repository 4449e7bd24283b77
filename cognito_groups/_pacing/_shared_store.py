"""The file of paces the machine's processes share, one per account, Region and endpoint.

Cognito's quotas belong to an account and Region, so every program of the machine that lists
the same account and Region should spend one budget, not one each. By default the budgets of a
facade keep their `PaceState` in one small JSON file (mode 0600, in a folder of mode 0700)::

    $XDG_CACHE_HOME/cognito-groups/budgets/<identity>.json   (~/.cache without XDG_CACHE_HOME;
    ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows; COGNITO_GROUPS_BUDGET_DIR instead)

``<identity>`` is the SHA-256 (first 32 hex digits) of the endpoint, the Region and the access
key id the requests are signed with, all read off the first signed request, and of the
machine's name: the file's name says nothing of them, and no credential is stored. The file
holds rates, times and counts, under the names of the quota buckets (a pool's as a digest of
its id). Another Region, endpoint or key is another
file. Every take of a token locks the file (``flock``), reads it, changes the one budget's state
and writes it back, so the processes share each bucket, its rate and its last cut.

The file is a cache, never a reason to fail. The budgets go on with a state of this process
alone, and say so in a DEBUG record, when:

- the folder or the file cannot be made, opened or written (a read-only disk, no home, a
  platform without ``fcntl``);
- the lock is not free for `LOCK_PATIENCE` seconds in a row (a process stopped while holding
  it: a lock held by a process that died is released by the system at its death);
- the file was written by a newer release (its ``version`` is higher than `VERSION`);
- the file is being written on another clock (a home folder shared by several machines over
  NFS, another clock namespace): its times mean nothing here.

and in a WARNING record naming the file, without ever writing to it, when it is not ours
alone: a symbolic link in its place, a file of more than one name (a hard link: writing it
would write the other file), a file or a folder of another user (a folder reached through a
symbolic link someone planted, in a shared ``COGNITO_GROUPS_BUDGET_DIR``). The file is opened
in its folder's descriptor, without following a link, and checked before anything is written.

A file that is not what this module writes (cut short by a full disk, edited by hand, values
no pace makes, longer than `LARGEST` bytes: not even read) is written afresh, in place, under
its lock; a budget's state untouched for `STALE_SECONDS`, or written before the machine last
started, starts afresh. ``COGNITO_GROUPS_BUDGET_DIR=off`` (or the facades'
``shared_budget=False``) keeps every budget in its process.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cognito_groups._pacing._pace import BURST_MAX, WINDOW, PaceState
from cognito_groups._pacing._store import BUSY, Busy, LocalPaceStore, PaceStore

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "LARGEST",
    "LOCK_PATIENCE",
    "STALE_SECONDS",
    "VERSION",
    "SharedPaceStore",
    "open_store",
]

_log = logging.getLogger("cognito_groups")
_T = TypeVar("_T")


#: The format of the shared file.
VERSION = 1


#: Seconds without a take after which a budget's shared state starts afresh.
STALE_SECONDS = 30.0


#: Seconds the lock may stay taken by others, in a row, before a budget goes on alone.
LOCK_PATIENCE = 0.5


#: The longest file read, in bytes: a bucket's state is about 150 bytes, and 19 more for each
#: request of its last `WINDOW`, so that a file of this release is a few KiB (1 MiB holds
#: thousands of pools' buckets). A longer one is damaged (cut to a huge sparse file, say): it
#: is not read, and is written afresh.
LARGEST = 1 << 20


#: Seconds a state may have been used after the ``now`` of the one that reads it.
_SKEW = 1.0


#: No pace goes above this many requests per second, or remembers more sends.
_RATE_MAX = 1e6


_SENT_MAX = 100_000


#: The most tokens a pace saves: a state holding more was not written by one.
_TOKENS_MAX = float(BURST_MAX)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class SharedPaceStore(PaceStore):
    """The states in a file shared by the machine's processes; alone if the file fails.

    A thread lock orders the process's threads, ``flock`` the processes. The file is opened
    once per process (again after a ``fork``: a child must not share its parent's lock).
    """

    __slots__ = ("_busy_since", "_fallback", "_fd", "_lock", "_path", "_pid", "_states")

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._busy_since: float | None = None
        self._fallback: LocalPaceStore | None = None
        self._states: dict[str, PaceState] = {}  # as last read: what a fallback starts from

    @property
    def path(self) -> Path | None:
        """The shared file, or ``None`` once the budgets went on alone."""
        return None if self._fallback is not None else self._path

    def update(self, key: str, now: float, change: Callable[[PaceState], _T]) -> _T | Busy:
        """Apply ``change`` to ``key``'s state in the file, under its lock.

        `BUSY` while another process holds the lock (for at most `LOCK_PATIENCE` seconds in a
        row; then, and on any failure of the file, the budgets go on alone).
        """
        with self._lock:
            if self._fallback is None:
                try:
                    result = self._update(key, now, change)
                except _NotOurs as err:
                    self._go_alone(
                        f"left as it is, {err}: never written through a link, nor into a file "
                        "or a folder of another user",
                        level=logging.WARNING,
                    )
                except OSError as err:
                    self._go_alone(f"its file could not be used ({_reason(err)})")
                else:
                    if result is not BUSY:
                        self._busy_since = None
                        return result
                    if self._busy_since is None:
                        self._busy_since = now
                    if now - self._busy_since < LOCK_PATIENCE:
                        return BUSY
                    self._go_alone(f"its lock stayed taken for {LOCK_PATIENCE:g} s")
            assert self._fallback is not None  # noqa: S101 (set by _go_alone)
            return self._fallback.update(key, now, change)

    def _go_alone(self, why: str, *, level: int = logging.DEBUG) -> None:
        _log.log(
            level, "budget state %s: %s; going on with this process's budget alone", self._path, why
        )
        self._close()
        self._fallback = LocalPaceStore(self._states)

    def _update(self, key: str, now: float, change: Callable[[PaceState], _T]) -> _T | Busy:
        if sys.platform == "win32":  # pragma: no cover (the tests run on POSIX)
            raise OSError("this platform has no file locks")
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return BUSY
        try:
            states = self._read(fd, now)
            state = states.get(key)
            if state is None:
                state = states[key] = PaceState(stamp=now)
            result = change(state)
            self._write(fd, states)
            self._states = states
            return result
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        """The file's descriptor, opened (and made, 0600 in a 0700 folder) if need be.

        Raises:
            _NotOurs: the folder or the file is not this user's alone (nothing is written).
            OSError: it cannot be made or opened.
        """
        pid = os.getpid()
        if self._fd is not None and self._pid == pid:
            return self._fd
        self._fd = None  # a parent's descriptor: its lock is the parent's
        _make_folder(self._path.parent)
        folder = os.open(self._path.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        try:
            if os.fstat(folder).st_uid != os.geteuid():
                raise _NotOurs("its folder belongs to another user")
            flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC
            try:
                fd = os.open(self._path.name, flags, 0o600, dir_fd=folder)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.EMLINK):  # EMLINK: the BSDs' O_NOFOLLOW
                    raise _NotOurs("it is a symbolic link") from err
                raise
        finally:
            os.close(folder)
        try:
            _check_ours(os.fstat(fd))
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._pid = fd, pid
        return fd

    def _read(self, fd: int, now: float) -> dict[str, PaceState]:
        """The states in the file; fresh ones if it holds none, is damaged or is stale."""
        size = os.fstat(fd).st_size
        if size > LARGEST:  # not even read: a state file is a few KiB
            _log.debug(
                "budget state %s was damaged (%d bytes long); starting afresh", self._path, size
            )
            return {}
        raw = os.pread(fd, LARGEST + 1, 0) if size else b""
        if not raw or len(raw) > LARGEST:
            return {}
        try:
            boot, wall, states = _decoded(raw)
        except (ValueError, TypeError, KeyError) as err:  # a newer release's: _Newer, raised
            _log.debug("budget state %s was damaged (%s); starting afresh", self._path, err)
            return {}
        if abs(boot - _boot_time()) > 1.0:
            if abs(time.time() - wall) <= STALE_SECONDS:
                # Written just now on another clock: another machine (a home folder on NFS)
                # or another clock namespace uses this file. Its times mean nothing here.
                raise _OtherClock
            return {}  # written before the machine (re)started
        return {name: state for name, state in states.items() if _sane(state, now)}

    def _write(self, fd: int, states: dict[str, PaceState]) -> None:
        data = {
            "version": VERSION,
            "boot": _boot_time(),
            "wall": round(time.time(), 3),
            "budgets": {name: state.to_json() for name, state in states.items()},
        }
        raw = json.dumps(data, separators=(",", ":")).encode()
        # Under the lock, in place: every process of the machine locks this very file (a file
        # renamed over it would be another, locked apart). Cut first, so that a damaged file's
        # excess is gone before anything is written; killed in between, or short of disk, the
        # file is left damaged, and the next take starts it afresh.
        os.ftruncate(fd, len(raw))
        if os.pwrite(fd, raw, 0) != len(raw):  # a full disk: the file is left cut short
            raise OSError(errno.ENOSPC, "the state could not be written whole")

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and self._pid == os.getpid():
            with contextlib.suppress(OSError):
                os.close(fd)

    def __del__(self) -> None:
        self._close()


class _NotOurs(OSError):
    """The file, or its folder, is not this user's alone: it is never written (a WARNING)."""


def _check_ours(info: os.stat_result) -> None:
    """Refuse a file that is not ours alone: of another user, of more than one name."""
    if not stat.S_ISREG(info.st_mode):
        raise _NotOurs("it is not a regular file")
    if info.st_uid != os.geteuid():
        raise _NotOurs("it belongs to another user")
    if info.st_nlink != 1:
        raise _NotOurs(f"it is a hard link (one file of {info.st_nlink} names)")


class _OtherClock(OSError):
    """The file is being written on another clock (another machine or clock namespace)."""

    def __init__(self) -> None:
        super().__init__("another machine, or another clock, is writing it")


class _Newer(OSError):
    """The file was written by a newer release: leave it alone."""

    def __init__(self, version: int) -> None:
        super().__init__(f"it was written in format {version}, newer than {VERSION}")


def _decoded(raw: bytes) -> tuple[float, float, dict[str, PaceState]]:
    """The boot time, the wall time and the states a file's ``raw`` text holds.

    Raises:
        _Newer: written by a newer release.
        ValueError, TypeError, KeyError: not what this module writes.
    """
    data: Any = json.loads(raw)
    version = data["version"]
    boot = float(data["boot"])
    wall = float(data.get("wall", 0.0))
    buckets = data["budgets"]
    if not isinstance(version, int) or not isinstance(buckets, dict):
        raise TypeError("not a budget state")
    if version > VERSION:
        raise _Newer(version)
    states = {
        str(name): PaceState.from_json(value)
        for name, value in cast("dict[object, object]", buckets).items()
    }
    return boot, wall, states


def _sane(state: PaceState, now: float) -> bool:
    """Whether a state was used within `STALE_SECONDS` and holds values a pace can make.

    ``now`` is read before the lock is taken, so another thread or process may have used the
    state a little later: `_SKEW` of that is not the future. A state edited by hand to values
    no pace makes (a billion tokens owed, a cut in the far future) is not trusted.
    """
    low, high = now - STALE_SECONDS, now + _SKEW
    return (
        low <= state.stamp <= high
        and -_TOKENS_MAX <= state.tokens <= _TOKENS_MAX
        and state.cut_at <= high
        and 0.0 <= state.peak <= _RATE_MAX
        and all(low - WINDOW <= at <= high for at in state.sent)
        and len(state.sent) <= _SENT_MAX
    )


def _make_folder(folder: Path) -> None:
    """Make ``folder`` and the missing ones above it, each 0700 whatever the umask."""
    missing: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            made.mkdir(mode=0o700)
            made.chmod(0o700)


def _boot_time() -> float:
    """When the monotonic clock started, in wall-clock seconds (to a tenth of a second)."""
    return round(time.time() - time.monotonic(), 1)


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def open_store(folder: Path | None, name: str) -> PaceStore:
    """The store of the account and Region named ``name``: shared in ``folder``, else local."""
    if folder is None:
        return LocalPaceStore()
    return SharedPaceStore(folder / f"{name}.json")
