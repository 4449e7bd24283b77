"""Typed values returned by the library: users, their attributes, pages, and enums.

Every class here is a frozen dataclass built from the service's wire dict by a private
``_from_wire`` constructor, so callers never depend on boto3's dict shape. Field names are the
service model's member names in snake_case.

``repr()`` and ``str()`` never show a username, an attribute value or a pagination token:
botocore marks ``Username`` and attribute ``Value`` as sensitive. Use the fields or
[`User.get_attribute()`][cognito_groups.User.get_attribute] to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from cognito_groups._models._time import to_utc

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "Attribute",
    "DeliveryMedium",
    "Group",
    "MFAOption",
    "Membership",
    "Page",
    "User",
    "UserStatus",
]

_REDACTED = "<redacted>"


class _OpenStrEnum(str, Enum):
    """A ``str`` enum that accepts values the service adds after this release.

    ``UserStatus("NEW_VALUE")`` does not raise: it returns a pseudo-member whose ``value`` (and
    ``name``) is the raw string, which compares equal to that string and to no known member.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str.__str__(self)

    @property
    def is_known(self) -> bool:
        """Whether this value is one this release of the library knows about."""
        return self._name_ in type(self).__members__


class UserStatus(_OpenStrEnum):
    """A user's account status (the service model's ``UserStatusType``).

    A status the service adds after this release does not raise: ``UserStatus("NEW")`` is a
    pseudo-member whose ``value`` is the raw string and whose ``is_known`` is ``False``.
    """

    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    ARCHIVED = "ARCHIVED"
    COMPROMISED = "COMPROMISED"
    UNKNOWN = "UNKNOWN"
    RESET_REQUIRED = "RESET_REQUIRED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"  # noqa: S105 (a status, not a password)
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"


class DeliveryMedium(_OpenStrEnum):
    """How an MFA code is delivered (the service model's ``DeliveryMediumType``)."""

    SMS = "SMS"
    EMAIL = "EMAIL"


# Known values resolved by one dict look-up; unknown ones go through the enum's `_missing_`.
_USER_STATUS_BY_VALUE: dict[str, UserStatus] = {m.value: m for m in UserStatus}
_DELIVERY_MEDIUM_BY_VALUE: dict[str, DeliveryMedium] = {m.value: m for m in DeliveryMedium}


def _parse_bool(value: str | None) -> bool | None:
    """Cognito sends boolean attributes as the strings ``"true"`` and ``"false"``."""
    if value is None:
        return None
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


@dataclass(frozen=True, slots=True, repr=False)
class Attribute:
    """One user attribute: a name and its value (``None`` when the service sent no value).

    Attributes:
        name: The attribute's name, e.g. ``"email"`` or ``"custom:team"``.
        value: Its value, always a string (``"true"`` for a boolean), or ``None``.
    """

    name: str
    value: str | None

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> Attribute:
        return _attribute_from_wire(wire)

    def __repr__(self) -> str:
        shown = "None" if self.value is None else _REDACTED
        return f"Attribute(name={self.name!r}, value={shown})"


@dataclass(frozen=True, slots=True)
class MFAOption:
    """A legacy SMS MFA option of a user (the service model's ``MFAOptionType``).

    Attributes:
        delivery_medium: How the code is sent (``SMS`` or ``EMAIL``), or ``None``.
        attribute_name: The attribute the code goes to, e.g. ``"phone_number"``, or ``None``.
    """

    delivery_medium: DeliveryMedium | None
    attribute_name: str | None

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> MFAOption:
        medium = wire.get("DeliveryMedium")
        return cls(
            None
            if medium is None
            else _DELIVERY_MEDIUM_BY_VALUE.get(medium) or DeliveryMedium(medium),
            wire.get("AttributeName"),
        )

    def _to_wire(self) -> dict[str, Any]:
        """The inverse of `_from_wire()`: the service's shape, a field without a value left out."""
        wire: dict[str, Any] = {}
        if self.delivery_medium is not None:
            wire["DeliveryMedium"] = self.delivery_medium.value
        if self.attribute_name is not None:
            wire["AttributeName"] = self.attribute_name
        return wire


@dataclass(frozen=True, slots=True, repr=False)
class User:
    """A member of a group, as the service described it.

    A field the response omits is ``None`` (or an empty tuple); the library never invents
    values. The one exception is ``username``, which the contract types as ``str``: the service
    always sends it, but its model does not require it, so a response without one gives ``""``
    (never a valid username).

    Attributes:
        username: The user's name in the pool (for pools that sign in with an email, a
            generated id).
        attributes: Every attribute the service sent, in its order.
        user_create_date: When the user was created, UTC-aware.
        user_last_modified_date: When the user was last changed, UTC-aware.
        enabled: Whether the user can sign in.
        user_status: The account status; a status added after this release is kept as is
            (see [`UserStatus`][cognito_groups.UserStatus]).
        mfa_options: The legacy SMS MFA options.

    Examples:
        >>> user = User(
        ...     "ana",
        ...     attributes=(
        ...         Attribute("email", "ana@example.com"),
        ...         Attribute("email_verified", "true"),
        ...     ),
        ... )
        >>> user.get_attribute("email"), user.email_verified
        ('ana@example.com', True)
    """

    username: str
    attributes: tuple[Attribute, ...] = ()
    user_create_date: datetime | None = None
    user_last_modified_date: datetime | None = None
    enabled: bool | None = None
    user_status: UserStatus | None = None
    mfa_options: tuple[MFAOption, ...] = ()

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> User:
        return _user_from_wire(wire)

    def _to_wire(self) -> dict[str, Any]:
        """The inverse of `_from_wire()`: the user in the service's response shape.

        ``User._from_wire(user._to_wire()) == user`` for every user ``_from_wire`` builds
        (dates as aware datetimes, attributes and MFA options in their order); a field
        without a value is left out.
        """
        wire: dict[str, Any] = {"Username": self.username}
        if self.attributes:
            wire["Attributes"] = [
                {"Name": attribute.name}
                if attribute.value is None
                else {"Name": attribute.name, "Value": attribute.value}
                for attribute in self.attributes
            ]
        for key, value in (
            ("UserCreateDate", self.user_create_date),
            ("UserLastModifiedDate", self.user_last_modified_date),
            ("Enabled", self.enabled),
            ("UserStatus", None if self.user_status is None else self.user_status.value),
        ):
            if value is not None:
                wire[key] = value
        if self.mfa_options:
            wire["MFAOptions"] = [option._to_wire() for option in self.mfa_options]
        return wire

    def get_attribute(self, name: str, default: str | None = None) -> str | None:
        """Return the value of the attribute called ``name``, or ``default`` if it is absent.

        Args:
            name: The attribute's name, e.g. ``"email"`` or ``"custom:team"``.
            default: What to return when the user has no such attribute.
        """
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute.value
        return default

    @property
    def sub(self) -> str | None:
        """The user's immutable unique identifier (the ``sub`` attribute)."""
        return self.get_attribute("sub")

    @property
    def email(self) -> str | None:
        """The ``email`` attribute."""
        return self.get_attribute("email")

    @property
    def email_verified(self) -> bool | None:
        """The ``email_verified`` attribute as a bool (``None`` if absent or not a boolean)."""
        return _parse_bool(self.get_attribute("email_verified"))

    @property
    def phone_number(self) -> str | None:
        """The ``phone_number`` attribute."""
        return self.get_attribute("phone_number")

    @property
    def phone_number_verified(self) -> bool | None:
        """The ``phone_number_verified`` attribute as a bool (``None`` if absent or unclear)."""
        return _parse_bool(self.get_attribute("phone_number_verified"))

    def __repr__(self) -> str:
        names = tuple(attribute.name for attribute in self.attributes)
        return (
            f"User(username={_REDACTED}, attributes={names!r}, "
            f"user_create_date={self.user_create_date!r}, "
            f"user_last_modified_date={self.user_last_modified_date!r}, "
            f"enabled={self.enabled!r}, user_status={self.user_status!r}, "
            f"mfa_options={self.mfa_options!r})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class Page:
    """One response of ``ListUsersInGroup``: its users and the token of the next page.

    Attributes:
        users: The users of the page, in the service's order.
        next_token: Where the listing continues after this page (exact to the user when a
            page was cut at ``max_users``); ``None`` on the last page.
    """

    users: tuple[User, ...]
    next_token: str | None

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> Page:
        users: Sequence[Mapping[str, Any]] = wire.get("Users", ())
        return cls(tuple(map(_user_from_wire, users)), wire.get("NextToken") or None)

    def __repr__(self) -> str:
        token = "None" if self.next_token is None else _REDACTED
        return f"Page(users=<{len(self.users)} users>, next_token={token})"


@dataclass(frozen=True, slots=True)
class Group:
    """A group of a user pool, as ``ListGroups`` described it.

    A field the response omits is ``None``; ``group_name`` is always sent by the service.

    Attributes:
        group_name: The group's name.
        user_pool_id: The pool it belongs to.
        description: Its description.
        role_arn: The IAM role its members get in identity pools.
        precedence: Which group's role wins when a user is in several (lower wins).
        last_modified_date: When the group was last changed, UTC-aware.
        creation_date: When the group was created, UTC-aware.
    """

    group_name: str
    user_pool_id: str | None = None
    description: str | None = None
    role_arn: str | None = None
    precedence: int | None = None
    last_modified_date: datetime | None = None
    creation_date: datetime | None = None

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> Group:
        return cls(
            wire.get("GroupName", ""),
            wire.get("UserPoolId"),
            wire.get("Description"),
            wire.get("RoleArn"),
            wire.get("Precedence"),
            to_utc(wire.get("LastModifiedDate")),
            to_utc(wire.get("CreationDate")),
        )


@dataclass(frozen=True, slots=True)
class Membership:
    """One member of one group.

    What [`CognitoGroups.iter_memberships()`][cognito_groups.CognitoGroups.iter_memberships]
    yields. Its ``repr()`` hides the username, as [`User`][cognito_groups.User]'s does.

    Attributes:
        group_name: The group.
        user: The member.
    """

    group_name: str
    user: User


# --- the hot path: one User per member, thousands per listing --------------------------------
#
# Users are built through the dataclass constructors. Setting the slots by hand saved about
# 1.3 µs per user (2.2 against 3.5 µs here), some 2% of the ~60 µs botocore itself spends per
# user: inside the noise of the end-to-end benchmark, so not worth a second constructor to keep
# in step with every field. What can be looked up once (enum members, the UTC check) still is.

_UTC = timezone.utc


def _attribute_from_wire(wire: Mapping[str, Any]) -> Attribute:
    return Attribute(wire["Name"], wire.get("Value"))


def _user_from_wire(wire: Mapping[str, Any]) -> User:
    attributes = wire.get("Attributes")
    created = wire.get("UserCreateDate")
    if created is not None and (created.__class__ is not datetime or created.tzinfo is not _UTC):
        created = to_utc(created)
    modified = wire.get("UserLastModifiedDate")
    if modified is not None and (modified.__class__ is not datetime or modified.tzinfo is not _UTC):
        modified = to_utc(modified)
    status = wire.get("UserStatus")
    if status is not None:
        status = _USER_STATUS_BY_VALUE.get(status) or UserStatus(status)
    options = wire.get("MFAOptions")
    return User(
        wire.get("Username", ""),
        tuple(map(_attribute_from_wire, attributes)) if attributes else (),
        created,
        modified,
        wire.get("Enabled"),
        status,
        tuple(map(MFAOption._from_wire, options)) if options else (),
    )
