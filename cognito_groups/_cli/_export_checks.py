"""What ``export`` refuses before it writes: options, its own files, another's checkpoint.

Options that cannot go together; one of the run's own files (its checkpoint, its lock, its
spill, a temporary file) given as the output or the checkpoint, or an output that another
run keeps or that is no export (`_other_files`); a checkpoint made for another export, or one
whose output is not the file it was made for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cognito_groups._cli._files import (
    FileError,
    about,
    is_special,
    lock_path,
    named_as_temporary,
    real,
)
from cognito_groups._cli._other_files import kept_or_foreign
from cognito_groups._cli._records import chosen_attributes
from cognito_groups._cli._report import UsageError
from cognito_groups._cli._spill import SIDE_FILES, spill_path
from cognito_groups._errors import InvalidParameterError
from cognito_groups._listing._validate import check_membership_request

if TYPE_CHECKING:
    import argparse

    from cognito_groups._cli._checkpoint_file import ExportCheckpoint

__all__ = ["check_options", "check_saved", "raw_cells", "unless_nothing_reached_the_output"]


def _refuse_one_file_for_two(args: argparse.Namespace) -> None:
    """Refuse ``--output`` and ``--checkpoint`` naming one file (each save would replace it).

    The same path in other words (``./out`` and ``out``, a symlink) and a hard link to it are
    the same file.
    """
    if not (args.output and args.checkpoint):
        return
    output, checkpoint = Path(args.output), Path(args.checkpoint)
    same = output.resolve() == checkpoint.resolve()
    if not same and output.exists() and checkpoint.exists():
        same = output.samefile(checkpoint)
    if same:
        raise UsageError(
            f"--output {args.output} and --checkpoint {args.checkpoint} are the same file: "
            "give the checkpoint a file of its own"
        )


def _refuse_the_runs_own_files(args: argparse.Namespace) -> None:
    """Refuse an ``--output`` or ``--checkpoint`` that is one of the files the run keeps.

    The run makes, replaces, locks or removes them: the spill of the checkpoint (``--by-user``)
    and SQLite's files beside it, the lock files of the output and of the checkpoint, and the
    temporary files of both (those a killed run left are removed). An output named so would
    be removed with the spill at the end (``exported 200 users``, and no file), or locked
    against itself. By any name: ``./`` in front, a symlink to it, a hard link. An output
    that is another run's file, a checkpoint or a database is refused too (`_other_files`).
    """
    output = None if args.output is None else Path(args.output)
    if output is not None and is_special(output):
        output = None
    checkpoint = None if args.checkpoint is None else Path(args.checkpoint)
    own, patterns = _own_files(args, output, checkpoint)
    for option, given, name in (
        ("--output", output, args.output),
        ("--checkpoint", checkpoint, args.checkpoint),
    ):
        what = None if given is None else _what_it_is(given, own, patterns)
        if what is None and given is output and given is not None:
            what = kept_or_foreign(given)  # another run's file, a database
        if what is not None:
            raise UsageError(f"{option} {name} is {what}: give the {option[2:]} a name of its own")


def _own_files(
    args: argparse.Namespace, output: Path | None, checkpoint: Path | None
) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """The run's own files, and the files whose temporary files it removes, each with its words."""
    own: list[tuple[Path, str]] = []
    patterns: list[tuple[Path, str]] = []
    if checkpoint is not None:
        spill = spill_path(checkpoint)
        of_checkpoint = f"--checkpoint {args.checkpoint}"
        own.append((spill, f"the spill of {of_checkpoint} (where --by-user keeps the memberships)"))
        own += [
            (
                spill.with_name(spill.name + side),
                f"a file SQLite keeps beside the spill of {of_checkpoint}",
            )
            for side in SIDE_FILES
        ]
        own.append((lock_path(checkpoint), f"the lock file of {of_checkpoint}"))
        patterns.append((checkpoint, of_checkpoint))
    if output is not None:
        own.append((lock_path(real(output)), f"the lock file of --output {args.output}"))
        patterns.append((real(output), f"--output {args.output}"))
    return own, patterns


def _what_it_is(
    given: Path, own: list[tuple[Path, str]], patterns: list[tuple[Path, str]]
) -> str | None:
    """Which of the run's files ``given`` is, in words, or ``None``: a file of its own."""
    what = next((what for path, what in own if _same_file(given, path)), None)
    if what is not None:
        return what
    return next(
        (
            f"named as a temporary file of {of} (a run removes those a killed run left)"
            for path, of in patterns
            if _temporary_of(given, path)
        ),
        None,
    )


def _same_file(given: Path, own: Path) -> bool:
    """Whether ``given`` names the file ``own`` (the same path in other words, a link to it)."""
    if real(given) == real(own):
        return True
    try:
        return given.samefile(own)
    except OSError:  # one of them does not exist (yet)
        return False


def _temporary_of(given: Path, path: Path) -> bool:
    """Whether ``given`` (or the file it links to) is named as a temporary file of ``path``."""
    folder = real(path.parent)
    return any(
        name.parent == folder and named_as_temporary(name.name, path)
        for name in (real(given.parent) / given.name, real(given))
    )


def unless_nothing_reached_the_output(
    args: argparse.Namespace, saved: ExportCheckpoint
) -> ExportCheckpoint | None:
    """``saved``, or ``None`` (the export starts afresh) when its output is empty.

    An output's first bytes are written after the checkpoint that covers them is saved
    (`OutputFile.commit()`): a run killed in between leaves an empty output under a
    checkpoint past it; a run killed before leaves one under a checkpoint of none. An empty
    file has nothing to lose: the export starts it afresh. ``--by-user`` continues its spill,
    not its output: ``saved`` stays.
    """
    if args.by_user:
        return saved
    output = Path(args.output)
    try:
        with about(output):
            size = output.stat().st_size
    except FileError as err:
        if isinstance(err.__cause__, FileNotFoundError):
            return saved  # refused by OutputFile: the checkpoint continues that file
        raise
    return None if size == 0 else saved


def check_options(args: argparse.Namespace) -> None:
    """Refuse what ``export``'s options cannot mean, before anything is created or sent.

    Raises:
        InvalidParameterError: a parameter the service would refuse (`check_membership_request`).
        UsageError: options that cannot go together, or one file named for two.
    """
    check_membership_request(
        args.user_pool_id,
        args.group,
        concurrency=args.concurrency,
        page_size=60,
        checkpoint=None,
    )
    _refuse_one_file_for_two(args)
    _check_option_pairs(args)
    _refuse_the_runs_own_files(args)


def _check_option_pairs(args: argparse.Namespace) -> None:
    """Refuse options that do not go together."""
    if args.checkpoint and not args.output:
        raise UsageError("--checkpoint needs --output (a file it can cut back and continue)")
    if args.checkpoint and is_special(Path(args.output)):
        raise UsageError(
            f"--checkpoint needs --output to be a file it can cut back and continue: "
            f"{args.output} is a device or a pipe"
        )
    if args.checkpoint and is_special(Path(args.checkpoint)):
        raise UsageError(
            f"--checkpoint needs a file of its own: {args.checkpoint} is a device or a pipe"
        )


def check_saved(args: argparse.Namespace, saved: ExportCheckpoint) -> None:
    """Refuse a checkpoint made for another export."""
    differences = [
        (what, made, given)
        for what, made, given in (
            ("user pool", saved.pool, args.user_pool_id),
            ("group list", saved.groups, args.group),
            ("format", saved.format, args.format),
            # In effect, in the checkpoint's format (another format is named as such).
            ("attribute list", saved.attributes, chosen_attributes(saved.format, args.attribute)),
            ("kind of record", _kind(saved.by_user), _kind(args.by_user)),
            ("CSV cells", _cells(saved.csv_raw), _cells(raw_cells(args))),
        )
        if made != given
    ]
    if differences:
        whats = " and ".join(what for what, _, _ in differences)
        values = "; ".join(
            f"{what}: {_shown(made)} in the checkpoint, {_shown(given)} in this run"
            for what, made, given in differences
        )
        raise UsageError(
            f"{args.checkpoint} was made for another {whats} ({values}): run the command it "
            "was made for, or remove it to start over"
        )
    try:
        check_membership_request(
            args.user_pool_id,
            args.group,
            concurrency=args.concurrency,
            page_size=60,
            checkpoint=saved.memberships,
        )
    except InvalidParameterError as err:
        raise UsageError(
            f"{args.checkpoint} holds a membership checkpoint this export cannot continue "
            f"({err.message}): remove it to start over"
        ) from err


def raw_cells(args: argparse.Namespace) -> bool:
    """Whether the rows' CSV cells are exact (``--csv-raw``); ``False`` in other formats."""
    return bool(args.csv_raw) and args.format == "csv"


def _cells(raw: bool) -> str:
    """How CSV cells are written, as `_check_saved()` names it."""
    return "exact (--csv-raw)" if raw else "guarded against formulas"


def _kind(by_user: bool) -> str:
    """The records an export writes, as `_check_saved()` names them."""
    return "one per user (--by-user)" if by_user else "one per membership"


def _shown(value: str | list[str] | None) -> str:
    """An option's value as the command line gives it (``every`` when it was not given)."""
    if value is None:
        return "every"
    return ", ".join(value) if isinstance(value, list) else value
