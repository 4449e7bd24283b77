"""A demo Cognito in this process: moto, seeded with a user pool and a group.

Used by ``examples/quickstart.py`` (``make demo``) and by the tests, so that the library can be
seen and exercised without an AWS account. It needs the ``demo`` extra (from a checkout:
``pip install '/path/to/cognito-groups[demo]'``); the rest of the library never imports it.

Example:
    >>> from cognito_groups import CognitoGroups
    >>> from cognito_groups.demo import demo_cognito
    >>> with demo_cognito() as (client, pool):
    ...     users = list(CognitoGroups(client).iter_users(pool.user_pool_id, pool.group_name))
    >>> len(users)
    150
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_groups._client._config import new_cognito_client
from cognito_groups._client._install import install_hint

if TYPE_CHECKING:
    from collections.abc import Generator

    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

__all__ = ["DEMO_REGION", "DemoPool", "demo_cognito", "seed_demo_pool"]

DEMO_REGION = "us-east-1"
_PASSWORD = "Demo-Passw0rd!"  # noqa: S105 (a throwaway password inside the in-process emulator)
_FIRST = ("ana", "ben", "chen", "dara", "emil", "fatima", "goran", "hana", "ivo", "jun", "kofi")
_LAST = ("silva", "meyer", "wong", "okafor", "novak", "haddad", "berg", "tanaka", "costa", "ruiz")
_TEAMS = ("platform", "payments", "search", "mobile")


@dataclass(frozen=True, slots=True)
class DemoPool:
    """What `seed_demo_pool()` created."""

    user_pool_id: str
    group_name: str
    pool_size: int
    group_size: int


def seed_demo_pool(
    client: CognitoIdentityProviderClient,
    *,
    pool_size: int = 160,
    group_size: int = 150,
    group_name: str = "engineering",
    seed: int = 7,
) -> DemoPool:
    """Create a user pool of ``pool_size`` users, ``group_size`` of them in ``group_name``.

    Users get an email, names, a ``custom:team`` attribute and a mix of states: confirmed,
    waiting to change a temporary password, unconfirmed sign-ups, password reset required, and
    some disabled. The same ``seed`` gives the same pool.
    """
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    pool_id = client.create_user_pool(
        PoolName="cognito-groups-demo",
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # pyright: ignore[reportTypedDictNotRequiredAccess] (always sent)
    app_client_id = client.create_user_pool_client(UserPoolId=pool_id, ClientName="demo")[
        "UserPoolClient"
    ]["ClientId"]  # pyright: ignore[reportTypedDictNotRequiredAccess] (always sent)
    client.create_group(UserPoolId=pool_id, GroupName=group_name)
    for index in range(pool_size):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        username = f"{first}.{last}.{index:03d}"
        attributes = [
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "given_name", "Value": first.title()},
            {"Name": "family_name", "Value": last.title()},
            {"Name": "custom:team", "Value": rng.choice(_TEAMS)},
        ]
        _create_user(client, pool_id, app_client_id, username, attributes, rng.random())
        if rng.random() < 0.1:
            client.admin_disable_user(UserPoolId=pool_id, Username=username)
        if index < group_size:
            client.admin_add_user_to_group(
                UserPoolId=pool_id, Username=username, GroupName=group_name
            )
    return DemoPool(pool_id, group_name, pool_size, group_size)


def _create_user(
    client: CognitoIdentityProviderClient,
    pool_id: str,
    app_client_id: str,
    username: str,
    attributes: list[Any],
    draw: float,
) -> None:
    """Create one user in a state chosen by ``draw`` (a number in [0, 1))."""
    if draw < 0.1:  # signed up, never confirmed
        client.sign_up(
            ClientId=app_client_id, Username=username, Password=_PASSWORD, UserAttributes=attributes
        )
        return
    client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[*attributes, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    if draw < 0.3:  # still holds a temporary password: FORCE_CHANGE_PASSWORD
        return
    client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=_PASSWORD, Permanent=True
    )
    if draw < 0.35:
        client.admin_reset_user_password(UserPoolId=pool_id, Username=username)


@contextmanager
def demo_cognito(
    **seed_options: Any,
) -> Generator[tuple[CognitoIdentityProviderClient, DemoPool], None, None]:
    """Start an in-process moto Cognito, seed it, and yield ``(client, pool)``.

    Requests of every boto3 client made inside the block go to the emulator, never to AWS;
    fake credentials are set for the duration. ``seed_options`` go to `seed_demo_pool()`.

    Raises:
        ImportError: moto is not installed (the ``demo`` extra).
    """
    try:
        from moto import mock_aws
    except ImportError as err:  # pragma: no cover - the dev install always has moto
        raise ImportError("the demo needs moto: " + install_hint("demo"), name=err.name) from err
    with mock_aws():  # also sets fake credentials in the environment for the block
        client = new_cognito_client(region_name=DEMO_REGION)
        yield client, seed_demo_pool(client, **seed_options)
