"""The formula language's vocabulary: each function and operator against numpy, real and complex."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from backprop_check.spec.formulas import CONSTANTS, FUNCTIONS, ExpressionError

from ...helpers import ROOT, formula


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("exp", np.exp),
        ("log", np.log),
        ("log1p", np.log1p),
        ("expm1", np.expm1),
        ("sqrt", np.sqrt),
        ("abs", np.abs),
        ("sign", np.sign),
        ("tanh", np.tanh),
        ("sin", np.sin),
        ("cos", np.cos),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ],
)
def test_one_argument_functions_match_numpy(name: str, reference, points: np.ndarray) -> None:
    positive = np.abs(points) + 0.1  # log and sqrt want positive inputs
    for values in (points, positive):
        with np.errstate(invalid="ignore"):
            expected = reference(values)
        np.testing.assert_allclose(formula(f"{name}(x)")(x=values), expected, rtol=1e-12)


def test_multi_argument_functions_match_numpy(points: np.ndarray) -> None:
    x = points
    np.testing.assert_array_equal(formula("maximum(x, 0.5)")(x=x), np.maximum(x, 0.5))
    np.testing.assert_array_equal(formula("minimum(x, 0.5)")(x=x), np.minimum(x, 0.5))
    np.testing.assert_array_equal(formula("clip(x, -1, 1)")(x=x), np.clip(x, -1, 1))
    np.testing.assert_array_equal(formula("where(x > 0, x, 2 * x)")(x=x), np.where(x > 0, x, 2 * x))


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("x + 2", lambda x: x + 2),
        ("x - 2", lambda x: x - 2),
        ("3 * x", lambda x: 3 * x),
        ("x / 4", lambda x: x / 4),
        ("x**2", lambda x: x**2),
        ("x**-1", lambda x: 1 / x),
        ("abs(x)**0.5", lambda x: np.sqrt(np.abs(x))),
        ("x**+3", lambda x: x**3),
        ("-x", lambda x: -x),
        ("+x", lambda x: x),
        ("2 - -x", lambda x: 2 + x),
        ("(x + 1) * (x - 1)", lambda x: x * x - 1),
        ("-x**2", lambda x: -(x**2)),
        ("x < 0.5", lambda x: (x < 0.5).astype(float)),
        ("x <= 0.5", lambda x: (x <= 0.5).astype(float)),
        ("x > 0.5", lambda x: (x > 0.5).astype(float)),
        ("x >= 0.5", lambda x: (x >= 0.5).astype(float)),
        ("x == x", lambda x: np.ones_like(x)),
        ("x != x", lambda x: np.zeros_like(x)),
        ("(x > 0) - (x < 0)", np.sign),
        ("pi * x", lambda x: math.pi * x),
        ("e * x", lambda x: math.e * x),
    ],
)
def test_operators_and_constants_match_numpy(text: str, reference, points: np.ndarray) -> None:
    np.testing.assert_allclose(formula(text)(x=points), reference(points), rtol=1e-14)


def test_constants_are_pi_and_e() -> None:
    assert dict(CONSTANTS) == {"e": math.e, "pi": math.pi}
    assert formula("pi")(x=np.zeros(2)).tolist() == [math.pi, math.pi]


def test_the_docs_document_exactly_the_whitelisted_functions() -> None:
    readme = " ".join((ROOT / "docs" / "config.md").read_text(encoding="utf-8").split())
    documented = re.search(r"the functions `([^`]+)`", readme)
    assert documented is not None
    assert sorted(documented[1].split()) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_takes_exactly_its_parameters(name: str) -> None:
    function = FUNCTIONS[name]
    arguments = ["x", "0.5", "2"][: function.arity]
    values = formula(f"{name}({', '.join(arguments)})")(x=np.array([-1.0, 0.25, 3.0]))
    assert values.shape == (3,)
    for count in (function.arity - 1, function.arity + 1):
        text = f"{name}({', '.join(['x'] * count)})"
        with pytest.raises(ExpressionError) as caught:
            formula(text)
        assert caught.value.message.endswith(f"it takes {function.arity}: {function.signature}.")


def test_sigmoid_is_stable_at_extremes() -> None:
    # pytest turns any RuntimeWarning (overflow in exp) into a failure.
    values = formula("sigmoid(x)")(x=np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(values, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-12)
    assert np.all(np.isfinite(values))


def test_nan_and_infinity_pass_through_without_warnings() -> None:
    values = formula("log(x) + 1 / x + sqrt(x)")(x=np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(values[0])
    assert np.isnan(values[1])  # -inf + inf
    assert values[2] == 2.0
    assert np.isinf(formula("1 / 0 + x")(x=np.zeros(2))).all()


def test_swish_derivative_formula_matches_central_differences(points: np.ndarray) -> None:
    f = formula("x * sigmoid(x)")
    df = formula("sigmoid(x) * (1 + x * (1 - sigmoid(x)))")
    h = 1e-6
    numeric = (f(x=points + h) - f(x=points - h)) / (2 * h)
    np.testing.assert_allclose(df(x=points), numeric, rtol=1e-7, atol=1e-9)


def test_complex_step_of_swish_matches_finite_differences(points: np.ndarray) -> None:
    f = formula("x * sigmoid(x)")
    assert f.complex_safe
    h = 1e-20
    complex_step = f(x=points + 1j * h).imag / h
    eps = 1e-6
    central = (f(x=points + eps) - f(x=points - eps)) / (2 * eps)
    np.testing.assert_allclose(complex_step, central, rtol=1e-7, atol=1e-9)


def test_complex_sigmoid_is_stable_at_extremes() -> None:
    values = formula("sigmoid(x)")(x=np.array([-1000.0, 1000.0]) + 1e-20j)
    assert values.dtype == np.complex128
    np.testing.assert_allclose(values.real, [0.0, 1.0])


def test_complex_step_through_powers_and_logs(points: np.ndarray) -> None:
    x = np.abs(points) + 0.5
    f = formula("log1p(x**2) + sqrt(x) * expm1(x) / cos(x)**-1 - sin(x)")
    h = 1e-20
    eps = 1e-6
    central = (f(x=x + eps) - f(x=x - eps)) / (2 * eps)
    np.testing.assert_allclose(f(x=x + 1j * h).imag / h, central, rtol=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "abs(x)",
        "sign(x) * x",
        "where(x > 0, x, 0)",
        "maximum(x, 0)",
        "minimum(x, 0)",
        "clip(x, -1, 1)",
        "(x > 0) * x",
        "x == 0",
    ],
)
def test_kinked_expressions_are_not_complex_safe(text: str) -> None:
    expression = formula(text)
    assert not expression.complex_safe
    # They still evaluate on complex input, branching on the real part.
    values = expression(x=np.array([-2.0, 0.5]) + 1e-20j)
    assert values.shape == (2,)
    np.testing.assert_allclose(values.real, expression(x=np.array([-2.0, 0.5])))


@pytest.mark.parametrize("text", ["x * sigmoid(x)", "exp(x) + log(x) + x**2 / 3", "pi", "-x"])
def test_analytic_expressions_are_complex_safe(text: str) -> None:
    assert formula(text).complex_safe
