"""A place in a many-group listing, exact to the user, and the checkpoint text that names it.

The twin of `_position` for ``iter_memberships``: a `MembershipCheckpoint` says, for one pool,
which groups the listing covers (and whether they came from ``ListGroups``), which of them are
finished, and the exact resume token of the others. Its text is ``cgm1:`` followed by the
URL-safe base64 (unpadded) of a small JSON document::

    {"pool": "...", "groups": ["a", "b"] or null, "listed": true, "done": ["a"], "at": {"b": "..."}}

This module only reads and writes that text; `_validate` checks what it says against the
request (the pool, the group names, each token).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CHECKPOINT_PREFIX", "MembershipCheckpoint", "decode_checkpoint", "encode_checkpoint"]

#: What every membership checkpoint starts with.
CHECKPOINT_PREFIX = "cgm1:"


@dataclass(frozen=True, slots=True)
class MembershipCheckpoint:
    """Where a many-group listing stands.

    Attributes:
        user_pool_id: The pool listed.
        groups: The groups covered, in order (``None`` before ``ListGroups`` answered).
        listed: Whether the groups came from ``ListGroups`` (not from ``group_names``).
        done: The groups whose every member has been yielded.
        at: The resume token of each group started and not finished.
    """

    user_pool_id: str
    groups: tuple[str, ...] | None
    listed: bool
    done: frozenset[str]
    at: Mapping[str, str]


def encode_checkpoint(checkpoint: MembershipCheckpoint) -> str:
    """The checkpoint's text (see the module's docstring); finished groups in ``groups`` order."""
    groups = checkpoint.groups
    done = [name for name in groups or () if name in checkpoint.done]
    document = {
        "pool": checkpoint.user_pool_id,
        "groups": None if groups is None else list(groups),
        "listed": checkpoint.listed,
        "done": done,
        "at": dict(checkpoint.at),
    }
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return CHECKPOINT_PREFIX + base64.urlsafe_b64encode(text).decode().rstrip("=")


_DAMAGED = "is not a checkpoint of this library (damaged or cut?)"


def decode_checkpoint(text: str) -> MembershipCheckpoint:
    """The checkpoint a text names, checked for shape only (names and tokens are not checked).

    Raises:
        ValueError: ``text`` is not a checkpoint's text; the message says why without quoting
            it (it is the tail of "checkpoint ...").
    """
    if not text.startswith(CHECKPOINT_PREFIX):
        raise ValueError(f"must be a checkpoint string starting with {CHECKPOINT_PREFIX}")
    body = text.removeprefix(CHECKPOINT_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        document: Any = json.loads(raw)
        pool, groups, listed = document["pool"], document["groups"], document["listed"]
        done, at = document["done"], document["at"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValueError(_DAMAGED) from None
    if not (
        isinstance(pool, str)
        and (groups is None or _strings(groups))
        and isinstance(listed, bool)
        and _strings(done)
        and isinstance(at, dict)
        and all(isinstance(token, str) for token in cast("dict[object, object]", at).values())
    ):
        raise ValueError(_DAMAGED)
    names = None if groups is None else tuple(cast("list[str]", groups))
    return MembershipCheckpoint(
        pool, names, listed, frozenset(cast("list[str]", done)), cast("dict[str, str]", at)
    )


def _strings(value: object) -> bool:
    """Whether ``value`` is a JSON array of strings."""
    return isinstance(value, list) and all(
        isinstance(item, str) for item in cast("list[object]", value)
    )
