"""The Region rule of every client the library builds, sync and async.

The Region given; else the one configured; else the one the first pool's id names (a facade
then holds one client of that Region, `PoolRegion`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, cast

from botocore.exceptions import BotoCoreError
from botocore.session import get_session as get_botocore_session

from cognito_groups._errors import ClientSetupError, InvalidParameterError, translate_error

if TYPE_CHECKING:
    import boto3
    from aiobotocore.session import AioSession

__all__ = [
    "PoolRegion",
    "aio_configured_region",
    "configured_region",
    "region_for",
    "region_from_pool_id",
]


@functools.cache
def _cognito_regions() -> frozenset[str]:
    """Every Region botocore knows Cognito user pools in, across all partitions."""
    session = get_botocore_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("cognito-idp", partition_name=partition)
    )


def region_from_pool_id(user_pool_id: str | None) -> str | None:
    """The Region a pool id names (``us-east-1_AbC123`` -> ``us-east-1``), if botocore knows it.

    A pool id is ``<region>_<id>``, the id being letters and digits only; a prefix that is not
    a Region botocore knows for Cognito (an emulator's ``local_...``) gives ``None``.
    """
    if user_pool_id is None:
        return None
    prefix, underscore, _ = user_pool_id.rpartition("_")
    return prefix if underscore and prefix in _cognito_regions() else None


def region_for(
    region_name: str | None, configured: str | None, user_pool_id: str | None
) -> str | None:
    """The Region to build a client with, sync or async: one rule for both.

    The one given; else, when nothing is configured either, the one ``user_pool_id`` names
    (``None`` leaves it to botocore, which then raises ``NoRegionError``).
    """
    if region_name is not None or configured is not None:
        return region_name
    return region_from_pool_id(user_pool_id)


class PoolRegion:
    """The Region of a facade that has none given or configured: the one its first pool names.

    Its client is built for the first pool it lists, in that pool's Region (see
    `region_for()`); a facade has one client and one set of budgets, of one account and Region,
    so a pool whose id names another Region is refused, naming both, rather than listed in
    the wrong one (where it would not be found).
    """

    __slots__ = ("pool", "region")

    def __init__(self) -> None:
        self.pool: str | None = None
        self.region: str | None = None

    def check(self, user_pool_id: str) -> None:
        """Refuse a pool whose id names another Region than the one the client was built in.

        Raises:
            InvalidParameterError: naming ``user_pool_id``.
        """
        region = region_from_pool_id(user_pool_id)
        if self.region is not None and region is not None and region != self.region:
            raise InvalidParameterError._local(
                "user_pool_id",
                f"user_pool_id: {user_pool_id!r} is in {region}, and this facade's client is in "
                f"{self.region}, the Region of the first pool it listed ({self.pool!r}; none was "
                "given or configured): pass region_name=, or use one facade per Region",
            )

    def built(self, user_pool_id: str, region: str | None) -> None:
        """The client was built for ``user_pool_id``, in ``region``."""
        self.pool, self.region = user_pool_id, region


def configured_region(session: boto3.Session, region_name: str | None) -> str | None:
    """The Region given, else the one configured for ``session`` (``None``: neither).

    A boto3 session reads its configuration when it is made (`own_session()` translates what
    goes wrong then), so reading its Region cannot fail.
    """
    if region_name is not None:
        return region_name
    return cast("str | None", session.region_name)


def aio_configured_region(session: AioSession, region_name: str | None) -> str | None:
    """`configured_region()` for an aiobotocore session.

    Raises:
        ClientSetupError: botocore could not read the configuration (e.g. a missing profile).
    """
    if region_name is not None:
        return region_name
    try:
        return cast("str | None", session.get_config_variable("region"))
    except BotoCoreError as err:
        raise translate_error(err, fallback=ClientSetupError) from err
