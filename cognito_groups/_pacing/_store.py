"""Where budgets keep their pace: the stores, and where the machine's shared file lives.

A `PaceStore` keeps the `PaceState` of each quota bucket a budget paces. `LocalPaceStore`
keeps them in this process; `_shared_store.SharedPaceStore` in a file the machine's processes
share (its rules are there), in the folder `budget_folder()` names, under the `identity()` of
the account and Region.
"""

from __future__ import annotations

import enum
import hashlib
import os
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from cognito_groups._pacing._pace import PaceState

if sys.platform != "win32":
    pass

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "BUSY",
    "BUSY_DELAY",
    "Busy",
    "LocalPaceStore",
    "PaceStore",
    "budget_folder",
    "digest",
    "identity",
]


#: The environment variable naming the folder of the shared files (``off``: none).
FOLDER_VARIABLE = "COGNITO_GROUPS_BUDGET_DIR"
_OFF = frozenset({"", "0", "off", "no", "false", "none"})

_T = TypeVar("_T")


class _Busy(enum.Enum):
    """The lock is taken by another process for now: try again in a moment."""

    BUSY = "busy"


BUSY: Final = _Busy.BUSY
#: The type of `BUSY`.
Busy = Literal[_Busy.BUSY]
#: Seconds to wait before trying a busy lock again.
BUSY_DELAY = 0.002


def budget_folder() -> Path | None:
    """The folder of the shared files on this machine (``None``: sharing is turned off)."""
    given = os.environ.get(FOLDER_VARIABLE)
    if given is not None:
        if given.strip().lower() in _OFF:
            return None
        return Path(given).expanduser().absolute()  # the folder of the run that started it
    if sys.platform == "win32":  # pragma: no cover (the tests run on POSIX)
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "cognito-groups" / "budgets"
    if sys.platform == "darwin":  # pragma: no cover (the tests run on Linux)
        return Path.home() / "Library" / "Caches" / "cognito-groups" / "budgets"
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "cognito-groups" / "budgets"


def identity(endpoint: str, region: str, access_key_id: str, host: str | None = None) -> str:
    """The name of an account and Region's file on this machine: a digest, never the values.

    The machine's name is part of it: machines that share a home folder (over NFS) do not
    share a file, whose times would mean nothing to each other.
    """
    machine = socket.gethostname() if host is None else host
    text = "\n".join((endpoint, region, access_key_id, machine))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def digest(text: str) -> str:
    """A short digest of ``text`` (a pool id as a key in the file: no id in it)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class PaceStore:
    """Where a facade's budgets keep their states, each under its own key."""

    __slots__ = ()

    @property
    def path(self) -> Path | None:
        """The shared file (``None``: the states are this process's own)."""
        return None

    def update(self, key: str, now: float, change: Callable[[PaceState], _T]) -> _T | Busy:
        """Apply ``change`` to ``key``'s state at ``now``; `BUSY` if the lock is taken."""
        raise NotImplementedError


class LocalPaceStore(PaceStore):
    """The states of this process alone (thread-safe)."""

    __slots__ = ("_lock", "_states")

    def __init__(self, states: dict[str, PaceState] | None = None) -> None:
        self._states: dict[str, PaceState] = {} if states is None else states
        self._lock = threading.Lock()

    def update(self, key: str, now: float, change: Callable[[PaceState], _T]) -> _T | Busy:
        """Apply ``change`` to ``key``'s state (a new one on its first use)."""
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = PaceState(stamp=now)
            return change(state)
