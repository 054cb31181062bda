"""A lean start: a command imports only what it uses (issue 14).

Each case runs `bpcheck` in a fresh interpreter and lists the modules it ended up with; nothing is
timed (the benchmark measures the start-up itself). The controls show that the same listing sees
each module when a command does use it, so an absence means something.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_check.judge.budget import available_cpus

from ..helpers import ROOT

SOFTMAX_CCE = str(ROOT / "configs" / "softmax_cce.yaml")
FORMULAS = str(ROOT / "configs" / "custom_formulas.yaml")
IMPL = str(ROOT / "configs" / "my_backprop_example.py")
IMPL_TYPO = str(ROOT / "configs" / "my_backprop_typo.py")  # fails φ: exit 1
IRIS = str(ROOT / "configs" / "iris_softmax_cce.yaml")  # data: a CSV file
# impl: (a whole backward of your own) and regularization:
WHOLE_BACKWARD = str(ROOT / "configs" / "examples" / "cs231n_two_layer_net" / "two_layer_net.yaml")

RICH = "rich"
COMPILER = "backprop_check.spec.formulas.compiler"
HOOKS = "backprop_check.judge.hooks"
USER_CODE = "backprop_check.judge.user_code"
MATPLOTLIB = "matplotlib"
THREAD_POOL = "concurrent.futures"
OTHER_FORMATS = (
    "backprop_check.report.formats.html",
    "backprop_check.report.formats.junit",
    "backprop_check.report.formats.markdown",
)
# What a config without data:, impl: or regularization:, checked in full and passing, leaves out.
DATA_READING = (
    "backprop_check.spec.data_section",
    "backprop_check.spec.data",
    "backprop_check.spec.archives",
    "backprop_check.spec.labels",
    "backprop_check.spec.tables",
    "zipfile",
    "csv",
)
SECTIONS = ("backprop_check.spec.impl_section", "backprop_check.core.regularization")
WHOLE_BACKWARD_CODE = (
    "backprop_check.judge.user_backward",
    "backprop_check.judge.conventions",
    "backprop_check.judge.loading",
)
HINTS = "backprop_check.judge.hints"
COVERAGE = "backprop_check.report.data.coverage"
SUGGESTIONS = "difflib"
GLOB = "glob"

# Runs the command line as `python -m backprop_check` does, then writes sys.modules to a file, in
# the order the imports began (a finder ahead of the others notes each; sys.modules itself keeps
# the order in which they ended).
_LISTING = """
import json, runpy, sys
listing, sys.argv = sys.argv[1], ["bpcheck", *sys.argv[2:]]
began = list(sys.modules)
class Note:
    @staticmethod
    def find_spec(name, path=None, target=None):
        began.append(name)
sys.meta_path.insert(0, Note)
try:
    runpy.run_module("backprop_check", run_name="__main__", alter_sys=True)
except SystemExit as stop:
    code = stop.code
else:
    code = 0
with open(listing, "w", encoding="utf-8") as out:
    loaded = [name for name in dict.fromkeys([*began, *sys.modules]) if name in sys.modules]
    json.dump({"code": code, "modules": loaded}, out)
"""


def _modules(tmp_path: Path, *args: str, status: int = 0) -> list[str]:
    """The modules loaded by `bpcheck ARGS`, in the order their imports began; the command
    exits with ``status``, stdout and stderr being pipes (no terminal)."""
    listing = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", _LISTING, str(listing), *args],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    result = json.loads(listing.read_text(encoding="utf-8"))
    assert (result["code"] or 0) == status, result["code"]
    return result["modules"]


def _loaded(modules: list[str], name: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for module in modules)


def test_a_json_run_imports_neither_rich_nor_what_it_does_not_use(tmp_path: Path) -> None:
    modules = _modules(tmp_path, "run", SOFTMAX_CCE, "--format", "json")
    assert "backprop_check.judge.checker" in modules  # it did run the check
    for name in (RICH, COMPILER, HOOKS, USER_CODE, MATPLOTLIB, *OTHER_FORMATS):
        assert not _loaded(modules, name), name
    for name in (*DATA_READING, *SECTIONS, *WHOLE_BACKWARD_CODE, HINTS, COVERAGE):
        assert not _loaded(modules, name), name
    for name in (SUGGESTIONS, GLOB):
        assert not _loaded(modules, name), name


def test_a_run_imports_numpy_before_the_modules_that_use_it(tmp_path: Path) -> None:
    # From the shallow frame of the command (cli/run.py says why: CPython's frame stack).
    modules = _modules(tmp_path, "run", SOFTMAX_CCE, "--format", "json")
    users = ("backprop_check.report.data", "backprop_check.spec.config", "backprop_check.judge")
    assert modules.index("numpy") < min(modules.index(name) for name in users)


def test_a_one_job_run_starts_no_thread_pool(tmp_path: Path) -> None:
    modules = _modules(tmp_path, "run", SOFTMAX_CCE, "--format", "json", "--jobs", "1")
    assert "backprop_check.judge.checker" in modules
    assert not _loaded(modules, THREAD_POOL)


@pytest.mark.skipif(available_cpus() < 2, reason="--jobs 2 is capped to the one CPU here")
def test_a_two_job_run_does_start_a_thread_pool(tmp_path: Path) -> None:
    modules = _modules(tmp_path, "run", SOFTMAX_CCE, "--format", "json", "--jobs", "2")
    assert _loaded(modules, THREAD_POOL)


def test_help_imports_neither_numpy_nor_rich(tmp_path: Path) -> None:
    modules = _modules(tmp_path, "--help")
    assert not _loaded(modules, "numpy")
    assert not _loaded(modules, RICH)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", SOFTMAX_CCE), RICH),  # the terminal's tables
        (("run", SOFTMAX_CCE, "--format", "text"), "backprop_check.report.formats.check_lines"),
        (("run", FORMULAS, "--format", "json"), COMPILER),
        (("run", SOFTMAX_CCE, "--impl", IMPL, "--format", "json"), HOOKS),
        (("run", SOFTMAX_CCE, "--impl", IMPL, "--format", "json"), USER_CODE),
        (("run", SOFTMAX_CCE, "--format", "junit"), "backprop_check.report.formats.junit"),
        *((("run", IRIS, "--format", "json"), name) for name in DATA_READING),
        *((("run", WHOLE_BACKWARD, "--format", "json"), name) for name in SECTIONS),
        *((("run", WHOLE_BACKWARD, "--format", "json"), name) for name in WHOLE_BACKWARD_CODE),
        (("run", SOFTMAX_CCE, "--sample", "2", "--format", "json"), COVERAGE),
        (("run", str(Path(SOFTMAX_CCE).with_name("softmax_cc?.yaml")), "--format", "json"), GLOB),
    ],
)
def test_what_a_command_uses_it_does_import(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    assert _loaded(_modules(tmp_path, *args), expected)


def test_a_failing_row_imports_the_hints(tmp_path: Path) -> None:
    args = ("run", SOFTMAX_CCE, "--impl", IMPL_TYPO, "--format", "json")
    assert _loaded(_modules(tmp_path, *args, status=1), HINTS)


def test_a_misspelt_name_imports_the_suggestions(tmp_path: Path) -> None:
    config = Path(SOFTMAX_CCE).read_text(encoding="utf-8").replace("sigmoid", "sigmoidd")
    (tmp_path / "typo.yaml").write_text(config, encoding="utf-8")
    modules = _modules(tmp_path, "run", "typo.yaml", "--format", "json", status=2)
    assert _loaded(modules, SUGGESTIONS)
