"""What the library sends, page after page: checked with botocore's Stubber."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from cognito_groups import CognitoGroups, PaginationError

from .conftest import GROUP, POOL, add_page

if TYPE_CHECKING:
    from botocore.stub import Stubber


def names(users: object) -> list[str]:
    return [user.username for user in users]  # type: ignore[attr-defined]


def test_default_page_size_is_the_service_maximum(groups: CognitoGroups, stubber: Stubber) -> None:
    """Every request sends Limit=60 when page_size is not given."""
    add_page(stubber, ["a", "b"], next_token="t1")
    add_page(stubber, ["c"], sent_token="t1")
    assert names(groups.iter_users(POOL, GROUP)) == ["a", "b", "c"]


def test_tokens_are_chained(groups: CognitoGroups, stubber: Stubber) -> None:
    """Each request sends the token of the response before it, until a response has none."""
    add_page(stubber, ["a"], limit=1, next_token="t1")
    add_page(stubber, ["b"], limit=1, sent_token="t1", next_token="t2")
    add_page(stubber, ["c"], limit=1, sent_token="t2")
    pages = list(groups.iter_pages(POOL, GROUP, page_size=1))
    assert [page.next_token for page in pages] == ["t1", "t2", None]
    assert [names(page.users) for page in pages] == [["a"], ["b"], ["c"]]


class EmptyTokenClient:
    """An emulator-like client whose last page carries NextToken="" (the model forbids it)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def list_users_in_group(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"Users": [{"Username": "a"}], "NextToken": ""}


def test_empty_token_ends_the_listing() -> None:
    """An empty NextToken is the same as none: the listing is over after one request."""
    client = EmptyTokenClient()
    iterator = CognitoGroups(client).iter_users(POOL, GROUP)  # type: ignore[arg-type]
    assert names(iterator) == ["a"]
    assert iterator.next_token is None
    assert client.calls == [{"UserPoolId": POOL, "GroupName": GROUP, "Limit": 60}]


def test_short_pages_are_not_the_end(groups: CognitoGroups, stubber: Stubber) -> None:
    """A page shorter than Limit with a token goes on to the next page."""
    add_page(stubber, ["a"], limit=5, next_token="t1")
    add_page(stubber, ["b", "c"], limit=5, sent_token="t1", next_token="t2")
    add_page(stubber, ["d"], limit=5, sent_token="t2")
    assert names(groups.iter_users(POOL, GROUP, page_size=5)) == ["a", "b", "c", "d"]


def test_empty_pages_with_a_token_continue(groups: CognitoGroups, stubber: Stubber) -> None:
    """An empty page with a token is followed, not taken as the end."""
    add_page(stubber, [], next_token="t1")
    add_page(stubber, [], sent_token="t1", next_token="t2")
    add_page(stubber, ["a"], sent_token="t2")
    assert names(groups.iter_users(POOL, GROUP)) == ["a"]


def test_max_users_caps_each_limit(groups: CognitoGroups, stubber: Stubber) -> None:
    """With max_users, no request asks for more users than are still wanted."""
    add_page(stubber, ["a", "b", "c"], limit=3, next_token="t1")
    add_page(stubber, ["d", "e", "f"], limit=3, sent_token="t1", next_token="t2")
    add_page(stubber, ["g"], limit=1, sent_token="t2", next_token="t3")
    iterator = groups.iter_users(POOL, GROUP, page_size=3, max_users=7)
    assert names(iterator) == list("abcdefg")
    assert iterator.next_token == "t3"


def test_max_users_below_page_size_sends_one_small_request(
    groups: CognitoGroups, stubber: Stubber
) -> None:
    """max_users=2 sends Limit=2 once, and next_token resumes right after those two."""
    add_page(stubber, ["a", "b"], limit=2, next_token="t1")
    iterator = groups.iter_users(POOL, GROUP, max_users=2)
    assert names(iterator) == ["a", "b"]
    assert iterator.next_token == "t1"


def test_max_users_with_short_pages(groups: CognitoGroups, stubber: Stubber) -> None:
    """Short pages lower what the next request asks for by what actually came."""
    add_page(stubber, ["a"], limit=4, next_token="t1")
    add_page(stubber, ["b", "c", "d"], limit=3, sent_token="t1", next_token="t2")
    assert names(groups.iter_users(POOL, GROUP, page_size=60, max_users=4)) == list("abcd")


def test_max_users_larger_than_group(groups: CognitoGroups, stubber: Stubber) -> None:
    """A group smaller than max_users is listed whole and next_token is None."""
    add_page(stubber, ["a"], limit=10)
    iterator = groups.iter_users(POOL, GROUP, max_users=10)
    assert names(iterator) == ["a"]
    assert iterator.next_token is None


def test_next_token_is_sent_on_the_first_request(groups: CognitoGroups, stubber: Stubber) -> None:
    """A given next_token starts the listing there."""
    add_page(stubber, ["z"], sent_token="resume-here")
    assert names(groups.iter_users(POOL, GROUP, next_token="resume-here")) == ["z"]


def test_next_token_is_exact_after_every_user(groups: CognitoGroups, stubber: Stubber) -> None:
    """iterator.next_token is exact after each user, and exhausted is set after the last.

    Ours mid-page, the service's at a page boundary, None (and exhausted) at the end.
    """
    add_page(stubber, ["a", "b"], limit=2, next_token="t1")
    add_page(stubber, ["c", "d"], limit=2, sent_token="t1")
    iterator = groups.iter_users(POOL, GROUP, page_size=2)
    assert (iterator.next_token, iterator.exhausted) == (None, False)
    seen = [(next(iterator).username, iterator.next_token, iterator.exhausted) for _ in range(4)]
    assert seen == [
        ("a", "cg1:skip:1:", False),
        ("b", "t1", False),
        ("c", "cg1:skip:1:t1", False),
        ("d", None, True),
    ]
    assert list(iterator) == []
    assert iterator.exhausted


def test_iterators_are_lazy(groups: CognitoGroups, stubber: Stubber) -> None:
    """Nothing is sent before the first item is asked for; then one request per page."""
    iterator = groups.iter_users(POOL, GROUP)
    stubber.assert_no_pending_responses()  # nothing was queued, and nothing was sent
    add_page(stubber, ["a", "b"], next_token="t1")
    assert next(iterator).username == "a"
    assert next(iterator).username == "b"
    add_page(stubber, ["c"], sent_token="t1")
    assert next(iterator).username == "c"


def test_iterators_are_their_own_iter(groups: CognitoGroups) -> None:
    """iter() of either iterator returns itself."""
    users = groups.iter_users(POOL, GROUP)
    pages = groups.iter_pages(POOL, GROUP)
    assert iter(users) is users
    assert iter(pages) is pages


def test_repeated_token_raises(groups: CognitoGroups, stubber: Stubber) -> None:
    """A response that returns the token it was sent raises PaginationError, not a loop."""
    add_page(stubber, ["a"], next_token="t1")
    add_page(stubber, ["b"], sent_token="t1", next_token="t1")
    iterator = groups.iter_users(POOL, GROUP)
    assert next(iterator).username == "a"
    with pytest.raises(PaginationError) as caught:
        next(iterator)
    assert caught.value.next_token == "t1"


def test_page_longer_than_max_users_is_cut(groups: CognitoGroups, stubber: Stubber) -> None:
    """A service that ignores Limit: max_users users, and a token that resumes inside the page."""
    add_page(stubber, ["a", "b", "c"], limit=2, next_token="t1")
    pages = groups.iter_pages(POOL, GROUP, max_users=2)
    assert [names(page.users) for page in pages] == [["a", "b"]]
    assert (pages.next_token, pages.exhausted) == ("cg1:skip:2:", False)
    add_page(stubber, ["a", "b", "c"], limit=60, next_token="t1")  # skip 2, then 58 wanted
    add_page(stubber, ["d"], limit=60, sent_token="t1")
    rest = groups.iter_users(POOL, GROUP, next_token=pages.next_token)
    assert names(rest) == ["c", "d"]
    assert rest.exhausted


def test_page_longer_than_limit_without_max_users_is_fine(
    groups: CognitoGroups, stubber: Stubber
) -> None:
    """Without max_users, a page longer than Limit is delivered whole (cognito-local does it)."""
    add_page(stubber, ["a", "b", "c"], limit=2)
    assert names(groups.iter_users(POOL, GROUP, page_size=2)) == ["a", "b", "c"]


def test_module_level_function_takes_a_boto3_client(raw_client: object, stubber: Stubber) -> None:
    """iter_users_in_group(client=boto3_client) lists through that client."""
    import cognito_groups

    add_page(stubber, ["a"])
    users = cognito_groups.iter_users_in_group(POOL, GROUP, client=raw_client)  # type: ignore[arg-type]
    assert names(users) == ["a"]


def test_module_level_function_takes_a_cognito_groups(
    groups: CognitoGroups, stubber: Stubber
) -> None:
    """iter_users_in_group(client=CognitoGroups(...)) uses it as it is."""
    import cognito_groups

    add_page(stubber, ["a"], limit=1, next_token="t1")
    users = cognito_groups.iter_users_in_group(POOL, GROUP, client=groups, max_users=1)
    assert names(users) == ["a"]
    assert users.next_token == "t1"


def test_pages_with_max_users(groups: CognitoGroups, stubber: Stubber) -> None:
    """iter_pages(max_users=...) caps Limit the same way and keeps the resume token."""
    add_page(stubber, ["a", "b"], limit=2, next_token="t1")
    add_page(stubber, ["c"], limit=1, sent_token="t1", next_token="t2")
    pages = groups.iter_pages(POOL, GROUP, page_size=2, max_users=3)
    assert [names(page.users) for page in pages] == [["a", "b"], ["c"]]
    assert pages.next_token == "t2"
