"""The package's layout: no import cycle anywhere, function-level and typing imports included.

And the tests' own rule: every test says, in a docstring, the behaviour it shows.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "cognito_groups"
TESTS = Path(__file__).parent


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from cognito_groups import _async` imports the module `cognito_groups._async`.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules} - {module_name(path)}


def module_name(path: Path) -> str:
    """``cognito_groups._cli._main`` for ``cognito_groups/_cli/_main.py`` (a package: its name)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``edges`` as a path that ends where it starts, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    """No module of the package imports, directly or not, a module that imports it."""
    assert find_cycle(graph()) is None


def test_the_cycle_finder_finds_cycles() -> None:
    """The check itself can fail: a planted cycle is found, through a function-level import."""
    edges = graph()
    edges["cognito_groups._paginate"].add("cognito_groups._iterators")
    assert find_cycle(edges) is not None


def test_the_command_line_modules_are_in_the_graph() -> None:
    """The subpackage of the command is checked too; nothing in the library imports it."""
    edges = graph()
    assert "cognito_groups._cli._main" in edges["cognito_groups._cli"]

    def in_command(name: str) -> bool:
        return name == "cognito_groups._cli" or name.startswith("cognito_groups._cli.")

    # `python -m cognito_groups` is the command itself.
    library = {name for name in edges if not in_command(name)} - {"cognito_groups.__main__"}
    assert not any(in_command(target) for name in library for target in edges[name])


def test_async_twin_never_imports_the_sync_facade() -> None:
    """The async module imports the shared modules, never the sync client or its iterators."""
    reached: set[str] = set()
    todo = ["cognito_groups._async"]
    edges = graph()
    while todo:
        for target in edges[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    assert not reached & {"cognito_groups._client", "cognito_groups._iterators"}


def undocumented_tests(paths: list[Path]) -> list[str]:
    """``file::test`` for each test of ``paths`` (a module's function or a class's method)."""
    found: list[str] = []
    for path in paths:
        tree = ast.parse(path.read_text())
        classes = [node.body for node in tree.body if isinstance(node, ast.ClassDef)]
        found.extend(
            f"{path.name}::{node.name}"
            for body in (tree.body, *classes)
            for node in body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test")
            and ast.get_docstring(node) is None
        )
    return found


def test_every_test_has_a_docstring() -> None:
    """Each test function of tests/ says in a docstring which behaviour it shows."""
    assert undocumented_tests(sorted(TESTS.rglob("test_*.py"))) == []


def test_a_test_without_docstring_is_found(tmp_path: Path) -> None:
    """The check itself can fail: a test function and a test method without docstring."""
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "def test_a():\n    assert True\n\n\nclass TestB:\n    def test_c(self):\n"
        '        assert True\n\n\ndef test_d():\n    """Says."""\n'
    )
    assert undocumented_tests([planted]) == [
        "test_planted.py::test_a",
        "test_planted.py::test_c",
    ]
