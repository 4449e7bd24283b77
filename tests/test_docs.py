"""Every ```python block of docs/ runs, page by page, against a moto Cognito server."""

from __future__ import annotations

import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

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


#: A line that includes a file of the repository in a code block (pymdownx.snippets).
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


def expand_snippets(block: str) -> str:
    """The block as the site shows it: each ``--8<-- "path"`` line replaced by that file."""
    root = DOCS.parent
    return SNIPPET.sub(lambda found: (root / found.group(1)).read_text(), block)


def test_included_examples_are_shown_and_run() -> None:
    """The mirror's app recipe is the checked example file itself (mypy, pyright, its test)."""
    block = next(b for b in BLOCK.findall((DOCS / "mirror.md").read_text()) if "--8<--" in b)
    assert block.strip() == '--8<-- "examples/mirror_app.py"'
    assert "MIRROR = Mirror(" in expand_snippets(block)


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
    blocks = [expand_snippets(block) for block in BLOCK.findall(page.read_text())]
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
    ("script", "results"),
    [
        ("bench", "results.json"),
        ("quota", "quota-results.json"),
        ("by_user", "by-user-results.json"),
        ("mirror", "mirror-results.json"),
        ("mirror_readers", "readers-results.json"),
    ],
)
def test_performance_figures_are_generated_from_the_results_file(script: str, results: str) -> None:
    """docs/performance.md shows exactly what the benchmark's results file holds."""
    import json

    data = json.loads((DOCS.parent / "benchmarks" / results).read_text())
    rendered = load_benchmark(script).render(data)
    assert rendered in (DOCS / "performance.md").read_text()
    assert data["stamp"]["date"] in rendered


def test_quota_chart_is_generated_from_the_results_file() -> None:
    """docs/quota-chart.svg is exactly what `make bench-quota`'s results file makes, and shown."""
    import json
    from xml.etree import ElementTree

    data = json.loads((DOCS.parent / "benchmarks" / "quota-results.json").read_text())
    svg = (DOCS / "quota-chart.svg").read_text()
    assert svg == load_benchmark("quota").chart(data)
    assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314
    assert "(quota-chart.svg)" in (DOCS / "performance.md").read_text()


#: The docs theme's text column on a desktop, both sidebars shown (CSS pixels): no image is
#: shown wider; a wider one is scaled down to it.
COLUMN = 690
#: The smallest text that reads on the page, in CSS pixels.
LEGIBLE = 11


class _Box(NamedTuple):
    """Where a chart's text (or a line) is drawn, in the chart's units."""

    left: float
    top: float
    right: float
    bottom: float
    text: str

    def meets(self, other: _Box) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.bottom <= other.top
            or other.bottom <= self.top
        )


def chart_layout(svg: str) -> tuple[float, list[tuple[_Box, float]], list[_Box]]:
    """The chart's width, each text's box with its font size, and each dashed line's box.

    A text's box is estimated: 0.6 em per character (Helvetica's digits are 0.56 em), from
    0.72 em above its baseline (capitals and digits) to 0.22 em below (descenders).
    """
    from xml.etree import ElementTree

    ns = "{http://www.w3.org/2000/svg}"
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own file)
    texts: list[tuple[_Box, float]] = []
    for node in root.iter(f"{ns}text"):
        size, text = float(node.get("font-size", "16")), node.text or ""
        x, y, width = float(node.get("x", "0")), float(node.get("y", "0")), len(text) * size * 0.6
        left = {"start": x, "middle": x - width / 2, "end": x - width}[
            node.get("text-anchor", "start")
        ]
        texts.append((_Box(left, y - 0.72 * size, left + width, y + 0.22 * size, text), size))
    dashes = [
        _Box(
            min(float(node.get(a, "0")) for a in ("x1", "x2")),
            min(float(node.get(a, "0")) for a in ("y1", "y2")),
            max(float(node.get(a, "0")) for a in ("x1", "x2")),
            max(float(node.get(a, "0")) for a in ("y1", "y2")),
            "dash",
        )
        for node in root.iter(f"{ns}line")
        if node.get("stroke-dasharray")
    ]
    return float(root.get("width", "0")), texts, dashes


def test_the_quota_chart_reads_on_the_page() -> None:
    """Every label of docs/quota-chart.svg is at least 11 px on the page, whole and clear.

    No text is smaller once the chart is fitted to the docs' column, none leaves the chart, no
    two overlap, and no dashed bar crosses one.
    """
    width, texts, dashes = chart_layout((DOCS / "quota-chart.svg").read_text())
    shown = min(1.0, COLUMN / width)
    assert dashes  # the bars are there to be checked
    assert [box.text for box, size in texts if size * shown < LEGIBLE] == []
    assert [box.text for box, _ in texts if box.left < 0 or box.right > width] == []
    boxes = [box for box, _ in texts]
    assert [
        (a.text, b.text) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.meets(b)
    ] == []
    # A line meets a box when it passes through it (a vertical line: zero width).
    crossed = [
        box.text
        for box in boxes
        for dash in dashes
        if box.left <= dash.right and dash.left <= box.right
        and box.top <= dash.bottom and dash.top <= box.bottom
    ]  # fmt: skip
    assert crossed == []


def test_the_home_page_leads_to_every_page() -> None:
    """docs/index.md links every page of the site's navigation and names export, sync, mirror."""
    config = (DOCS.parent / "mkdocs.yml").read_text()
    nav = set(re.findall(r"^  - [^:\n]+: ([\w-]+\.md)$", config, re.MULTILINE))
    home = (DOCS / "index.md").read_text()
    linked = set(re.findall(r"\]\(([\w-]+\.md)(?:#[\w-]+)?\)", home))
    assert {"many-groups.md", "mirror.md"} <= nav
    assert nav - {"index.md"} - linked == set()
    assert [
        word for word in ("export", "sync", "mirror") if not re.search(rf"\b{word}\b", home)
    ] == []


def test_long_code_lines_show_a_scrollbar() -> None:
    """Code blocks wider than the column show their scrollbar (the theme's is clear until hovered).

    The site loads docs/stylesheets/extra.css, which gives code blocks a scrollbar colour that
    is not transparent.
    """
    config = (DOCS.parent / "mkdocs.yml").read_text()
    assert re.search(r"^extra_css:\n  - stylesheets/extra\.css\b", config, re.MULTILINE)
    css = (DOCS / "stylesheets" / "extra.css").read_text()
    rule = re.search(r"^\.md-typeset pre > code \{([^}]*)\}", css, re.MULTILINE)
    assert rule is not None
    colour = re.search(r"scrollbar-color:\s*([^;]+);", rule.group(1))
    assert colour is not None
    thumb = colour.group(1).split()[0]
    assert thumb not in {"transparent", "#0000"}


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


class _ReferencePage(HTMLParser):
    """The parts of the built reference page its reader sees: code, prose, contents, anchors."""

    def __init__(self) -> None:
        super().__init__()
        self.code: list[str] = []  # the text of each <pre>
        self.prose: list[str] = []  # every text outside <pre>
        self.toc: list[str] = []  # the text of each table-of-contents link
        self.anchors: list[str] = []  # heading ids, anchor ids and in-page link targets
        self._pre = 0
        self._link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "pre":
            self._pre += 1
            self.code.append("")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6", "a"} and attributes.get("id"):
            self.anchors.append(attributes["id"] or "")
        href = attributes.get("href") or ""
        if tag == "a" and href.startswith("#"):
            self.anchors.append(href[1:])
        if tag == "a" and "md-nav__link" in (attributes.get("class") or ""):
            self._link = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre -= 1
        if tag == "a" and self._link is not None:
            self.toc.append("".join(self._link).strip())
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._pre:
            self.code[-1] += data
        else:
            self.prose.append(data)
        if self._link is not None:
            self._link.append(data)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> _ReferencePage:
    """The API reference page of a fresh ``mkdocs build --strict`` of the site."""
    import subprocess

    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(  # noqa: S603 (a fixed command of the test)
        [str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", "--quiet",
         "--site-dir", str(site)],
        cwd=DOCS.parent, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    page = _ReferencePage()
    page.feed((site / "reference" / "index.html").read_text())
    page.close()
    return page


def test_reference_examples_render_as_code(reference: _ReferencePage) -> None:
    """The docstrings' examples are code blocks, never prose (or quoted prose) with prompts."""
    code = "\n".join(reference.code)
    prose = "".join(reference.prose)
    for example in (
        'CognitoGroups(region_name="us-east-1")',  # CognitoGroups
        'iter_users_in_group("us-east-1_AbC123", "admins")',  # iter_users_in_group()
        'AsyncCognitoGroups(region_name="us-east-1")',  # AsyncCognitoGroups
        'aiter_users_in_group("us-east-1_AbC123", "admins")',  # aiter_users_in_group()
        ">>> user = User(",  # User, a doctest
        ">>> with GroupStub() as stub:",  # cognito_groups.testing, a doctest
    ):
        assert example in code
        assert example not in prose
    assert ">>>" not in prose


def test_reference_shows_no_doctest_directive(reference: _ReferencePage) -> None:
    """No ``# doctest: +SKIP`` (or any doctest text) reaches the reader."""
    assert "doctest" not in "\n".join(reference.code + reference.prose).lower()


def test_reference_names_nothing_private(reference: _ReferencePage) -> None:
    """No table-of-contents entry, heading or anchor names a private module or object."""

    def private(name: str) -> bool:
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    assert reference.toc
    assert [entry for entry in reference.toc if private(entry)] == []
    documented = [anchor for anchor in reference.anchors if anchor.startswith("cognito_groups")]
    assert "cognito_groups.CognitoGroups" in documented
    assert [anchor for anchor in documented if any(map(private, anchor.split(".")))] == []
