"""The async twin: same users, same errors, same resume rules as the sync client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from aiobotocore.session import AioSession, get_session
from botocore.stub import Stubber

from cognito_groups import (
    AsyncCognitoGroups,
    ClientSetupError,
    CognitoServiceError,
    InvalidParameterError,
    ResourceNotFoundError,
    User,
    aiter_users_in_group,
)
from cognito_groups._client._install import install_hint

from .conftest import GROUP, POOL, ServedPool, params, wire_user
from .fault_server import GROUP as FAULT_GROUP
from .fault_server import POOL as FAULT_POOL
from .fault_server import Fault, FaultServer
from .listing import Outcome, atake, list_once
from .servers import failing_proxy
from .test_errors import MAPPED


@pytest.mark.parametrize("page_size", [1, 7, 60])
def test_whole_group_exactly_once(served_pool: ServedPool, flavour: str, page_size: int) -> None:
    """Both clients list the 130 members exactly once, for page sizes 1, 7, 60."""
    pool, group = served_pool.pool.user_pool_id, served_pool.pool.group_name
    listing = list_once(flavour, served_pool.url, pool, group, page_size=page_size)
    assert listing.error is None
    assert len(listing.names) == len(set(listing.names)) == 130
    assert listing.next_token is None


@pytest.mark.parametrize(("page_size", "max_users"), [(7, 20), (60, 61)])
def test_resume_after_max_users(
    served_pool: ServedPool, flavour: str, page_size: int, max_users: int
) -> None:
    """Chunks of max_users resumed from next_token give the group exactly once."""
    seen: list[str] = []
    token: str | None = None
    for _ in range(50):
        listing = list_once(
            flavour, served_pool.url, served_pool.pool.user_pool_id, served_pool.pool.group_name,
            page_size=page_size, max_users=max_users, next_token=token,
        )  # fmt: skip
        assert listing.error is None
        seen.extend(listing.names)
        token = listing.next_token
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 130


@pytest.mark.parametrize(
    ("pool", "group"), [("us-east-1_Missing", "g"), (None, "no-such-group")], ids=["pool", "group"]
)
def test_not_found(served_pool: ServedPool, flavour: str, pool: str | None, group: str) -> None:
    """A missing pool or group is ResourceNotFoundError from both clients."""
    listing = list_once(flavour, served_pool.url, pool or served_pool.pool.user_pool_id, group)
    assert isinstance(listing.error, ResourceNotFoundError)


def test_resume_after_an_injected_error(served_pool: ServedPool, flavour: str) -> None:
    """A 500 on page 3 (no retries): InternalError with page 3's token; resuming completes."""
    from cognito_groups import InternalError

    pool, group = served_pool.pool.user_pool_id, served_pool.pool.group_name
    with failing_proxy(served_pool.url, fail_from=3) as proxy:
        failed = list_once(flavour, proxy, pool, group, page_size=10)
    assert isinstance(failed.error, InternalError)
    assert failed.error.next_token is not None
    rest = list_once(flavour, served_pool.url, pool, group, next_token=failed.error.next_token)
    assert len(failed.users) == 20
    assert sorted(failed.names + rest.names) == sorted(
        list_once("sync", served_pool.url, pool, group).names
    )


@pytest.mark.parametrize("page_size", [3, 60])
def test_both_clients_return_identical_users(served_pool: ServedPool, page_size: int) -> None:
    """Same group, same page size: the very same User objects from both clients."""
    args = (served_pool.url, served_pool.pool.user_pool_id, served_pool.pool.group_name)
    sync = list_once("sync", *args, page_size=page_size)
    assert sync.users
    assert sync == list_once("async", *args, page_size=page_size)


def test_two_groups_concurrently(served_pool: ServedPool) -> None:
    """Two listings under asyncio.gather on one client both come back whole."""

    async def run() -> tuple[list[User], list[User]]:
        async with AsyncCognitoGroups(
            region_name="us-east-1", endpoint_url=served_pool.url
        ) as groups:

            async def collect(page_size: int) -> list[User]:
                iterator = groups.iter_users(
                    served_pool.pool.user_pool_id, served_pool.pool.group_name, page_size=page_size
                )
                return [user async for user in iterator]

            first, second = await asyncio.gather(collect(7), collect(11))
            return first, second

    first, second = asyncio.run(run())
    assert len(first) == len(second) == 130
    assert first == second


NOT_FOUND = Fault("error", "ResourceNotFoundException", message="Group not found.")


@pytest.mark.parametrize("end", ["exhausted", "aclose", "error"])
def test_module_function_closes_the_client_it_opened(
    end: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiter_users_in_group()'s own client closes when the listing ends, is closed or fails.

    The server sees its connections go while the loop still runs.
    """
    script = {2: NOT_FOUND} if end == "error" else {}
    with FaultServer(users=130, script=script) as fault:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fault.url)

        async def run() -> tuple[int, Outcome, bool]:
            iterator = aiter_users_in_group(FAULT_POOL, FAULT_GROUP)
            await iterator.__anext__()
            open_while_listing = fault.open_connections
            if end == "aclose":
                await iterator.aclose()
            outcome = await atake(iterator)
            await iterator.aclose()  # already closed: idempotent
            closed = await asyncio.to_thread(fault.wait_until_no_connection_is_open, 5.0)
            return open_while_listing, outcome, closed

        open_while_listing, outcome, closed = asyncio.run(run())
    assert open_while_listing >= 1
    assert closed
    expected = {"exhausted": 129, "aclose": 0, "error": 59}[end]
    assert len(outcome.users) == expected
    assert isinstance(outcome.error, ResourceNotFoundError) is (end == "error")


# --- stubbed: every mapped code, validation, client handling ------------------------------


def with_stubbed_client(test: Any) -> Any:
    """Run ``test(groups, stubber)`` inside an entered aiobotocore client with a Stubber."""

    async def run() -> Any:
        session = get_session()
        async with session.create_client(
            "cognito-idp", region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        ) as client:  # fmt: skip
            with Stubber(client) as stubber:
                result = await test(AsyncCognitoGroups(client), stubber)
                stubber.assert_no_pending_responses()
                return result

    return asyncio.run(run())


@pytest.mark.parametrize(("code", "cls", "status"), MAPPED, ids=[m[0] for m in MAPPED])
def test_stubbed_error_codes(code: str, cls: type[CognitoServiceError], status: int) -> None:
    """Each mapped code on page 2 raises its class with the same attributes as sync."""

    async def test(groups: AsyncCognitoGroups, stubber: Stubber) -> None:
        stubber.add_response(
            "list_users_in_group", {"Users": [wire_user("a")], "NextToken": "t1"}, params()
        )
        stubber.add_client_error(
            "list_users_in_group", code, "went wrong", status, expected_params=params(token="t1")
        )
        iterator = groups.iter_users(POOL, GROUP)
        assert (await iterator.__anext__()).username == "a"
        with pytest.raises(cls) as caught:
            await iterator.__anext__()
        assert (caught.value.code, caught.value.http_status, caught.value.next_token) == (
            code, status, "t1",
        )  # fmt: skip
        assert caught.value.__cause__ is not None

    with_stubbed_client(test)


def test_stubbed_pages_send_the_same_parameters() -> None:
    """Limit capped by max_users and token chaining, exactly as the sync client sends them."""

    async def test(groups: AsyncCognitoGroups, stubber: Stubber) -> None:
        stubber.add_response(
            "list_users_in_group",
            {"Users": [wire_user("a"), wire_user("b")], "NextToken": "t1"},
            params(limit=2),
        )
        stubber.add_response(
            "list_users_in_group",
            {"Users": [wire_user("c")], "NextToken": "t2"},
            params(limit=1, token="t1"),
        )
        pages = groups.iter_pages(POOL, GROUP, page_size=2, max_users=3)
        assert [len(page.users) async for page in pages] == [2, 1]
        assert pages.next_token == "t2"

    with_stubbed_client(test)


def test_validation_before_any_request() -> None:
    """Bad input raises InvalidParameterError at once, naming the parameter; nothing is sent."""

    async def test(groups: AsyncCognitoGroups, stubber: Stubber) -> None:
        with pytest.raises(InvalidParameterError) as caught:
            groups.iter_users(POOL, GROUP, page_size=0)
        assert caught.value.parameter == "page_size"
        with pytest.raises(InvalidParameterError):
            aiter_users_in_group("bad", GROUP, client=groups)

    with_stubbed_client(test)


def test_module_function_with_a_raw_client() -> None:
    """aiter_users_in_group(client=aiobotocore_client) uses that client."""

    async def test(groups: AsyncCognitoGroups, stubber: Stubber) -> list[str]:
        stubber.add_response("list_users_in_group", {"Users": [wire_user("z")]}, params())
        return [u.username async for u in aiter_users_in_group(POOL, GROUP, client=groups.client)]

    assert with_stubbed_client(test) == ["z"]


def test_client_is_built_on_enter_and_closed_on_exit() -> None:
    """Without client=, the client exists inside `async with` only; before, a clear error."""

    async def run() -> None:
        groups = AsyncCognitoGroups(region_name="eu-west-1")
        with pytest.raises(ClientSetupError, match="async with"):
            groups.iter_users(POOL, GROUP)
        closed: list[object] = []
        async with groups:
            client = groups.client
            assert client.meta.region_name == "eu-west-1"
            assert getattr(client.meta.config, "retries", None) == {"mode": "standard"}
            # aiobotocore closes a client it created through the client's __aexit__.
            leave: Any = client.__aexit__

            async def spy(*exc_info: Any) -> None:
                closed.append(client)
                await leave(*exc_info)

            client.__aexit__ = spy  # type: ignore[method-assign, assignment]
            assert closed == []
        assert closed == [client]
        with pytest.raises(ClientSetupError):
            _ = groups.client

    asyncio.run(run())


def test_given_client_is_not_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller's client stays open after `async with AsyncCognitoGroups(client)`."""

    async def run() -> None:
        async with get_session().create_client("cognito-idp", region_name="us-east-1") as client:
            closed: list[str] = []
            close: Any = client.close
            leave: Any = client.__aexit__

            async def spy_close() -> None:
                closed.append("close")
                await close()

            async def spy_leave(*exc_info: Any) -> None:
                closed.append("__aexit__")
                await leave(*exc_info)

            client.close = spy_close  # type: ignore[method-assign]
            client.__aexit__ = spy_leave  # type: ignore[method-assign, assignment]
            async with AsyncCognitoGroups(client) as groups:
                assert groups.client is client
            assert groups.client is client
            assert closed == []  # the caller's client is left open

    asyncio.run(run())


def test_missing_region_is_a_region_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Region, nor in the pool id: RegionError on the first request, as the sync facade."""
    import botocore.exceptions

    from cognito_groups import RegionError

    monkeypatch.delenv("AWS_DEFAULT_REGION")

    async def run() -> None:
        async with AsyncCognitoGroups() as groups:
            await anext(aiter(groups.iter_users("local_AbC123", "admins")))

    with pytest.raises(RegionError) as caught:
        asyncio.run(run())
    assert isinstance(caught.value.__cause__, botocore.exceptions.NoRegionError)


def test_session_option_type_is_checked() -> None:
    """session= must be an aiobotocore session."""
    import boto3

    with pytest.raises(InvalidParameterError) as caught:
        AsyncCognitoGroups(session=boto3.Session())  # type: ignore[arg-type]
    assert caught.value.parameter == "session"


def test_the_client_is_built_from_the_given_session() -> None:
    """session= is the session the client is built from (its Region is the client's)."""
    session = AioSession()
    session.set_config_variable("region", "ap-south-1")

    async def run() -> str:
        async with AsyncCognitoGroups(session=session) as cognito:
            return cognito.client.meta.region_name

    assert asyncio.run(run()) == "ap-south-1"


def test_clear_error_without_aiobotocore() -> None:
    """Without the extra, `import *` works and using the async names gives the install hint."""
    code = (
        "import sys; sys.modules['aiobotocore'] = None\n"
        "from cognito_groups import *\n"
        "for use in (lambda: AsyncCognitoGroups(),\n"
        "            lambda: aiter_users_in_group('us-east-1_AbC123', 'admins')):\n"
        "    try:\n"
        "        use()\n"
        "    except ImportError as err:\n"
        "        print(err)\n"
        "print(AsyncUserIterator.__name__, AsyncPageIterator.__name__)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    hint = "AsyncCognitoGroups needs aiobotocore: " + install_hint("async")
    assert result.stdout.splitlines() == [hint, hint, "AsyncUserIterator AsyncPageIterator"]


def test_unknown_attribute_of_the_package() -> None:
    """Names that do not exist still raise AttributeError."""
    import cognito_groups

    missing = "NoSuchThing"
    with pytest.raises(AttributeError):
        getattr(cognito_groups, missing)
