"""The command's way to AWS: the facade built from its options, and the requests it sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.config import Config

from cognito_groups._client import CognitoGroups
from cognito_groups._errors import ClientSetupError

if TYPE_CHECKING:
    import argparse

__all__ = ["RequestCounter", "facade"]


def facade(args: argparse.Namespace, max_rps: float | None = None) -> CognitoGroups:
    """A facade with a client of its own, built from the AWS options.

    The options are ``--profile``, ``--region``, ``--endpoint-url``, ``--connect-timeout`` and
    ``--read-timeout``; without a Region, the pool id's prefix is the Region.
    """
    session = None
    if args.profile:
        import boto3
        from botocore.exceptions import BotoCoreError

        try:
            session = boto3.Session(profile_name=args.profile)
        except BotoCoreError as err:
            raise ClientSetupError(str(err)) from err
    return CognitoGroups._for_pool(
        args.user_pool_id,
        session=session,
        region_name=args.region,
        endpoint_url=args.endpoint_url,
        config=Config(connect_timeout=args.connect_timeout, read_timeout=args.read_timeout),
        max_rps=max_rps,
    )


class RequestCounter:
    """Requests sent (every attempt) and throttled answers, from botocore's events."""

    def __init__(self, cognito: CognitoGroups) -> None:
        self.requests = 0
        self.throttled = 0
        events = cognito.client.meta.events
        service = cognito.client.meta.service_model.service_id.hyphenize()
        events.register(f"before-send.{service}", self._sent)
        events.register(f"needs-retry.{service}", self._answered)

    def _sent(self, **_: object) -> None:
        self.requests += 1

    def _answered(self, response: Any = None, **_: object) -> None:
        if response is not None:
            code = response[1].get("Error", {}).get("Code")
            if code == "TooManyRequestsException":
                self.throttled += 1
