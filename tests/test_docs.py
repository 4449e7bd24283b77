"""Every ```python block of docs/ runs, page by page, against a moto Cognito server."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cognito_groups import CognitoGroups
from cognito_groups.demo import demo_cognito
from cognito_groups.testing import GroupStub

if TYPE_CHECKING:
    from types import ModuleType

    from .conftest import ServedPool

DOCS = Path(__file__).parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGES = sorted(path for path in DOCS.glob("*.md") if BLOCK.search(path.read_text()))


def test_pages_with_code_are_found() -> None:
    """The runner finds the pages that have Python code (so none is silently skipped)."""
    assert {path.name for path in PAGES} >= {
        "index.md", "getting-started.md", "guide.md", "async.md", "testing.md", "many-groups.md",
    }  # fmt: skip


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_code_blocks_run(
    page: Path, served_pool: ServedPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's blocks run in order in one namespace, like a reader pasting them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", served_pool.url)  # every client goes to moto
    namespace: dict[str, object] = {
        "__name__": f"docs_{page.stem}",
        "user_pool_id": served_pool.pool.user_pool_id,
        "group_name": served_pool.pool.group_name,
    }
    blocks = BLOCK.findall(page.read_text())
    for number, source in enumerate(blocks, start=1):
        code = compile(source, f"{page.name}, block {number}", "exec")
        exec(code, namespace)  # noqa: S102 (our own documentation)
    # A page that defines a pytest test runs it too, with a fixture made by hand.
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            with GroupStub() as stub:
                value(stub)
                stub.assert_all_used()


README = DOCS.parent / "README.md"


def readme_block(heading: str) -> str:
    """The first ```python block after ``heading`` in the README."""
    text = README.read_text()
    match = BLOCK.search(text, text.index(heading))
    assert match is not None
    return match.group(1)


def test_readme_resume_loop_runs() -> None:
    """The README's resume loop lists a 250-member group in batches, each member once."""
    source = readme_block("### Stop anywhere, resume exactly")
    assert "batch.exhausted" in source
    with demo_cognito(pool_size=250, group_size=250, group_name="admins") as (client, pool):
        handled: list[str] = []
        namespace: dict[str, object] = {
            "groups": CognitoGroups(client),
            "pool_id": pool.user_pool_id,
            "handle": lambda user: handled.append(user.username),
        }
        exec(compile(source, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    assert len(handled) == len(set(handled)) == 250


def load_benchmark(name: str) -> ModuleType:
    """A benchmark script of benchmarks/, imported as a module (its main() is not run)."""
    import importlib.util

    path = DOCS.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("script", "results"), [("bench", "results.json"), ("quota", "quota-results.json")]
)
def test_performance_figures_are_generated_from_the_results_file(script: str, results: str) -> None:
    """docs/performance.md shows exactly what the benchmark's results file holds."""
    import json

    data = json.loads((DOCS.parent / "benchmarks" / results).read_text())
    rendered = load_benchmark(script).render(data)
    assert rendered in (DOCS / "performance.md").read_text()
    assert data["stamp"]["date"] in rendered


def test_the_readme_quotes_no_benchmark_figure() -> None:
    """The README links to the generated page instead of copying numbers from a run."""
    section = README.read_text().split("## Performance", 1)[1].split("\n## ", 1)[0]
    assert "docs/performance.md" in section
    assert re.search(r"\d\.\d\d ?[x\u00d7]", section) is None


def test_docstrings_use_markdown_references() -> None:
    """No reStructuredText role is left in the package: the reference would show it raw."""
    role = re.compile(r":(class|meth|func|data|attr|mod|exc|obj):`")
    package = DOCS.parent / "cognito_groups"
    found = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if role.search(line)
    ]
    assert found == []
