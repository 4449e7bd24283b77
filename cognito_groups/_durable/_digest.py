"""The digest a saved state carries of its own content, so that an edited one is found.

Export's checkpoint file and the mirror's sync cursor (``syncs.cursor_digest``) each keep the
SHA-256 of what decides how they continue. It finds edits by hand and damage, it is no
signature: whoever can write the state can write a matching digest.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["canonical_digest"]


def canonical_digest(fields: Mapping[str, object]) -> str:
    """The SHA-256 (hex) of ``fields`` as canonical JSON (sorted keys, no spaces, ASCII)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
