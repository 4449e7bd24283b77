"""Conversion of the service's users into typed, UTC, PII-safe objects."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_groups import (
    Attribute,
    CognitoGroups,
    DeliveryMedium,
    MFAOption,
    Page,
    User,
    UserStatus,
)
from cognito_groups._client._config import new_cognito_client
from cognito_groups._models._time import to_utc as _to_utc

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

MOMENT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def test_full_user_converts() -> None:
    """Every field of UserType lands in its snake_case field, in server order."""
    user = User._from_wire(
        {
            "Username": "ana",
            "Attributes": [
                {"Name": "sub", "Value": "1234"},
                {"Name": "email", "Value": "ana@example.com"},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "phone_number", "Value": "+15555550100"},
                {"Name": "phone_number_verified", "Value": "False"},
                {"Name": "custom:team"},
            ],
            "UserCreateDate": MOMENT,
            "UserLastModifiedDate": MOMENT,
            "Enabled": False,
            "UserStatus": "EXTERNAL_PROVIDER",
            "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
        }
    )
    assert user == User(
        username="ana",
        attributes=(
            Attribute("sub", "1234"),
            Attribute("email", "ana@example.com"),
            Attribute("email_verified", "true"),
            Attribute("phone_number", "+15555550100"),
            Attribute("phone_number_verified", "False"),
            Attribute("custom:team", None),
        ),
        user_create_date=MOMENT,
        user_last_modified_date=MOMENT,
        enabled=False,
        user_status=UserStatus.EXTERNAL_PROVIDER,
        mfa_options=(MFAOption(DeliveryMedium.SMS, "phone_number"),),
    )
    assert (user.sub, user.email, user.email_verified) == ("1234", "ana@example.com", True)
    assert (user.phone_number, user.phone_number_verified) == ("+15555550100", False)
    assert user.get_attribute("custom:team", "x") is None  # present without a value
    assert user.get_attribute("missing") is None
    assert user.get_attribute("missing", "fallback") == "fallback"


def test_omitted_fields_are_none_or_empty() -> None:
    """A field the response omits is None or an empty tuple: nothing is invented."""
    user = User._from_wire({"Username": "bo"})
    assert user == User("bo", (), None, None, None, None, ())
    assert user.email_verified is None


def test_missing_username_is_the_empty_string() -> None:
    """The model does not require Username; its absence gives '' (never a valid name)."""
    assert User._from_wire({}).username == ""


def test_odd_boolean_attribute_is_none() -> None:
    """email_verified that is neither true nor false reads as None, not an error."""
    user = User("a", (Attribute("email_verified", "maybe"),))
    assert user.email_verified is None


def test_users_are_frozen_and_slotted() -> None:
    """Users cannot be changed and carry no __dict__."""
    user = User("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.username = "b"  # type: ignore[misc]
    assert not hasattr(user, "__dict__")


@pytest.mark.parametrize("raw", ["CONFIRMED", "EXTERNAL_PROVIDER", "ARCHIVED"])
def test_known_status_is_the_member(raw: str) -> None:
    """Known statuses convert to the enum member itself."""
    assert User._from_wire({"Username": "a", "UserStatus": raw}).user_status is UserStatus(raw)


def test_status_enum_has_every_model_value() -> None:
    """UserStatus lists every value of the current model, EXTERNAL_PROVIDER included."""
    assert {m.value for m in UserStatus} == {
        "UNCONFIRMED",
        "CONFIRMED",
        "ARCHIVED",
        "COMPROMISED",
        "UNKNOWN",
        "RESET_REQUIRED",
        "FORCE_CHANGE_PASSWORD",
        "EXTERNAL_PROVIDER",
    }
    assert {m.value for m in DeliveryMedium} == {"SMS", "EMAIL"}


def test_unknown_enum_values_are_kept() -> None:
    """Values added by the service later do not raise; the raw string is kept."""
    user = User._from_wire(
        {
            "Username": "a",
            "UserStatus": "NEW_VALUE",
            "MFAOptions": [{"DeliveryMedium": "CARRIER_PIGEON"}],
        }
    )
    assert user.user_status is not None
    assert user.user_status.value == "NEW_VALUE"
    assert user.user_status == "NEW_VALUE"
    assert str(user.user_status) == "NEW_VALUE"
    assert all(user.user_status != member for member in UserStatus)
    assert not user.user_status.is_known
    assert UserStatus.CONFIRMED.is_known
    assert user.mfa_options[0].delivery_medium == "CARRIER_PIGEON"
    assert user.mfa_options[0].attribute_name is None


def test_enum_rejects_non_strings() -> None:
    """Only strings become pseudo-members."""
    with pytest.raises(ValueError, match="not a valid UserStatus"):
        UserStatus(3)


def test_enums_print_as_their_value() -> None:
    """str() and f-strings of a status give the raw value, as the service spells it."""
    assert f"{UserStatus.CONFIRMED}" == "CONFIRMED"
    assert str(DeliveryMedium.SMS) == "SMS"


@pytest.mark.parametrize(
    "value",
    [
        MOMENT,
        MOMENT.astimezone(),  # the machine's local zone
        MOMENT.astimezone(timezone(timedelta(hours=5))),
        MOMENT.replace(tzinfo=None),  # naive: taken as UTC
        MOMENT.timestamp(),
        int(MOMENT.timestamp()) + 0.0,
        "2024-05-06T07:08:09Z",
        "2024-05-06T07:08:09",  # no zone: UTC, like a naive datetime (not the machine's zone)
        "2024-05-06T09:08:09+02:00",
        "1714979289",
    ],
    ids=repr,
)
def test_datetimes_become_utc(value: Any) -> None:
    """Datetimes of any zone, epoch numbers and ISO strings all become the same UTC moment."""
    converted = _to_utc(value)
    assert converted == MOMENT
    assert converted is not None
    assert converted.tzinfo is timezone.utc


def test_parser_installed_on_own_sessions_agrees() -> None:
    """The fast path's parser gives the same UTC moment for every form botocore may pass."""
    from cognito_groups._models import parse_utc_timestamp

    for value in (MOMENT.timestamp(), "2024-05-06T07:08:09", "2024-05-06T09:08:09+02:00"):
        parsed = parse_utc_timestamp(value)
        assert parsed == MOMENT
        assert parsed.tzinfo is timezone.utc


def test_bad_timestamp_type_raises_type_error() -> None:
    """A timestamp of no known form is a TypeError (the page loop reports it)."""
    with pytest.raises(TypeError):
        _to_utc([2024])


def test_repr_hides_usernames_values_and_tokens() -> None:
    """repr/str of Attribute, User and Page show names, never values, usernames or tokens."""
    user = User(
        "secret-user",
        (Attribute("email", "secret@example.com"), Attribute("nickname", None)),
        MOMENT,
        enabled=True,
        user_status=UserStatus.CONFIRMED,
    )
    page = Page((user,), "secret-token")
    for text in (repr(user), str(user), repr(page), str(page), repr(user.attributes)):
        assert "secret" not in text
    assert "email" in repr(user)
    assert repr(Attribute("nickname", None)) == "Attribute(name='nickname', value=None)"
    assert repr(Page((), None)) == "Page(users=<0 users>, next_token=None)"


# --- any response valid under the service model converts -------------------------------

_TIMESTAMPS = st.one_of(
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-2))])),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 1, 1)),
    st.integers(min_value=0, max_value=253_402_300_799),
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
    st.builds(lambda d: d.isoformat() + "Z", st.datetimes(min_value=datetime(1970, 1, 2))),
)
_ATTRIBUTE = st.fixed_dictionaries(
    {"Name": st.text(min_size=1, max_size=32)},
    optional={"Value": st.text(max_size=64)},
)
_MFA = st.fixed_dictionaries(
    {},
    optional={
        "DeliveryMedium": st.one_of(st.sampled_from(["SMS", "EMAIL"]), st.text(max_size=8)),
        "AttributeName": st.text(min_size=1, max_size=32),
    },
)
_USER = st.fixed_dictionaries(
    {},
    optional={
        "Username": st.text(min_size=1, max_size=128),
        "Attributes": st.lists(_ATTRIBUTE, max_size=4),
        "UserCreateDate": _TIMESTAMPS,
        "UserLastModifiedDate": _TIMESTAMPS,
        "Enabled": st.booleans(),
        "UserStatus": st.one_of(st.sampled_from([m.value for m in UserStatus]), st.text()),
        "MFAOptions": st.lists(_MFA, max_size=2),
    },
)
RESPONSES = st.fixed_dictionaries(
    {},
    optional={"Users": st.lists(_USER, max_size=4), "NextToken": st.text(min_size=1)},
)


@pytest.fixture(scope="module")
def shared_client(boto_session: boto3.Session) -> CognitoIdentityProviderClient:
    """One stubbable client for every hypothesis example."""
    return new_cognito_client(boto_session)


@settings(max_examples=150, deadline=None)
@given(response=RESPONSES)
def test_any_model_valid_response_converts(
    shared_client: CognitoIdentityProviderClient, response: dict[str, Any]
) -> None:
    """Whatever the model allows (absent members, any enum string, any timestamp form) converts."""
    client = shared_client
    with Stubber(client) as stubber:
        stubber.add_response("list_users_in_group", response)  # validates against the model
        page = next(CognitoGroups(client).iter_pages("us-east-1_A1", "g"))
        stubber.assert_no_pending_responses()
    assert len(page.users) == len(response.get("Users", []))
    assert page.next_token == response.get("NextToken")
    for user in page.users:
        for moment in (user.user_create_date, user.user_last_modified_date):
            assert moment is None or moment.utcoffset() == timedelta(0)
