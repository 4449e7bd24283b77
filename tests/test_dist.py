"""The package people install: the built wheel and sdist, and the wheel in a clean environment.

Offline: the wheel is built without isolation (hatchling is a development dependency) and
installed with ``--no-index --no-deps`` into a new virtual environment without system
site-packages; the runtime dependencies it declares are then made importable from this
environment's site-packages (a path entry, not its ``.pth`` files, so the editable install of
the checkout stays out of sight). `make dist` builds the same files in isolation.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from cognito_groups._client._install import WHEEL

ROOT = Path(__file__).parent.parent


def run(*command: str | Path, cwd: Path = ROOT) -> str:
    result = subprocess.run(  # noqa: S603 (fixed commands of the test)
        [str(part) for part in command],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ with the sdist and the wheel built from it, checked by twine."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT)
    run(Path(sys.executable).with_name("twine"), "check", "--strict", *sorted(out.iterdir()))
    return out


def only(pattern: str, folder: Path) -> Path:
    [found] = folder.glob(pattern)
    return found


def test_the_wheel_ships_the_package_typed_and_nothing_else(dist: Path) -> None:
    """The wheel holds the typed package only, and declares its runtime dependencies."""
    with zipfile.ZipFile(only("*.whl", dist)) as wheel:
        names = wheel.namelist()
        metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    assert "cognito_groups/py.typed" in names
    assert "cognito_groups/_cli/_main.py" in names
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"cognito_groups"}
    declared = metadata.get_all("Requires-Dist") or []
    requires = {line.split(";")[0].split(">")[0].strip() for line in declared}
    assert {"boto3", "botocore", "typing-extensions", "wcwidth"} <= requires
    assert metadata["Name"] == "cognito-groups"
    # The file the install hints and the pages name (`_install.WHEEL`).
    assert only("*.whl", dist).name == WHEEL


def test_the_wheel_installs_and_runs_in_a_clean_environment(dist: Path, tmp_path: Path) -> None:
    """The wheel installs in a fresh venv and its command runs there."""
    target = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(target)
    python = target / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
        "--no-deps", only("*.whl", dist))  # fmt: skip
    purelib = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    (purelib / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # Run away from the checkout, so that `python -c` cannot import it from the current folder.
    version = run(target / "bin" / "cognito-groups", "--version", cwd=tmp_path)
    assert version.startswith("cognito-groups 0.")
    where = run(python, "-c", "import cognito_groups; print(cognito_groups.__file__)", cwd=tmp_path)
    assert where.startswith(str(purelib)), where  # the wheel's copy, not the checkout
    typed = run(python, "-c", "import cognito_groups, pathlib; "
                "print((pathlib.Path(cognito_groups.__file__).parent / 'py.typed').exists())",
                cwd=tmp_path)  # fmt: skip
    assert typed.strip() == "True"
