"""--impl: the user's own equations, checked step by step, and every way a hook can go wrong."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_check import check
from backprop_check.cli import main
from backprop_check.judge import hooks as hooks_module
from backprop_check.judge.hooks import HOOKS, HookError, hook_table
from backprop_check.judge.user_backward import UserBackward
from backprop_check.judge.user_code import load_user_code

from ..helpers import BUILT_IN_CONFIGS, ROOT, small_config, square_config

EXAMPLE = ROOT / "configs" / "my_backprop_example.py"


def _user_file(tmp_path: Path, body: str, name: str = "mine.py") -> Path:
    path = tmp_path / name
    path.write_text("import numpy as np\n\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def _failing(report) -> list[tuple[int, str]]:
    return [
        (c.layer, c.quantity)
        for layer in reversed(report.layers)
        for c in layer.checks
        if not c.passed
    ]


@pytest.mark.parametrize("path", BUILT_IN_CONFIGS, ids=lambda p: p.name)
def test_the_shipped_example_passes_every_config(path: Path) -> None:
    # The example knows the built-in activations and losses, not a config's own formulas.
    report = check(path, impl=EXAMPLE)
    assert report.passed, report.diagnosis
    assert report.impl == str(EXAMPLE)
    assert {name for c in report.checks for name in c.sources} == {
        "phi_output",
        "phi_hidden",
        "grad_w",
        "grad_b",
    }


def test_a_wrong_activation_derivative_fails_eq2_and_is_named(tmp_path: Path) -> None:
    user = _user_file(
        tmp_path,
        """
        def activation_derivative(name, z):
            s = 1 / (1 + np.exp(-z))
            if name == "sigmoid":
                return s  # the seed's §2.2 typo: σ where σ' belongs
            return (z > 0).astype(float) if name == "relu" else np.ones_like(z)
        """,
    )
    report = check(small_config(), impl=user)
    assert _failing(report)[0] == (2, "phi")
    assert "Eq. 2 between layers 3 and 2" in report.diagnosis
    assert "φ² came from your activation_derivative." in report.diagnosis


def test_a_loss_gradient_replaces_the_special_case(tmp_path: Path) -> None:
    user = _user_file(
        tmp_path,
        """
        def loss_gradient(name, a, y):
            return -y / a - (1 - y) / (1 - a)  # the seed's §3.2.1 sign typo
        """,
    )
    report = check(square_config(), impl=user)
    assert _failing(report)[0] == (3, "phi")
    assert report.diagnosis.startswith("φ³ fails at the output layer: the error is in Eq. 1")
    assert "φ³ came from your loss_gradient." in report.diagnosis
    right = _user_file(
        tmp_path,
        "def loss_gradient(name, a, y):\n    return -y / a + (1 - y) / (1 - a)\n",
        "right.py",
    )
    assert check(square_config(), impl=right).passed


def test_a_wrong_phi_output_fails_eq1(tmp_path: Path) -> None:
    user = _user_file(tmp_path, "def phi_output(z, a, y, activation, loss):\n    return y - a\n")
    report = check(small_config(), impl=user)
    assert _failing(report)[0] == (3, "phi")
    assert "opposite sign" in report.diagnosis
    assert report.layers[2].checks[0].sources == ("phi_output",)


def test_a_missing_transpose_in_phi_hidden_fails_eq2(tmp_path: Path) -> None:
    user = _user_file(
        tmp_path,
        """
        def phi_hidden(w_next, phi_next, z, activation):
            s = 1 / (1 + np.exp(-z))
            d = s * (1 - s) if activation == "sigmoid" else 1 - np.tanh(z) ** 2
            return w_next @ phi_next * d  # (w^{j+1})ᵀ forgotten
        """,
    )
    report = check(square_config(), impl=user)
    assert _failing(report)[0] == (2, "phi")
    assert "φ² came from your phi_hidden." in report.diagnosis


def test_a_transposed_grad_w_fails_eq3_with_its_hint(tmp_path: Path) -> None:
    user = _user_file(tmp_path, "def grad_w(phi, a_prev):\n    return np.outer(a_prev, phi)\n")
    report = check(square_config(), impl=user)
    assert _failing(report)[0] == (3, "W")
    assert "Eq. 3 at layer 3" in report.diagnosis
    assert "matches the transpose of the finite differences" in report.diagnosis


def test_a_doubled_grad_b_fails_eq4(tmp_path: Path) -> None:
    user = _user_file(tmp_path, "def grad_b(phi):\n    return 2 * phi\n")
    report = check(small_config(), impl=user)
    assert set(_failing(report)) == {(3, "b"), (2, "b"), (1, "b")}
    assert "2.00 × the finite differences" in report.diagnosis
    assert "∇b³ came from your grad_b." in report.diagnosis


def test_seed_style_column_vectors_are_accepted(tmp_path: Path) -> None:
    user = _user_file(tmp_path, "def grad_b(phi):\n    return phi.reshape(-1, 1)\n")
    assert check(small_config(), impl=user).passed


BACKWARD = """
def backward(weights, biases, x, y):
    activations, zs = [x], []
    for w, b in zip(weights[:-1], biases[:-1]):
        zs.append(activations[-1] @ w.T + b)
        activations.append(np.tanh(zs[-1]))
    z = activations[-1] @ weights[-1].T + biases[-1]
    a = 1 / (1 + np.exp(-z))
    phi = (a - y) / len(x)                      # sigmoid + BCE, batch mean
    dws, dbs = [], []
    for j in range(len(weights) - 1, -1, -1):
        dws.insert(0, phi.T @ activations[j] * SCALE)
        dbs.insert(0, phi.sum(axis=0))
        if j:
            phi = phi @ weights[j] * (1 - activations[j] ** 2)
    return dws, dbs
"""


def test_a_whole_backward_checks_w_and_b_and_skips_phi(tmp_path: Path) -> None:
    config = small_config(
        layers=[{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "sigmoid"}],
        loss="bce",
    )
    report = check(config, impl=_user_file(tmp_path, "SCALE = 1.0\n" + BACKWARD))
    assert report.passed, report.diagnosis
    phi = report.layers[0].checks[0]
    assert (phi.mode, phi.comparison.checked) == ("skipped", 0)
    assert phi.note == "not checked: backward() in mine.py returns ∇W and ∇b only, no φ."
    assert report.layers[0].checks[1].sources == ("backward",)
    broken = check(config, impl=_user_file(tmp_path, "SCALE = 1.5\n" + BACKWARD, "broken.py"))
    assert set(_failing(broken)) == {(2, "W"), (1, "W")}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "def grad_b(phi):\n    raise ValueError('not yet')\n",
            "grad_b (Eq. 4, ∇b¹ at layer 1, sample 0) raised ValueError: not yet (line 4).",
        ),
        (
            "def grad_b(phi):\n    return phi[:-1]\n",
            "grad_b (Eq. 4, ∇b¹ at layer 1, sample 0) returned shape (5,) where its result "
            "should have shape (6,).",
        ),
        (
            "def grad_b(phi):\n    return phi * np.nan\n",
            "grad_b (Eq. 4, ∇b¹ at layer 1, sample 0) returned NaN or infinity in its result.",
        ),
        (
            "def grad_b(phi):\n    return 'phi'\n",
            "grad_b (Eq. 4, ∇b¹ at layer 1, sample 0) returned str where its result should be "
            "a numpy array of numbers of shape (6,).",
        ),
        (
            "def phi_hidden(w_next, phi_next, z, activation):\n    return None\n",
            "phi_hidden (Eq. 2, φ² at layer 2, sample 0) returned NoneType where its result",
        ),
        (
            "def grad_w(phi):\n    return phi\n",
            "grad_w takes 1 argument; bpcheck calls it as grad_w(phi, a_prev).",
        ),
        ("grad_b = 3\n", "grad_b is not a function; it should compute ∇bʲ (Eq. 4)."),
        ("def helper():\n    pass\n", "defines none of the functions bpcheck looks for"),
        ("def grad_b(phi:\n    pass\n", "line 3: is not valid Python"),
        ("raise RuntimeError('boom')\n", "importing it raised RuntimeError: boom (line 3)."),
        (
            "def backward(w, b, x, y):\n    return 1\ndef grad_b(phi):\n    return phi\n",
            "defines backward and also grad_b",
        ),
        (
            "def backward(w, b, x, y):\n    return np.ones(2), []\n",
            "returned ndarray for dW where a list of 3 arrays, one per layer 1…J, was expected.",
        ),
    ],
)
def test_hook_mistakes_are_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    user = _user_file(tmp_path, body)
    with pytest.raises(HookError) as caught:
        check(small_config(), impl=user)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(user))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HookError, match="no such file; --impl expects a Python file"):
        load_user_code(tmp_path / "absent.py")


def test_the_cli_takes_impl_and_exits_2_on_a_broken_hook(tmp_path: Path) -> None:
    runner = CliRunner()
    config = ROOT / "configs" / "softmax_cce.yaml"
    result = runner.invoke(main, ["run", str(config), "--impl", str(EXAMPLE), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["impl"] == str(EXAMPLE)
    assert document["layers"][0]["checks"][0]["from"] == ["phi_hidden"]
    table = runner.invoke(main, ["run", str(config), "--impl", str(EXAMPLE)]).stdout
    assert "your code: " in table
    assert "yours: phi_hidden" in table
    bad = _user_file(tmp_path, "def grad_b(phi):\n    return phi[:1]\n")
    result = runner.invoke(main, ["run", str(config), "--impl", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}: grad_b (Eq. 4, ∇b¹ at layer 1, sample 0)")
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- the contract


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_is_called_with_the_parameters_the_contract_declares(
    tmp_path: Path, name: str
) -> None:
    # A function with one parameter too few is refused, naming the declared call.
    hook = HOOKS[name]
    short = ", ".join(hook.parameters[:-1])
    user = _user_file(tmp_path, f"def {name}({short}):\n    return None\n")
    with pytest.raises(HookError, match=re.escape(f"bpcheck calls it as {hook.signature}.")):
        load_user_code(user)
    # With the declared parameters it loads, and only per-sample hooks become built-in steps.
    user = _user_file(tmp_path, f"def {name}({', '.join(hook.parameters)}):\n    pass\n", "ok.py")
    code = load_user_code(user)
    assert code.names == (name,)
    analytic = code.analytic()
    if hook.per_sample:
        assert getattr(analytic, name) is not None
    else:
        assert isinstance(analytic, UserBackward)


def test_the_docs_list_every_hook_as_the_contract_declares() -> None:
    page = (ROOT / "docs" / "your-network.md").read_text(encoding="utf-8")
    docstring = hooks_module.__doc__ or ""
    for hook in HOOKS.values():
        assert f"`{hook.signature}`" in page, hook.signature
        assert hook.signature in docstring
    assert hook_table() in docstring


# --------------------------------------------------------------------------- exits


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "import sys\n\n\ndef grad_b(phi):\n    sys.exit(0)\n",
            "grad_b (Eq. 4, ∇b¹ at layer 1, sample 0) stopped: your code called sys.exit(0) at "
            "line 7, which would end bpcheck.",
        ),
        (
            "def phi_hidden(w_next, phi_next, z, activation):\n    raise SystemExit('done')\n",
            "phi_hidden (Eq. 2, φ² at layer 2, sample 0) stopped: your code called "
            "sys.exit('done') at line 4, which would end bpcheck.",
        ),
        (
            "def grad_w(phi, a_prev):\n    raise GeneratorExit\n",
            "grad_w (Eq. 3, ∇W¹ at layer 1, sample 0) stopped: your code raised GeneratorExit "
            "at line 4, which would end bpcheck.",
        ),
        (
            "import sys\nsys.exit(3)\n",
            "while being imported, your code called sys.exit(3) at line 4, which would end "
            "bpcheck.",
        ),
    ],
)
def test_user_code_cannot_end_the_run(tmp_path: Path, body: str, message: str) -> None:
    # Issue 11 (b): sys.exit(0) in an --impl file used to end bpcheck with exit 0 and no output.
    user = _user_file(tmp_path, body)
    with pytest.raises(HookError) as caught:
        check(small_config(), impl=user)
    assert str(caught.value) == f"{user}: {message}"


def test_an_exit_in_user_code_is_exit_2_and_the_other_configs_still_run(tmp_path: Path) -> None:
    user = _user_file(tmp_path, "import sys\n\n\ndef grad_b(phi):\n    sys.exit(0)\n")
    config = ROOT / "configs" / "softmax_cce.yaml"
    other = ROOT / "configs" / "sigmoid_bce.yaml"
    result = CliRunner().invoke(
        main, ["run", str(config), str(other), "--impl", str(user), "--format", "json"]
    )
    assert result.exit_code == 2
    assert "your code called sys.exit(0) at line 7" in result.stderr
    document = json.loads(result.stdout)
    assert [run.get("error", "").startswith(str(user)) for run in document["runs"]] == [True, True]
    # As reported, a CI job got exit 0 and no JUnit file: now the file says what happened.
    junit = tmp_path / "report.xml"
    args = ["run", str(config), "--impl", str(user), "--format", "junit", "--output", str(junit)]
    assert CliRunner().invoke(main, args).exit_code == 2
    assert "your code called sys.exit(0) at line 7" in junit.read_text(encoding="utf-8")


def test_ctrl_c_in_user_code_keeps_its_meaning(tmp_path: Path) -> None:
    user = _user_file(tmp_path, "def grad_b(phi):\n    raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        check(small_config(), impl=user)


def test_wrong_hooks_on_an_overflowing_loss_are_no_pass(tmp_path: Path) -> None:
    # Issue 11 (a) as reported: targets of ~1e200 overflow the per-sample loss, and deliberately
    # wrong hooks printed "All 6 checks passed" with exit 0.
    rng = np.random.default_rng(4)
    np.savez(tmp_path / "batch.npz", x=rng.standard_normal((4, 3)), y=1e200 * np.ones((4, 2)))
    config = tmp_path / "huge.yaml"
    config.write_text(
        "input_size: 3\nlayers:\n  - {units: 4, activation: tanh}\n"
        "  - {units: 2, activation: linear}\nloss: mse\ndata: {path: batch.npz}\n",
        encoding="utf-8",
    )
    wrong = _user_file(
        tmp_path,
        "def grad_w(phi, a_prev):\n    return -3 * np.outer(phi, a_prev)\n\n\n"
        "def grad_b(phi):\n    return 7 * phi\n",
    )
    result = CliRunner().invoke(main, ["run", str(config), "--impl", str(wrong)])
    assert result.exit_code == 1, result.output
    assert "passed" not in result.stdout.splitlines()[-1]
    assert "the loss is not finite (overflow)" in result.stdout
    document = json.loads(
        CliRunner()
        .invoke(main, ["run", str(config), "--impl", str(wrong), "--format", "json"])
        .stdout
    )
    assert {row["unresolved"] for layer in document["layers"] for row in layer["checks"]} == {
        "overflow"
    }
