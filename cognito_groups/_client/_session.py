"""The sessions the library makes for itself, sync and async: UTC times, botocore data read once.

A caller's session or client is never changed; these only apply to sessions made here, when a
facade is given none.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, TypeVar, cast

import boto3
from botocore.exceptions import BotoCoreError
from botocore.loaders import Loader, create_loader
from botocore.session import Session as _BotocoreSession
from botocore.session import get_session as get_botocore_session

from cognito_groups._client._install import install_hint
from cognito_groups._errors import ClientSetupError, translate_error
from cognito_groups._models import parse_utc_timestamp

if TYPE_CHECKING:
    from aiobotocore.session import AioSession

__all__ = [
    "aio_session_type",
    "open_aio_session",
    "own_session",
    "with_shared_data",
    "with_utc_timestamps",
]

_INSTALL_HINT = "AsyncCognitoGroups needs aiobotocore: " + install_hint("async")


_AnySession = TypeVar("_AnySession", bound=_BotocoreSession)


def with_utc_timestamps(session: _AnySession) -> _AnySession:
    """Make a botocore session the library created parse timestamps straight to UTC.

    Only ever applied to sessions the library creates itself: a caller's session or client is
    never changed (their clients take the conversion path in ``_models._time.to_utc`` instead).
    """
    factory = session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_utc_timestamp)
    return session


def with_shared_data(session: _AnySession) -> _AnySession:
    """Make a botocore session the library created read botocore's data once a process.

    botocore gives each session a loader of its own, which parses the service model and the
    endpoint files again (0.1 s): a process that makes a facade per task, a test or a Lambda
    invocation, paid it each time. The loader only reads botocore's files and keeps what it
    read; one is shared per data path (``AWS_DATA_PATH``). Only ever applied to sessions the
    library creates itself, like `with_utc_timestamps()`.
    """
    data_path = cast("str | None", session.get_config_variable("data_path"))
    session.register_component("data_loader", _data_loader(data_path))
    return session


@functools.cache
def _data_loader(data_path: str | None) -> Loader:
    return create_loader(data_path)


def own_session(session: boto3.Session | None) -> boto3.Session:
    """``session``, or a new one whose parser gives UTC datetimes directly (the fast path).

    Raises:
        ClientSetupError: botocore could not make one (e.g. ``AWS_PROFILE`` names no profile).
    """
    if session is not None:
        return session
    try:
        core = with_shared_data(with_utc_timestamps(get_botocore_session()))
        return boto3.Session(botocore_session=core)
    except BotoCoreError as err:
        raise translate_error(err, fallback=ClientSetupError) from err


def aio_session_type() -> type[AioSession]:
    """The session class of aiobotocore, or the install hint if the ``async`` extra is missing."""
    try:
        from aiobotocore.session import AioSession
    except ImportError as err:
        raise ImportError(_INSTALL_HINT, name=err.name) from err
    return AioSession


def open_aio_session(session: AioSession | None) -> AioSession:
    """``session``, or a new aiobotocore one whose parser gives UTC datetimes directly.

    Raises:
        ClientSetupError: botocore could not read the configuration (e.g. a config file it
            cannot parse), as `own_session()` says it.
    """
    from aiobotocore.session import get_session

    if session is not None:
        return session
    try:
        return with_shared_data(with_utc_timestamps(get_session()))
    except BotoCoreError as err:
        raise translate_error(err, fallback=ClientSetupError) from err
