"""The layers of docs/design.md#layers, as import-linter checks them (pyproject.toml,
[tool.importlinter]; `make lint` and `make test` run the same `lint-imports`).

The real tree keeps the contracts; a copy of it with one upward import, an import between the
sibling apps, or an import circle breaks them, so a change that bends the layers fails the suite
and the lint."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "supervision", "surveys", "checklists", "planning", "visits", "dispatch")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_the_layers_and_has_no_import_circles():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _all_but_python(folder, names):
    """Leave out every file but Python sources (templates, catalogs, caches)."""
    return [
        n
        for n in names
        if n == "__pycache__" or (Path(folder, n).is_file() and not n.endswith(".py"))
    ]


@pytest.fixture
def tree_copy(tmp_path):
    """The apps' Python files and pyproject.toml, copied: a change there can't disturb the
    tests running beside this one."""
    for app in APPS:
        shutil.copytree(
            ROOT / app,
            tmp_path / app,
            ignore=_all_but_python,
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_copy_keeps_the_contracts_too(tree_copy):
    assert lint_imports(tree_copy).returncode == 0


@pytest.mark.parametrize(
    ("module", "code", "contract", "says"),
    [
        # dispatch, the bottom, reading the dashboard above it.
        (
            "dispatch/upward.py",
            "from supervision.dashboard import selectors\n",
            "Apps import only the apps below them",
            "dispatch.upward -> supervision.dashboard.selectors",
        ),
        # visits reading a survey (surveys sits above visits).
        (
            "visits/upward.py",
            "import surveys.models\n",
            "Apps import only the apps below them",
            "visits is not allowed to import surveys",
        ),
        # a sibling importing its sibling: surveys and checklists are independent.
        (
            "surveys/sideways.py",
            "from checklists import selectors\n",
            "Apps import only the apps below them",
            "surveys is not allowed to import checklists",
        ),
        # the circle this issue broke; delivery imports back inside a function, as it did.
        (
            "dispatch/circle.py",
            "from . import delivery\n",
            "No import circles within an app",
            ".delivery -> .circle",
        ),
    ],
)
def test_an_import_against_the_layers_breaks_the_lint(tree_copy, module, code, contract, says):
    (tree_copy / module).write_text(code)
    if module == "dispatch/circle.py":
        delivery = tree_copy / "dispatch" / "delivery.py"
        delivery.write_text(delivery.read_text() + "\n\ndef _probe():\n    from . import circle\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    assert says in result.stdout
