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
            # `from cognito_groups._client import _async` imports `cognito_groups._client._async`.
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
    edges["cognito_groups._listing._paginate"].add("cognito_groups._client._iterators")
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
    todo = ["cognito_groups._client._async"]
    edges = graph()
    while todo:
        for target in edges[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    assert not reached & {"cognito_groups._client._sync", "cognito_groups._client._iterators"}


#: The rooms from the bottom up: each imports only rooms of its own line or a line above.
LAYERS = (
    {"_errors", "_models", "_version"},
    {"_durable", "_listing"},
    {"_pacing"},
    {"_client"},
    {"_mirror"},
    {"__init__", "testing", "demo"},
    {"_cli", "pytest_plugin", "__main__"},
)


def room(module: str) -> str:
    """``_client`` for ``cognito_groups._client._sync``; ``__init__`` for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Each import of ``edges`` from a room to a room of a higher line, as ``a -> b``."""
    line = {name: index for index, names in enumerate(LAYERS) for name in names}
    return sorted(
        f"{source} -> {target}"
        for source, targets in edges.items()
        for target in targets
        if line[room(target)] > line[room(source)]
    )


def test_the_rooms_are_layered() -> None:
    """Each room imports only the rooms below it (docs/architecture.md's list); all are listed."""
    edges = graph()
    assert {room(name) for name in edges} == set().union(*LAYERS)
    assert upward_imports(edges) == []


def test_the_layer_check_can_fail() -> None:
    """A plan without I/O that imports a facade is an upward import, and is named."""
    edges = graph()
    edges["cognito_groups._listing._paginate"].add("cognito_groups._client._sync")
    assert upward_imports(edges) == [
        "cognito_groups._listing._paginate -> cognito_groups._client._sync"
    ]


def test_the_top_level_is_the_public_surface() -> None:
    """Beside the subpackages, the top level holds at most eight modules."""
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert top == [
        "__init__.py", "__main__.py", "_version.py",
        "demo.py", "pytest_plugin.py", "testing.py",
    ]  # fmt: skip


def test_every_room_and_the_docs_map_their_modules() -> None:
    """Each subpackage's docstring names its modules; docs/architecture.md names every one."""
    package_map = (TESTS.parent / "docs" / "architecture.md").read_text()
    for folder in sorted(path for path in PACKAGE.iterdir() if (path / "__init__.py").exists()):
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        assert f"`{folder.name}/`" in package_map
        for module in sorted(folder.glob("_*.py")):
            if module.name == "__init__.py":
                continue
            assert f"``{module.stem}``" in docstring, (folder.name, module.stem)
            assert f"`{folder.name}/{module.name}`" in package_map, module


#: The longest a module may be, and the most complex a function (radon's cyclomatic complexity).
MAX_LINES = 400
MAX_COMPLEXITY = 14


def over(measures: dict[str, int], limit: int) -> list[str]:
    """What breaks the rule: each measure over ``limit``."""
    return sorted(f"{name}: {size} (over {limit})" for name, size in measures.items()
                  if size > limit)  # fmt: skip


def module_lengths() -> dict[str, int]:
    return {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text().splitlines())
        for path in PACKAGE.rglob("*.py")
    }


def complexities() -> dict[str, int]:
    from radon.complexity import cc_visit

    found: dict[str, int] = {}
    for path in PACKAGE.rglob("*.py"):
        for block in cc_visit(path.read_text()):
            # A class's blocks are its methods (radon's Class has no class name of its own).
            for function in getattr(block, "methods", [block]):
                name = (
                    f"{function.classname}.{function.name}" if function.classname else function.name
                )
                found[f"{path.relative_to(PACKAGE).as_posix()}:{name}"] = function.complexity
    return found


def test_no_module_is_over_400_lines() -> None:
    """A module is at most 400 lines."""
    assert over(module_lengths(), MAX_LINES) == []


def test_no_function_is_over_complexity_14() -> None:
    """A function's cyclomatic complexity is at most 14."""
    assert over(complexities(), MAX_COMPLEXITY) == []


def test_the_size_rules_can_fail() -> None:
    """A measure over the limit is named; one at the limit is not."""
    assert over({"a.py": 401, "b.py": 400}, 400) == ["a.py: 401 (over 400)"]


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
