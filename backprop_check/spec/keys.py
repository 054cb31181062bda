"""Every key a config may hold, once: its kind, bounds, choices, default and a line of help.

The loader's key lists (:data:`~backprop_check.spec.schema.TOP_LEVEL_KEYS` and friends) are read
from these tables, and so is the JSON Schema ``bpcheck schema`` prints
(:mod:`backprop_check.spec.json_schema`), so that an editor's completion, the reference in
docs/config.md and what the loader accepts are one list.

A :class:`Key`'s ``kind`` says what its value is (see :data:`KINDS`); a section's keys are its
``keys``: a ``section``'s own, a ``list``'s item's, or, for ``named``, each named entry's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.activations import ACTIVATIONS
from ..core.losses import LOSS_ALIASES
from ..numeric.finite_differences import DTYPES as _DTYPE_TABLE
from ..numeric.finite_differences import KINK_POLICIES as _KINK_POLICY_TABLE
from ..numeric.finite_differences import METHODS

__all__ = [
    "CHECK",
    "DATA",
    "DEFAULT_BATCH_SIZE",
    "DTYPES",
    "FORMULA",
    "INIT_SCHEMES",
    "KINDS",
    "KINK_POLICIES",
    "LAYER",
    "LOSS_FORMULA",
    "MAX_SEED",
    "MAX_SIZE",
    "REDUCTIONS",
    "TOP_LEVEL",
    "Key",
    "key_names",
    "required_names",
]

INIT_SCHEMES = ("auto", "he", "xavier", "normal")
# The numeric tables are the truth; spec validates against their names.
DTYPES = tuple(_DTYPE_TABLE)
KINK_POLICIES = tuple(_KINK_POLICY_TABLE)
REDUCTIONS = ("sum", "mean")
DEFAULT_BATCH_SIZE = 8
# Sizes beyond these are typos, not networks: refused before anything is estimated or allocated.
MAX_SIZE = 10_000_000
MAX_SEED = 2**63 - 1

# What a value of each kind is, in words; json_schema gives each its JSON Schema.
KINDS: Mapping[str, str] = {
    "whole": "a whole number",
    "number": "a finite number ≥ 0",
    "step": "a number in (0, 1)",
    "choice": "one of the listed words",
    "name": "a built-in name or one this config defines",
    "text": "a non-empty text",
    "optional_name": "a name (letters, digits, _) or null",
    "subset": "a list of distinct words from the listed ones",
    "label": "a column name or label (text or number)",
    "flag": "true or false",
    "flag_or_seed": "true, false or a whole number (the order's random seed)",
    "labels": "a non-empty list of distinct labels",
    "formula": "a formula (text)",
    "section": "a mapping of the keys below",
    "list": "a non-empty list of mappings of the keys below",
    "named": "a mapping of names (letters, digits, _) to mappings of the keys below",
}


@dataclass(frozen=True)
class Key:
    """One key of a config: ``name``, what its value is (``kind``) and its limits.

    ``choices`` are a ``choice``'s words (or a ``name``'s built-in names); ``minimum`` and
    ``maximum`` a ``whole`` number's bounds; ``keys`` a section's keys; ``exclusive`` the keys
    of a section of which at most one may be given.
    """

    name: str
    kind: str
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    keys: tuple[Key, ...] = ()
    exclusive: tuple[str, ...] = ()
    anchor: str = ""


def key_names(keys: tuple[Key, ...]) -> tuple[str, ...]:
    """The names of ``keys``, in their order."""
    return tuple(key.name for key in keys)


def required_names(keys: tuple[Key, ...]) -> tuple[str, ...]:
    """The names of the required ``keys``, in their order."""
    return tuple(key.name for key in keys if key.required)


LAYER = (
    Key("units", "whole", "neurons in this layer", required=True, minimum=1, maximum=MAX_SIZE),
    Key(
        "activation",
        "name",
        "the layer's σ: a built-in or one of this config's activations (softmax: last layer only)",
        required=True,
        choices=tuple(ACTIVATIONS),
    ),
)
FORMULA = (
    Key("f", "formula", "σ(x), a formula in x", required=True),
    Key("df", "formula", "σ'(x), a formula in x; omit it to have it derived (needs sympy)"),
)
LOSS_FORMULA = (
    Key("f", "formula", "the loss of one output element, a formula in yhat and y", required=True),
    Key("df", "formula", "∂L/∂yhat, a formula in yhat and y; omit it to have it derived"),
    Key("reduce", "choice", "over the output units", default="sum", choices=REDUCTIONS),
)
DATA = (
    Key("path", "text", ".npz (x, y, optionally W1…, b1…) or .csv, relative to the config",
        required=True),
    Key("rows", "whole", "the first rows to use (default: batch_size, else up to 8)",
        minimum=1, maximum=MAX_SIZE),
    Key("target", "label", "CSV only, required there: the column that holds the labels"),
    Key("classes", "labels", "CSV only: keep the rows with these labels"),
    Key("standardize", "flag", "features to mean 0, std 1 over the rows read", default=False),
    Key("shuffle", "flag_or_seed", "rows in a seeded random order, classes taking turns",
        default=False, maximum=MAX_SEED),
)  # fmt: skip
CHECK = (
    Key("method", "choice", "the finite-difference method", default="central",
        choices=tuple(METHODS)),
    Key("eps", "step", "the step; default: the method's"),
    Key("rtol", "number", "relative tolerance; default: the method's"),
    Key("atol", "number", "absolute tolerance; default: the method's"),
    Key("sample", "whole", "check this many elements per tensor, stratified", minimum=1,
        maximum=MAX_SIZE),
    Key("directions", "whole", "check this many random directions per tensor", minimum=1,
        maximum=MAX_SIZE),
    Key("kinks", "choice", "what a step across a kink of ReLU means", default="report",
        choices=KINK_POLICIES, anchor="relu-kink"),
)  # fmt: skip
TOP_LEVEL = (
    Key("input_size", "whole", "features per sample", required=True, minimum=1,
        maximum=MAX_SIZE),
    Key("layers", "list", "one entry per layer, input to output", required=True, keys=LAYER),
    Key("loss", "name", "a built-in loss (or alias) or one of this config's losses",
        required=True, choices=tuple(LOSS_ALIASES)),
    Key("batch_size", "whole", "samples in the batch", default=DEFAULT_BATCH_SIZE, minimum=1,
        maximum=MAX_SIZE, anchor="batch"),
    Key("seed", "whole", "the random number generator's seed: same seed, same numbers",
        default=0, minimum=0, maximum=MAX_SEED),
    Key("init", "choice", "weight initialisation (auto: He for ReLU, Xavier otherwise)",
        default="auto", choices=INIT_SCHEMES),
    Key("dtype", "choice", "floating-point type of the check", default="float64",
        choices=DTYPES),
    Key("data", "section", "a batch (and parameters) from a file instead of random numbers",
        keys=DATA),
    Key("activations", "named", "your own activations, as formulas in x", keys=FORMULA),
    Key("losses", "named", "your own losses, per output element, in yhat and y",
        keys=LOSS_FORMULA),
    Key("check", "section", "how the gradients are checked", keys=CHECK,
        exclusive=("sample", "directions")),
)  # fmt: skip
