"""Compiling a formula: a checked parse tree turned into closures over numpy arrays, once.

``compile_expression("x * sigmoid(x)", variables=("x",))`` checks every node of the tree (see
:mod:`.text`) against the vocabulary of :mod:`.functions` and builds closures; calling the
result evaluates them elementwise. The only operations that can run are the ones built here.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ...errors import quote_input
from .functions import (
    BINARY_OPERATORS,
    COMPARISONS,
    CONSTANTS,
    FUNCTIONS,
    NAME_ALIASES,
    REFUSED_CONSTRUCTS,
    UNARY_OPERATORS,
    comparison,
)
from .text import MAX_EXPONENT, MAX_LENGTH, ExpressionError, FormulaText

__all__ = ["Expression", "compile_expression"]

Array = np.ndarray
Env = Mapping[str, Array]
# A compiled sub-expression: a Python float when it uses no variable (folded once, at compile
# time), else a closure over the variables' arrays. Python floats, unlike numpy scalars, do not
# promote float32 arrays to float64.
_Term = float | Callable[[Env], Array]


@dataclass(frozen=True)
class Expression:
    """A compiled formula. Call it with one array per variable (they broadcast together)."""

    text: str
    variables: tuple[str, ...]
    functions: frozenset[str]
    complex_safe: bool
    _evaluate: _Term = field(repr=False, compare=False)
    # The checked parse tree, for the symbolic derivative (.symbolic); never evaluated itself.
    tree: ast.expr | None = field(default=None, repr=False, compare=False)

    def __call__(self, **values: Array) -> Array:
        """Evaluate elementwise; the result has the variables' broadcast shape and dtype.

        Integer and boolean inputs are evaluated as float64. NaN and infinity pass through
        silently: callers check for them.
        """
        missing = [name for name in self.variables if name not in values]
        extra = sorted(set(values) - set(self.variables))
        if missing or extra:
            raise TypeError(
                f"expression {self.text!r} takes the variables {', '.join(self.variables)}; "
                f"missing: {', '.join(missing) or 'none'}, "
                f"unexpected: {', '.join(extra) or 'none'}."
            )
        arrays = [np.asarray(values[name]) for name in self.variables]
        # A weak Python float keeps float32 and complex64 as they are and lifts integers.
        dtype = np.result_type(*arrays, 1.0)
        env = {
            name: array.astype(dtype, copy=False)
            for name, array in zip(self.variables, arrays, strict=True)
        }
        shape = np.broadcast_shapes(*(array.shape for array in arrays))
        with np.errstate(all="ignore"):
            result = self._evaluate if isinstance(self._evaluate, float) else self._evaluate(env)
        result = np.asarray(result)
        if np.iscomplexobj(result):
            dtype = np.result_type(dtype, result.dtype)
        return np.broadcast_to(result, shape).astype(dtype)


def compile_expression(text: str, *, variables: Sequence[str]) -> Expression:
    """Parse and check ``text`` once; raise :class:`ExpressionError` if it is refused.

    ``variables`` are the names the formula may use, e.g. ``("x",)`` for an activation or
    ``("yhat", "y")`` for a loss.
    """
    names = tuple(variables)
    _check_variable_names(names)
    if not isinstance(text, str):
        raise ExpressionError(
            f"expected a formula as text, found {quote_input(repr(text))}; quote it.",
            fragment=quote_input(repr(text)),
        )
    if len(text) > MAX_LENGTH:
        # Refused before parsing: the parser's time and memory grow with the text.
        # Line breaks of a block scalar become spaces, so that the message stays one line.
        head = "".join(" " if char.isspace() else char for char in text[:40])
        raise ExpressionError(
            f"expression is too long ({len(text)} characters; the limit is {MAX_LENGTH}): "
            f"'{head}…'.",
            fragment=head,
        )
    for char in text:
        if 0xD800 <= ord(char) <= 0xDFFF:
            # A lone surrogate is not a character of any text: Python cannot even encode it.
            raise ExpressionError(
                f"character {char!r} in {quote_input(text)!r} is not allowed; formulas are plain "
                "text.",
                fragment=repr(char),
            )
    compiler = _Compiler(text, names)
    tree = compiler.tree().body
    term = compiler.build(tree)  # before functions and complex_safe are read: it sets them
    return Expression(
        text=text,
        variables=names,
        functions=frozenset(compiler.functions),
        complex_safe=compiler.complex_safe,
        _evaluate=term,
        tree=tree,
    )


def _check_variable_names(names: tuple[str, ...]) -> None:
    # A programming error, not a user's: the caller chooses the variables.
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"variable names must be identifiers, found {name!r}.")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(f"variable {name!r} would hide the function or constant {name!r}.")
    if len(set(names)) != len(names):
        raise ValueError(f"variable names must be distinct, found {names!r}.")


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    if word in NAME_ALIASES and NAME_ALIASES[word] in choices:
        return f" Did you mean '{NAME_ALIASES[word]}'?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _fold(function: Callable[..., Array], terms: Sequence[_Term]) -> _Term:
    """Apply ``function`` now if every term is a number, else build a closure that will."""
    if all(isinstance(term, float) for term in terms):
        with np.errstate(all="ignore"):
            return float(np.asarray(function(*(np.float64(term) for term in terms))).real)
    closures = tuple(_constant(term) if isinstance(term, float) else term for term in terms)

    def evaluate(env: Env) -> Array:
        return function(*(closure(env) for closure in closures))

    return evaluate


def _constant(value: float) -> Callable[[Env], float]:
    def evaluate(env: Env) -> float:
        return value

    return evaluate


def _variable(name: str) -> Callable[[Env], Array]:
    def evaluate(env: Env) -> Array:
        return env[name]

    return evaluate


def _power(exponent: float) -> Callable[[Array], Array]:
    def power(base: Array) -> Array:
        return np.power(base, exponent)

    return power


class _Compiler(FormulaText):
    """Checks one parsed text against the vocabulary and builds its closures."""

    def __init__(self, text: str, variables: tuple[str, ...]) -> None:
        super().__init__(text, variables)
        self.functions: set[str] = set()
        self.complex_safe = True

    def build(self, node: ast.expr) -> _Term:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BoolOp):
            word, start = self.between(node.values[0], node.values[1])
            raise self.boolean(word, start)
        if isinstance(node, ast.Attribute):
            raise self.refuse(node, "attribute access", self.prefix_advice(node))
        what, advice = REFUSED_CONSTRUCTS.get(type(node), ("construct", ""))
        raise self.refuse(node, what, advice)

    def prefix_advice(self, node: ast.Attribute) -> str:
        if isinstance(node.value, ast.Name) and node.attr in FUNCTIONS:
            return f"; write {node.attr}(...) without the '{node.value.id}.' prefix"
        return ""

    def boolean(self, word: str, start: int) -> ExpressionError:
        return self.error(
            f"'{word}' in '{self.short}' is not allowed; use where(condition, a, b) instead, "
            "or multiply comparisons (they give 1 or 0).",
            word,
            start,
        )

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool):
            raise self.refuse(node, "boolean", "; use 1 or 0")
        if isinstance(value, complex):
            raise self.refuse(node, "complex number", "; use real numbers")
        if isinstance(value, (str, bytes)):
            # The fragment brings its own quotes.
            fragment, start = self.segment(node)
            raise self.error(
                f"text {fragment}{self.where(fragment)} is not allowed; formulas use numbers only.",
                fragment,
                start,
            )
        if not isinstance(value, (int, float)):
            raise self.refuse(node, "value", "; use a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            fragment, start = self.segment(node)
            raise self.error(
                f"number '{fragment}'{self.where(fragment)} is too large.", fragment, start
            )
        return number

    def name(self, node: ast.Name) -> _Term:
        if node.id in self.variables:
            return _variable(node.id)
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        fragment, start = self.segment(node)
        if node.id in FUNCTIONS:
            raise self.error(
                f"function '{fragment}'{self.where(fragment)} must be called, "
                f"as in {FUNCTIONS[node.id].signature}.",
                fragment,
                start,
            )
        variables = (
            f"the variable {self.variables[0]}"
            if len(self.variables) == 1
            else f"the variables {', '.join(self.variables)}"
        )
        hint = _did_you_mean(node.id, [*self.variables, *CONSTANTS, *FUNCTIONS])
        raise self.error(
            f"unknown name '{fragment}'{self.where(fragment)}; this expression may use "
            f"{variables} and the constants {', '.join(CONSTANTS)}.{hint}",
            fragment,
            start,
        )

    def binary(self, node: ast.BinOp) -> _Term:
        if isinstance(node.op, ast.Pow):
            base = self.build(node.left)
            return _fold(_power(self.exponent(node)), [base])
        if type(node.op) not in BINARY_OPERATORS:
            symbol, start = self.between(node.left, node.right)
            advice = "use ** for powers" if isinstance(node.op, ast.BitXor) else "use + - * / **"
            raise self.error(
                f"operator '{symbol}' in '{self.short}' is not allowed; {advice}.", symbol, start
            )
        left, right = self.build(node.left), self.build(node.right)
        return _fold(BINARY_OPERATORS[type(node.op)], [left, right])

    def exponent(self, node: ast.BinOp) -> float:
        """A plain number, optionally signed, of size ≤ 8: powers stay cheap and finite."""
        exponent = node.right
        sign = 1.0
        if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, (ast.USub, ast.UAdd)):
            sign = -1.0 if isinstance(exponent.op, ast.USub) else 1.0
            exponent = exponent.operand
        value = exponent.value if isinstance(exponent, ast.Constant) else None
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and abs(value) <= MAX_EXPONENT
        ):
            return sign * float(value)
        fragment, start = self.segment(node.right)
        advice = (
            "write exp(...) for powers of e"
            if isinstance(node.left, ast.Name) and node.left.id == "e"
            else f"'**' takes a plain number between -{MAX_EXPONENT:g} and {MAX_EXPONENT:g}, "
            "e.g. x**2 or x**-0.5"
        )
        raise self.error(
            f"exponent '{fragment}' in '{self.short}' is not allowed; {advice}.", fragment, start
        )

    def unary(self, node: ast.UnaryOp) -> _Term:
        if isinstance(node.op, ast.Not):
            start = self.span(node)[0]
            raise self.boolean(self.body[start : start + 3], start)
        if type(node.op) not in UNARY_OPERATORS:
            start = self.span(node)[0]
            symbol = self.body[start]
            raise self.error(
                f"operator '{symbol}' in '{self.short}' is not allowed; use + - * / **.",
                symbol,
                start,
            )
        return _fold(UNARY_OPERATORS[type(node.op)], [self.build(node.operand)])

    def compare(self, node: ast.Compare) -> _Term:
        if len(node.ops) > 1:
            fragment, start = self.segment(node)
            raise self.error(
                f"chained comparison '{fragment}'{self.where(fragment)} is not allowed; compare "
                "two values at a time, e.g. (0 < x) * (x < 1).",
                fragment,
                start,
            )
        if type(node.ops[0]) not in COMPARISONS:
            symbol, start = self.between(node.left, node.comparators[0])
            raise self.error(
                f"operator '{symbol}' in '{self.short}' is not allowed; "
                "use <, <=, >, >=, == or !=.",
                symbol,
                start,
            )
        self.complex_safe = False
        left, right = self.build(node.left), self.build(node.comparators[0])
        return _fold(comparison(COMPARISONS[type(node.ops[0])]), [left, right])

    def call(self, node: ast.Call) -> _Term:
        name = self.callee(node)
        function = FUNCTIONS[name]
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.refuse(argument, "starred argument")
        if node.keywords:
            raise self.refuse(
                node.keywords[0],
                "keyword argument",
                f"; write {function.signature} with positional arguments",
            )
        if len(node.args) != function.arity:
            fragment, start = self.segment(node)
            raise self.error(
                f"'{fragment}'{self.where(fragment)} gives {name} "
                f"{_plural(len(node.args), 'argument')}; it takes {function.arity}: "
                f"{function.signature}.",
                fragment,
                start,
            )
        self.functions.add(name)
        self.complex_safe = self.complex_safe and function.complex_safe
        return _fold(function.implementation, [self.build(argument) for argument in node.args])

    def callee(self, node: ast.Call) -> str:
        """The name of the whitelisted function ``node`` calls; anything else is refused."""
        if isinstance(node.func, ast.Attribute):
            raise self.refuse(node.func, "attribute access", self.prefix_advice(node.func))
        if not isinstance(node.func, ast.Name):
            fragment, start = self.segment(node)
            raise self.error(
                f"call '{fragment}'{self.where(fragment)} is not allowed; only these functions "
                f"can be called: {', '.join(sorted(FUNCTIONS))}.",
                fragment,
                start,
            )
        name = node.func.id
        if name not in FUNCTIONS:
            fragment, start = self.segment(node.func)
            raise self.error(
                f"unknown function '{fragment}'{self.where(fragment)}; allowed: "
                f"{', '.join(sorted(FUNCTIONS))}.{_did_you_mean(name, sorted(FUNCTIONS))}",
                fragment,
                start,
            )
        return name
