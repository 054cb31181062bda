"""The ``impl:`` block (your own backward and the conventions it keeps) and ``regularization:``.

    impl:
      file: network.py      # relative to the config
      backward: backward    # backward(weights, biases, x, y)
      layout: rows          # rows: x (batch, inputs) | columns: x (inputs, batch)
      per_sample: false     # true: called once per sample, one row (1, n) or column (n, 1)
      weights: out_in       # out_in: W^j (units_j, units_{j-1}) | in_out: its transpose
      biases: flat          # flat (n,) | column (n, 1) | row (1, n)
      labels: one_hot       # one_hot | index (categorical cross-entropy only)
      returns: [dW, db]     # any order of dW, db and optionally phi and loss
      reduce: mean          # your gradients are of the mean (or sum) of the per-sample losses
      loss: null            # optional: loss(weights, biases, x, y) -> float, same conventions
    regularization: {l2: 0.05}     # or {half_l2: λ}: adds λ Σ‖W‖² (or (λ/2) Σ‖W‖²) to the loss

The tables below are what each key may hold; :mod:`backprop_check.judge.conventions` gives each
choice its meaning. Every problem is a :class:`~backprop_check.errors.BackpropCheckError` keyed by
the path to blame; the config reader locates it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.regularization import PENALTIES, Regularization
from ..errors import BackpropCheckError, KeyPath
from .keys import Key
from .schema import check_keys, choice, describe, positive_float, require_mapping

__all__ = [
    "BIAS_SHAPES",
    "IMPL_DEFAULTS",
    "IMPL_KEYS",
    "LABEL_FORMS",
    "LAYOUTS",
    "REDUCTIONS",
    "REGULARIZATION_KEYS",
    "RESULTS",
    "SCHEMA_KEYS",
    "WEIGHT_ORIENTATIONS",
    "ImplSpec",
    "validate_impl",
    "validate_regularization",
]

LAYOUTS = ("rows", "columns")
WEIGHT_ORIENTATIONS = ("out_in", "in_out")
BIAS_SHAPES = ("flat", "column", "row")
LABEL_FORMS = ("one_hot", "index")
REDUCTIONS = ("mean", "sum")
# What backward may return, in the order the user's code returns them; dW and db are required.
RESULTS = ("dW", "db", "phi", "loss")
REQUIRED_RESULTS = ("dW", "db")
REGULARIZATION_KEYS = tuple(PENALTIES)

# The keys of impl:, exactly, with their defaults: what `--impl FILE` alone means.
IMPL_DEFAULTS: dict[str, Any] = {
    "file": "network.py",
    "backward": "backward",
    "layout": "rows",
    "per_sample": False,
    "weights": "out_in",
    "biases": "flat",
    "labels": "one_hot",
    "returns": ["dW", "db"],
    "reduce": "mean",
    "loss": None,
}
IMPL_KEYS = tuple(IMPL_DEFAULTS)
# What each key is, for the JSON Schema and the key reference (their values: the tables above).
_HELP = {
    "file": "your code, relative to this config (--impl FILE overrides it)",
    "backward": "the function of that file: backward(weights, biases, x, y)",
    "layout": "samples as rows, x (batch, inputs), or as columns, x (inputs, batch)",
    "per_sample": "whether backward is called once per sample (true) or once per batch",
    "weights": "each W^j as out_in (units_j, units_{j-1}) or in_out, its transpose",
    "biases": "each b^j as flat (n,), column (n, 1) or row (1, n)",
    "labels": "one-hot rows, or index: an integer class per sample (categorical cross-entropy)",
    "returns": "the order of backward's results; optionally phi and loss",
    "reduce": "your gradients (and loss) are of the mean or the sum of the per-sample losses",
    "loss": "optional: the function loss(weights, biases, x, y) -> float, same conventions",
}
_CHOICES: dict[str, tuple[tuple[str, ...], str]] = {
    "layout": (LAYOUTS, "layout"),
    "weights": (WEIGHT_ORIENTATIONS, "weight orientation"),
    "biases": (BIAS_SHAPES, "bias shape"),
    "labels": (LABEL_FORMS, "label form"),
    "reduce": (REDUCTIONS, "reduction"),
}


def _schema_key(name: str, default: Any) -> Key:
    if name in _CHOICES:
        return Key(name, "choice", _HELP[name], default=default, choices=_CHOICES[name][0])
    if name == "returns":
        return Key(name, "subset", _HELP[name], default=default, choices=RESULTS)
    if name == "per_sample":
        return Key(name, "flag", _HELP[name], default=default)
    if name == "loss":
        return Key(name, "optional_name", _HELP[name])
    return Key(name, "text", _HELP[name], default=default)


# The top-level sections this module validates, as the JSON Schema lists them.
SCHEMA_KEYS = (
    Key("impl", "section", "your own backward and the conventions it keeps",
        keys=tuple(_schema_key(name, default) for name, default in IMPL_DEFAULTS.items())),
    Key("regularization", "section", "an L2 penalty on the weights, added once to the loss",
        keys=tuple(Key(p.name, "number", f"λ: adds {p.formula.removeprefix('R = ')} to the loss")
                   for p in PENALTIES.values()),
        exclusive=REGULARIZATION_KEYS),
)  # fmt: skip


@dataclass(frozen=True)
class ImplSpec:
    """Your code and its conventions, as ``impl:`` declares them (defaults: the tool's own).

    ``file`` is resolved against the config's folder; ``declared`` names the keys the config
    wrote, so that a message can tell "you declared" from "the default is".
    """

    file: Path
    backward: str = "backward"
    layout: str = "rows"
    per_sample: bool = False
    weights: str = "out_in"
    biases: str = "flat"
    labels: str = "one_hot"
    returns: tuple[str, ...] = ("dW", "db")
    reduce: str = "mean"
    loss: str | None = None
    declared: frozenset[str] = frozenset()

    def with_file(self, file: str | Path) -> ImplSpec:
        """The same conventions for another file (``--impl FILE`` overrides ``impl.file``)."""
        return dataclasses.replace(self, file=Path(file), declared=self.declared - {"file"})

    @property
    def returns_loss(self) -> bool:
        return "loss" in self.returns

    @property
    def returns_phi(self) -> bool:
        return "phi" in self.returns


def validate_impl(
    value: Any, folder: Path, *, loss: str, regularization: Regularization | None
) -> ImplSpec:
    """``impl:`` as an :class:`ImplSpec`; ``loss`` is the config's (canonical) loss name."""
    block = require_mapping(
        value, ("impl",), "a mapping with keys such as file, backward, layout, weights"
    )
    check_keys(block, IMPL_KEYS, ("impl",))
    values: dict[str, Any] = {}
    for key, (choices, what) in _CHOICES.items():
        if key in block:
            values[key] = choice(block[key], choices, ("impl", key), what)
    for key in ("file", "backward", "loss"):
        if key in block and not (key == "loss" and block[key] is None):
            values[key] = _name(block[key], key)
    if "per_sample" in block:
        values["per_sample"] = _flag(block["per_sample"], ("impl", "per_sample"))
    if "returns" in block:
        values["returns"] = _returns(block["returns"])
    spec = ImplSpec(
        file=folder / values.pop("file", IMPL_DEFAULTS["file"]),
        declared=frozenset(block),
        **values,
    )
    _check_together(spec, loss=loss, regularization=regularization)
    return spec


def validate_regularization(value: Any) -> Regularization:
    """``regularization: {l2: λ}`` or ``{half_l2: λ}``, exactly one, λ a finite number ≥ 0."""
    what = "a mapping with one key, l2 or half_l2, such as {l2: 0.05}"
    block = require_mapping(value, ("regularization",), what)
    check_keys(block, REGULARIZATION_KEYS, ("regularization",))
    if len(block) != 1:
        found = "none" if not block else ", ".join(block)
        raise BackpropCheckError(
            f"expected exactly one of {', '.join(REGULARIZATION_KEYS)}, found {found}: "
            "l2: λ adds λ Σ‖W‖² to the loss, half_l2: λ adds (λ/2) Σ‖W‖².",
            key_path=("regularization",),
        )
    (kind, strength), *_ = block.items()
    return Regularization(kind, positive_float(strength, ("regularization", kind)))


def _name(value: Any, key: str) -> str:
    """A file name (``file``) or the name of a function in it (``backward``, ``loss``)."""
    path: KeyPath = ("impl", key)
    if key == "file":
        if not isinstance(value, str) or not value.strip():
            raise BackpropCheckError(
                f"expected the path of a Python file, relative to this config, found "
                f"{describe(value)}.",
                key_path=path,
            )
        return value
    if not isinstance(value, str) or not value.isidentifier():
        raise BackpropCheckError(
            f"expected the name of a function in impl.file, such as {IMPL_DEFAULTS['backward']}"
            f"{' or loss' if key == 'loss' else ''}, found {describe(value)}.",
            key_path=path,
        )
    return value


def _flag(value: Any, path: KeyPath) -> bool:
    if not isinstance(value, bool):
        raise BackpropCheckError(f"expected true or false, found {describe(value)}.", key_path=path)
    return value


def _returns(value: Any) -> tuple[str, ...]:
    """Any order of dW, db and optionally phi and loss, each at most once."""
    path: KeyPath = ("impl", "returns")
    expected = "a list such as [dW, db] (any order of dW, db and optionally phi and loss)"
    if not isinstance(value, list) or not value:
        raise BackpropCheckError(f"expected {expected}, found {describe(value)}.", key_path=path)
    for index, item in enumerate(value):
        choice(item, RESULTS, (*path, index), "result")
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        raise BackpropCheckError(
            f"lists {', '.join(repeated)} more than once; expected {expected}.", key_path=path
        )
    missing = [item for item in REQUIRED_RESULTS if item not in value]
    if missing:
        raise BackpropCheckError(
            f"does not list {' and '.join(missing)}; expected {expected}.", key_path=path
        )
    return tuple(value)


def _check_together(spec: ImplSpec, *, loss: str, regularization: Regularization | None) -> None:
    """Keys that are each fine but do not fit together, or with the rest of the config."""
    if spec.labels == "index" and loss != "categorical_crossentropy":
        raise BackpropCheckError(
            f"index labels (one integer class per sample) need loss: categorical_crossentropy; "
            f"this config's loss is {loss}. Use labels: one_hot.",
            key_path=("impl", "labels"),
        )
    if spec.loss is not None and spec.returns_loss:
        raise BackpropCheckError(
            "impl.loss names a loss function while returns lists loss too; declare the loss "
            "once: either impl.loss or loss in returns.",
            key_path=("impl", "loss"),
        )
    if spec.per_sample and regularization is not None:
        raise BackpropCheckError(
            "per_sample: true cannot be checked with regularization: code called once per "
            "sample has no batch to add the penalty to once. Leave regularization out (the "
            "per-sample backward is checked without it), or check a whole-batch backward.",
            key_path=("regularization",),
        )
