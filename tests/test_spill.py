"""The SQLite spill of ``export --by-user``: exact users back, grouped, cut back on resume."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from cognito_groups import Attribute, DeliveryMedium, MFAOption, User, UserStatus
from cognito_groups._cli._checkpoint_file import ExportCheckpoint
from cognito_groups._cli._files import FileError
from cognito_groups._cli._output_file import Committed
from cognito_groups._cli._report import UsageError
from cognito_groups._cli._spill import MembershipSpill, spill_path
from cognito_groups._cli._writers import WRITERS

from .users import HOSTILE_VALUES, numbered_user

if TYPE_CHECKING:
    from pathlib import Path

#: Users as unlike one another as the service can send them.
ODD_USERS = (
    User("bare"),
    User(
        "full\ud800",
        attributes=(
            Attribute("name", HOSTILE_VALUES[0]),
            Attribute("email", None),
            Attribute("name", "a second name"),
            *(Attribute(f"custom:v{index}", value) for index, value in enumerate(HOSTILE_VALUES)),
        ),
        user_create_date=datetime(2026, 11, 27, 14, 43, 51, 123456, tzinfo=timezone.utc),
        user_last_modified_date=datetime(1999, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        enabled=False,
        user_status=UserStatus("A_STATUS_ADDED_LATER"),
        mfa_options=(
            MFAOption(DeliveryMedium.SMS, "phone_number"),
            MFAOption(None, None),
            MFAOption(DeliveryMedium("PIGEON"), "loft"),
        ),
    ),
    *(User._from_wire(numbered_user(index, hostile=True)) for index in range(12)),
)


def spilled(tmp_path: Path, rows: list[tuple[str, User]]) -> list[tuple[User, list[str]]]:
    """``rows`` (group, user) through a durable spill and back."""
    with MembershipSpill.beside_checkpoint(tmp_path / "cp", None) as spill:
        for group, user in rows:
            spill.write(user, {"group_name": group})
        return list(spill.users())


def saved(written: int, committed: Committed) -> ExportCheckpoint:
    """The checkpoint of a --by-user export that committed ``written`` memberships so."""
    return ExportCheckpoint(
        pool="us-east-1_AbC123", groups=None, format="jsonl", attributes=None, offset=0,
        written=written, memberships=None, output_device=committed.device,
        output_inode=committed.inode, output_sha256=None, by_user=True,
    )  # fmt: skip


def test_users_come_back_exactly(tmp_path: Path) -> None:
    """Every field survives: dates to the microsecond, attribute order, lone surrogates."""
    got = spilled(tmp_path, [("g", user) for user in ODD_USERS])
    assert [user for user, _ in got] == list(ODD_USERS)


@pytest.mark.parametrize("format_name", ["jsonl", "csv", "json"])
def test_a_user_read_back_writes_the_same_row(tmp_path: Path, format_name: str) -> None:
    """A writer writes the same bytes for a user read back as for the user never spilled."""

    def text(users: list[User]) -> str:
        out = io.StringIO()
        writer = WRITERS[format_name](out, None, fields=["username", "groups", "user_status"])
        writer.begin()
        for user in users:
            writer.write(user, {"username": user.username, "groups": ["g"]})
        writer.finish()
        return out.getvalue()

    got = spilled(tmp_path, [("g", user) for user in ODD_USERS])
    assert text([user for user, _ in got]) == text(list(ODD_USERS))


def test_users_in_first_seen_order_with_their_groups_sorted_once(tmp_path: Path) -> None:
    """First seen first; groups in code point order, a membership listed twice once."""
    ana, bo = User("ana"), User("bo")
    later_ana = User("ana", enabled=True)  # the first seen wins
    rows = [("z", bo), ("\u00e9", ana), ("Z", later_ana), ("a", bo), ("z", bo), ("\ud800", ana)]
    assert spilled(tmp_path, rows) == [(bo, ["a", "z"]), (ana, ["Z", "\u00e9", "\ud800"])]


def test_a_resumed_spill_drops_what_its_checkpoint_does_not_cover(tmp_path: Path) -> None:
    """Memberships committed after the checkpoint's count (and users first seen there) go."""
    checkpoint = tmp_path / "cp"
    users = [User(f"u{index}") for index in range(6)]
    with MembershipSpill.beside_checkpoint(checkpoint, None) as spill:
        for index, user in enumerate(users):
            spill.write(user, {"group_name": "g" if index < 4 else "h"})
        spill.write(users[0], {"group_name": "h"})
        committed = spill.sync()  # 7 committed; the checkpoint saved covers only 3
    with MembershipSpill.beside_checkpoint(checkpoint, saved(3, committed)) as spill:
        assert spill.written == 3
        spill.write(users[5], {"group_name": "k"})
        assert list(spill.users()) == [
            (users[0], ["g"]),
            (users[1], ["g"]),
            (users[2], ["g"]),
            (users[5], ["k"]),
        ]


def test_a_spill_is_private_and_removed_with_its_side_files(tmp_path: Path) -> None:
    """The durable spill is 0600; remove() leaves nothing in the folder; a temporary one goes."""
    with MembershipSpill.beside_checkpoint(tmp_path / "cp", None) as spill:
        spill.write(User("ana"), {"group_name": "g"})
        spill.sync()
        assert stat.S_IMODE(spill_path(tmp_path / "cp").stat().st_mode) == 0o600
    spill.remove()
    assert list(tmp_path.iterdir()) == []
    with MembershipSpill.temporary(tmp_path / "out.jsonl") as temporary:
        (made,) = tmp_path.iterdir()
        assert made.name.startswith(".out.jsonl.cognito-groups-")
        assert made.suffix == ".tmp"
        assert stat.S_IMODE(made.stat().st_mode) == 0o600
        temporary.write(User("ana"), {"group_name": "g"})
        assert [user.username for user, _ in temporary.users()] == ["ana"]
    assert list(tmp_path.iterdir()) == []


def test_a_spill_for_stdout_has_no_name_while_it_is_used(tmp_path: Path) -> None:
    """For stdout, the spill is SQLite's own temporary file: in $TMPDIR, unlinked once opened.

    Written past SQLite's page cache (so that its file exists), it is open in the process as a
    deleted file of mode 0600, and the folder lists nothing: a ``kill -9`` has no file to leave
    behind.
    """
    script = textwrap.dedent(
        """
        import json, os, sys
        from cognito_groups import Attribute, User
        from cognito_groups._cli._spill import MembershipSpill

        with MembershipSpill.temporary(None) as spill:
            for index in range(20_000):
                user = User(f"u{index}", attributes=(Attribute("name", "x" * 500),))
                spill.write(user, {"group_name": "g"})
            spill.sync()
            fds = [f"/proc/self/fd/{fd}" for fd in os.listdir("/proc/self/fd")]
            opened = [(os.readlink(fd), os.stat(fd).st_mode) for fd in fds if os.path.exists(fd)]
            listed = os.listdir(sys.argv[1])
            print(json.dumps([opened, listed, spill.name]))
        """
    )
    env = {key: value for key, value in os.environ.items() if key != "SQLITE_TMPDIR"}
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run(  # noqa: S603 (this interpreter, our own script)
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True, text=True, check=True, env=env, timeout=120,
    )  # fmt: skip
    opened, listed, name = json.loads(result.stdout)
    there = [(path, mode) for path, mode in opened if path.startswith(f"{tmp_path}/")]
    assert len(there) == 1
    assert there[0][0].endswith(" (deleted)")
    assert stat.S_IMODE(there[0][1]) == 0o600
    assert listed == []
    assert name == f"--by-user's temporary spill (in {tmp_path})"
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_without_its_spill_is_refused(tmp_path: Path) -> None:
    """Continuing a spill that is gone is a UsageError naming it (start over)."""
    with pytest.raises(UsageError, match=r"cognito-groups\.sqlite is missing: .*start over"):
        MembershipSpill.beside_checkpoint(tmp_path / "cp", saved(10, Committed(0, 1, 2)))


@pytest.mark.parametrize("change", ["replaced", "symlink"])
def test_a_checkpoint_continues_only_its_own_spill(tmp_path: Path, change: str) -> None:
    """Another file at the spill's path (a copy put back, a planted symlink) is refused."""
    checkpoint = tmp_path / "cp"
    with MembershipSpill.beside_checkpoint(checkpoint, None) as spill:
        spill.write(User("ana"), {"group_name": "g"})
        committed = spill.sync()
    path = spill_path(checkpoint)
    if change == "replaced":
        copy = tmp_path / "copy"
        copy.write_bytes(path.read_bytes())
        copy.replace(path)
    else:
        target = tmp_path / "target"
        path.replace(target)
        path.symlink_to(target)
    with pytest.raises(UsageError, match=r"is not the file its checkpoint was made for"):
        MembershipSpill.beside_checkpoint(checkpoint, saved(1, committed))


def test_a_sqlite_error_is_a_file_error_naming_the_spill(tmp_path: Path) -> None:
    """A spill that is not a database: a FileError naming the file, the SQLite error chained."""
    path = spill_path(tmp_path / "cp")
    path.write_text("x" * 4096)
    found = path.stat()
    with pytest.raises(FileError) as caught:
        MembershipSpill.beside_checkpoint(
            tmp_path / "cp", saved(10, Committed(0, found.st_dev, found.st_ino))
        )
    assert caught.value.path == str(spill_path(tmp_path / "cp"))
    assert caught.value.reason == "file is not a database"
    assert type(caught.value.__cause__).__name__ == "DatabaseError"


def test_wire_round_trip_of_every_user_of_the_tests() -> None:
    """``User._from_wire(user._to_wire())`` is the user, for every kind of user."""
    users = [*ODD_USERS, User._from_wire({"Username": "x", "UserCreateDate": 1.7e9})]
    for user in users:
        assert User._from_wire(user._to_wire()) == user
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert User._from_wire(User("x", user_create_date=moment)._to_wire()).user_create_date == (
        moment
    )
