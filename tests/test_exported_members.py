"""The public surface is exactly what `__all__` says."""

from __future__ import annotations

import types

import cognito_groups


def test_all_is_exactly_the_public_names() -> None:
    """Every public name of the package is in __all__, and every name in __all__ exists."""
    public = {
        name
        for name in dir(cognito_groups)
        if name.isidentifier()  # pytest's assertion rewriting adds "@py_builtins" & co.
        and not name.startswith("_")
        and not isinstance(getattr(cognito_groups, name), types.ModuleType)  # submodules
        and name not in {"annotations", "TYPE_CHECKING", "Any"}
    }
    assert set(cognito_groups.__all__) - {"__version__"} == public
    for name in cognito_groups.__all__:
        assert getattr(cognito_groups, name) is not None


def test_all_is_sorted() -> None:
    """__all__ is kept sorted, so that a diff shows what changed."""
    assert cognito_groups.__all__ == sorted(cognito_groups.__all__)


def test_classes_present_themselves_under_the_package() -> None:
    """Tracebacks read cognito_groups.X, not the private module."""
    for name in cognito_groups.__all__:
        obj = getattr(cognito_groups, name)
        if isinstance(obj, type):
            assert obj.__module__ == "cognito_groups", name


def test_the_budgets_a_facade_shows_are_importable() -> None:
    """`budget`, `groups_budget` and `groups_budget.pool()` are of classes the package exports."""
    with cognito_groups.CognitoGroups(region_name="us-east-1", shared_budget=False) as groups:
        shown = (groups.budget, groups.groups_budget, groups.groups_budget.pool("us-east-1_A1"))
    assert [type(budget).__name__ for budget in shown] == [
        "RequestBudget", "CategoryBudget", "RequestBudget",
    ]  # fmt: skip
    for budget in shown:
        assert getattr(cognito_groups, type(budget).__name__) is type(budget)


def test_version_is_a_string() -> None:
    """__version__ is the package's version string."""
    assert cognito_groups.__version__.count(".") == 2
