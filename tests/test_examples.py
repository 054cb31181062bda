"""The worked examples in configs/examples/: code in the style people learn from, checked through
an `impl:` block. Each passes as shipped; each bug_*/ copy (one line changed) fails with exit 1 on
the layer and equation of its bug; more typical bugs planted in a copy are named the same way.

These configs are run here only: `.ci/run` loops over configs/*.yaml, not the subfolders, because
half of these are meant to fail."""

from __future__ import annotations

import difflib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from backprop_check.cli import main
from backprop_check.spec import impl_section

from .helpers import ROOT

EXAMPLES = ROOT / "configs" / "examples"
CORRECT = sorted(EXAMPLES.glob("*/*.yaml"))
SHIPPED_BUGS = sorted(EXAMPLES.glob("*/bug_*/*.yaml"))
GUIDE = ROOT / "docs" / "your-network.md"
# The promise: an adapter of at most this many lines, none where the code takes lists.
MAX_ADAPTER_LINES = 6


@dataclass(frozen=True)
class Bug:
    """A typical mistake: one line of an example's code changed, and where the bug is."""

    example: str
    kind: str
    right: str
    wrong: str
    layer: int
    equation: int


# The bugs the shipped bug_*/ copies carry, and more planted in a temporary copy.
BUGS = [
    Bug("nielsen_network", "missing_transpose", "-layer + 1].T @", "-layer + 1] @", 2, 2),
    Bug("nielsen_network", "wrong_sigma_prime", "sp = sigmoid_prime(", "sp = sigmoid(", 2, 2),
    Bug(
        "nielsen_network", "a_j_for_a_j_minus_1", "@ activations[-2].T", "@ activations[-1].T", 3, 3
    ),
    Bug(
        "nielsen_network",
        "loss_gradient_sign",
        "output_activations - y",
        "y - output_activations",
        3,
        1,
    ),
    Bug("cs231n_two_layer_net", "loss_gradient_sign", "y] -= 1", "y] += 1", 2, 1),
    Bug("cs231n_two_layer_net", "wrong_sigma_prime", "[hidden <= 0] = 0", "[hidden > 0] = 0", 1, 2),
    Bug(
        "cs231n_two_layer_net",
        "batch_factor",
        "dscores.sum(axis=0)\n",
        "dscores.mean(axis=0)\n",
        2,
        4,
    ),
    Bug("cs231n_two_layer_net", "l2_gradient_halved", "+ 2 * reg * W1", "+ reg * W1", 1, 3),
    Bug("layer_objects", "wrong_sigma_prime", "1 - np.tanh(x) ** 2", "1 - x**2", 1, 2),
    Bug("layer_objects", "loss_gradient_sign", "(y_pred - y_true) /", "(y_true - y_pred) /", 2, 1),
    Bug(
        "layer_objects",
        "update_before_input_gradient",
        "input_gradient = self.weights.T @ output_gradient\n"
        "        self.weights -= learning_rate * weights_gradient\n",
        "self.weights -= learning_rate * weights_gradient\n"
        "        input_gradient = self.weights.T @ output_gradient\n",
        1,
        2,
    ),
    Bug(
        "vectorised_deltas", "batch_factor", "d.sum(axis=0) for", "d.sum(axis=0) / len(x) for", 3, 4
    ),
    Bug("vectorised_deltas", "wrong_sigma_prime", "* relu_prime(zs[j])", "* relu(zs[j])", 2, 2),
    Bug(
        "vectorised_deltas",
        "loss_gradient_sign",
        "(activations[-1] - y) /",
        "(y - activations[-1]) /",
        3,
        1,
    ),
]


def _run(*configs: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["run", *map(str, configs), "--format", "json"])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _code_file(example: str) -> Path:
    """The example's own code: the one .py file that is not the adapter."""
    (code,) = [p for p in (EXAMPLES / example).glob("*.py") if p.name != "bpcheck_adapter.py"]
    return code


def _statements(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_there_are_the_four_examples_each_with_a_bug_copy() -> None:
    assert {p.parent.name for p in CORRECT} == {
        "nielsen_network",
        "cs231n_two_layer_net",
        "layer_objects",
        "vectorised_deltas",
    }
    assert sorted(p.parent.parent for p in SHIPPED_BUGS) == sorted(p.parent for p in CORRECT)


@pytest.mark.parametrize("config", CORRECT, ids=lambda p: p.parent.name)
def test_an_example_passes_every_checked_row(config: Path) -> None:
    status, report = _run(config)
    assert status == 0, report["diagnosis"]
    assert report["first_failure"] is None
    checks = [check for layer in report["layers"] for check in layer["checks"]]
    assert all(check["passed"] for check in checks if not check.get("skipped"))
    # W and b are always checked; φ wherever the code returns it.
    returns = yaml.safe_load(config.read_text(encoding="utf-8"))["impl"].get("returns", [])
    for check in checks:
        checked = check["quantity"] != "phi" or "phi" in returns
        assert bool(check.get("skipped")) is not checked, check


@pytest.mark.parametrize("config", CORRECT, ids=lambda p: p.parent.name)
def test_an_adapter_is_short_and_only_where_the_code_needs_one(config: Path) -> None:
    adapter = config.parent / "bpcheck_adapter.py"
    impl_file = yaml.safe_load(config.read_text(encoding="utf-8"))["impl"]["file"]
    if adapter.exists():
        assert impl_file == adapter.name
        assert len(_statements(adapter)) <= MAX_ADAPTER_LINES
    else:
        assert impl_file == _code_file(config.parent.name).name


@pytest.mark.parametrize("config", SHIPPED_BUGS, ids=lambda p: p.parent.parent.name)
def test_a_bug_copy_is_the_example_with_one_line_changed(config: Path) -> None:
    example = config.parent.parent
    original = example / config.name
    assert yaml.safe_load(config.read_text()) == yaml.safe_load(original.read_text())
    for path in config.parent.glob("*.py"):
        ours, theirs = (example / path.name).read_text(), path.read_text()
        changed = [
            line
            for line in difflib.unified_diff(ours.splitlines(), theirs.splitlines(), n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")
        ]
        assert len(changed) == (2 if path.name != "bpcheck_adapter.py" else 0), changed
    assert f"bpcheck run {config.relative_to(ROOT)}" in config.read_text()


def _shipped(bug: Bug) -> Path | None:
    found = [p for p in SHIPPED_BUGS if p.parent.name == f"bug_{bug.kind}"]
    found = [p for p in found if p.parent.parent.name == bug.example]
    return found[0] if found else None


@pytest.mark.parametrize("bug", BUGS, ids=lambda bug: f"{bug.example}-{bug.kind}")
def test_a_bug_fails_on_its_layer_and_equation(bug: Bug, tmp_path: Path) -> None:
    config = _shipped(bug)
    if config is not None:
        assert bug.wrong in (config.parent / _code_file(bug.example).name).read_text()
    else:  # plant it in a copy
        copy = shutil.copytree(EXAMPLES / bug.example, tmp_path / bug.example)
        code = copy / _code_file(bug.example).name
        text = code.read_text(encoding="utf-8")
        assert text.count(bug.right) == 1, f"{bug.right!r} is not one line of {code.name}"
        code.write_text(text.replace(bug.right, bug.wrong), encoding="utf-8")
        (config,) = copy.glob("*.yaml")
    status, report = _run(config)
    assert status == 1, report["diagnosis"]
    failure = report["first_failure"]
    assert (failure["layer"], failure["equation"]) == (bug.layer, bug.equation), report["diagnosis"]


@pytest.mark.parametrize("buggy_first", [False, True])
def test_examples_with_the_same_module_names_run_side_by_side(buggy_first: bool) -> None:
    # network.py in nielsen_network/ and in its bug copy: each config must get its own, whichever
    # was imported first in this process.
    correct = EXAMPLES / "nielsen_network" / "network.yaml"
    buggy = EXAMPLES / "nielsen_network" / "bug_missing_transpose" / "network.yaml"
    configs = [buggy, correct] if buggy_first else [correct, buggy]
    status, document = _run(*configs)
    assert status == 1
    assert [run["passed"] for run in document["runs"]] == [path == correct for path in configs]


def _guide_commands() -> list[tuple[str, int]]:
    """(config, exit status) of every `bpcheck run configs/examples/…` line of the guide."""
    pattern = re.compile(r"bpcheck run (configs/examples/\S+\.yaml)\s*(?:#\s*exit (\d))?")
    found = [pattern.match(line.strip()) for line in GUIDE.read_text(encoding="utf-8").splitlines()]
    return [(match[1], int(match[2] or 0)) for match in found if match]


def test_the_guide_runs_every_example_and_every_bug_copy() -> None:
    documented = [config for config, _ in _guide_commands()]
    assert sorted(documented) == sorted(str(p.relative_to(ROOT)) for p in CORRECT + SHIPPED_BUGS)


@pytest.mark.parametrize(("config", "status"), _guide_commands(), ids=lambda value: str(value))
def test_a_command_of_the_guide_exits_as_its_comment_says(config: str, status: int) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / config)])
    assert result.exit_code == status, result.output


def _shown(default: object) -> str:
    if default is None:
        return "none"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list):
        return f"[{', '.join(default)}]"
    return str(default)


@pytest.mark.parametrize("document", [GUIDE, ROOT / "README.md"], ids=["guide", "readme"])
@pytest.mark.parametrize("key", impl_section.IMPL_KEYS)
def test_the_docs_list_every_impl_key_with_its_default_and_choices(
    key: str, document: Path
) -> None:
    rows = [
        line for line in document.read_text(encoding="utf-8").splitlines() if line.startswith("| `")
    ]
    (row,) = [line for line in rows if line.startswith(f"| `{key}` |")]
    values = row.split("|")[2]
    default = impl_section.IMPL_DEFAULTS[key]
    assert values.strip().startswith(f"`{_shown(default)}`") or _shown(default) in values, row
    choices = {
        "layout": impl_section.LAYOUTS,
        "weights": impl_section.WEIGHT_ORIENTATIONS,
        "biases": impl_section.BIAS_SHAPES,
        "labels": impl_section.LABEL_FORMS,
        "reduce": impl_section.REDUCTIONS,
    }.get(key, ())
    for choice in choices:
        assert f"`{choice}`" in values, (key, choice)


@pytest.mark.parametrize(
    ("example", "change", "hint"),
    [
        ("nielsen_network", {"loss": "mse"}, "declare loss: half_sse"),
        ("cs231n_two_layer_net", {"regularization": None}, "regularization: {l2: 0.05}"),
        ("vectorised_deltas", {"impl.reduce": "sum"}, "declare reduce: mean"),
    ],
)
def test_an_example_declared_otherwise_fails_with_the_key_to_change(
    example: str, change: dict, hint: str, tmp_path: Path
) -> None:
    # Correct code, a config that says something else about it: a failure, not a pass, and a
    # hint that names the declaration rather than blaming the code only.
    copy = shutil.copytree(EXAMPLES / example, tmp_path / example)
    (config,) = copy.glob("*.yaml")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    for key, value in change.items():
        *parents, last = key.split(".")
        target = settings
        for parent in parents:
            target = target[parent]
        if value is None:
            del target[last]
        else:
            target[last] = value
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    status, report = _run(config)
    assert status == 1
    assert hint in report["diagnosis"]
    assert "or your config does not match your code" in report["diagnosis"]
