"""No page and no hint tells anyone to install ``cognito-groups`` by name from the package index.

The name is not published on PyPI: such a command fails today, and would install whatever
someone else registers under it later. The pages and the errors name a checkout or a wheel.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cognito_groups._client._install import WHEEL, install_hint

ROOT = Path(__file__).parent.parent
#: What people read: the README, the changelog, the site's pages, the examples and the package
#: (its errors, its command's help, its docstrings).
READ = sorted(
    [
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "examples").rglob("*.py"),
        *(ROOT / "cognito_groups").rglob("*.py"),
    ]
)
#: An install command, and what follows it on its line (up to a comment or a code span's end).
_COMMAND = re.compile(
    r"\b(?:pip3?\s+install|pipx\s+install|uv\s+pip\s+install|uv\s+add|poetry\s+add)\b([^`#\n]*)"
)
#: A requirement that names the package on the index: the bare name, with extras or a version.
_BY_NAME = re.compile(r"cognito[-_.]groups(?:\[[^\]]*\])?(?:\s*[<>=!~;@].*)?", re.IGNORECASE)


def installs_by_name(text: str) -> list[str]:
    """The install commands of ``text`` that fetch the package by name from an index."""
    found: list[str] = []
    for command in _COMMAND.finditer(text):
        words = command.group(1).replace("'", " ").replace('"', " ").split()
        if any(_BY_NAME.fullmatch(word) for word in words if not word.startswith("-")):
            found.append(command.group(0).strip())
    return found


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("pip install cognito-groups", True),
        ("pip install 'cognito-groups[postgres]'   # the extra", True),
        ('python -m pip install --upgrade "cognito_groups[async,demo]>=0.1"', True),
        ("`pipx install cognito-groups`", True),
        ("uv add Cognito.Groups", True),
        ("pip install '/path/to/cognito-groups[postgres]'", False),
        ("pip install 'dist/cognito_groups-0.1.0-py3-none-any.whl[demo]'", False),
        ("pip install ./cognito-groups", False),
        ("pip install 'psycopg[binary]>=3.1'", False),
        ("the cognito-groups command: pip freeze", False),
    ],
    ids=lambda value: str(value),
)
def test_the_check_tells_the_index_from_a_checkout(line: str, *, flagged: bool) -> None:
    """An install by name (any client, quoted, with extras or a version) is found; paths are not."""
    assert bool(installs_by_name(line)) is flagged


def test_the_pages_are_read() -> None:
    """The check reads the pages, the README and the modules that give install hints."""
    names = {path.relative_to(ROOT).as_posix() for path in READ}
    assert {
        "README.md", "docs/getting-started.md", "docs/async.md", "docs/mirror.md",
        "cognito_groups/_client/_config.py", "cognito_groups/demo.py",
        "cognito_groups/_cli/_parser.py",
        "cognito_groups/_mirror/_postgres.py",
    } <= names  # fmt: skip


@pytest.mark.parametrize("path", READ, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_page_or_hint_installs_the_package_by_name(path: Path) -> None:
    """No doc, docstring or error message says to install cognito-groups from the index."""
    assert installs_by_name(path.read_text()) == []


def test_the_wheel_the_pages_name_is_this_version() -> None:
    """Every wheel the README and the pages name is `_install.WHEEL` (test_dist builds it)."""
    names = {
        name
        for path in READ
        for name in re.findall(r"cognito_groups-[\w.]+-py3-none-any\.whl", path.read_text())
    }
    assert names == {WHEEL}


@pytest.mark.parametrize(
    ("missing", "use"),
    [
        ("aiobotocore", "from cognito_groups import AsyncCognitoGroups; AsyncCognitoGroups()"),
        ("moto", "from cognito_groups.demo import demo_cognito\nwith demo_cognito(): pass"),
        (
            "psycopg",
            "from cognito_groups import Mirror; Mirror('postgresql://nobody@127.0.0.1:9/x').syncs()",
        ),
    ],
    ids=["async", "demo", "postgres"],
)
def test_a_missing_extra_says_how_to_install_it(missing: str, use: str) -> None:
    """Without an extra's package, the error says to install the extra from a checkout or wheel."""
    code = (
        f"import sys; sys.modules[{missing!r}] = None\ntry:\n"
        + "".join(f"    {line}\n" for line in use.splitlines())
        + "except ImportError as err:\n    print(err)\n"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, the test's own code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    extra = {"aiobotocore": "async", "moto": "demo", "psycopg": "postgres"}[missing]
    assert result.stdout.rstrip("\n").endswith(": " + install_hint(extra))
    assert f"pip install '/path/to/cognito-groups[{extra}]'" in result.stdout
    assert f"pip install 'dist/{WHEEL}[{extra}]'" in result.stdout
    assert installs_by_name(result.stdout) == []
