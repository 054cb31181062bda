"""Fuzzing everything a config file can contain, each example bounded against hangs.

Properties:

- any bytes in a `.yaml` file: `load_config` returns a Config or raises BackpropCheckError (its
  message one line, naming the file), never another exception, never a hang;
- any YAML tree (biased towards the real keys and plausible values), dumped with
  `yaml.safe_dump`: the same, and through `bpcheck run` exit status 0, 1 or 2 with no traceback;
- any text as a formula: `compile_expression` returns an Expression or raises ExpressionError
  (one line), and a compiled formula evaluates on float64 arrays to an array of their shape,
  without raising or warning (NaN and infinity allowed).

Profiles: see tests/conftest.py (`ci`, the default: 300 to 500 examples per property;
`long`: 20,000). No example has a deadline; a hard stop (see `helpers.hard_deadline`) turns a
real hang into a failure instead of a stuck suite.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from backprop_check import Config, load_config
from backprop_check.cli import main
from backprop_check.core.activations import ACTIVATIONS
from backprop_check.core.losses import LOSS_ALIASES, LOSSES
from backprop_check.errors import BackpropCheckError, ConfigError
from backprop_check.numeric.finite_differences import METHODS
from backprop_check.spec.formulas import (
    CONSTANTS,
    FUNCTIONS,
    Expression,
    ExpressionError,
    compile_expression,
)
from backprop_check.spec.schema import (
    CHECK_KEYS,
    DATA_KEYS,
    DTYPES,
    INIT_SCHEMES,
    KINK_POLICIES,
    LAYER_KEYS,
    LOSS_FORMULA_KEYS,
    TOP_LEVEL_KEYS,
)

from .helpers import CONFIGS, CORPUS, HANG_LIMIT, ROOT, crash, examples, hard_deadline

pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis")
from hypothesis import example, given, settings
from hypothesis import strategies as st


def budget(ci: int, long: int = 20_000) -> settings:
    """The profile's settings (tests/conftest.py) with this property's number of examples."""
    return settings(max_examples=examples(ci=ci, long=long))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every example's file (hypothesis reruns a test body many times)."""
    return tmp_path_factory.mktemp("fuzz")


# ----------------------------------------------------------------------------- strategies


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any], tenths: int = 8) -> Any:
    """``valid`` in ``tenths`` draws of ten, else ``other``."""
    return st.integers(0, 9).flatmap(lambda draw: valid if draw < tenths else other)


# Lone surrogates are valid in a Python str and in a YAML escape ("\ud800"), but hypothesis's
# default alphabet leaves them out; a quarter of the texts may hold them.
characters = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr))
any_text = mostly(st.text(max_size=40), st.text(characters, max_size=40), 7)

TOP_KEYS = list(TOP_LEVEL_KEYS)
INNER_KEYS = [*LAYER_KEYS, *CHECK_KEYS, *DATA_KEYS, *LOSS_FORMULA_KEYS, "swish", "huber"]
MISSPELT_KEYS = ["layer", "unit", "activaton", "epsilon", "row", "dff", "lose", "", " ", "<<"]
keys = st.one_of(st.sampled_from(TOP_KEYS + INNER_KEYS + MISSPELT_KEYS), any_text)

NAMES = sorted(
    {
        *ACTIVATIONS,
        *LOSSES,
        *LOSS_ALIASES,
        *METHODS,
        *DTYPES,
        *INIT_SCHEMES,
        *KINK_POLICIES,
        "float16",
        "sum",
        "mean",
        "swish",
        "huber",
        "species",
        "setosa",
        "versicolor",
        "virginica",
        "y",
        "sigmod",
        "Softmax",
        "cross-entropy",
    }
)
FORMULAS = [
    "x * sigmoid(x)",
    "sigmoid(x) * (1 + x * (1 - sigmoid(x)))",
    "log1p(exp(x))",
    "where(x > 0, x, 0.01 * x)",
    "where(abs(yhat - y) < 1, 0.5 * (yhat - y)**2, abs(yhat - y) - 0.5)",
    "where(abs(yhat - y) < 1, yhat - y, sign(yhat - y))",
    "(yhat - y)**2",
    "2 * (yhat - y)",
    "log(x)",
    "1 / x",
    "exp(1000 * x)",
    "0 / 0",
    "x",
    "1",
    "__import__('os')",
    "().__class__",
    "9**9**9",
    "x *",
    "sigmod(x)",
]
# Files a config may name: real ones (absolute, so they resolve from the fuzz folder), bad ones
# from the corpus, and names that do not exist.
DATA_PATHS = [
    str(ROOT / "configs" / "data" / "iris.csv"),
    str(ROOT / "configs" / "data" / "relu_kinks.npz"),
    *(str(path) for path in sorted((CORPUS / "data").iterdir()) if path.suffix),
    str(CORPUS),
    "batch.npz",
    "data.csv",
    "missing.txt",
    "",
]
names = st.sampled_from(NAMES)
formulas = st.sampled_from(FORMULAS)
strings = st.one_of(names, formulas, st.sampled_from(DATA_PATHS), any_text)

SPECIAL_INTS = [0, -1, 1, 2, 3, 10**9, 2**63, 10**400]
SPECIAL_FLOATS = [
    0.0,
    -0.0,
    1e-6,
    1e-5,
    1e-20,
    -1e-6,
    0.5,
    1.0,
    1e300,
    math.nan,
    math.inf,
    -math.inf,
]


def integers(*, wild: bool) -> st.SearchStrategy[int]:
    """Small sizes mostly. ``wild`` adds every integer; without it the sizes are small or absurd
    (≥ 10⁹, which the memory guard refuses), never a middle size a real check would chew on."""
    choices = [st.integers(-2, 12), st.sampled_from(SPECIAL_INTS)]
    return st.one_of(*choices, st.integers()) if wild else st.one_of(*choices)


def floats() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats())


def scalars(*, wild: bool) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), integers(wild=wild), floats(), strings)


def trees(*, wild: bool) -> st.SearchStrategy[Any]:
    """Arbitrary YAML-able trees whose keys are mostly the config's own."""
    return st.recursive(
        scalars(wild=wild),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=20,
    )


def plausible_configs(*, wild: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Configs shaped like the docs' examples, mostly valid part by part, so the fuzzing reaches the
    later checks (the pairing of layers and loss, data files, formulas, the memory guard, a run)."""
    anything = trees(wild=wild)
    sizes = mostly(st.integers(1, 8), integers(wild=wild), 9)
    layer = st.fixed_dictionaries(
        {
            "units": mostly(sizes, anything, 9),
            "activation": mostly(st.sampled_from(["relu", "sigmoid", "tanh", "swish"]), names),
        }
    )
    output = st.fixed_dictionaries(
        {
            "units": mostly(sizes, anything, 9),
            "activation": mostly(st.sampled_from(["softmax", "sigmoid", "linear"]), names),
        }
    )
    layers = mostly(
        st.tuples(st.lists(layer, max_size=3), output).map(lambda t: [*t[0], t[1]]),
        st.lists(mostly(layer, anything, 9), max_size=4),
    )

    def formula_entry(valid: list[str], *, loss: bool) -> st.SearchStrategy[dict[str, Any]]:
        text = mostly(st.sampled_from(valid), st.one_of(formulas, anything))
        reduce = mostly(st.sampled_from(["sum", "mean"]), names)
        return st.fixed_dictionaries(
            {"f": text, "df": text}, optional={"reduce": reduce} if loss else {}
        )

    number = mostly(floats(), st.one_of(integers(wild=wild), strings), 7)
    check = st.fixed_dictionaries(
        {},
        optional={
            "method": mostly(st.sampled_from(list(METHODS)), names),
            "eps": number,
            "rtol": number,
            "atol": number,
            "sample": sizes,
            "directions": sizes,
            "kinks": mostly(st.sampled_from(["report", "fail", "bracket"]), names),
        },
    )
    data = st.fixed_dictionaries(
        {"path": st.sampled_from(DATA_PATHS)},
        optional={
            "rows": sizes,
            "target": mostly(st.sampled_from(["species", "y"]), names),
            "classes": st.lists(names, max_size=3),
            "standardize": mostly(st.booleans(), anything),
            "shuffle": mostly(st.booleans() | sizes, anything),
        },
    )
    return st.fixed_dictionaries(
        {
            "input_size": sizes,
            "layers": layers,
            "loss": mostly(st.sampled_from(["mse", "bce", "cce", "huber"]), names),
        },
        optional={
            "batch_size": sizes,
            "seed": mostly(sizes, integers(wild=True)),
            "init": mostly(st.sampled_from(["auto", "he", "xavier", "normal"]), names),
            "dtype": mostly(st.sampled_from(["float64", "float32"]), names),
            "check": mostly(check, anything),
            "data": mostly(anything, data, 6),
            "activations": mostly(
                st.fixed_dictionaries({"swish": formula_entry(FORMULAS[:4], loss=False)}),
                st.dictionaries(st.sampled_from(["relu", "1x", "soft plus"]), anything),
            ),
            "losses": mostly(
                st.fixed_dictionaries({"huber": formula_entry(FORMULAS[4:8], loss=True)}),
                st.dictionaries(st.sampled_from(["mse", "l1"]), anything),
            ),
        },
    )


def configs(*, wild: bool) -> st.SearchStrategy[Any]:
    return st.one_of(plausible_configs(wild=wild), trees(wild=wild))


@st.composite
def mangled(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """``base`` with a few bytes deleted, inserted or replaced."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["delete", "insert", "replace"]))
        piece = draw(st.one_of(st.binary(min_size=1, max_size=4), st.sampled_from(YAML_BITS)))
        if edit == "delete":
            del data[at : at + len(piece)]
        elif edit == "insert":
            data[at:at] = piece
        else:
            data[at : at + len(piece)] = piece
    return bytes(data)


YAML_BITS = [
    b"\t",
    b"\n",
    b"\n  ",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"'",
    b'"',
    b"&a ",
    b"*a",
    b"<<: ",
    b"!!python/name:os.system ",
    b"!!binary ",
    b"? ",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"#",
    b".nan",
    b".inf",
    b"1e300",
    b"\\ud800",
    b"\\0",
    b"\xff",
    b"\xef\xbb\xbf",
]
# Seeds for the byte fuzzing: the shipped configs and the bad-input corpus.
SEED_FILES = [path.read_bytes() for path in CONFIGS] + [
    path.read_bytes() for path in sorted(CORPUS.glob("*.yaml")) if path.is_file()
]
config_bytes = st.one_of(
    st.binary(max_size=2000),
    mangled(st.sampled_from(SEED_FILES)),
    mangled(st.text(characters, max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))),
)


# Inputs the fuzzing found, kept as explicit examples so every run tries them.
_NET: dict[str, Any] = {
    "input_size": 4,
    "layers": [{"units": 3, "activation": "linear"}],
    "loss": "mse",
}
_SWISH_DF = "sigmoid(x) * (1 + x * (1 - sigmoid(x)))"


def dump(tree: Any) -> str:
    return yaml.safe_dump(tree, width=10**9, allow_unicode=False)


# ----------------------------------------------------------------------------- load_config


def assert_loads_or_refuses(path: Path) -> None:
    """``load_config`` gives a Config or a BackpropCheckError naming the file in one line."""
    refusal: BackpropCheckError | None = None
    try:
        with hard_deadline(HANG_LIMIT):
            config = load_config(path)
    except BackpropCheckError as error:
        refusal = error
    if refusal is None:
        assert isinstance(config, Config)
        return
    message = str(refusal)
    assert "\n" not in message, message
    if isinstance(refusal, ConfigError):
        assert refusal.source == str(path), message
        assert message.startswith(str(path)), message


@budget(ci=500)
@given(data=config_bytes)
@example(data=b"\x00")  # a control character: PyYAML's ReaderError
@example(data=b"seed: &a [*a]\n")  # an anchor inside itself: RecursionError
@example(data=b"[" * 3000)  # nesting: RecursionError in PyYAML's composer
@example(data=b"seed: " + b"1" * 5000)  # int('1' * 5000) exceeds Python's digit limit
@example(data=b"? [&a [lol, lol, lol], [*a, *a, *a], [[*a, *a], [*a, *a]]]\n: 1\n")  # key alias
@example(data=b"a: &b {k: 1}\nc: {<<: [*b, *b], k: 2}\n")  # merges with an override
@example(data=b"x: [" * 40 + b"\n")  # nesting refused on the text, before the parser
@example(data=b"seed: 1e400\n")  # beyond the largest float
def test_any_bytes_load_or_are_refused_cleanly(folder: Path, data: bytes) -> None:
    path = folder / "bytes.yaml"
    path.write_bytes(data)
    assert_loads_or_refuses(path)


@budget(ci=500)
@given(tree=configs(wild=True))
@example(tree={**_NET, "check": {"rtol": 10**400}})  # float(int) overflows
@example(tree={**_NET, "batch\nsize": 4})  # the key's line break splits the message
@example(tree={**_NET, "activations": {"s": {"f": "x\ud800", "df": "1"}}})  # a lone surrogate
def test_any_yaml_tree_loads_or_is_refused_cleanly(folder: Path, tree: Any) -> None:
    path = folder / "tree.yaml"
    path.write_text(dump(tree), encoding="utf-8")
    assert_loads_or_refuses(path)


@budget(ci=300)
@given(tree=configs(wild=False))
@example(tree={**_NET, "layers": [{"units": 10**400, "activation": "linear"}]})  # overflow
@example(tree={**_NET, "layers": [{"units": 1, "activation": "softmax"}], "loss": "bce"})
@example(tree={**_NET, "check": {"eps": 1e300}})  # numpy warnings on stderr
def test_any_yaml_tree_through_the_cli_exits_0_1_or_2(folder: Path, tree: Any) -> None:
    path = folder / "cli.yaml"
    path.write_text(dump(tree), encoding="utf-8")
    with hard_deadline(HANG_LIMIT):
        result = CliRunner().invoke(main, ["run", str(path)])
    escaped = crash(result)
    assert not escaped, f"an exception escaped the command:\n{escaped}"
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith(f"Error: {path}"), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr


# ----------------------------------------------------------------------------- formulas

TOKENS = [
    *FUNCTIONS,
    *CONSTANTS,
    "x",
    "y",
    "yhat",
    "0",
    "1",
    "2.5",
    "8",
    "9",
    "1e308",
    "1e-320",
    "0x1f",
    "1_000",
    "1j",
    "inf",
    "nan",
    "+",
    "-",
    "*",
    "/",
    "**",
    "%",
    "//",
    "@",
    "~",
    "<",
    ">=",
    "==",
    "!=",
    "=",
    ":=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ":",
    ";",
    "'",
    '"',
    "_",
    "__",
    "__class__",
    "__import__",
    "not",
    "and",
    "if",
    "else",
    "lambda",
    "for",
    "in",
    "#",
    "\\",
    " ",
    "\n",
    "\t",
    "\x00",
    "\ud800",
]
token_text = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
    st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join),
)
numbers = st.one_of(
    st.integers(0, 10),
    st.sampled_from(["0.5", "1e-3", "1e308", "1e-320", "8", "-8", "0", "pi", "e"]),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(repr),
)


def _expressions(variables: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Mostly well-formed formulas, so evaluation gets fuzzed too."""
    leaves = st.one_of(st.sampled_from(variables), numbers.map(str))
    unary = sorted(name for name, f in FUNCTIONS.items() if f.arity == 1)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "<", ">=", "=="]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda a: f"-{a}"),
            st.tuples(inner, st.sampled_from(["2", "3", "0.5", "-1", "-8", "8", "0"])).map(
                lambda t: f"({t[0]})**{t[1]}"
            ),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["maximum", "minimum"]), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            st.tuples(st.sampled_from(["where", "clip"]), inner, inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]}, {t[3]})"
            ),
        )

    return st.recursive(leaves, extend, max_leaves=12)


def _mangle_text(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return mangled(base.map(lambda t: t.encode("utf-8", "surrogatepass"))).map(
        lambda b: b.decode("utf-8", "surrogateescape")
    )


def formula_texts(variables: tuple[str, ...]) -> st.SearchStrategy[str]:
    grammar = _expressions(variables)
    return st.one_of(
        st.text(max_size=60),
        st.text(characters, max_size=60),
        token_text,
        grammar,
        grammar,
        _mangle_text(grammar),
        # Around the 1,000-character limit (refused before parsing): a random head, then filler.
        st.tuples(any_text, st.integers(990, 1010)).map(lambda t: (t[0] + " + x" * 300)[: t[1]]),
    )


# Where a formula is evaluated: every sign and size, zeros of both signs, subnormals and the
# non-finite values a forward pass can carry.
_FINITE_POINTS = [-1e308, -40.0, -3.5, -1.0, -0.5, -0.0, 0.0, 5e-324, 1e-300, 0.5, 1.0, 40.0]
POINTS = np.array([*_FINITE_POINTS, 1e308, math.nan, math.inf, -math.inf])
finite_arrays = st.lists(st.floats(width=64), min_size=1, max_size=6).map(np.array)


def assert_compiles_or_refuses(text: str, variables: tuple[str, ...], arrays: list) -> None:
    """An Expression that evaluates cleanly to the inputs' shape, or a one-line ExpressionError."""
    refusal: ExpressionError | None = None
    try:
        with hard_deadline(HANG_LIMIT):
            expression = compile_expression(text, variables=variables)
    except ExpressionError as error:
        refusal = error
    if refusal is not None:
        assert refusal.message, text
        assert "\n" not in refusal.message, refusal.message
        return
    assert isinstance(expression, Expression)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in arrays:
            result = expression(**dict(zip(variables, values, strict=True)))
            assert isinstance(result, np.ndarray), type(result)
            assert result.shape == np.broadcast_shapes(*(v.shape for v in values)), text
            assert result.dtype == np.float64, (text, result.dtype)


@budget(ci=500)
@given(text=formula_texts(("x",)), drawn=finite_arrays)
@example(text="x * \ud800", drawn=np.zeros(1))  # a lone surrogate: UnicodeEncodeError
@example(text="x\n" + " + x" * 300, drawn=np.zeros(1))  # too long, quoted with its line break
def test_any_text_compiles_to_a_formula_or_is_refused(text: str, drawn: np.ndarray) -> None:
    assert_compiles_or_refuses(
        text, ("x",), [(POINTS,), (POINTS.reshape(1, -1)[:, :12],), (drawn,)]
    )


@budget(ci=300)
@given(text=formula_texts(("yhat", "y")), drawn=finite_arrays)
def test_any_loss_text_compiles_or_is_refused(text: str, drawn: np.ndarray) -> None:
    column = POINTS.reshape(-1, 1)
    assert_compiles_or_refuses(
        text, ("yhat", "y"), [(POINTS, POINTS[::-1]), (column, POINTS), (drawn, drawn[::-1])]
    )
