"""The mirror's PostgreSQL refusing the credentials: exit 4, as AWS's credentials, not 7.

Exit 7 says the database cannot be reached, which a scheduler retries as an outage; a wrong
password or an unknown role stays wrong until someone mends it. Against the tests' PostgreSQL
server (`tests/postgres_process.py`), which trusts every connection from 127.0.0.1: one role
of these tests is made to give its password (a line of its own in the server's
``pg_hba.conf``, first, then a reload).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from cognito_groups import (
    DatabaseAuthenticationError,
    DatabaseUnavailableError,
    Mirror,
    NotAMirrorError,
)

from .conftest import POOL, run_main

ROLE = "cg_password_check"
PASSWORD = "the-right-one"  # of the tests' own server, made here
WRONG = "not-the-password"
#: Commands that open the mirror first: `sync` fails before it lists anything.
COMMANDS = (("changes",), ("sync", POOL, "--endpoint-url", "http://127.0.0.1:9"))


@pytest.fixture(scope="module")
def password_role(postgres_server: str) -> str:
    """``host:port``, where ``ROLE`` logs in with ``PASSWORD`` only (scram-sha-256)."""
    line = f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        # Made already by another worker of the run: a duplicate, or a race on the catalogue.
        with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(ROLE), sql.Literal(PASSWORD)
                )
            )
        row = admin.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(row[0])
        if line not in hba.read_text():
            hba.write_text(line + hba.read_text())  # the first line that matches decides
        admin.execute("SELECT pg_reload_conf()")
    host = postgres_server.split("@", 1)[1].split("/", 1)[0]
    deadline = time.monotonic() + 30
    while True:  # until the reload is in force: the wrong password is refused
        try:
            psycopg.connect(f"postgresql://{ROLE}:{WRONG}@{host}/postgres").close()
        except psycopg.OperationalError:
            return host
        assert time.monotonic() < deadline, "the server did not reload pg_hba.conf"
        time.sleep(0.1)


def database_of(url: str) -> str:
    """The database name of a ``postgresql://`` URL."""
    return url.rsplit("/", 1)[1]


@pytest.mark.parametrize("command", COMMANDS, ids=[command[0] for command in COMMANDS])
def test_a_wrong_password_exits_4_without_the_password(
    password_role: str, postgres_url: str, command: tuple[str, ...]
) -> None:
    """A rejected password: exit 4 (credentials), one line naming the database, no password."""
    url = f"postgresql://{ROLE}:{WRONG}@{password_role}/{database_of(postgres_url)}"
    code, out, err = run_main([*command, "--db", url])
    shown = f"postgresql://{ROLE}@{password_role}/{database_of(postgres_url)}"
    assert (code, out) == (4, "")
    assert err.startswith(f"cognito-groups: error: PostgreSQL {shown} refused the credentials: ")
    assert "password authentication failed" in err
    assert WRONG not in err
    assert len(err.splitlines()) == 1


def test_the_library_raises_database_authentication_error(
    password_role: str, postgres_url: str
) -> None:
    """`Mirror` raises DatabaseAuthenticationError (not Unavailable), naming the database only."""
    name = database_of(postgres_url)
    url = f"postgresql://{ROLE}:{WRONG}@{password_role}/{name}"
    with Mirror(url) as mirror, pytest.raises(DatabaseAuthenticationError) as caught:
        mirror.syncs(POOL)
    assert not isinstance(caught.value, DatabaseUnavailableError)
    assert caught.value.database == f"postgresql://{ROLE}@{password_role}/{name}"
    assert WRONG not in str(caught.value)


def test_the_right_password_gets_in(password_role: str, postgres_url: str) -> None:
    """The same role with its password reaches the database (an empty one: no mirror yet)."""
    url = f"postgresql://{ROLE}:{PASSWORD}@{password_role}/{database_of(postgres_url)}"
    with Mirror(url) as mirror, pytest.raises(NotAMirrorError, match="holds no mirror yet"):
        mirror.syncs(POOL)


def test_a_role_that_does_not_exist_exits_4(postgres_server: str) -> None:
    """No such role (the server trusts the host, but has no role of that name): exit 4."""
    host = postgres_server.split("@", 1)[1]
    code, _, err = run_main(["changes", "--db", f"postgresql://no_such_role_h32@{host}"])
    assert code == 4, err
    assert 'role "no_such_role_h32" does not exist' in err


def test_a_server_that_cannot_be_reached_still_exits_7() -> None:
    """Nothing listens on the port: exit 7 (an outage, to retry), not 4."""
    code, _, err = run_main(["changes", "--db", "postgresql://u:s3cret@127.0.0.1:9/db"])
    assert code == 7, err
    assert "s3cret" not in err
