"""Compiling formulas: shapes and dtypes of the result, and every refusal with its message."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.spec.formulas import ExpressionError, compile_expression

from ...helpers import formula

X = ("x",)
LOSS = ("yhat", "y")


def _refusal(text: str, variables: tuple[str, ...] = X) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, variables=variables)
    error = caught.value
    # Every refusal names what it refused.
    assert error.fragment in error.message
    assert str(error) == error.message
    return error


def test_losses_take_two_variables() -> None:
    huber = compile_expression(
        "where(abs(yhat - y) < 1, 0.5 * (yhat - y)**2, abs(yhat - y) - 0.5)", variables=LOSS
    )
    values = huber(yhat=np.array([0.0, 3.0, -2.0]), y=np.array([0.5, 0.0, 0.0]))
    np.testing.assert_allclose(values, [0.125, 2.5, 1.5])
    assert huber.variables == LOSS
    assert huber.functions == frozenset({"abs", "where"})


def test_constant_expression_takes_the_variables_shape_and_dtype() -> None:
    values = formula("1")(x=np.zeros((3, 4), dtype=np.float32))
    assert values.shape == (3, 4)
    assert values.dtype == np.float32
    assert np.all(values == 1)
    values[0, 0] = 5  # a fresh, writable array, not a broadcast view
    assert formula("1")(x=np.zeros((3, 4))).dtype == np.float64


@pytest.mark.parametrize(
    "text",
    [
        "x * 2.5 + exp(1) + pi",
        "sigmoid(x) + tanh(x) + where(x > 0, x, 0.5)",
        "maximum(x, 0) + clip(x, -1, 1) + (x > 0) + x**2",
        "sigmoid(2) * x",
    ],
)
def test_float32_stays_float32(text: str) -> None:
    assert formula(text)(x=np.linspace(-1, 1, 6, dtype=np.float32)).dtype == np.float32


def test_variables_broadcast_together() -> None:
    loss = compile_expression("(yhat - y)**2", variables=LOSS)
    assert loss(yhat=np.ones((3, 1)), y=np.zeros(4)).shape == (3, 4)
    # A loss need not use every variable, and the result still has the joint shape.
    assert compile_expression("yhat", variables=LOSS)(yhat=np.ones(4), y=np.ones((2, 4))).shape == (
        2,
        4,
    )


def test_integer_inputs_are_evaluated_as_floats() -> None:
    values = formula("x / 2")(x=np.arange(3))
    assert values.dtype == np.float64
    assert values.tolist() == [0.0, 0.5, 1.0]


def test_calling_with_wrong_variables_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="missing: x, unexpected: y"):
        formula("x")(y=np.ones(2))


def test_unknown_function_message() -> None:
    error = _refusal("x * sigmod(x)")
    assert error.message == (
        "unknown function 'sigmod' in 'x * sigmod(x)'; allowed: abs, clip, cos, exp, expm1, log, "
        "log1p, maximum, minimum, sigmoid, sign, sin, sqrt, tanh, where. Did you mean 'sigmoid'?"
    )
    assert error.fragment == "sigmod"
    assert error.column == 5


@pytest.mark.parametrize(("text", "suggestion"), [("ln(x)", "log"), ("max(x, 0)", "maximum")])
def test_familiar_names_get_suggestions(text: str, suggestion: str) -> None:
    assert _refusal(text).message.endswith(f"Did you mean '{suggestion}'?")


def test_import_is_refused_as_an_unknown_function() -> None:
    error = _refusal("__import__('os')")
    assert error.message.startswith("unknown function '__import__' in '__import__('os')'")
    assert error.fragment == "__import__"


def test_variable_from_another_expression_names_the_allowed_ones() -> None:
    error = _refusal("x - y")
    assert error.message == (
        "unknown name 'y' in 'x - y'; this expression may use the variable x and the constants "
        "e, pi."
    )
    assert error.fragment == "y"
    loss_error = _refusal("yhat - z", LOSS)
    assert "may use the variables yhat, y and the constants e, pi" in loss_error.message


def test_unknown_name_suggests_a_close_one() -> None:
    assert _refusal("yhatt - y", LOSS).message.endswith("Did you mean 'yhat'?")


def test_function_used_without_call() -> None:
    assert _refusal("sigmoid * x").message == (
        "function 'sigmoid' in 'sigmoid * x' must be called, as in sigmoid(x)."
    )


@pytest.mark.parametrize(
    ("text", "message", "fragment"),
    [
        ("().__class__", "attribute access '().__class__' is not allowed.", "().__class__"),
        ("x.__class__", "attribute access 'x.__class__' is not allowed.", "x.__class__"),
        ("x.real + 1", "attribute access 'x.real' in 'x.real + 1' is not allowed.", "x.real"),
        (
            "np.exp(x)",
            "attribute access 'np.exp' in 'np.exp(x)' is not allowed; write exp(...) without the "
            "'np.' prefix.",
            "np.exp",
        ),
        ("x[0]", "indexing 'x[0]' is not allowed; formulas work element by element.", "x[0]"),
        ("lambda: x", "lambda 'lambda: x' is not allowed.", "lambda: x"),
        (
            "[t for t in x]",
            "comprehension '[t for t in x]' is not allowed.",
            "[t for t in x]",
        ),
        (
            "1 if x > 0 else 0",
            "if-expression '1 if x > 0 else 0' is not allowed; use where(condition, a, b) instead.",
            "1 if x > 0 else 0",
        ),
        ("(x := 1)", "assignment 'x := 1' in '(x := 1)' is not allowed.", "x := 1"),
        ("(x, 1)", "tuple '(x, 1)' is not allowed; formulas work element by element.", "(x, 1)"),
        (
            "clip(x, lo=0, hi=1)",
            "keyword argument 'lo=0' in 'clip(x, lo=0, hi=1)' is not allowed; write "
            "clip(x, lo, hi) with positional arguments.",
            "lo=0",
        ),
        (
            "exp(**x)",
            "keyword argument '**x' in 'exp(**x)' is not allowed; write exp(x) with positional "
            "arguments.",
            "**x",
        ),
        ("exp(*x)", "starred argument '*x' in 'exp(*x)' is not allowed.", "*x"),
        (
            "clip(x, 0)",
            "'clip(x, 0)' gives clip 2 arguments; it takes 3: clip(x, lo, hi).",
            "clip(x, 0)",
        ),
        (
            "2 * sigmoid(x, 1)",
            "'sigmoid(x, 1)' in '2 * sigmoid(x, 1)' gives sigmoid 2 arguments; it takes 1: "
            "sigmoid(x).",
            "sigmoid(x, 1)",
        ),
        ("exp()", "'exp()' gives exp 0 arguments; it takes 1: exp(x).", "exp()"),
        (
            "where(x > 0, x)",
            "'where(x > 0, x)' gives where 2 arguments; it takes 3: where(condition, a, b).",
            "where(x > 0, x)",
        ),
        ("'abc'", "text 'abc' is not allowed; formulas use numbers only.", "'abc'"),
        ("x * b'1'", "text b'1' in 'x * b'1'' is not allowed; formulas use numbers only.", "b'1'"),
        ("True", "boolean 'True' is not allowed; use 1 or 0.", "True"),
        ("x * False", "boolean 'False' in 'x * False' is not allowed; use 1 or 0.", "False"),
        ("None", "value 'None' is not allowed; use a number.", "None"),
        ("2j * x", "complex number '2j' in '2j * x' is not allowed; use real numbers.", "2j"),
        ("1e999 * x", "number '1e999' in '1e999 * x' is too large.", "1e999"),
        (
            "0 < x < 1",
            "chained comparison '0 < x < 1' is not allowed; compare two values at a time, "
            "e.g. (0 < x) * (x < 1).",
            "0 < x < 1",
        ),
        (
            "x > 0 and x < 1",
            "'and' in 'x > 0 and x < 1' is not allowed; use where(condition, a, b) instead, or "
            "multiply comparisons (they give 1 or 0).",
            "and",
        ),
        ("(x < 0)or(x > 1)", "'or' in '(x < 0)or(x > 1)' is not allowed; use where(", "or"),
        ("not x", "'not' in 'not x' is not allowed; use where(", "not"),
        ("x % 2", "operator '%' in 'x % 2' is not allowed; use + - * / **.", "%"),
        ("x // 2", "operator '//' in 'x // 2' is not allowed; use + - * / **.", "//"),
        ("x ^ 2", "operator '^' in 'x ^ 2' is not allowed; use ** for powers.", "^"),
        ("~x", "operator '~' in '~x' is not allowed; use + - * / **.", "~"),
        ("x is 1", "operator 'is' in 'x is 1' is not allowed; use <, <=, >, >=, == or !=.", "is"),
        ("x not in 1", "operator 'not in' in 'x not in 1' is not allowed; use <, <=,", "not in"),
        ("(x)(1)", "unknown function 'x' in '(x)(1)'; allowed: abs,", "x"),
        ("x # comment", "'#' in 'x # comment' is not allowed; formulas have no comments.", "#"),
    ],
)
def test_refused_constructs(text: str, message: str, fragment: str) -> None:
    error = _refusal(text)
    assert error.message.startswith(message)
    assert error.fragment == fragment


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("9**9**9", "9**9"),
        ("x**x", "x"),
        ("x**100", "100"),
        ("x**-9", "-9"),
        ("x**(1 + 1)", "1 + 1"),
    ],
)
def test_exponents_must_be_small_numbers(text: str, fragment: str) -> None:
    error = _refusal(text)
    assert error.message == (
        f"exponent '{fragment}' in '{text}' is not allowed; '**' takes a plain number between "
        "-8 and 8, e.g. x**2 or x**-0.5."
    )
    assert error.fragment == fragment


def test_powers_of_e_point_to_exp() -> None:
    assert _refusal("e**x").message == (
        "exponent 'x' in 'e**x' is not allowed; write exp(...) for powers of e."
    )


def test_literal_powers_cannot_overflow_into_errors() -> None:
    # Nested small powers of a literal are folded with numpy: infinity, not OverflowError.
    assert np.isinf(formula("((9**8)**8)**8 + x")(x=np.zeros(1))).all()


@pytest.mark.parametrize(
    ("text", "message", "fragment", "column"),
    [
        (
            "x * (x",
            "malformed expression 'x * (x': '(' was never closed at column 5 ('(').",
            "(",
            5,
        ),
        ("x +", "malformed expression 'x +': invalid syntax at the end ('x +').", "x +", 1),
        ("x y", "malformed expression 'x y': invalid syntax at column 3 ('y').", "y", 3),
        (
            "  sigmoid(x))",
            "malformed expression 'sigmoid(x))': unmatched ')' at column 13 (')').",
            ")",
            13,
        ),
    ],
)
def test_syntax_errors_point_at_the_problem(
    text: str, message: str, fragment: str, column: int
) -> None:
    error = _refusal(text)
    assert error.message == message
    assert error.fragment == fragment
    assert error.column == column


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_expression(text: str) -> None:
    assert _refusal(text).message == "empty expression; write a formula in x."


def test_non_text_is_refused() -> None:
    assert _refusal(1).message == "expected a formula as text, found 1; quote it."  # type: ignore[arg-type]


def test_huge_expression_is_refused_before_parsing() -> None:
    text = "x + " * 25_000 + "x"  # 100 kB
    error = _refusal(text)
    assert error.message == (
        f"expression is too long ({len(text)} characters; the limit is 1000): 'x + x + x + x + x "
        "+ x + x + x + x + x + …'."
    )


def test_length_is_checked_before_brackets_and_parsing() -> None:
    # 100,000 open brackets: the bracket check would say "nested too deeply" and Python's
    # parser "too many nested parentheses"; the length check answers first, so neither ran.
    error = _refusal("(" * 100_000)
    assert error.message.startswith("expression is too long (100000 characters; the limit is 1000)")


def test_deep_parentheses_are_refused() -> None:
    assert "is too long" in _refusal("(" * 500 + "x" + ")" * 500).message
    error = _refusal("(" * 40 + "x" + ")" * 40)
    assert "is nested too deeply (more than 32 levels of brackets)" in error.message
    assert error.column == 33
    assert formula("(" * 32 + "x" + ")" * 32)(x=np.ones(1)).tolist() == [1.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-" * 40 + "x", "is nested too deeply (41 levels; the limit is 32)."),
        ("exp(-" * 17 + "x" + ")" * 17, "is nested too deeply (35 levels; the limit is 32)."),
        ("x+" * 32 + "x", "is nested too deeply (33 levels; the limit is 32)."),
        ("-" * 999 + "x", "is too large (1000 parts; the limit is 200)."),
        ("x+" * 150 + "x", "is too large (301 parts; the limit is 200)."),
    ],
)
def test_deep_or_large_trees_are_refused(text: str, message: str) -> None:
    error = _refusal(text)
    assert error.message.endswith(message)
    assert error.message.startswith(f"expression '{text[:59]}")


def test_largest_allowed_tree_evaluates() -> None:
    text = "+".join(["x"] * 32)  # 63 nodes, 32 levels
    assert formula(text)(x=np.ones(2)).tolist() == [32.0, 32.0]


def test_multi_line_text_parses_and_messages_stay_on_one_line() -> None:
    assert formula("x *\n  2")(x=np.ones(1)).tolist() == [2.0]
    error = _refusal("x\n+ q")
    assert error.message.startswith("unknown name 'q' in 'x + q';")
    assert error.column == 5


def test_variable_names_must_be_usable() -> None:
    with pytest.raises(ValueError, match="would hide"):
        compile_expression("x", variables=("e",))
    with pytest.raises(ValueError, match="identifiers"):
        compile_expression("x", variables=("y hat",))


def test_expression_error_is_a_value_error() -> None:
    assert issubclass(ExpressionError, ValueError)
