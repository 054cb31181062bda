"""Derivatives of formulas from their checked parse trees, with sympy (the ``symbolic`` extra).

Only :mod:`.derivatives` imports this module, and only for a config with formulas: sympy is
imported here, at the top, so that importing bpcheck never pays for it.

A formula's tree (the one :func:`~.compiler.compile_expression` checked against the vocabulary
of :mod:`.functions`) is translated node by node into a sympy expression; no text is ever
evaluated. sigmoid and softplus (``log(1 + exp(u))``, ``log1p(exp(u))``, ``1 / (1 + exp(-u))``)
become functions of their own whose derivatives are σ(u)·σ(−u) and σ(u), so that the derivative
is written back in stable terms; the derivative is then printed in the formula language and
compiled like any formula the user writes.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from .compiler import Expression, compile_expression
from .text import MAX_EXPONENT, ExpressionError

__all__ = ["CannotDeriveError", "Mismatch", "compare", "derive", "to_sympy"]

# Points a given df is compared at when sympy cannot decide: off the kinks at 0 and ±1, and
# inside (0, 1) for the predictions of log losses.
_XS = np.concatenate([np.linspace(-6.0, 6.0, 97) + 1 / 7, np.linspace(0.02, 0.98, 25) + 1e-3])
_YS = np.array([0.0, 1.0, 0.3, 0.7, -1.3, 2.1])
_RTOL, _ATOL = 1e-6, 1e-9
# Fractions such as 1/2 are printed as fractions; 997355701/1250000000 as the float it came from.
_SMALL_DENOMINATOR = 1000
# sympy.simplify's time grows fast with the size of what it is given: beyond this many operations
# the comparison goes straight to the grid.
_SIMPLIFY_OPS = 120


class CannotDeriveError(Exception):
    """A formula, or its derivative, that the translation does not cover."""


class Sigmoid(sympy.Function):
    """σ(u), differentiated as σ(u)·σ(−u): no cancellation, no overflow."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0]) * Sigmoid(-self.args[0])


class Softplus(sympy.Function):
    """log(1 + e^u), printed as max(u, 0) + log1p(e^(−|u|)), differentiated as σ(u)."""

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0])


def _exp_of(term: sympy.Expr) -> sympy.Expr | None:
    """u when ``term`` is 1 + e^u, else None."""
    if term.is_Add and len(term.args) == 2 and sympy.S.One in term.args:
        other = term.args[0] if term.args[1] == 1 else term.args[1]
        if other.func == sympy.exp:
            return other.args[0]
    return None


def _log(value: sympy.Expr) -> sympy.Expr:
    inner = _exp_of(value)
    return sympy.log(value) if inner is None else Softplus(inner)


def _log1p(value: sympy.Expr) -> sympy.Expr:
    return Softplus(value.args[0]) if value.func == sympy.exp else sympy.log(1 + value)


def _sigmoid_forms(expression: sympy.Expr) -> sympy.Expr:
    """1 / (1 + e^(−u)) written as σ(u)."""

    def is_form(node: sympy.Basic) -> bool:
        return node.is_Pow and node.exp == -1 and _exp_of(node.base) is not None

    return expression.replace(is_form, lambda node: Sigmoid(-_exp_of(node.base)))


_FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "exp": sympy.exp,
    "log": _log,
    "log1p": _log1p,
    "expm1": lambda u: sympy.exp(u) - 1,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "sign": sympy.sign,
    "tanh": sympy.tanh,
    "sigmoid": Sigmoid,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "maximum": sympy.Max,
    "minimum": sympy.Min,
    "clip": lambda u, low, high: sympy.Min(sympy.Max(u, low), high),
}
_RELATIONS = {
    ast.Lt: sympy.Lt,
    ast.LtE: sympy.Le,
    ast.Gt: sympy.Gt,
    ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq,
    ast.NotEq: sympy.Ne,
}
_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def to_sympy(expression: Expression) -> sympy.Expr:
    """The compiled formula as a sympy expression in real symbols named as its variables."""
    if expression.tree is None:
        raise CannotDeriveError("the formula carries no parse tree")
    symbols = {name: sympy.Symbol(name, real=True) for name in expression.variables}
    return _sigmoid_forms(_node(expression.tree, symbols))


def _node(node: ast.expr, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    if isinstance(node, ast.Constant):
        return sympy.Rational(repr(float(node.value)))
    if isinstance(node, ast.Name):
        return symbols.get(node.id) or {"e": sympy.E, "pi": sympy.pi}[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _node(node.operand, symbols)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _node(node.left, symbols) ** _node(node.right, symbols)
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_node(node.left, symbols), _node(node.right, symbols))
    if isinstance(node, ast.Compare):
        return sympy.Piecewise((1, _relation(node, symbols)), (0, True))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "where":
            condition, a, b = node.args
            chosen = _relation(condition, symbols)
            return sympy.Piecewise((_node(a, symbols), chosen), (_node(b, symbols), True))
        return _FUNCTIONS[node.func.id](*(_node(argument, symbols) for argument in node.args))
    raise CannotDeriveError(type(node).__name__)


def _relation(node: ast.expr, symbols: dict[str, sympy.Symbol]) -> sympy.Basic:
    """A where's condition: a comparison as itself, anything else as "≠ 0"."""
    if isinstance(node, ast.Compare):
        relation = _RELATIONS[type(node.ops[0])]
        return relation(_node(node.left, symbols), _node(node.comparators[0], symbols))
    return sympy.Ne(_node(node, symbols), 0)


def derive(expression: Expression, variable: str) -> Expression:
    """∂ expression / ∂ variable, compiled; :class:`CannotDeriveError` if it cannot be written."""
    symbol = sympy.Symbol(variable, real=True)
    derivative = sympy.diff(to_sympy(expression), symbol)
    text = _text(derivative)
    try:
        return compile_expression(text, variables=expression.variables)
    except ExpressionError as error:
        raise CannotDeriveError(error.message) from None


# ----------------------------------------------------------------------------- printing


def _text(node: sympy.Basic) -> str:
    """``node`` in the formula language, parenthesised so that no precedence is assumed."""
    if node.is_Number:
        return _number(node)
    if node == sympy.E:
        return "e"
    if node == sympy.pi:
        return "pi"
    if node.is_Symbol:
        return node.name
    if node.is_Add:
        return "(" + " + ".join(_text(term) for term in node.args) + ")"
    if node.is_Mul and node.args[0] == -1:
        return "(-" + _text(sympy.Mul(*node.args[1:])) + ")"
    if node.is_Mul:
        return "(" + " * ".join(_text(term) for term in node.args) + ")"
    if node.is_Pow:
        return _power(node)
    if node.func in _PRINTED:
        return _PRINTED[node.func](*(_text(argument) for argument in node.args))
    if isinstance(node, sympy.Piecewise):
        return _piecewise(node.args)
    if isinstance(node, (sympy.Max, sympy.Min)):
        name = "maximum" if isinstance(node, sympy.Max) else "minimum"
        first, *rest = (_text(argument) for argument in node.args)
        for other in rest:
            first = f"{name}({first}, {other})"
        return first
    if isinstance(node, sympy.core.relational.Relational):
        return f"({_text(node.lhs)} {node.rel_op} {_text(node.rhs)})"
    raise CannotDeriveError(type(node).__name__)


def _number(node: sympy.Basic) -> str:
    if node.is_Integer:
        return str(int(node)) if node >= 0 else f"({int(node)})"
    if node.is_Rational and node.q <= _SMALL_DENOMINATOR:
        return f"({node.p} / {node.q})"
    value = float(node)
    if not math.isfinite(value):
        raise CannotDeriveError(str(node))
    return f"({value!r})"


def _power(node: sympy.Pow) -> str:
    base, exponent = node.args
    if base == sympy.E:
        return f"exp({_text(exponent)})"
    if not exponent.is_Number:
        raise CannotDeriveError("a power with a variable exponent")
    value = float(exponent)
    shown = f"{int(value)}" if value.is_integer() else repr(value)
    if abs(value) <= MAX_EXPONENT:
        return f"{_operand(base)}**{shown}"
    # Larger powers as products of allowed ones.
    whole, rest = divmod(abs(value), MAX_EXPONENT)
    parts = [f"({_text(base)})**{math.copysign(MAX_EXPONENT, value)!r}"] * int(whole)
    if rest:
        parts.append(f"({_text(base)})**{math.copysign(rest, value)!r}")
    return "(" + " * ".join(parts) + ")"


def _operand(node: sympy.Basic) -> str:
    """``node`` as the base of a power: a bare name or number needs no brackets."""
    text = _text(node)
    return text if node.is_Symbol or (node.is_Integer and node >= 0) else f"({text})"


def _piecewise(pieces: Sequence[tuple[sympy.Basic, sympy.Basic]]) -> str:
    (value, condition), *rest = pieces
    if condition == sympy.true or not rest:
        return _text(value)
    return f"where({_condition(condition)}, {_text(value)}, {_piecewise(rest)})"


def _condition(condition: sympy.Basic) -> str:
    if isinstance(condition, sympy.And):
        return "(" + " * ".join(_condition(part) for part in condition.args) + ")"
    if isinstance(condition, sympy.core.relational.Relational):
        return _text(condition)
    raise CannotDeriveError(type(condition).__name__)


_PRINTED: dict[type, Callable[..., str]] = {
    sympy.exp: lambda u: f"exp({u})",
    sympy.log: lambda u: f"log({u})",
    sympy.Abs: lambda u: f"abs({u})",
    sympy.sign: lambda u: f"sign({u})",
    sympy.tanh: lambda u: f"tanh({u})",
    sympy.sin: lambda u: f"sin({u})",
    sympy.cos: lambda u: f"cos({u})",
    Sigmoid: lambda u: f"sigmoid({u})",
    Softplus: lambda u: f"(maximum({u}, 0) + log1p(exp(-abs({u}))))",
    # ReLU's convention at its kink (docs/derivation.md#relu-kink): the step is 0 at 0.
    sympy.Heaviside: lambda u, *h0: f"({u} > 0)",
    # Zero everywhere but at a kink, where the derivative is a convention anyway.
    sympy.DiracDelta: lambda u, *order: "(0)",
}


# ----------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Mismatch:
    """Where a given derivative and the derived one differ: the point and both values."""

    point: dict[str, float]
    given: float
    derived: float


def compare(given: Expression, derived: Expression) -> Mismatch | None:
    """None when ``given`` is ``derived``: equal as sympy simplifies them, else at every point
    of a grid where the derived one is finite; otherwise the point of the largest difference."""
    try:
        difference = _plain(to_sympy(given)) - _plain(to_sympy(derived))
        if sympy.count_ops(difference) <= _SIMPLIFY_OPS and sympy.simplify(difference) == 0:
            return None
    except CannotDeriveError:
        pass
    return _on_grid(given, derived)


def _plain(expression: sympy.Expr) -> sympy.Expr:
    """σ and softplus spelled out, so that sympy can simplify across forms."""
    expression = expression.replace(Sigmoid, lambda u: 1 / (1 + sympy.exp(-u)))
    return expression.replace(Softplus, lambda u: sympy.log(1 + sympy.exp(u)))


def _on_grid(given: Expression, derived: Expression) -> Mismatch | None:
    names = given.variables
    grids = np.meshgrid(_XS, *([_YS] * (len(names) - 1)), indexing="ij")
    values = {name: grid.ravel() for name, grid in zip(names, grids, strict=True)}
    with np.errstate(all="ignore"):
        mine, truth = given(**values), derived(**values)
    judged = np.isfinite(truth)
    gap = np.where(judged, np.abs(mine - truth), 0.0)
    gap = np.where(judged & ~np.isfinite(mine), np.inf, gap)
    allowed = _ATOL + _RTOL * np.maximum(np.abs(truth), np.abs(np.nan_to_num(mine)))
    wrong = np.where(gap > allowed, gap / allowed, 0.0)
    if not np.any(wrong):
        return None
    worst = int(np.argmax(wrong))
    point = {name: float(values[name][worst]) for name in names}
    return Mismatch(point, float(mine[worst]), float(truth[worst]))
