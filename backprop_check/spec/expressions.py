"""A small, safe formula language for custom activations and losses written in a config.

``compile_expression("x * sigmoid(x)", variables=("x",))`` parses the text with
``ast.parse(..., mode="eval")``, checks every node against a whitelist and turns the tree into
closures once; calling the result evaluates them elementwise on numpy arrays. Nothing the user
writes is ever handed to ``eval``, ``exec`` or ``compile``: the only operations that can run are
the ones built here. Size, nesting and exponents are bounded so no text can hang or exhaust
memory.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..core.activations import sigmoid

__all__ = ["CONSTANTS", "FUNCTIONS", "Expression", "ExpressionError", "compile_expression"]

Array = np.ndarray
Env = Mapping[str, Array]
# A compiled sub-expression: a Python float when it uses no variable (folded once, at compile
# time), else a closure over the variables' arrays. Python floats, unlike numpy scalars, do not
# promote float32 arrays to float64.
_Term = float | Callable[[Env], Array]

MAX_LENGTH = 1000
MAX_NODES = 200
MAX_DEPTH = 32
MAX_EXPONENT = 8.0
_SHORT = 60


class ExpressionError(ValueError):
    """A refused or malformed expression.

    ``message`` is one sentence; ``fragment`` is the offending part of the text as the user wrote
    it; ``column`` is its 1-based position in the text, where known.
    """

    def __init__(self, message: str, *, fragment: str, column: int | None = None) -> None:
        self.message = message
        self.fragment = fragment
        self.column = column
        super().__init__(message)


# ----------------------------------------------------------------------------- functions


def _real(value: Array | float) -> Array | float:
    # Branches follow the real part, as in backprop_check.activations, so a complex-step
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
_ALIASES = {"ln": "log", "max": "maximum", "min": "minimum", "clamp": "clip", "logistic": "sigmoid"}

_BINARY: dict[type[ast.operator], Callable[[Array, Array], Array]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}
_UNARY: dict[type[ast.unaryop], Callable[[Array], Array]] = {
    ast.USub: np.negative,
    ast.UAdd: np.positive,
}
_COMPARISONS: dict[type[ast.cmpop], Callable[[Array, Array], Array]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
# Constructs refused outright: a noun for the message and optional advice.
_REFUSED: dict[type[ast.AST], tuple[str, str]] = {
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


# ----------------------------------------------------------------------------- the expression


@dataclass(frozen=True)
class Expression:
    """A compiled formula. Call it with one array per variable (they broadcast together)."""

    text: str
    variables: tuple[str, ...]
    functions: frozenset[str]
    complex_safe: bool
    _evaluate: _Term = field(repr=False, compare=False)

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
            f"expected a formula as text, found {text!r}; quote it.", fragment=repr(text)
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
                f"character {char!r} in {text!r} is not allowed; formulas are plain text.",
                fragment=repr(char),
            )
    compiler = _Compiler(text, names)
    term = compiler.compile()
    return Expression(
        text=text,
        variables=names,
        functions=frozenset(compiler.functions),
        complex_safe=compiler.complex_safe,
        _evaluate=term,
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
    if word in _ALIASES and _ALIASES[word] in choices:
        return f" Did you mean '{_ALIASES[word]}'?"
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


def _comparison(compare: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    # Comparisons give 1.0 or 0.0 rather than booleans, so "(x > 0) * x" and "-(x < 0)" work;
    # complex operands are compared on their real parts.
    def evaluate(a: Array, b: Array) -> Array:
        return _float_like(compare(_real(a), _real(b)), a, b)

    return evaluate


# ----------------------------------------------------------------------------- compiling


class _Compiler:
    """Checks one parsed text against the whitelist and builds its closures."""

    def __init__(self, text: str, variables: tuple[str, ...]) -> None:
        self.text = text
        self.variables = variables
        self.functions: set[str] = set()
        self.complex_safe = True
        # Parse the stripped text with line breaks as spaces: multi-line YAML strings then
        # parse, messages stay on one line, and a character's index in ``body`` plus ``lead``
        # is its index in ``text``. Fragments are quoted from ``body``.
        self.lead = len(text) - len(text.lstrip())
        self.body = "".join(" " if c in "\r\n\t\f\v" else c for c in text.strip())
        self.body_bytes = self.body.encode("utf-8")

    # -- messages

    @property
    def short(self) -> str:
        body = self.body
        return body if len(body) <= _SHORT else body[: _SHORT - 1] + "…"

    def where(self, fragment: str) -> str:
        """`` in '<text>'`` unless the fragment is the whole text."""
        return "" if fragment == self.body else f" in '{self.short}'"

    def error(self, message: str, fragment: str, start: int | None) -> ExpressionError:
        column = None if start is None else self.lead + start + 1
        return ExpressionError(message, fragment=fragment, column=column)

    def whole(self, message: str) -> ExpressionError:
        """An error about the whole expression (its size or nesting)."""
        fragment = self.short.removesuffix("…")
        return ExpressionError(message, fragment=fragment, column=self.lead + 1)

    def char(self, byte_offset: int) -> int:
        return len(self.body_bytes[:byte_offset].decode("utf-8", errors="ignore"))

    def span(self, node: ast.expr | ast.keyword) -> tuple[int, int]:
        """Start and end character index of ``node`` in ``body``."""
        # ast positions count UTF-8 bytes; messages and columns count characters.
        return self.char(node.col_offset), self.char(node.end_col_offset or node.col_offset)

    def segment(self, node: ast.expr | ast.keyword) -> tuple[str, int]:
        """The node's text as the user wrote it (line breaks as spaces), and its start."""
        start, end = self.span(node)
        return self.body[start:end], start

    def between(self, left: ast.expr, right: ast.expr) -> tuple[str, int]:
        """The operator written between two nodes (spaces and parentheses dropped)."""
        start, end = self.span(left)[1], self.span(right)[0]
        gap = self.body[start:end]
        operator = gap.strip(" ()")
        return operator, start + gap.index(operator) if operator else start

    def refuse(self, node: ast.expr | ast.keyword, what: str, advice: str = "") -> ExpressionError:
        fragment, start = self.segment(node)
        return self.error(
            f"{what} '{fragment}'{self.where(fragment)} is not allowed{advice}.", fragment, start
        )

    # -- parsing and limits

    def compile(self) -> _Term:
        tree = self.parse()
        self.check_size(tree)
        return self.build(tree.body)

    def parse(self) -> ast.Expression:
        if not self.body:
            raise ExpressionError(
                f"empty expression; write a formula in {', '.join(self.variables) or 'numbers'}.",
                fragment="",
            )
        if "#" in self.body:
            start = self.body.index("#")
            raise self.error(
                f"'#' in '{self.short}' is not allowed; formulas have no comments.", "#", start
            )
        self.check_brackets()
        try:
            with warnings.catch_warnings():
                # The parser warns about e.g. "1if x else 2"; pytest would turn that into an error.
                warnings.simplefilter("ignore")
                return ast.parse(self.body, mode="eval")
        except SyntaxError as error:
            raise self.malformed(error) from None
        except (RecursionError, MemoryError):
            raise self.whole(
                f"expression '{self.short}' is nested too deeply (the limit is {MAX_DEPTH} levels)."
            ) from None
        except ValueError as error:  # e.g. null bytes on older Pythons
            raise self.whole(f"malformed expression '{self.short}': {error}.") from None

    def check_brackets(self) -> None:
        # Python's own limit is 200 brackets, and its message speaks of parentheses in code.
        depth = 0
        for index, c in enumerate(self.body):
            depth += (c in "([{") - (c in ")]}")
            if depth > MAX_DEPTH:
                raise self.error(
                    f"expression '{self.short}' is nested too deeply "
                    f"(more than {MAX_DEPTH} levels of brackets).",
                    self.short.removesuffix("…"),
                    index,
                )

    def malformed(self, error: SyntaxError) -> ExpressionError:
        # Python's reasons can run on ("invalid syntax. Perhaps you forgot a comma?"), with
        # hints meant for code; the first sentence is the useful part.
        reason = (error.msg or "invalid syntax").split(". ")[0].rstrip(".")
        start = (error.offset or 0) - 1
        if error.lineno in (None, 1) and 0 <= start < len(self.body):
            end = (error.end_offset or 0) - 1
            if error.end_lineno not in (None, 1) or not start < end <= len(self.body):
                end = start + 1
            place = f"at column {self.lead + start + 1}"
        else:
            end = len(self.body)
            start = max(0, end - 10)
            place = "at the end"
        fragment = self.body[start:end]
        return self.error(
            f"malformed expression '{self.short}': {reason} {place} ('{fragment}').",
            fragment,
            start,
        )

    def check_size(self, tree: ast.Expression) -> None:
        # Iterative, so a pathological tree cannot exhaust Python's stack before it is refused.
        nodes = 0
        deepest = 0
        stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, ast.expr):
                nodes += 1
                deepest = max(deepest, depth)
                depth += 1
            stack.extend((child, depth) for child in ast.iter_child_nodes(node))
        if nodes > MAX_NODES:
            raise self.whole(
                f"expression '{self.short}' is too large ({nodes} parts; the limit is {MAX_NODES})."
            )
        if deepest > MAX_DEPTH:
            raise self.whole(
                f"expression '{self.short}' is nested too deeply "
                f"({deepest} levels; the limit is {MAX_DEPTH})."
            )

    # -- building

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
        what, advice = _REFUSED.get(type(node), ("construct", ""))
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
                f"function '{node.id}'{self.where(fragment)} must be called, "
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
            f"unknown name '{node.id}'{self.where(fragment)}; this expression may use "
            f"{variables} and the constants {', '.join(CONSTANTS)}.{hint}",
            fragment,
            start,
        )

    def binary(self, node: ast.BinOp) -> _Term:
        if isinstance(node.op, ast.Pow):
            base = self.build(node.left)
            return _fold(_power(self.exponent(node)), [base])
        if type(node.op) not in _BINARY:
            symbol, start = self.between(node.left, node.right)
            advice = "use ** for powers" if isinstance(node.op, ast.BitXor) else "use + - * / **"
            raise self.error(
                f"operator '{symbol}' in '{self.short}' is not allowed; {advice}.", symbol, start
            )
        left, right = self.build(node.left), self.build(node.right)
        return _fold(_BINARY[type(node.op)], [left, right])

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
        if type(node.op) not in _UNARY:
            start = self.span(node)[0]
            symbol = self.body[start]
            raise self.error(
                f"operator '{symbol}' in '{self.short}' is not allowed; use + - * / **.",
                symbol,
                start,
            )
        return _fold(_UNARY[type(node.op)], [self.build(node.operand)])

    def compare(self, node: ast.Compare) -> _Term:
        if len(node.ops) > 1:
            fragment, start = self.segment(node)
            raise self.error(
                f"chained comparison '{fragment}'{self.where(fragment)} is not allowed; compare "
                "two values at a time, e.g. (0 < x) * (x < 1).",
                fragment,
                start,
            )
        if type(node.ops[0]) not in _COMPARISONS:
            symbol, start = self.between(node.left, node.comparators[0])
            raise self.error(
                f"operator '{symbol}' in '{self.short}' is not allowed; "
                "use <, <=, >, >=, == or !=.",
                symbol,
                start,
            )
        self.complex_safe = False
        left, right = self.build(node.left), self.build(node.comparators[0])
        return _fold(_comparison(_COMPARISONS[type(node.ops[0])]), [left, right])

    def call(self, node: ast.Call) -> _Term:
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
                f"unknown function '{name}'{self.where(fragment)}; allowed: "
                f"{', '.join(sorted(FUNCTIONS))}.{_did_you_mean(name, sorted(FUNCTIONS))}",
                fragment,
                start,
            )
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
