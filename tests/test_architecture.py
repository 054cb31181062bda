"""The house rules that keep the layers apart, checked on the source."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from .helpers import ROOT

PACKAGE = ROOT / "backprop_check"
MATH_CORE = ("activations", "losses", "network", "backprop")


def _imports(module: str) -> set[str]:
    (path,) = PACKAGE.rglob(f"{module}.py") if "/" not in module else [PACKAGE / f"{module}.py"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            names.add("." + (node.module or "").split(".")[-1])
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("module", MATH_CORE)
def test_math_core_imports_no_presentation_and_no_finite_differences(module: str) -> None:
    imported = _imports(module)
    assert not imported & {"click", "rich", ".finite_differences", ".perturbation", ".compare"}


def test_finite_differences_know_nothing_about_layers() -> None:
    assert _imports("finite_differences") <= {
        "__future__",
        "collections",
        "dataclasses",
        "numpy",
        "typing",
    }


@pytest.mark.parametrize(
    "module", ["judge/compare", "report/data", "judge/diagnosis", "judge/checker"]
)
def test_data_modules_do_not_render(module: str) -> None:
    assert not _imports(module) & {"click", "rich"}


def test_only_the_presenter_imports_rich() -> None:
    users = sorted(
        path.stem
        for path in PACKAGE.rglob("*.py")
        if path.stem != "__init__"
        and "rich" in _imports(path.relative_to(PACKAGE).with_suffix("").as_posix())
    )
    assert users == ["presenter"]


def test_bpcheck_help_does_not_import_numpy() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from backprop_check.cli import main; "
        "CliRunner().invoke(main, ['--help']); print('numpy' in sys.modules, 'rich' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
