"""Where the budgets of one facade keep their pace: this process, or the account's shared file.

The file is the account's and Region's (`_store.identity()`), read off the first request the
facade signs: the key id and Region of its ``Authorization`` header, and its endpoint.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from cognito_groups._pacing._shared_store import open_store
from cognito_groups._pacing._store import LocalPaceStore, PaceStore, budget_folder, identity

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["BudgetHome"]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/,\s]*/([^/,\s]+)/")


class BudgetHome:
    """Where the budgets of one facade keep their pace (see `_store`).

    Shared (the default): the file of the account and Region of the first request sent, read
    off that signed request; until then, and with ``shared=False``, this process alone.
    """

    __slots__ = ("_early", "_folder", "_lock", "_store")

    def __init__(self, *, shared: bool = True) -> None:
        self._folder = budget_folder() if shared else None
        self._early = LocalPaceStore()
        self._store: PaceStore | None = None if self._folder is not None else self._early
        self._lock = threading.Lock()

    @property
    def store(self) -> PaceStore:
        """The store of the budgets' states (this process's own until the first request)."""
        store = self._store
        return self._early if store is None else store

    @property
    def path(self) -> Path | None:
        """The shared file in use (``None``: the budgets are this process's alone)."""
        store = self._store
        return None if store is None else store.path

    def bind(self, request: Any) -> None:
        """Settle the store on the first request: the file of its account and Region."""
        if self._store is not None:
            return
        with self._lock:
            if self._store is not None:
                return
            folder = self._folder
            assert folder is not None  # noqa: S101 (else the store was set at once)
            url = str(getattr(request, "url", "") or "")
            endpoint = url.split("://", 1)[-1].split("/", 1)[0]
            scheme = url.split("://", 1)[0] if "://" in url else ""
            headers: Any = getattr(request, "headers", None) or {}
            signature = headers.get("Authorization") or b""
            if isinstance(signature, bytes):
                signature = signature.decode("latin-1")
            found = _CREDENTIAL.search(str(signature))
            key_id, region = (found.group(1), found.group(2)) if found else ("", "")
            name = identity(f"{scheme}://{endpoint}", region, key_id)
            self._store = open_store(folder, name)
