"""What a config may hold: the loader's key lists (read from :mod:`.keys`), and the checks every
value goes through.

Each check raises a :class:`~backprop_check.errors.BackpropCheckError` carrying the key path
to blame; the config reader adds the file, line and column (see :mod:`.config`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import BackpropCheckError, KeyPath, quote_input
from ..numeric.finite_differences import METHODS
from .keys import (
    CHECK,
    DATA,
    DEFAULT_BATCH_SIZE,
    DTYPES,
    FORMULA,
    INIT_SCHEMES,
    KINK_POLICIES,
    LAYER,
    LOSS_FORMULA,
    MAX_SEED,
    MAX_SIZE,
    REDUCTIONS,
    TOP_LEVEL,
    key_names,
    required_names,
)

__all__ = [
    "CHECK_KEYS",
    "DATA_KEYS",
    "DEFAULT_BATCH_SIZE",
    "DTYPES",
    "EXCLUSIVE_CHECK_KEYS",
    "FORMULA_KEYS",
    "INIT_SCHEMES",
    "KINK_POLICIES",
    "LAYER_KEYS",
    "LOSS_FORMULA_KEYS",
    "MAX_SEED",
    "MAX_SIZE",
    "REDUCTIONS",
    "REQUIRED_FORMULA_KEYS",
    "REQUIRED_KEYS",
    "SECTION_KEYS",
    "TOP_LEVEL_KEYS",
    "check_keys",
    "choice",
    "describe",
    "did_you_mean",
    "int_at_least",
    "positive_float",
    "require_mapping",
    "validate_method",
]

# The loader's key lists, read from the key tables in .keys (which the JSON Schema reads too).
# The top-level sections .impl_section validates (impl:, regularization:), whose keys the JSON
# Schema reads from that module's own tables.
SECTION_KEYS = ("impl", "regularization")
TOP_LEVEL_KEYS = key_names(TOP_LEVEL) + SECTION_KEYS
REQUIRED_KEYS = required_names(TOP_LEVEL)
FORMULA_KEYS = key_names(FORMULA)
REQUIRED_FORMULA_KEYS = required_names(FORMULA)
LOSS_FORMULA_KEYS = key_names(LOSS_FORMULA)
DATA_KEYS = key_names(DATA)
LAYER_KEYS = key_names(LAYER)
CHECK_KEYS = key_names(CHECK)
EXCLUSIVE_CHECK_KEYS = next(key.exclusive for key in TOP_LEVEL if key.name == "check")


def describe(value: Any) -> str:
    """``value`` as a message shows what was found: its repr, shortened; a kind for containers."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(quote_input(value))
    return repr(value)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`` Did you mean 'x'?`` for the closest of ``choices``, or ''."""
    import difflib  # here: only a misspelt key or name needs it

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def check_keys(mapping: Mapping[str, Any], allowed: Sequence[str], path: KeyPath) -> None:
    """Every key of ``mapping`` is one of ``allowed``; an unknown one is named, with a hint."""
    for key in mapping:
        if key not in allowed:
            raise BackpropCheckError(
                f"unknown key '{quote_input(key)}'.{did_you_mean(key, allowed)} "
                f"Allowed here: {', '.join(allowed)}.",
                key_path=(*path, key),
                at_key=True,
            )


def require_mapping(value: Any, path: KeyPath, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BackpropCheckError(f"expected {what}, found {describe(value)}.", key_path=path)
    return value


def int_at_least(value: Any, minimum: int, path: KeyPath, *, maximum: int = MAX_SIZE) -> int:
    """A whole number in [minimum, maximum] (booleans and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BackpropCheckError(
            f"expected a whole number ≥ {minimum}, found {describe(value)}.", key_path=path
        )
    if value > maximum:
        raise BackpropCheckError(
            f"expected a whole number ≤ {maximum:,}, found {describe(value)} (a typo?).",
            key_path=path,
        )
    return value


def positive_float(value: Any, path: KeyPath, *, step: bool = False) -> float:
    """A finite float, in (0, 1) for a ``step``, else ≥ 0. Numeric strings count."""
    expected = "a finite number > 0 and < 1" if step else "a finite number ≥ 0"
    number: float | None = None
    try:
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_number or isinstance(value, str):
            number = float(value)
    except (ValueError, OverflowError):
        number = None
    # A step of 1 or more is no longer a derivative estimate for inputs and weights of order 1.
    if number is None or not math.isfinite(number) or number < 0 or (step and not 0 < number < 1):
        raise BackpropCheckError(f"expected {expected}, found {describe(value)}.", key_path=path)
    return number


def choice(value: Any, choices: Sequence[str], path: KeyPath, what: str) -> str:
    """One of ``choices``; anything else is named, with the choices and a hint."""
    if not isinstance(value, str) or value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise BackpropCheckError(
            f"unknown {what} {describe(value)}. Expected one of: {', '.join(choices)}.{hint}",
            key_path=path,
        )
    return value


def validate_method(value: Any, path: KeyPath) -> str:
    """A finite-difference method's name."""
    return choice(value, list(METHODS), path, "method")
