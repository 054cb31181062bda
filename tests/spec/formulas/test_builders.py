"""Activations and losses written as formulas in the config: checked, explained, refused safely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backprop_check import ConfigError, check, load_config

from ...helpers import ROOT, assert_no_slower_than_a_check, run_cli, write

SWISH = {"f": "x * sigmoid(x)", "df": "sigmoid(x) * (1 + x * (1 - sigmoid(x)))"}
HUBER = {
    "f": "where(abs(yhat - y) < 1, 0.5 * (yhat - y)**2, abs(yhat - y) - 0.5)",
    "df": "where(abs(yhat - y) < 1, yhat - y, sign(yhat - y))",
    "reduce": "sum",
}


def _config(**changes) -> dict:
    config = {
        "input_size": 4,
        "activations": {"swish": SWISH},
        "losses": {"huber": HUBER},
        "layers": [
            {"units": 6, "activation": "tanh"},
            {"units": 5, "activation": "swish"},
            {"units": 3, "activation": "linear"},
        ],
        "loss": "huber",
        "batch_size": 5,
        "seed": 2,
    }
    config.update(changes)
    return config


def test_the_shipped_formula_config_passes() -> None:
    report = check(ROOT / "configs" / "custom_formulas.yaml")
    assert report.passed, report.diagnosis
    assert report.loss == "huber"


def test_correct_formulas_pass_with_every_applicable_method() -> None:
    for method in ("central", "forward", "richardson"):
        assert check(_config(), method=method).passed


@pytest.fixture
def without_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The finite differences alone, as without the symbolic extra (which would refuse a wrong
    df before any check: tests/spec/formulas/test_symbolic.py)."""
    from backprop_check.spec.formulas import derivatives

    monkeypatch.setattr(derivatives, "symbolic_engine", lambda: None)


@pytest.mark.usefixtures("without_sympy")
def test_a_wrong_df_is_caught_at_the_phi_row_of_the_layer_that_uses_it() -> None:
    wrong = {"f": SWISH["f"], "df": "sigmoid(x)"}  # forgot the x·σ'(x) term
    report = check(_config(activations={"swish": wrong}))
    failing = [
        (c.layer, c.quantity)
        for layer in reversed(report.layers)
        for c in layer.checks
        if not c.passed
    ]
    assert failing[0] == (2, "phi")
    assert report.diagnosis.startswith(
        "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2"
    )
    assert "swish" in report.diagnosis


@pytest.mark.usefixtures("without_sympy")
def test_a_wrong_loss_df_is_caught_at_eq1() -> None:
    wrong = {**HUBER, "df": "where(abs(yhat - y) < 1, y - yhat, sign(yhat - y))"}
    report = check(_config(losses={"huber": wrong}))
    assert report.diagnosis.startswith("φ³ fails at the output layer: the error is in Eq. 1")


def test_mean_reduction_divides_by_the_output_units() -> None:
    config = load_config(_config(losses={"huber": {**HUBER, "reduce": "mean"}}))
    assert check(config).passed
    assert config.loss_function().gradient_formula.endswith("/ n")


def test_explain_writes_the_formulas_out() -> None:
    from backprop_check.judge.explain import explain

    layers = explain(load_config(_config()))
    assert (
        layers[0].lines[0].formula.startswith("∇_a L ∘ σ'(z³) with ∇_a L = where(abs(yhat - y) < 1")
    )
    assert layers[1].lines[0].formula.endswith("σ'(z) = sigmoid(x) * (1 + x * (1 - sigmoid(x)))")
    assert layers[1].lines[0].source == "swish, Eq. 2"


def test_complex_step_is_refused_for_formulas_that_are_not_analytic() -> None:
    with pytest.raises(
        ConfigError, match=r"complex-step needs complex-analytic formulas, and huber uses abs"
    ):
        load_config(_config()).with_overrides(method="complex-step")
    analytic = _config(loss="mse")
    assert check(analytic, method="complex-step").passed


ATTACKS = [
    "__import__('os')",
    "().__class__",
    "x.__class__.__bases__",
    "9**9**9",
    "x[0]",
    "lambda: 1",
    "exec('1')",
    "x" + " + x" * 40_000,  # about 160 kB
    "(" * 500 + "x" + ")" * 500,
]


@pytest.mark.parametrize("expression", ATTACKS, ids=lambda e: e[:20])
def test_attack_style_expressions_are_clean_config_errors(tmp_path: Path, expression: str) -> None:
    config = _config(activations={"swish": {"f": expression, "df": SWISH["df"]}})
    path = write(tmp_path, yaml.safe_dump(config, width=10**9))
    result, seconds = run_cli("run", str(path))
    assert_no_slower_than_a_check(seconds, expression[:20])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}, line ")
    assert "key 'activations.swish.f'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"activations": {"relu": SWISH}},
            "'relu' is already a built-in activation; choose another name.",
        ),
        (
            {"activations": {"swish": {"df": "1"}}},
            "activation 'swish' is missing 'f' (a formula in x).",
        ),
        ({"activations": {"swish": {**SWISH, "d2f": "0"}}}, "unknown key 'd2f'."),
        ({"activations": {"swish": {"f": "y * x", "df": "1"}}}, "unknown name 'y'"),
        (
            {"losses": {"huber": {**HUBER, "reduce": "max"}}},
            "unknown reduce 'max'. Expected one of: sum, mean.",
        ),
        ({"losses": {"mse": HUBER}}, "'mse' is already a built-in loss; choose another name."),
        ({"loss": "hubber"}, "Did you mean 'huber'?"),
        ({"activations": {"swish": {"f": "sigmod(x)", "df": "1"}}}, "Did you mean 'sigmoid'?"),
    ],
)
def test_formula_mistakes_name_the_key(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(**changes))
    assert message in str(caught.value)
