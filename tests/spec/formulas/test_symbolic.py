"""Formulas without hand-written derivatives: df derived from f's checked tree (sympy), a given df
compared with it before any finite difference, and a clear error without the symbolic extra."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from backprop_check import ConfigError, load_config
from backprop_check.cli import main
from backprop_check.spec.formulas import FUNCTIONS, compile_expression
from backprop_check.spec.formulas.derivatives import SYMBOLIC_EXTRA

from ...helpers import ROOT

symbolic = pytest.importorskip("backprop_check.spec.formulas.symbolic")

# One formula per function of the vocabulary (and the constants, comparisons and powers).
COVERING = {
    "exp": "exp(0.5 * x)",
    "log": "log(x**2 + 1)",
    "log1p": "log1p(x**2)",
    "expm1": "expm1(0.3 * x)",
    "sqrt": "sqrt(x**2 + 1)",
    "abs": "abs(x) * x",
    "sign": "sign(x) * x**2",
    "tanh": "tanh(2 * x)",
    "sigmoid": "x * sigmoid(x)",
    "sin": "sin(x) * x",
    "cos": "cos(x**2)",
    "where": "where(x > 0, x**2, -x)",
    "maximum": "maximum(x, 0.5 * x)",
    "minimum": "minimum(x, 0) + x",
    "clip": "clip(x, -1, 1) * x",
    "constants": "pi * e * x",
    "comparison": "(x > 0) * x**3",
    "powers": "(x**2 + 1)**-1.5 + x**8 * x",
}
# Off the kinks at 0 and ±1.
XS = np.linspace(-2.9, 2.9, 23) + 0.013


def _activation(name: str, **formulas: str) -> dict:
    return {
        "input_size": 3,
        "activations": {name: formulas},
        "layers": [{"units": 4, "activation": name}, {"units": 2, "activation": "linear"}],
        "loss": "mse",
    }


def test_every_function_of_the_vocabulary_is_covered() -> None:
    assert set(FUNCTIONS) <= set(COVERING)


@pytest.mark.parametrize("text", COVERING.values(), ids=list(COVERING))
def test_a_derived_df_is_the_derivative(text: str) -> None:
    f = compile_expression(text, variables=("x",))
    df = symbolic.derive(f, "x")
    h = 1e-6
    numeric = (f(x=XS + h) - f(x=XS - h)) / (2 * h)
    np.testing.assert_allclose(df(x=XS), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("log(1 + exp(x))", (0.0, 1.0)),
        ("log1p(exp(x))", (0.0, 1.0)),
        ("1 / (1 + exp(-x))", (0.0, 0.0)),
        ("sigmoid(x)", (0.0, 0.0)),
        ("x * sigmoid(x)", (0.0, 1.0)),
    ],
)
def test_derived_sigmoid_and_softplus_are_stable(text: str, limits: tuple[float, float]) -> None:
    config = load_config(_activation("mine", f=text))
    derivative = config.custom_activations["mine"].derivative
    with np.errstate(all="raise"):  # no overflow, no inf/inf on the way
        values = derivative(np.array([-800.0, 800.0]))
    np.testing.assert_allclose(values, limits, atol=1e-300)


def test_a_missing_df_is_derived_and_checks_pass() -> None:
    from backprop_check.judge.checker import Checker

    config = load_config(
        {
            **_activation("swish", f="x * sigmoid(x)"),
            "losses": {"pseudo_huber": {"f": "sqrt(1 + (yhat - y)**2) - 1"}},
            "loss": "pseudo_huber",
        }
    )
    assert "sigmoid" in config.custom_activations["swish"].derivative_formula
    report = Checker(config).run()
    assert report.passed, report.diagnosis


def _refusal(config: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return caught.value


def _point(message: str) -> dict[str, float]:
    found = re.search(r"at ((?:\w+ = [-\d.e+]+(?:, )?)+), df gives", message)
    assert found, message
    return {name: float(value) for name, value in re.findall(r"(\w+) = ([-\d.e+]+)", found[1])}


@pytest.mark.parametrize(
    "df",
    [
        "sigmoid(x)",  # forgot x·σ'(x)
        "sigmoid(x) * (1 + x * (1 - sigmoid(x))) + 1e-3 * x",  # off by a little
        "sigmoid(x) * (1 + x * (1 + sigmoid(x)))",  # a sign
    ],
)
def test_a_wrong_df_is_refused_before_any_check_naming_a_point(df: str) -> None:
    error = _refusal(_activation("swish", f="x * sigmoid(x)", df=df))
    assert error.wrong_gradient
    assert error.key == "activations.swish.df"
    assert f"activation 'swish': df = '{df}' is not the derivative of f = 'x * sigmoid(x)'" in (
        error.message
    )
    x = _point(error.message)["x"]
    f = compile_expression("x * sigmoid(x)", variables=("x",))
    given = compile_expression(df, variables=("x",))
    true = (f(x=np.array(x + 1e-6)) - f(x=np.array(x - 1e-6))) / 2e-6
    assert abs(given(x=np.array(x)) - true) > 1e-6  # they do differ where it says


def test_a_wrong_loss_df_names_both_variables() -> None:
    huber = "where(abs(yhat - y) < 1, 0.5 * (yhat - y)**2, abs(yhat - y) - 0.5)"
    wrong = "where(abs(yhat - y) < 1, y - yhat, sign(yhat - y))"
    error = _refusal(
        {
            **_activation("swish", f="x * sigmoid(x)"),
            "losses": {"huber": {"f": huber, "df": wrong}},
            "loss": "huber",
        }
    )
    assert error.wrong_gradient
    assert error.key == "losses.huber.df"
    point = _point(error.message)
    assert set(point) == {"yhat", "y"}
    assert abs(point["yhat"] - point["y"]) < 1  # where the sign is wrong


@pytest.mark.parametrize(
    ("f", "df"),
    [
        ("tanh(x)", "1 - tanh(x)**2"),
        ("x * sigmoid(x)", "sigmoid(x) * (1 + x * (1 - sigmoid(x)))"),
        ("log1p(exp(-abs(x))) + maximum(x, 0)", "sigmoid(x)"),
        ("maximum(x, 0)", "x > 0"),
        ("maximum(x, 0)", "where(x >= 0, 1, 0)"),  # differs at the kink only: a convention
        ("x**3", "3 * x**2"),
    ],
)
def test_a_right_df_in_another_form_passes(f: str, df: str) -> None:
    config = load_config(_activation("mine", f=f, df=df))
    assert config.custom_activations["mine"].derivative_formula == df


def test_a_wrong_piecewise_df_is_found_on_the_grid() -> None:
    error = _refusal(_activation("mine", f="maximum(x, 0)", df="where(x > 0, 2, 0)"))
    assert _point(error.message)["x"] > 0


def test_the_cli_reports_a_wrong_df_with_exit_1_before_any_finite_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backprop_check.judge.checker import Checker

    def no_check(*args: object, **kwargs: object) -> None:
        raise AssertionError("a finite difference ran")

    monkeypatch.setattr(Checker, "run", no_check)
    path = tmp_path / "wrong.yaml"
    path.write_text(yaml.safe_dump(_activation("swish", f="x * sigmoid(x)", df="sigmoid(x)")))
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"FAILED: {path}, line ")
    assert "key 'activations.swish.df': activation 'swish': df = 'sigmoid(x)'" in result.stderr
    assert "Traceback" not in result.output


def test_without_sympy_a_missing_df_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy now raises ImportError
    error = _refusal(_activation("swish", f="x * sigmoid(x)"))
    assert not error.wrong_gradient
    assert error.message == (
        f"activation 'swish' has no 'df', and deriving it needs sympy: {SYMBOLIC_EXTRA}, or "
        "write df, the derivative in x."
    )
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(_activation("swish", f="x * sigmoid(x)")))
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert "pip install 'backprop_check[symbolic]'" in result.stderr
    # A given df is left to the finite differences, as before.
    given = load_config(_activation("swish", f="x * sigmoid(x)", df="sigmoid(x)"))
    assert given.custom_activations["swish"].derivative_formula == "sigmoid(x)"


def test_sympy_is_imported_only_for_a_config_with_formulas() -> None:
    program = (
        "import sys; from backprop_check import load_config; "
        "load_config(sys.argv[1]); print('sympy' in sys.modules)"
    )
    imported = {
        name: subprocess.run(
            [sys.executable, "-c", program, str(ROOT / "configs" / name)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for name in ("softmax_cce.yaml", "custom_formulas.yaml")
    }
    assert imported == {"softmax_cce.yaml": "False", "custom_formulas.yaml": "True"}


def test_a_derivative_too_large_to_write_asks_for_df() -> None:
    terms = " + ".join(
        f"tanh({i % 5 + 1}*x) * sigmoid(x - {i}) * log1p(exp(x*{i % 3}))" for i in range(10)
    )
    error = _refusal(_activation("big", f=terms))
    assert not error.wrong_gradient
    assert error.key == "activations.big"
    assert "bpcheck cannot derive f = " in error.message
    assert error.message.endswith("write df, the derivative in x.")
    # Given, such a df is left to the finite differences.
    load_config(_activation("big", f=terms, df="0 * x"))
