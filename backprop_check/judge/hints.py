"""One sentence that says what a failing row looks like, from its element-wise values.

Most patterns are a guess at the fix (flip the sign, divide by a factor, transpose). Such a
pattern fits when undoing it would make the row pass by the report's own rule (an element fails
if rel > rtol and abs > atol), with both tolerances doubled because a measured factor carries the
noise of the finite differences. A row that passes within the doubled tolerances as it is fails
only marginally, and none of those fix patterns is claimed for it.

Patterns are tried most specific first, in the order of ``PATTERNS``:

1. non-finite: NaN or inf in either array; nothing else can be measured then.
2. sign flip: a ≈ −n.
3. constant factor: a ≈ c·n. c is named when it is ±2, ±1/2, ±B, ±1/B, ±n, ±1/n, ±n/2 or ±2/n,
   the first match in that order; pure numbers come first so that the cause given stays true
   when B or n make several candidates equal, and the sentence lists the equal ones.
4. transposed: a ≈ nᵀ, for square tensors only.
5. missing term: a is 0 (|a| ≤ atol) at more than half of the failing elements.
6. pre-activation sign (φ rows given z^j): every failing element has z = 0, or z < 0, or z > 0,
   while some element lies on the other side.
7. one slice: a single element, row or column fails; the rows of φ are samples.
8. scattered: how many fail and the largest relative error, so a failing row always gets a
   sentence; ``hint`` returns None only when nothing fails.

Indices are 0-based, as the report's worst index; layers 1-based (docs/derivation.md#notation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.notation import quantity_symbol
from ..core.notation import superscript as sup
from .compare import element_errors

__all__ = ["PATTERNS", "Hint", "find_hint", "hint"]

Array = np.ndarray

# A measured factor is off by about the noise of the finite differences, so a candidate fix is
# judged with tolerances this many times wider than the row's own.
_SLACK = 2.0
# Ratios a/n are measured only where |n| is well above atol, away from elements that are noise.
_SIGNIFICANT = 10.0


@dataclass(frozen=True)
class _Row:
    """One failing row: the values, where they fail, and what the sentences need to name it."""

    analytic: Array
    numeric: Array
    quantity: str
    layer: int
    batch_size: int
    output_units: int
    rtol: float
    atol: float
    pre_activation: Array | None
    failing: Array

    @property
    def symbol(self) -> str:
        return quantity_symbol(self.quantity, self.layer)

    @property
    def size(self) -> int:
        return int(self.analytic.size)


@dataclass(frozen=True)
class _Factored:
    """A sentence about a factor, and the factor it states."""

    sentence: str
    factor: float


@dataclass(frozen=True)
class _Factor:
    """A factor with a known reading: its label, how the sentence reads it, and a likely cause."""

    label: str
    value: float
    reading: str
    cause: str


@dataclass(frozen=True)
class Hint:
    """What a failing row looks like: the pattern found, its sentence, and the factor if any.

    ``factor`` is a/n as the sentence states it: the constant factor found (named or measured),
    or −1 for a sign flip; None for the other patterns.
    """

    pattern: str
    sentence: str
    factor: float | None = None


def hint(analytic: np.ndarray, numeric: np.ndarray, **options: Any) -> str | None:
    """The sentence of :func:`find_hint` (same arguments), or None when nothing fails."""
    found = find_hint(analytic, numeric, **options)
    return None if found is None else found.sentence


def find_hint(
    analytic: np.ndarray,
    numeric: np.ndarray,
    *,
    quantity: str,
    layer: int,
    batch_size: int,
    output_units: int,
    rtol: float,
    atol: float,
    pre_activation: np.ndarray | None = None,
) -> Hint | None:
    """The first pattern, in the order above, that fits a failing comparison; None if it passes.

    ``quantity`` is "phi", "W" or "b" for φ^j, ∇W^j or ∇b^j of layer ``layer`` (1-based);
    ``pre_activation`` is z^j, used for φ rows only.
    """
    if quantity not in ("phi", "W", "b"):
        raise ValueError(f"quantity must be 'phi', 'W' or 'b', not {quantity!r}")
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"shapes differ: analytic {analytic.shape}, numeric {numeric.shape}")
    z = None
    if pre_activation is not None and quantity == "phi":
        z = np.asarray(pre_activation, dtype=np.float64)
        if z.shape != analytic.shape:
            raise ValueError(f"pre_activation has shape {z.shape}, expected {analytic.shape}")
    failing = _failing(analytic, numeric, rtol, atol)
    if not failing.any():
        return None
    row = _Row(analytic, numeric, quantity, layer, batch_size, output_units, rtol, atol, z, failing)
    for pattern, detect in _DETECTORS:
        found = detect(row)
        if isinstance(found, _Factored):
            return Hint(pattern, found.sentence, found.factor)
        if found is not None:
            return Hint(pattern, found)
    return None  # unreachable: the scattered pattern always answers


# --------------------------------------------------------------------------- helpers


def _failing(analytic: Array, numeric: Array, rtol: float, atol: float) -> Array:
    abs_error, rel_error = element_errors(analytic, numeric)
    return (rel_error > rtol) & (abs_error > atol)


def _fits(row: _Row, candidate: Array) -> bool:
    """Would the row pass, within the slack, if the analytic values were ``candidate``?"""
    return not _failing(candidate, row.numeric, _SLACK * row.rtol, _SLACK * row.atol).any()


def _explains(row: _Row, candidate: Array) -> bool:
    """``candidate`` fits where the analytic values as they are do not."""
    return not _fits(row, row.analytic) and _fits(row, candidate)


def _elements(count: int) -> str:
    return f"{count} element{'' if count == 1 else 's'}"


def _number(value: float) -> str:
    return f"{value:#.3g}"


def _divided(values: Array, factor: float) -> Array:
    # A tiny measured factor can overflow; element_errors counts inf as wrong, which it is.
    with np.errstate(over="ignore"):
        return values / factor


def _measured_factor(row: _Row) -> float | None:
    """Median of a/n where |n| is significant; the median shrugs off a few noisy elements."""
    magnitude = np.abs(row.numeric)
    for floor in (_SIGNIFICANT * row.atol, row.atol, 0.0):
        significant = magnitude > floor
        if significant.any():
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                ratios = row.analytic[significant] / row.numeric[significant]
            factor = float(np.median(ratios))
            return factor if np.isfinite(factor) and factor != 0.0 else None
    return None


def _named_factors(row: _Row) -> list[_Factor]:
    """The factors worth naming, in the order they are tried; 1 is left out, it cannot fail."""
    B, n = row.batch_size, row.output_units
    factors = [
        _Factor("2", 2.0, "", "an extra factor 2 (e.g. a term counted twice)"),
        _Factor("1/2", 0.5, "", "a missing factor 2 (e.g. the 2 from differentiating a square)"),
        _Factor(
            "B",
            B,
            ", the batch size",
            "a sum over the batch where the mean was meant (or a missing 1/B)",
        ),
        _Factor(
            "1/B",
            1 / B,
            ", one over the batch size",
            "an extra 1/B (e.g. the batch mean taken twice)",
        ),
        _Factor(
            "n",
            n,
            ", the number of output units n",
            "a missing 1/n (e.g. a sum over the outputs where the loss takes their mean)",
        ),
        _Factor(
            "1/n",
            1 / n,
            ", one over the number of output units n",
            "an extra 1/n (e.g. a mean over the outputs where the loss sums them)",
        ),
        _Factor("n/2", n / 2, ", n/2", "the 2/n of the mean squared error is missing"),
        _Factor("2/n", 2 / n, ", 2/n", "an extra 2/n (e.g. the 2/n of the MSE applied twice)"),
    ]
    return [factor for factor in factors if not np.isclose(factor.value, 1.0)]


# --------------------------------------------------------------------------- patterns


def _non_finite(row: _Row) -> str | None:
    bad_numeric = ~np.isfinite(row.numeric)
    if bad_numeric.any():
        return (
            f"The finite differences of {row.symbol} are not finite at "
            f"{int(bad_numeric.sum())} of {_elements(row.size)}: the loss overflows or is "
            "undefined there, so this row cannot judge the analytic gradient."
        )
    bad_analytic = ~np.isfinite(row.analytic)
    if bad_analytic.any():
        return (
            f"{row.symbol} is NaN or infinite at {int(bad_analytic.sum())} of "
            f"{_elements(row.size)}: an overflow or an undefined operation (e.g. log(0) or 0/0)."
        )
    return None


def _sign_flip(row: _Row) -> _Factored | None:
    if not _explains(row, -row.analytic):
        return None
    return _Factored(
        f"{row.symbol} has the opposite sign of the finite differences everywhere: a sign is "
        "flipped (e.g. −(y − a) vs (y − a), or a subtraction reversed).",
        -1.0,
    )


def _constant_factor(row: _Row) -> _Factored | None:
    if _fits(row, row.analytic):
        return None
    measured = _measured_factor(row)
    factors = _named_factors(row)
    for factor in factors:
        for sign in (1.0, -1.0):
            if not _fits(row, _divided(row.analytic, sign * factor.value)):
                continue
            shown = measured if measured is not None else sign * factor.value
            same = [f.label for f in factors if np.isclose(f.value, factor.value)]
            also = f" (here {' = '.join(same)})" if len(same) > 1 else ""
            flipped = ", and the sign is flipped" if sign < 0 else ""
            return _Factored(
                f"{row.symbol} is {_number(shown)} × the finite differences{factor.reading}"
                f"{also}: {factor.cause}{flipped}.",
                shown,
            )
    if measured is None or not _fits(row, _divided(row.analytic, measured)):
        return None
    return _Factored(
        f"{row.symbol} is a constant {_number(measured)} × the finite differences: "
        "a constant factor is off.",
        measured,
    )


def _transposed(row: _Row) -> str | None:
    a = row.analytic
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 2:
        return None
    if not _explains(row, a.T):
        return None
    j = row.layer
    if row.quantity == "W":
        example = f"a{sup(j - 1)} (φ{sup(j)})ᵀ instead of φ{sup(j)} (a{sup(j - 1)})ᵀ"
        cause = f"W is transposed somewhere (e.g. {example})"
    else:
        cause = (
            "samples and units are swapped somewhere (e.g. a formula for one column vector "
            "applied to arrays with a row per sample)"
        )
    return f"{row.symbol} matches the transpose of the finite differences: {cause}."


def _missing_term(row: _Row) -> str | None:
    zero = np.abs(row.analytic) <= row.atol
    count = int(np.count_nonzero(row.failing & zero))
    if 2 * count <= int(np.count_nonzero(row.failing)):
        return None
    return (
        f"{row.symbol} is zero where the finite differences are not ({count} of "
        f"{_elements(row.size)}): a term is missing."
    )


def _pre_activation_sign(row: _Row) -> str | None:
    z = row.pre_activation
    if z is None:
        return None
    z_j = f"z{sup(row.layer)}"
    causes = (
        (
            z == 0,
            "= 0",
            "the derivative at the kink (ReLU'(0) should be 0, e.g. > not >=; see "
            "docs/derivation.md#relu-kink), or the finite differences straddle the kink",
        ),
        (z < 0, "< 0", "σ' is wrong for negative inputs (e.g. a leaky slope where ReLU' is 0)"),
        (z > 0, "> 0", "σ' is wrong for positive inputs (e.g. a ReLU' slope other than 1)"),
    )
    for side, relation, cause in causes:
        if (row.failing & ~side).any() or side.all():
            continue
        count = int(np.count_nonzero(row.failing))
        return f"{row.symbol} is wrong only where {z_j} {relation} ({_elements(count)}): {cause}."
    return None


def _one_slice(row: _Row) -> str | None:
    if row.size < 2:
        return None
    where = np.argwhere(row.failing)
    if len(where) == 1:
        return _one_element(row, tuple(int(i) for i in where[0]))
    if row.analytic.ndim != 2:
        return None
    rows, columns = np.unique(where[:, 0]), np.unique(where[:, 1])
    if len(rows) == 1 and row.analytic.shape[0] > 1:
        return _one_row(row, int(rows[0]))
    if len(columns) == 1 and row.analytic.shape[1] > 1:
        return _one_column(row, int(columns[0]))
    return None


def _previous_unit(layer: int, unit: int) -> str:
    return f"input {unit}" if layer == 1 else f"unit {unit} of layer {layer - 1}"


def _one_element(row: _Row, index: tuple[int, ...]) -> str:
    j, symbol = row.layer, row.symbol
    if row.quantity == "b":
        return (
            f"Only unit {index[0]} of {symbol} fails: the error involves that unit alone "
            f"(e.g. its column of φ{sup(j)}, or an index that is off)."
        )
    i, k = index
    if row.quantity == "W":
        return (
            f"Only element ({i}, {k}) of {symbol} fails, between unit {i} of layer {j} and "
            f"{_previous_unit(j, k)}: a single value is off (e.g. a wrong index or a hand-set "
            "value)."
        )
    return (
        f"Only sample {i}, unit {k} of {symbol} fails: a single value is off (e.g. z{sup(j)} "
        "near a kink, or an index that is off)."
    )


def _one_row(row: _Row, i: int) -> str:
    j, symbol = row.layer, row.symbol
    if row.quantity == "W":
        return (
            f"Only row {i} of {symbol} fails (unit {i} of layer {j}): the error involves that "
            f"unit alone (e.g. its column of φ{sup(j)}, or an index that is off)."
        )
    return (
        f"Only sample {i} of {symbol} fails: the error depends on that sample's values (e.g. a "
        f"kink near z{sup(j)} = 0, a per-sample branch, or an index that is off)."
    )


def _one_column(row: _Row, k: int) -> str:
    j, symbol = row.layer, row.symbol
    if row.quantity == "W":
        return (
            f"Only column {k} of {symbol} fails ({_previous_unit(j, k)}): the error involves "
            f"a{sup(j - 1)} of that unit alone (e.g. a wrong activation, or an index that is off)."
        )
    return (
        f"Only unit {k} of {symbol} fails, in every sample: the error involves that unit alone "
        "(e.g. its σ', the weights feeding back into it, or an index that is off)."
    )


def _scattered(row: _Row) -> str:
    _, rel_error = element_errors(row.analytic, row.numeric)
    worst = float(rel_error[row.failing].max())
    count = int(np.count_nonzero(row.failing))
    verb = "fails" if count == 1 else "fail"
    return (
        f"{count} of {_elements(row.size)} of {row.symbol} {verb} with no simple pattern "
        f"(max rel error {worst:.1e})."
    )


_DETECTORS: tuple[tuple[str, Callable[[_Row], str | _Factored | None]], ...] = (
    ("non-finite", _non_finite),
    ("sign flip", _sign_flip),
    ("constant factor", _constant_factor),
    ("transposed", _transposed),
    ("missing term", _missing_term),
    ("pre-activation sign", _pre_activation_sign),
    ("one slice", _one_slice),
    ("scattered", _scattered),
)
# The pattern names in the order they are tried.
PATTERNS: tuple[str, ...] = tuple(name for name, _ in _DETECTORS)
