"""Issue 10 (1, 6): user code beside its config imports its own modules, and leaves no trace.

The impl file's folder and the working directory are importable while it loads and during every
call into it; afterwards sys.path is what it was and the modules it imported from those folders
are forgotten, so two configs whose folders each ship a module of the same name get their own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from backprop_check import BackpropCheckError, check
from backprop_check.cli import main

from .impl_networks import config

# A correct rows/mean backward for impl_networks' tanh → softmax network, its maths in a sibling
# module (imported at the top, and lazily inside the call) that scales by SCALE.
NETWORK = """\
import numpy as np
from {module} import softmax


def backward(weights, biases, x, y):
    from {module} import SCALE, tanh_slope  # a lazy import, during the call
    z1 = x @ weights[0].T + biases[0]
    a1 = np.tanh(z1)
    a2 = softmax(a1 @ weights[1].T + biases[1])
    phi2 = SCALE * (a2 - y) / len(x)
    phi1 = (phi2 @ weights[1]) * tanh_slope(z1)
    return [phi1.T @ x, phi2.T @ a1], [phi1.sum(0), phi2.sum(0)]
"""
HELPER = """\
import numpy as np

SCALE = {scale}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def tanh_slope(z):
    return 1 - np.tanh(z) ** 2
"""


def _project(folder: Path, *, scale: float = 1.0, module: str = "netmath_issue10") -> Path:
    """A folder with network.py, its sibling module and a config naming network.py."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "network.py").write_text(NETWORK.format(module=module), encoding="utf-8")
    (folder / f"{module}.py").write_text(HELPER.format(scale=scale), encoding="utf-8")
    path = folder / "net.yaml"
    path.write_text(yaml.safe_dump(config(file="network.py")), encoding="utf-8")
    return path


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory: a folder other than the project's."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_the_impl_file_imports_its_sibling_without_pythonpath(
    tmp_path: Path, elsewhere: Path
) -> None:
    path = _project(tmp_path / "project")
    path_before, modules_before = list(sys.path), set(sys.modules)
    report = check(path)
    assert report.passed, report.diagnosis
    assert sys.path == path_before
    assert "netmath_issue10" not in sys.modules
    assert not {m for m in set(sys.modules) - modules_before if m.startswith("bpcheck_user")}


def test_without_the_folder_on_sys_path_the_sibling_is_not_found(tmp_path: Path) -> None:
    # The failure the loader prevents: the same file imported plainly cannot see its sibling.
    path = _project(tmp_path / "project")
    with pytest.raises(ModuleNotFoundError):
        exec(compile((path.parent / "network.py").read_text(), "network.py", "exec"), {})


def test_two_configs_with_a_sibling_of_the_same_name_each_get_their_own(
    tmp_path: Path, elsewhere: Path
) -> None:
    right = _project(tmp_path / "right", scale=1.0)
    wrong = _project(tmp_path / "wrong", scale=2.0)
    assert check(right).passed
    second = check(wrong)
    assert not second.passed
    assert "2.00 × the finite differences" in second.diagnosis
    assert check(right).passed  # and the first again, after the second


def test_several_configs_in_one_run_each_load_their_own(
    runner, tmp_path: Path, elsewhere: Path
) -> None:
    first = _project(tmp_path / "runs" / "a", scale=1.0)
    second = _project(tmp_path / "runs" / "b", scale=2.0)
    result = runner.invoke(main, ["run", str(first), str(second), "--format", "json"])
    assert result.exit_code == 1, result.output
    documents = json.loads(result.stdout)["runs"]
    verdicts = {Path(d["config"]).parent.name: d["passed"] for d in documents}
    assert verdicts == {"a": True, "b": False}


def test_an_error_in_the_sibling_names_its_file_and_line(tmp_path: Path, elsewhere: Path) -> None:
    path = _project(tmp_path / "project")
    helper = path.parent / "netmath_issue10.py"
    helper.write_text(
        HELPER.format(scale=1.0).replace(
            "def tanh_slope(z):\n", "def tanh_slope(z):\n    raise ValueError('unfinished')\n"
        ),
        encoding="utf-8",
    )
    line = helper.read_text().splitlines().index("    raise ValueError('unfinished')") + 1
    with pytest.raises(BackpropCheckError) as raised:
        check(path)
    message = str(raised.value)
    assert "backward raised ValueError: unfinished" in message
    assert f"netmath_issue10.py, line {line}" in message
    assert "netmath_issue10" not in sys.modules


def test_what_user_code_prints_goes_to_stderr(runner, tmp_path: Path, elsewhere: Path) -> None:
    path = _project(tmp_path / "project")
    code = path.parent / "network.py"
    code.write_text(
        code.read_text().replace("    z1 =", "    print('debugging', x.shape)\n    z1 ="),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["run", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True
    assert "debugging (5, 3)" in result.stderr


def test_a_module_and_a_dict_of_functions_are_accepted(tmp_path: Path, elsewhere: Path) -> None:
    path = _project(tmp_path / "project")
    sys.path.insert(0, str(path.parent))
    try:
        import network  # type: ignore[import-not-found]

        assert check(path, impl=network).passed
        assert check(path, impl={"backward": network.backward}).passed
    finally:
        sys.path.remove(str(path.parent))
        for name in ("network", "netmath_issue10"):
            sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("impl", "fragment"),
    [
        ({"backwards": lambda w, b, x, y: None}, "defines no function backward"),
        ({"backward": 3}, "backward is not a function, it is int"),
        (
            {"backward": lambda w, b: None},
            "takes 2 arguments; bpcheck calls it as",
        ),
        (42, "impl: expected a Python file, a module or a dict of functions, found int"),
    ],
)
def test_unusable_impl_objects_are_clear_errors_never_attribute_errors(
    impl: object, fragment: str
) -> None:
    document = config(backward="backward")
    with pytest.raises(BackpropCheckError) as raised:
        check(document, impl=impl)  # type: ignore[arg-type]
    assert fragment in str(raised.value)


def test_a_module_without_the_function_names_the_key(tmp_path: Path) -> None:
    module_file = tmp_path / "empty_impl_issue10.py"
    module_file.write_text("VALUE = 1\n", encoding="utf-8")
    document = config(backward="backprop")
    with pytest.raises(BackpropCheckError) as raised:
        check(document, impl=str(module_file))
    assert "defines no function backprop: name the function it defines in impl.backward" in str(
        raised.value
    )


def test_a_syntax_error_in_the_sibling_names_the_sibling(tmp_path: Path, elsewhere: Path) -> None:
    path = _project(tmp_path / "project")
    helper = path.parent / "netmath_issue10.py"
    helper.write_text("import numpy as np\n\ndef softmax(z:\n    pass\n", encoding="utf-8")
    with pytest.raises(BackpropCheckError) as raised:
        check(path)
    message = str(raised.value)  # Python's own words for the mistake vary by version
    assert message.startswith(f"{helper}, line 3: is not valid Python (")
    assert message.endswith(f"); {path.parent / 'network.py'} imports it.")
    assert "netmath_issue10" not in sys.modules


# A module the user's code imports from what is installed, named like a scratch file that sits in
# the working directory (bpcheck is often started from a shared folder such as /tmp).
_INSTALLED = "installed_lib_issue10"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of installed modules on sys.path, holding a correct ``_INSTALLED``."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{_INSTALLED}.py").write_text("SCALE = 1.0\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop(_INSTALLED, None)


def _imports_installed(project: Path) -> Path:
    """The project's network.py with its SCALE taken from the installed module, lazily."""
    path = _project(project)
    code = path.parent / "network.py"
    code.write_text(
        code.read_text().replace(
            "    phi2 = SCALE *", f"    from {_INSTALLED} import SCALE\n    phi2 = SCALE *"
        ),
        encoding="utf-8",
    )
    return path


def test_a_scratch_file_in_the_working_directory_does_not_shadow_installed_modules(
    tmp_path: Path, elsewhere: Path, installed: Path
) -> None:
    # Correct code must not fail because of where bpcheck was started: a stray module of the same
    # name in the working directory comes after the installed one, as it does for `python file.py`.
    (elsewhere / f"{_INSTALLED}.py").write_text(
        "raise RuntimeError('a scratch file, not the installed module')\n", encoding="utf-8"
    )
    path = _imports_installed(tmp_path / "project")
    report = check(path)
    assert report.passed, report.diagnosis
    assert sys.modules[_INSTALLED].__file__ == str(installed / f"{_INSTALLED}.py")


def test_a_module_only_in_the_working_directory_is_still_importable(
    tmp_path: Path, elsewhere: Path
) -> None:
    path = _project(tmp_path / "project", module="netmath_cwd_issue10")
    (path.parent / "netmath_cwd_issue10.py").rename(elsewhere / "netmath_cwd_issue10.py")
    path_before = list(sys.path)
    assert check(path).passed
    assert sys.path == path_before
    assert "netmath_cwd_issue10" not in sys.modules
