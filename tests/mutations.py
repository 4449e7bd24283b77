"""A hand-made mutation check: break the code on purpose, one change at a time; the suite must fail.

Run with ``make mutations`` (not part of ``make test``: about five minutes). Each mutation
replaces one exact piece of a source file, runs the tests that cover that code, and is
"killed" when they fail. The file is restored afterwards, whatever happens. It prints each
mutation's fate and the score (killed / all); it exits 1 if any survived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cognito_groups"
#: Seconds a mutation's tests may take; tests that hang longer have not passed.
TIMEOUT = 300


@dataclass(frozen=True)
class Mutation:
    """One deliberate breakage: in ``path``, ``before`` becomes ``after``."""

    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


PAGING = ("tests/test_pagination.py", "tests/test_resume.py", "tests/test_exhausted.py")
MUTATIONS = (
    Mutation(
        "Limit ignores the users to skip",
        "_listing/_paginate.py",
        '"Limit": min(PAGE_SIZE_MAX, position.skip + wanted)',
        '"Limit": min(PAGE_SIZE_MAX, wanted)',
        PAGING,
    ),
    Mutation(
        "a repeated token is accepted",
        "_listing/_paginate.py",
        "if service_token is not None and service_token == start.token:",
        "if False:",
        PAGING,
    ),
    Mutation(
        "the skip does not carry over to the next page",
        "_listing/_paginate.py",
        "end = Position(service_token, start.skip - skipped)",
        "end = Position(service_token, 0)",
        PAGING,
    ),
    Mutation(
        "a mid-page token is off by one",
        "_listing/_paginate.py",
        "return Position(start.token, start.skip + index).to_token()",
        "return Position(start.token, start.skip + index + 1).to_token()",
        PAGING,
    ),
    Mutation(
        "a page longer than asked is not cut",
        "_listing/_paginate.py",
        "if remaining is not None and len(users) > remaining:",
        "if False:",
        PAGING,
    ),
    Mutation(
        "page_size 61 is accepted",
        "_listing/_validate.py",
        "if not 1 <= page_size <= PAGE_SIZE_MAX:",
        "if not 1 <= page_size <= PAGE_SIZE_MAX + 1:",
        ("tests/test_validation.py",),
    ),
    Mutation(
        "max_users 0 is accepted",
        "_listing/_validate.py",
        "if max_users < 1:",
        "if max_users < 0:",
        ("tests/test_validation.py",),
    ),
    Mutation(
        "whitespace in a token is accepted",
        "_listing/_validate.py",
        r'_TOKEN_FORBIDDEN = re.compile(r"[\s\ud800-\udfff]", re.ASCII)',
        r'_TOKEN_FORBIDDEN = re.compile(r"[\ud800-\udfff]", re.ASCII)',
        ("tests/test_validation.py",),
    ),
    Mutation(
        "a group is finished before its last page",
        "_listing/_memberships.py",
        "return self.done or self.cursor.exhausted",
        "return self.done or self.plan.over",
        ("tests/test_memberships.py",),
    ),
    Mutation(
        "the error is raised before the pages already received",
        "_listing/_memberships.py",
        "            if self._stopped or not self._ready:\n                return None",
        "            if self._stopped or not self._ready or self._error is not None:\n"
        "                return None",
        ("tests/test_memberships.py",),
    ),
    Mutation(
        "the budget allows a bigger burst",
        "_pacing/_pace.py",
        "BURST_MAX = 3",
        "BURST_MAX = 5",
        ("tests/test_pace.py",),
    ),
    Mutation(
        "a throttle does not cut the pace",
        "_pacing/_pace.py",
        "        state.peak = peak\n        state.cut_at = now\n",
        "        state.peak = peak\n",
        ("tests/test_pace.py",),
    ),
    Mutation(
        "throttles of requests sent before a cut cut it again",
        "_pacing/_pace.py",
        "        if sent_at < state.cut_at:\n            return None\n",
        "",
        ("tests/test_pace.py",),
    ),
    Mutation(
        "the pace settles on the rate that was throttled, not below it",
        "_pacing/_pace.py",
        "TARGET = 0.8\n",
        "TARGET = 1.0\n",
        ("tests/test_pace.py",),
    ),
    Mutation(
        "a paced request's throttle is left to botocore's retries",
        "_pacing/_paced.py",
        "        raise Throttled(parsed, _sent_at.get())",
        "        return",
        ("tests/test_budget.py",),
    ),
    Mutation(
        "patience never runs out",
        "_pacing/_paced.py",
        "        return since + self.patience",
        "        return math.inf",
        ("tests/test_budget.py",),
    ),
    Mutation(
        "a huge shared budget file is read",
        "_pacing/_shared_store.py",
        "        if size > LARGEST:  # not even read: a state file is a few KiB\n",
        "        if False:\n",
        ("tests/test_pace_store.py::test_a_huge_file_is_started_afresh_without_reading_it",),
    ),
    Mutation(
        "the shared budget file is written through a hard link",
        "_pacing/_shared_store.py",
        "    if info.st_nlink != 1:\n",
        "    if False:\n",
        ("tests/test_pace_store.py::test_a_hard_link_in_place_of_the_file_is_not_written",),
    ),
    Mutation(
        "the shared budget file is made in a folder of another user",
        "_pacing/_shared_store.py",
        "            if os.fstat(folder).st_uid != os.geteuid():\n",
        "            if False:\n",
        ("tests/test_pace_store.py::test_a_folder_of_another_user_is_not_written",),
    ),
    Mutation(
        "a shared budget file not ours is refused without a warning",
        "_pacing/_shared_store.py",
        "                        level=logging.WARNING,\n",
        "                        level=logging.DEBUG,\n",
        ("tests/test_export_files.py::test_a_budget_file_made_a_hard_link_is_not_written",),
    ),
    Mutation(
        "a damaged shared budget file stops the budgets",
        "_pacing/_shared_store.py",
        "        except (ValueError, TypeError, KeyError) as err:",
        "        except ZeroDivisionError as err:",
        ("tests/test_pace_store.py",),
    ),
    Mutation(
        "the bucket does not wait",
        "_pacing/_budget.py",
        "        if delay > 0:\n            self._give_back([])",
        "        if False:\n            self._give_back([])",
        ("tests/test_memberships.py",),
    ),
    Mutation(
        "CSV formulas are not neutralised",
        "_cli/_writers.py",
        "            cells = [neutralize_formula(cell) for cell in cells]",
        "            cells = list(cells)",
        ("tests/test_security.py", "tests/test_render.py"),
    ),
    Mutation(
        "timestamps lose their microseconds",
        "_models/_time.py",
        '%H:%M:%S.%f}Z"',
        '%H:%M:%S}Z"',
        ("tests/test_cli_daily.py", "tests/test_render.py", "tests/test_spill.py"),
    ),
    Mutation(
        "a resume hint for a rejected parameter",
        "_cli/_report.py",
        "if err.next_token is None or isinstance(err, InvalidParameterError):",
        "if err.next_token is None:",
        ("tests/test_cli_daily.py",),
    ),
    Mutation(
        "the export does not cut back to its checkpoint",
        "_cli/_output_file.py",
        "os.ftruncate(descriptor, saved.offset)",
        "pass",
        ("tests/test_export.py",),
    ),
    Mutation(
        "the checkpoint is written before the rows are synced",
        "_cli/_output_file.py",
        "            save(self.sync())\n",
        "            save(Committed(self.sync().offset + 4096))\n",
        ("tests/test_export.py",),
    ),
    Mutation(
        "JSON on a terminal leaves its last line open for the status line to erase",
        "_cli/_writers.py",
        "        first = self.written == 0\n        if self._terminal:\n",
        "        first = self.written == 0\n        if False:\n",
        ("tests/test_cli_daily.py",),
    ),
    Mutation(
        "one file for the output and the checkpoint is accepted",
        "_cli/_export_checks.py",
        "    if same:\n",
        "    if False:\n",
        ("tests/test_export.py",),
    ),
    Mutation(
        "a path whose folder is missing is not refused up front",
        "_cli/_files.py",
        "    if not path.parent.is_dir():\n",
        "    if False:\n",
        ("tests/test_export.py",),
    ),
    Mutation(
        "the command waits as long as the library for a silent endpoint",
        "_cli/_options.py",
        "READ_TIMEOUT = 10.0",
        "READ_TIMEOUT = 60.0",
        ("tests/test_cli_daily.py",),
    ),
    Mutation(
        "the async default client forgets the pool's Region",
        "_client/_region.py",
        "    return region_from_pool_id(user_pool_id)\n",
        "    return None\n",
        ("tests/test_twins.py", "tests/test_cli_daily.py"),
    ),
    Mutation(
        "leaving async with does not close the iterator",
        "_client/_closing.py",
        "    async def __aexit__(self, *exc_info: object) -> None:\n        await self.aclose()",
        "    async def __aexit__(self, *exc_info: object) -> None:\n        pass",
        ("tests/test_twins.py",),
    ),
    Mutation(
        "an error loses its resume token",
        "_errors/_translate.py",
        "        err.next_token = next_token\n",
        "        pass\n",
        PAGING,
    ),
    Mutation(
        "a throttled answer is not told to its budgets (the job never slows)",
        "_pacing/_paced.py",
        "            budget.throttled_answer(signal.sent_at, signal.response)\n",
        "            pass\n",
        ("tests/test_quotas.py::test_another_caller_keeps_most_of_its_share",),
    ),
    Mutation(
        "an output that another run keeps, or a database, is replaced",
        "_cli/_export_checks.py",
        "            what = kept_or_foreign(given)  # another run's file, a database\n",
        "            pass\n",
        ("tests/test_export_files.py::test_an_output_another_run_keeps_or_no_export_is_refused",),
    ),
    Mutation(
        "a file SQLite keeps beside a mirror is replaced by an export",
        "_cli/_other_files.py",
        "    return _what_is_inside(path) or _beside_a_database(real(path))\n",
        "    return _what_is_inside(path)\n",
        ("tests/test_export_files.py::test_an_output_another_run_keeps_or_no_export_is_refused",),
    ),
    Mutation(
        "a path under /proc that reaches a file is written as a device, unchecked",
        "_cli/_files.py",
        "    if _STREAMS.fullmatch(os.path.abspath(path)):\n",
        "    if os.path.abspath(path).startswith(('/dev/', '/proc/')):\n",
        ("tests/test_export_files.py::test_an_output_another_run_keeps_or_no_export_is_refused",),
    ),
    Mutation(
        "a checkpoint is taken for an output by its first bytes alone",
        "_cli/_other_files.py",
        "    if head.startswith(_CHECKPOINT_START) and _CHECKPOINT_END.search(tail):\n",
        "    if head.startswith(_CHECKPOINT_START):\n",
        (
            "tests/test_export_files.py::test_an_output_like_a_checkpoint_or_a_database_only_at_one_end_is_replaced",
        ),
    ),
    Mutation(
        "rows wait for 1,000 more than the cadence allows",
        "_durable/_cadence.py",
        "or self._pending >= COMMIT_ROWS",
        "or self._pending >= 2 * COMMIT_ROWS",
        ("tests/test_cadence.py",),
    ),
    Mutation(
        "a commit of no rows ends the first row's commit at once",
        "_durable/_cadence.py",
        "        if self._pending:\n            self._first = False\n",
        "        self._first = False\n",
        ("tests/test_cadence.py",),
    ),
    Mutation(
        "export's first row waits for the cadence (its bytes held past a commit)",
        "_cli/_commits.py",
        "Cadence(first_at_once=True)",
        "Cadence()",
        ("tests/test_export_files.py",),
    ),
    Mutation(
        "ListGroups is sent without its category's budget",
        "_client/_sync.py",
        "return GroupIterator(paced(client, LIST_GROUPS, self._groups_pacer()), plan)",
        "return GroupIterator(paced(client, LIST_GROUPS, None), plan)",
        ("tests/test_quotas.py",),
    ),
    Mutation(
        "a request is sent without its budget",
        "_pacing/_paced.py",
        "with pacing(home, attempts.budgets, self._stop, attempts.deadline):",
        "with pacing(home, (), self._stop, attempts.deadline):",
        ("tests/test_memberships.py",),
    ),
    Mutation(
        "a resumed --by-user spill keeps what its checkpoint does not cover",
        "_cli/_spill.py",
        'db.execute("DELETE FROM memberships WHERE seq > ?", (self.written,))',
        'db.execute("SELECT ?", (self.written,))',
        ("tests/test_spill.py",),
    ),
    Mutation(
        "the --by-user checkpoint counts memberships its spill never committed",
        "_cli/_spill.py",
        '            self._db.execute("COMMIT")\n            self._db.execute("BEGIN")\n',
        "            pass\n",
        ("tests/test_export.py::test_a_failed_by_user_run_leaves_only_what_resumes_it",),
    ),
    Mutation(
        "a --by-user checkpoint continues a plain export",
        "_cli/_export_checks.py",
        '("kind of record", _kind(saved.by_user), _kind(args.by_user)),',
        "",
        (
            "tests/test_export.py::"
            "test_a_checkpoint_continues_only_the_kind_of_export_it_was_made_for",
        ),
    ),
    Mutation(
        "the temporary spill of --by-user is left behind",
        "_cli/_spill.py",
        "            if not self._durable:\n                self.remove()",
        "            if False:\n                self.remove()",
        (
            "tests/test_spill.py::test_a_spill_is_private_and_removed_with_its_side_files",
            "tests/test_export.py::test_by_user",
        ),
    ),
    Mutation(
        "the --by-user spill for stdout has a name in the temporary folder",
        "_cli/_spill.py",
        "            return cls(None, durable=False, written=0)\n",
        "            return cls.temporary(Path(tempfile.gettempdir()) / 'stdout')\n",
        (
            "tests/test_spill.py::test_a_spill_for_stdout_has_no_name_while_it_is_used",
            "tests/test_export.py::test_by_user_to_stdout_killed_leaves_no_spill",
        ),
    ),
    Mutation(
        "an output is continued under a checkpoint of none though it holds bytes",
        "_cli/_output_file.py",
        "        if saved.offset == 0 and found.st_size > 0:\n",
        "        if False:\n",
        (
            "tests/test_export_files.py::test_a_checkpoint_of_nothing_committed_still_guards_its_output",
        ),
    ),
    Mutation(
        "an output's first bytes are written before the checkpoint that covers them",
        "_cli/_output_file.py",
        "        save(Committed(raw.length, found.st_dev, found.st_ino, raw.digest.hexdigest()))\n"
        "        if raw.held:\n            self.sync()\n",
        "        if raw.held:\n            self.sync()\n"
        "        save(Committed(raw.length, found.st_dev, found.st_ino, raw.digest.hexdigest()))\n",
        (
            "tests/test_export_files.py::test_an_outputs_first_bytes_are_written_after_their_checkpoint",
        ),
    ),
    Mutation(
        "an empty output under its checkpoint is refused, not started afresh",
        "_cli/_export_checks.py",
        "    return None if size == 0 else saved\n",
        "    return saved\n",
        (
            "tests/test_export_files.py::test_an_empty_output_under_its_checkpoint_is_started_afresh",
        ),
    ),
    Mutation(
        "the spill of the checkpoint is accepted as the output",
        "_cli/_export_checks.py",
        "    what = next((what for path, what in own if _same_file(given, path)), None)\n",
        "    what = None\n",
        (
            "tests/test_export_files.py::test_an_output_that_is_one_of_the_runs_own_files_is_refused",
        ),
    ),
    Mutation(
        "a hard link to one of the run's own files is accepted as the output",
        "_cli/_export_checks.py",
        "        return given.samefile(own)\n",
        "        return False\n",
        (
            "tests/test_export_files.py::test_an_output_that_is_one_of_the_runs_own_files_is_refused",
        ),
    ),
    Mutation(
        "service errors lose their class",
        "_errors/_translate.py",
        "cls = _SERVICE_ERRORS.get(code, CognitoServiceError)",
        "cls = CognitoServiceError",
        ("tests/test_errors.py",),
    ),
    Mutation(
        "a second export is not locked out",
        "_durable/_lock.py",
        "                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)",
        "                fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)",
        (
            "tests/test_export_files.py::test_two_runs_at_once_the_second_is_refused_naming_the_first",
        ),
    ),
    Mutation(
        "an edited checkpoint is applied",
        "_cli/_checkpoint_file.py",
        "if digest != canonical_digest(fields) or not _well_formed(fields):",
        "if not _well_formed(fields):",
        ("tests/test_export_files.py::test_every_field_of_a_checkpoint_edited_is_refused",),
    ),
    Mutation(
        "a checkpoint continues a file whose committed bytes changed",
        "_cli/_output_file.py",
        "if digest.hexdigest() != saved.output_sha256:",
        "if False:",
        ("tests/test_export_files.py::test_a_checkpoint_resumes_only_the_file_it_was_made_for",),
    ),
    Mutation(
        "a checkpoint continues another file at its path",
        "_cli/_output_file.py",
        "if (found.st_dev, found.st_ino) != (saved.output_device, saved.output_inode):",
        "if False:",
        ("tests/test_export_files.py::test_a_checkpoint_resumes_only_the_file_it_was_made_for",),
    ),
    Mutation(
        "orphans of a killed run stay",
        "_cli/_export.py",
        "                remove_orphans(path)\n",
        "                pass\n",
        ("tests/test_export_files.py::test_a_run_removes_the_temporary_files_a_killed_run_left",),
    ),
    Mutation(
        "SIGTERM kills without clean-up",
        "_cli/_interrupt.py",
        "        signal.signal(stop, _raise_terminated)",
        "        pass",
        ("tests/test_export_files.py::test_sigterm_and_sighup_clean_up_and_say_how_to_continue",),
    ),
    Mutation(
        "a hard link to an output being written is cut",
        "_cli/_output_file.py",
        "        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)\n",
        "        pass\n",
        (
            "tests/test_export_files.py::test_another_name_for_the_output_is_refused_while_it_is_written",
        ),
    ),
    Mutation(
        "a file in the place of the lock is overwritten",
        "_durable/_lock.py",
        "                _check_ours(descriptor)\n",
        "                pass\n",
        (
            "tests/test_export_files.py::test_a_file_in_the_place_of_the_lock_is_left_as_it_is",
            "tests/test_mirror.py::test_a_file_in_the_place_of_the_pool_lock_is_left_as_it_is",
        ),
    ),
    Mutation(
        "a resume with another --csv-raw is applied",
        "_cli/_export_checks.py",
        '("CSV cells", _cells(saved.csv_raw), _cells(raw_cells(args))),',
        "",
        ("tests/test_export_files.py::test_a_resume_with_other_csv_cells_is_refused",),
    ),
    Mutation(
        "the mirror's first sync is not its baseline",
        "_mirror/_swap.py",
        "db.execute(_RECORDING, (pool, True, every_group_before, sync_id))",
        "db.execute(_RECORDING, (pool, True, True, sync_id))",
        ("tests/test_mirror.py::test_a_baseline_then_exactly_the_changes",),
    ),
    Mutation(
        "a group deleted during a sync keeps its staged members",
        "_mirror/_staging.py",
        '"DELETE FROM sync_memberships WHERE sync_id = ? AND group_name = ? "',
        '"DELETE FROM sync_memberships WHERE 0 = ? AND group_name = ? "',
        ("tests/test_mirror.py::test_a_group_deleted_during_the_sync_leaves_it",),
    ),
    Mutation(
        "a sync's batch is committed without its cursor",
        "_mirror/_job.py",
        "            checkpoint=listing.checkpoint,\n            listed=self.listed,",
        "            checkpoint=self.running.checkpoint,\n            listed=self.listed,",
        ("tests/test_mirror.py::test_a_failed_sync_changes_nothing_and_the_next_one_continues_it",),
    ),
    Mutation(
        "a continued sync lists its groups in another order than its cursor's",
        "_mirror/_resume.py",
        "saved = decode_checkpoint(checkpoint).groups",
        "saved = None",
        (
            "tests/test_mirror.py::"
            "test_a_database_that_cannot_be_written_exits_8_and_the_rerun_continues",
        ),
    ),
    Mutation(
        "two syncs of one pool run at once (SQLite)",
        "_durable/_lock.py",
        "                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)",
        "                fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)",
        ("tests/test_mirror.py::test_two_syncs_of_one_pool_at_once_the_second_exits_2",),
    ),
    Mutation(
        "two syncs of one pool run at once (PostgreSQL)",
        "_mirror/_postgres.py",
        '"SELECT pg_try_advisory_lock(%s, %s)", key',
        '"SELECT pg_try_advisory_lock(%s, %s) OR true", key',
        ("tests/test_mirror.py::test_two_syncs_of_one_pool_at_once_the_second_exits_2",),
    ),
    Mutation(
        "the mirror's file is created readable by others",
        "_mirror/_sqlite.py",
        "_MODE = 0o600",
        "_MODE = 0o644",
        ("tests/test_mirror.py::test_a_sqlite_mirror_is_its_owners_alone",),
    ),
    Mutation(
        "a mirror of a newer schema is written",
        "_mirror/_schema.py",
        "            if version > known:",
        "            if False:",
        ("tests/test_mirror.py::test_what_is_not_a_mirror_is_refused",),
    ),
    Mutation(
        "a continued sync's row is not checked against its digest",
        "_mirror/_resume.py",
        "            if digest != expected:  # a well-formed edit (or a damaged digest)",
        "            if False:",
        ("tests/test_mirror.py::test_a_well_formed_edit_of_an_interrupted_sync_is_refused",),
    ),
    Mutation(
        "a sync's cursor is committed without its digest",
        "_mirror/_staging.py",
        "                _digest_of(sync, checkpoint, counted),",
        "                None,",
        ("tests/test_mirror.py::test_a_failed_sync_changes_nothing_and_the_next_one_continues_it",),
    ),
    Mutation(
        "a mirror's moments are read unchecked",
        "_mirror/_database.py",
        "except (TypeError, ValueError):",
        "except ZeroDivisionError:",
        ("tests/test_mirror.py::test_a_value_edited_into_what_no_mirror_writes_exits_2",),
    ),
    Mutation(
        "a mirror's numbers are read unchecked",
        "_mirror/_database.py",
        "if isinstance(value, bool) or not isinstance(value, int) or value < minimum:",
        "if False:",
        ("tests/test_mirror.py::test_a_value_edited_into_what_no_mirror_writes_exits_2",),
    ),
    Mutation(
        "attributes not asked for are kept",
        "_mirror/_rows.py",
        "if attributes is None or attribute.name in attributes",
        "if True",
        ("tests/test_mirror.py::test_users_hold_the_latest_record_and_only_the_attributes_kept",),
    ),
    Mutation(
        "the swap is not one transaction",
        "_mirror/_swap.py",
        "    with db.transaction(durable=True):\n        db.dialect.completion_lock(",
        '    with __import__("contextlib").nullcontext():\n        db.dialect.completion_lock(',
        ("tests/test_mirror.py::test_a_reader_never_sees_half_a_swap",),
    ),
    Mutation(
        "a symbolic link to the mirror names another pool lock",
        "_mirror/_sqlite.py",
        "        real = Path(os.path.realpath(self.path))\n        return lock_beside(",
        "        real = self.path\n        return lock_beside(",
        ("tests/test_mirror.py::test_one_database_by_other_names_has_one_lock_or_is_refused",),
    ),
    Mutation(
        "a hard link to the mirror is opened",
        "_mirror/_sqlite.py",
        "        if found.st_nlink != 1:",
        "        if False:",
        ("tests/test_mirror.py::test_one_database_by_other_names_has_one_lock_or_is_refused",),
    ),
    Mutation(
        "a year before 1000 is bound in 3 digits",
        "_models/_time.py",
        'return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"',
        'return f"{utc.year}-{utc:%m-%dT%H:%M:%S.%f}Z"',
        ("tests/test_mirror.py::test_since_far_in_the_past_or_future",),
    ),
    Mutation(
        "a group name ListGroups cannot send is sent on",
        "_listing/_validate.py",
        "    if problem is not None:\n        raise MalformedResponseError(",
        "    if False:\n        raise MalformedResponseError(",
        (
            "tests/test_mirror.py::test_a_group_name_the_service_cannot_have_is_a_malformed_response",
        ),
    ),
    Mutation(
        "a refused saved position stops the continued sync",
        "_mirror/_job.py",
        "if isinstance(err, InvalidParameterError) and err.parameter is None and name in saved:",
        "if False:",
        (
            "tests/test_mirror.py::test_a_saved_position_the_service_refuses_restarts_that_group_once",
        ),
    ),
    Mutation(
        "a reader that cannot follow the syncs is not refused when it connects",
        "_mirror/_sqlite.py",
        "            if reader:\n                self._check_follows()",
        "            if False:\n                self._check_follows()",
        (
            "tests/test_mirror.py::test_a_mirror_in_a_read_only_folder_is_refused_to_readers_at_once",
        ),
    ),
    Mutation(
        "a group listed again keeps its staged users (in no group, they stay in users)",
        "_mirror/_staging.py",
        "DELETE FROM sync_users WHERE sync_id = ? AND username IN (",
        "DELETE FROM sync_users WHERE 0 = ? AND username IN (",
        (
            "tests/test_mirror.py::test_a_saved_position_the_service_refuses_restarts_that_group_once",
        ),
    ),
    Mutation(
        "a user's attributes are stored in the service's order",
        "_mirror/_rows.py",
        "    kept = dict(\n        sorted(\n",
        "    kept = dict(\n        list(\n",
        ("tests/test_mirror.py::test_attributes_in_another_order_are_no_change",),
    ),
    Mutation(
        "a username no database stores is staged",
        "_mirror/_job.py",
        "                check_listed_username(user.username, membership.group_name)\n",
        "                pass\n",
        (
            "tests/test_mirror.py::test_a_username_no_database_stores_fails_the_sync_naming_the_group",
        ),
    ),
    Mutation(
        "a sync stopped by a username it cannot store commits the cursor past it",
        "_mirror/_job.py",
        "                if err is self.unmirrorable:",
        "                if False:",
        (
            "tests/test_mirror.py::test_a_username_no_database_stores_fails_the_sync_naming_the_group",
        ),
    ),
    Mutation(
        "a sync stores its groups in the order given",
        "_mirror/_mirror.py",
        "names = _resume.by_name(check_group_names(group_names))",
        "names = check_group_names(group_names)",
        (
            "tests/test_mirror.py::"
            "test_an_interrupted_sync_continues_with_its_groups_and_attributes_in_any_order",
        ),
    ),
    Mutation(
        "a lock file's name is not shortened (ENAMETOOLONG)",
        "_durable/_lock.py",
        "    if len(encoded) <= LONGEST_NAME:",
        "    if True:",
        (
            "tests/test_export_files.py::test_a_long_output_name_works",
            "tests/test_mirror.py::test_a_database_with_a_long_name_has_a_pool_lock_of_a_short_one",
        ),
    ),
    Mutation(
        "the zero-width space goes to the terminal raw",
        "_cli/_safe_text.py",
        "\\xad\\u180e\\u200b\\u2028",
        "\\xad\\u180e\\u2028",
        ("tests/test_security.py::test_visible_shows_invisible_characters_but_keeps_joiners",),
    ),
    Mutation(
        "sync --wait --quiet says it waits",
        "_cli/_sync.py",
        "        if self.args.quiet:\n            return\n        self.console.say(",
        "        self.console.say(",
        ("tests/test_cli.py::test_sync_quiet_says_nothing_while_it_waits",),
    ),
    Mutation(
        "a snapshot reads outside one transaction (each query its own)",
        "_mirror/_snapshot.py",
        "    with db.dialect.read_transaction(db.connection):\n"
        "        snapshot = MirrorSnapshot(db)",
        '    with __import__("contextlib").nullcontext():\n        snapshot = MirrorSnapshot(db)',
        (
            "tests/test_mirror_readers.py::test_a_snapshot_never_mixes_two_syncs_even_with_syncs_killed",
        ),
    ),
    Mutation(
        "changes() goes on into the changes committed after its first page",
        "_mirror/_queries.py",
        '    if upto is not None:\n        where.append("id <= ?")',
        '    if False:\n        where.append("id <= ?")',
        ("tests/test_mirror_readers.py::test_a_half_read_changes_iterator_holds_nothing_back",),
    ),
    Mutation(
        "a username held by another account (another sub) is no change",
        "_mirror/_swap.py",
        "    AND (memberships.sub IS NULL OR sm.sub IS NULL OR memberships.sub = sm.sub))",
        "    )",
        ("tests/test_mirror_readers.py::test_a_username_created_again_is_another_account",),
    ),
    Mutation(
        "a user's sub is kept only when asked for",
        "_mirror/_rows.py",
        "        _text_or_none(user.sub),",
        "        None,",
        ("tests/test_mirror_readers.py::test_a_username_created_again_is_another_account",),
    ),
    Mutation(
        "a reader's connection belongs to the thread that made it",
        "_mirror/_sqlite.py",
        "            check_same_thread=False,",
        "            check_same_thread=True,",
        ("tests/test_mirror_readers.py::test_one_mirror_serves_eight_threads",),
    ),
    Mutation(
        "a mirror moved or deleted during its sync goes unnoticed",
        "_mirror/_database.py",
        "    def _check_in_place(self) -> None:\n        if self.in_place():",
        "    def _check_in_place(self) -> None:\n        if True:",
        ("tests/test_mirror.py::test_a_mirror_moved_or_deleted_during_its_sync_stops_it",),
    ),
    Mutation(
        "a NUL or lone surrogate in a group's description is stored as sent",
        "_mirror/_rows.py",
        '    return NOT_TEXT.sub(lambda found: f"\\\\u{ord(found.group()):04x}", value)',
        "    return value",
        (
            "tests/test_mirror.py::"
            "test_a_group_anyone_may_edit_does_not_stop_the_mirror_of_the_pool",
        ),
    ),
    Mutation(
        "a database is switched to WAL mode before it is known to be a mirror",
        "_mirror/_sqlite.py",
        "                    self._first_read(connection)\n"
        '                connection.execute("PRAGMA synchronous = NORMAL")',
        "                    self._first_read(connection)\n"
        "                else:\n"
        '                    connection.execute("PRAGMA journal_mode = WAL")\n'
        '                connection.execute("PRAGMA synchronous = NORMAL")',
        ("tests/test_mirror.py::test_another_programs_database_is_refused_as_it_was",),
    ),
    Mutation(
        "an interrupted sync's staged rows edited by hand are continued",
        "_mirror/_resume.py",
        "            elif _staged_digest.of_staged(db, sync_id) != staged:",
        "            elif False:",
        ("tests/test_mirror.py::test_hand_edited_staged_rows_are_refused_before_a_continuation",),
    ),
    Mutation(
        "ListGroups' budgets assume the service saves tokens (a burst of 3)",
        "_pacing/_quotas.py",
        '    "UserPoolResourceRead", account_rps=20.0, pool_rps=5.0, burst_max=1',
        '    "UserPoolResourceRead", account_rps=20.0, pool_rps=5.0, burst_max=None',
        ("tests/test_quotas.py::test_iter_groups_against_a_pool_with_no_burst_is_not_throttled",),
    ),
    Mutation(
        "with no burst, requests leave exactly an interval apart (no slack)",
        "_pacing/_pace.py",
        "        return 1 / rate + max(SLACK / rate, SLACK_MIN)",
        "        return 1 / rate",
        (  # on the pace's own clock: the loopback test's jitter may or may not find it
            "tests/test_pace.py::"
            "test_with_no_burst_each_request_leaves_an_interval_and_a_slack_after_the_last",
        ),
    ),
    Mutation(
        "with no burst, the next request is spaced from its token, not from the last arrival",
        "_pacing/_budget.py",
        "            if now < self._not_before:  # no burst: the last request may have",
        "            if False:  # no burst: the last request may have",
        (
            "tests/test_budget.py::"
            "test_with_no_burst_the_next_request_waits_for_when_the_last_may_have_arrived",
        ),
    ),
    Mutation(
        "a staged membership's sub is left out of the staged rows' digest",
        "_mirror/_staged_digest.py",
        '    return _hash("membership", group_name, username, sub)',
        '    return _hash("membership", group_name, username)',
        (
            "tests/test_mirror.py::test_hand_edited_staged_rows_are_refused_before_a_continuation"
            "[sqlite-a-staged-membership-given-another-account]",
        ),
    ),
    Mutation(
        "an extra's install hint names the package on the index",
        "_client/_install.py",
        "(pip install '/path/to/cognito-groups[{extra}]')",
        "(pip install 'cognito-groups[{extra}]')",
        ("tests/test_install_hints.py",),
    ),
    Mutation(
        "a facade without a Region builds its client at once (RegionError)",
        "_client/_sync.py",
        "            if configured_region(session, region_name) is None:",
        "            if False:",
        ("tests/test_twins.py::test_the_facades_take_the_region_from_the_pool_id",),
    ),
    Mutation(
        "an async facade without a Region opens its client on entering (RegionError)",
        "_client/_async.py",
        "            if aio_configured_region(session, region_name) is not None:",
        "            if True:",
        ("tests/test_twins.py::test_the_facades_take_the_region_from_the_pool_id",),
    ),
    Mutation(
        "a facade lists a pool of another Region than its client's",
        "_client/_region.py",
        "        if self.region is not None and region is not None and region != self.region:",
        "        if False:",
        ("tests/test_twins.py::test_a_facade_without_region_refuses_a_pool_of_another_region",),
    ),
    Mutation(
        "a single group's error does not name the group",
        "_errors/_translate.py",
        "        if group_name is not None:\n            err.group_name = group_name\n",
        "",
        ("tests/test_reliability.py::test_a_single_group_error_names_its_group",),
    ),
    Mutation(
        "PostgreSQL refusing the credentials is an outage (exit 7)",
        "_mirror/_postgres.py",
        "                if not _refused_credentials(err):\n",
        "                if True:\n",
        ("tests/test_mirror_credentials.py",),
    ),
    Mutation(
        "refused credentials exit as an unreachable database",
        "_cli/_report.py",
        "    (DatabaseAuthenticationError, EXIT_NOT_AUTHORIZED),\n",
        "    (DatabaseAuthenticationError, EXIT_CONNECTION),\n",
        ("tests/test_mirror_credentials.py",),
    ),
    Mutation(
        "changes names the baseline on every run",
        "_cli/_changes.py",
        "if (since is not None and finished >= since) or latest[sync.user_pool_id] == sync.id:",
        "if since is None or finished >= since:",
        ("tests/test_changes_cli.py",),
    ),
    Mutation(
        "a table of one pool repeats its pool in a column",
        "_cli/_changes.py",
        'one_pool = format_name == "table" and self.args.user_pool_id is not None',
        "one_pool = False",
        ("tests/test_changes_cli.py",),
    ),
    Mutation(
        "--since reads any script's digits",
        "_cli/_changes.py",
        "    if not text.isascii():\n",
        "    if False:\n",
        ("tests/test_changes_cli.py",),
    ),
    Mutation(
        "a long time ago is not a time ago (two errors for out of range)",
        "_cli/_changes.py",
        '_AGO = re.compile(r"([0-9]+)([mhdw])")',
        '_AGO = re.compile(r"([0-9]{1,6})([mhdw])")',
        ("tests/test_changes_cli.py",),
    ),
    Mutation(
        "a --since in the future lists nothing without a word",
        "_cli/_changes.py",
        "if since is not None and since > now and not args.quiet:",
        "if False:",
        ("tests/test_changes_cli.py",),
    ),
    Mutation(
        "the table cuts status and date before the free text is narrow",
        "_cli/_writers.py",
        "            width if fixed_form else min(width, 1)\n",
        "            width if fixed_form else min(width, 12)\n",
        (
            "tests/test_cli_daily.py::"
            "test_an_80_column_terminal_cuts_username_and_email_not_status_or_date",
        ),
    ),
    Mutation(
        "a reader's connection to a deleted or replaced mirror is used again",
        "_mirror/_readers.py",
        "        if db is not None and not db.in_place():",
        "        if False:",
        ("tests/test_mirror_readers.py::test_a_reader_follows_a_mirror_deleted_and_made_again",),
    ),
    Mutation(
        "members() names the user's latest sub, not the one holding the membership",
        "_mirror/_queries.py",
        '"u.user_last_modified_date, u.attributes, COALESCE(m.sub, u.sub) "',
        '"u.user_last_modified_date, u.attributes, u.sub "',
        ("tests/test_mirror_readers.py::test_members_name_the_account_that_holds_each_membership",),
    ),
    Mutation(
        "a moment of another shape is read as one",
        "_models/_time.py",
        "    if _MOMENT.fullmatch(text) is None:",
        "    if False:",
        ("tests/test_mirror.py::test_a_value_edited_into_what_no_mirror_writes_exits_2",),
    ),
    Mutation(
        "a group deleted while the sync runs stops it",
        "_mirror/_job.py",
        "            if name not in self.running.groups or _pool_is_gone(err):",
        "            if True:",
        ("tests/test_mirror.py::test_a_group_deleted_during_the_sync_leaves_it",),
    ),
    Mutation(
        "one data loader for every data path",
        "_client/_session.py",
        "    return create_loader(data_path)",
        "    return create_loader(None)",
        ("tests/test_fast_path.py::test_sessions_the_library_makes_read_botocores_data_once",),
    ),
)


def stale(mutations: tuple[Mutation, ...] = MUTATIONS) -> list[str]:
    """The mutations whose piece to change is not found exactly once (the code has moved on)."""
    return [
        f"{mutation.path}: {mutation.name}"
        for mutation in mutations
        if (PACKAGE / mutation.path).read_text().count(mutation.before) != 1
    ]


def killed(mutation: Mutation) -> bool:
    """Apply ``mutation``, run its tests, restore the file; whether the tests failed."""
    path = PACKAGE / mutation.path
    original = path.read_text()
    try:
        path.write_text(original.replace(mutation.before, mutation.after))
        tests = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, "-m", "pytest", "-x", "-q", "--no-cov", "-p", "no:cacheprovider",
             "-n", "4", *mutation.tests],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            returncode = tests.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            # The tests hang (a patience that never runs out): they do not pass, it is killed.
            os.killpg(tests.pid, signal.SIGKILL)
            tests.wait()
            return True
    finally:
        path.write_text(original)
    return returncode != 0


def main() -> int:
    """Run every mutation; print each fate and the score."""
    if gone := stale():
        raise SystemExit("the piece to change is not found exactly once: " + "; ".join(gone))
    survived = []
    for mutation in MUTATIONS:
        fate = "killed" if killed(mutation) else "SURVIVED"
        if fate == "SURVIVED":
            survived.append(mutation.name)
        print(f"{fate:9} {mutation.path}: {mutation.name}", flush=True)
    total = len(MUTATIONS)
    print(f"\nscore: {total - len(survived)}/{total} mutations killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
