"""The formula language's vocabulary: the whitelisted functions, constants and operators.

One table per fact: the compiler, its messages and the docs' list (docs/config.md) all read these.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ...core.activations import sigmoid

__all__ = [
    "BINARY_OPERATORS",
    "COMPARISONS",
    "CONSTANTS",
    "FUNCTIONS",
    "NAME_ALIASES",
    "REFUSED_CONSTRUCTS",
    "UNARY_OPERATORS",
    "Function",
    "comparison",
]

Array = np.ndarray


def _real(value: Array | float) -> Array | float:
    # Branches follow the real part, as in backprop_check.core.activations, so a complex-step
    # perturbation rides along the branch the real input takes.
    return value.real


def _float_like(mask: Array, *operands: Array | float) -> Array:
    """A 0/1 mask in the real dtype of the operands (float32 stays float32)."""
    return np.asarray(mask).astype(np.result_type(*(_real(o) for o in operands)))


def _abs(z: Array) -> Array:
    if np.iscomplexobj(z):
        return np.where(z.real < 0, -z, z)
    return np.abs(z)


def _sign(z: Array) -> Array:
    return np.sign(_real(z))


def _maximum(a: Array, b: Array) -> Array:
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        # NaN in either operand wins, as with np.maximum.
        return np.where((_real(a) >= _real(b)) | np.isnan(_real(a)), a, b)
    return np.maximum(a, b)


def _minimum(a: Array, b: Array) -> Array:
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        return np.where((_real(a) <= _real(b)) | np.isnan(_real(a)), a, b)
    return np.minimum(a, b)


def _clip(z: Array, low: Array, high: Array) -> Array:
    return _minimum(_maximum(z, low), high)


def _where(condition: Array, a: Array, b: Array) -> Array:
    return np.where(_real(condition) != 0, a, b)


def comparison(compare: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    """``compare`` giving 1.0 or 0.0 rather than booleans, so "(x > 0) * x" and "-(x < 0)"
    work; complex operands are compared on their real parts."""

    def evaluate(a: Array, b: Array) -> Array:
        return _float_like(compare(_real(a), _real(b)), a, b)

    return evaluate


@dataclass(frozen=True)
class Function:
    """One whitelisted function: its arity, how it reads, and whether it is complex-analytic."""

    name: str
    parameters: tuple[str, ...]
    implementation: Callable[..., Array]
    complex_safe: bool = True

    @property
    def arity(self) -> int:
        return len(self.parameters)

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.parameters)})"


FUNCTIONS: Mapping[str, Function] = MappingProxyType(
    {
        function.name: function
        for function in (
            Function("exp", ("x",), np.exp),
            Function("log", ("x",), np.log),
            Function("log1p", ("x",), np.log1p),
            Function("expm1", ("x",), np.expm1),
            Function("sqrt", ("x",), np.sqrt),
            Function("abs", ("x",), _abs, complex_safe=False),
            Function("sign", ("x",), _sign, complex_safe=False),
            Function("tanh", ("x",), np.tanh),
            Function("sigmoid", ("x",), sigmoid),
            Function("sin", ("x",), np.sin),
            Function("cos", ("x",), np.cos),
            Function("where", ("condition", "a", "b"), _where, complex_safe=False),
            Function("maximum", ("a", "b"), _maximum, complex_safe=False),
            Function("minimum", ("a", "b"), _minimum, complex_safe=False),
            Function("clip", ("x", "lo", "hi"), _clip, complex_safe=False),
        )
    }
)
CONSTANTS: Mapping[str, float] = MappingProxyType({"e": math.e, "pi": math.pi})

# Names people reach for from other languages; difflib alone would not find all of them.
NAME_ALIASES: Mapping[str, str] = MappingProxyType(
    {"ln": "log", "max": "maximum", "min": "minimum", "clamp": "clip", "logistic": "sigmoid"}
)

BINARY_OPERATORS: Mapping[type[ast.operator], Callable[[Array, Array], Array]] = MappingProxyType(
    {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide}
)
UNARY_OPERATORS: Mapping[type[ast.unaryop], Callable[[Array], Array]] = MappingProxyType(
    {ast.USub: np.negative, ast.UAdd: np.positive}
)
COMPARISONS: Mapping[type[ast.cmpop], Callable[[Array, Array], Array]] = MappingProxyType(
    {
        ast.Lt: np.less,
        ast.LtE: np.less_equal,
        ast.Gt: np.greater,
        ast.GtE: np.greater_equal,
        ast.Eq: np.equal,
        ast.NotEq: np.not_equal,
    }
)
# Constructs refused outright: a noun for the message and optional advice.
REFUSED_CONSTRUCTS: Mapping[type[ast.AST], tuple[str, str]] = MappingProxyType(
    {
        ast.Attribute: ("attribute access", ""),
        ast.Subscript: ("indexing", "; formulas work element by element"),
        ast.Lambda: ("lambda", ""),
        ast.IfExp: ("if-expression", "; use where(condition, a, b) instead"),
        ast.NamedExpr: ("assignment", ""),
        ast.ListComp: ("comprehension", ""),
        ast.SetComp: ("comprehension", ""),
        ast.DictComp: ("comprehension", ""),
        ast.GeneratorExp: ("comprehension", ""),
        ast.List: ("list", "; formulas work element by element"),
        ast.Tuple: ("tuple", "; formulas work element by element"),
        ast.Set: ("set", "; formulas work element by element"),
        ast.Dict: ("dict", "; formulas work element by element"),
        ast.Starred: ("starred argument", ""),
        ast.Slice: ("slice", ""),
        ast.JoinedStr: ("f-string", "; formulas use numbers only"),
        ast.Await: ("await", ""),
        ast.Yield: ("yield", ""),
        ast.YieldFrom: ("yield", ""),
    }
)
