"""The checkpoint file of ``export``: what the export was, and how far its output got.

Written whole and atomically at each commit (`_files.replace_atomically()`), with a digest of
its own content: an edited one is refused, and so is one of another version or too large to
be one (`CHECKPOINT_MAX_BYTES`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from cognito_groups._cli._files import FileError, about, replace_atomically
from cognito_groups._cli._report import UsageError
from cognito_groups._durable._digest import canonical_digest

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path


__all__ = ["CHECKPOINT_MAX_BYTES", "CheckpointFile", "ExportCheckpoint"]

_VERSION = 2
#: The most a checkpoint is read of: far more than one holds (about 1.4 kB a group of the
#: pool, and at most 32 tokens of 131,072 characters), far less than a file taken for one
#: by mistake (an old export, a dump) that would otherwise be read whole into memory.
CHECKPOINT_MAX_BYTES = 256 << 20


@dataclass(frozen=True)
class ExportCheckpoint:
    """The checkpoint file's content: what the export was, and how far its output got."""

    pool: str
    groups: list[str] | None
    format: str
    attributes: list[str] | None
    #: The output's length at the commit, and the rows it then held.
    offset: int
    written: int
    #: The library's membership checkpoint of those rows.
    memberships: str | None
    #: The file it continues (`Committed`): the output, or ``--by-user``'s spill (its output
    #: is written whole at the end).
    output_device: int | None
    output_inode: int | None
    #: The SHA-256 of the output's first ``offset`` bytes.
    output_sha256: str | None
    version: int = _VERSION
    #: Made by ``--by-user`` (its rows are in the spill beside it; ``offset`` is 0).
    by_user: bool = False
    #: CSV cells written exactly (``--csv-raw``), not guarded against formulas.
    csv_raw: bool = False


#: What each field of a checkpoint may hold, by its annotation.
_KINDS: dict[str, Callable[[object], bool]] = {
    "str": lambda value: isinstance(value, str),
    "str | None": lambda value: value is None or isinstance(value, str),
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
    "int | None": lambda value: value is None or _KINDS["int"](value),
    "bool": lambda value: isinstance(value, bool),
    "list[str] | None": lambda value: value is None or _is_texts(value),
}


def _is_texts(value: object) -> bool:
    """Whether ``value`` is a list of texts."""
    if not isinstance(value, list):
        return False
    items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
    return all(isinstance(item, str) for item in items)


class CheckpointFile:
    """The checkpoint at ``path``: read, replaced atomically, removed after success.

    The file is JSON: the fields of `ExportCheckpoint`, and ``digest``, the SHA-256 of the
    others (`canonical_digest()`). A file whose digest does not match was changed by hand (or by
    a disk's fault) and is refused, never applied: a number edited in it would make the output
    hold a row twice, or miss one. The digest finds edits, it is no signature: whoever can
    write the checkpoint's folder can write a valid one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> ExportCheckpoint | None:
        """The checkpoint, or ``None`` when there is no file (a first run)."""
        try:
            with about(self.path), self.path.open("rb") as file:
                data = file.read(CHECKPOINT_MAX_BYTES + 1)
        except FileError as err:
            if isinstance(err.__cause__, FileNotFoundError):
                return None
            raise
        if len(data) > CHECKPOINT_MAX_BYTES:
            raise UsageError(
                f"{self.path} is not a checkpoint of cognito-groups export (it is larger than "
                f"{CHECKPOINT_MAX_BYTES >> 20} MiB; a checkpoint is far smaller)"
            )
        try:
            document: object = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested without end
            document = None
        if not isinstance(document, dict) or "version" not in document:
            raise UsageError(f"{self.path} is not a checkpoint of cognito-groups export")
        fields: dict[str, object] = document  # pyright: ignore[reportUnknownVariableType]
        if fields["version"] != _VERSION:
            raise UsageError(
                f"{self.path} was written by another version of cognito-groups (checkpoint "
                f"format {fields['version']!r}; this one reads {_VERSION}): finish it with "
                "that version, or remove it to start over"
            )
        digest = fields.pop("digest", None)
        if digest != canonical_digest(fields) or not _well_formed(fields):
            raise UsageError(
                f"{self.path} was changed since cognito-groups wrote it (its digest does not "
                "match its content), so it cannot say where the output stopped: remove it to "
                "start over"
            )
        return ExportCheckpoint(**fields)  # type: ignore[arg-type]

    def save(self, saved: ExportCheckpoint) -> None:
        """Replace the checkpoint atomically (see `replace_atomically()`)."""
        fields = asdict(saved)
        document = {**fields, "digest": canonical_digest(fields)}
        with about(self.path):
            replace_atomically(self.path, lambda out: json.dump(document, out))

    def remove(self) -> None:
        """Remove the file (the export is complete)."""
        with about(self.path):
            self.path.unlink(missing_ok=True)


def _well_formed(fields: Mapping[str, object]) -> bool:
    """Whether ``fields`` are exactly `ExportCheckpoint`'s, each of its kind."""
    kinds = {field.name: _KINDS[str(field.type)] for field in dataclasses.fields(ExportCheckpoint)}
    return fields.keys() == kinds.keys() and all(
        kinds[name](value) for name, value in fields.items()
    )
