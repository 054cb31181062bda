"""Rows of the report that are not plain comparisons: skipped tensors, error maps, warnings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.notation import quantity_symbol
from ..numeric.targets import Target
from ..report.data import LayerReport, QuantityCheck
from .compare import Comparison, element_errors

__all__ = [
    "error_map",
    "no_verdict",
    "skipped_row",
    "unjudged_warnings",
    "unresolved_warnings",
]

Array = np.ndarray


def error_map(
    shape: tuple[int, ...], elements: Array, analytic: Array, numeric: Array, exclude: Array | None
) -> Array:
    """Relative error of every checked element in the tensor's shape; NaN where not judged."""
    errors = np.full(int(np.prod(shape)), np.nan)
    relative = element_errors(analytic, numeric)[1]
    if exclude is not None:
        relative = np.where(exclude, np.nan, relative)
    errors[elements] = relative
    return errors.reshape(shape)


def skipped_row(target: Target, depth: int, shape: tuple[int, ...], note: str) -> QuantityCheck:
    """A row that is not checked, and why (``note``, "not checked: ..."): neither pass nor fail."""
    empty = Comparison(
        shape=shape,
        checked=0,
        max_abs_error=0.0,
        max_rel_error=0.0,
        rel_norm_error=0.0,
        worst_index=(),
        worst_analytic=0.0,
        worst_numeric=0.0,
        failed=0,
    )
    return QuantityCheck(
        layer=target.layer,
        quantity=target.quantity,
        equation=target.equation(depth),
        comparison=empty,
        mode="skipped",
        note=note,
    )


def unresolved_warnings(layers: Sequence[LayerReport], atol: float) -> tuple[str, ...]:
    """Failing rows whose method says its own estimate is not resolved (Richardson's estimate)."""
    names = [
        quantity_symbol(row.quantity, row.layer)
        for layer in layers
        for row in layer.checks
        if not row.passed and row.error_estimate is not None and row.error_estimate > atol
    ]
    if not names:
        return ()
    return (
        f"{', '.join(names)}: Richardson's own error estimate is above atol there, so these "
        "failures may be the step's, not the gradient's; try a smaller --eps or bpcheck sweep.",
    )


def _reason(values: Array) -> str:
    """ "NaN" if some value is NaN, "overflow" if some is infinite, "" if all are finite."""
    if np.isnan(values).any():
        return "NaN"
    return "overflow" if np.isinf(values).any() else ""


def no_verdict(
    *,
    losses: Array,
    numeric: Array,
    analytic: Array,
    unjudged: int,
    fail_on_kinks: bool,
) -> tuple[str, str]:
    """Why a row cannot be judged, as (reason, sentence); ("", "") when it can.

    A loss, a finite difference or an analytic value that is not finite proves nothing either
    way, so it is never a pass: the loss's overflow would even make every tolerance infinite.
    With --kinks fail, so is a row with more than half its elements unjudged.
    """
    checks = (
        (losses, "the loss is not finite", "samples", "no finite difference of it means anything; "
         "scale the targets, inputs or weights down"),
        (numeric, "the finite differences are not finite", "elements", "the loss overflows or is "
         "undefined next to this point"),
        (analytic, "the analytic values are not finite", "elements", "an overflow or an undefined "
         "operation (e.g. log(0) or 0/0)"),
    )  # fmt: skip
    for values, what, unit, why in checks:
        reason = _reason(values)
        if reason:
            count = int(np.count_nonzero(~np.isfinite(values)))
            return (
                reason,
                f"no verdict: {what} ({reason}) at {count} of {values.size} {unit}: {why}.",
            )
    checked = numeric.size
    if fail_on_kinks and 2 * unjudged > checked:
        return "kinks", (
            f"no verdict: {unjudged} of {checked} elements sit on ReLU kinks that no one-sided "
            "difference could judge (--kinks fail)."
        )
    return "", ""


def unjudged_warnings(layers: Sequence[LayerReport]) -> tuple[str, ...]:
    """Rows with elements left without a verdict, said out loud: they are not passes.

    A row with more than half of them unjudged proves little, and says so.
    """
    rows = [
        row
        for layer in layers
        for row in layer.checks
        if not row.unresolved and row.unjudged > 0 and row.comparison.checked > 0
    ]
    warnings = []
    for row in rows:
        symbol = quantity_symbol(row.quantity, row.layer)
        counted = f"{symbol}: {row.unjudged} of {row.comparison.checked} elements sit on ReLU kinks"
        if 2 * row.unjudged > row.comparison.checked:
            warnings.append(
                f"{counted} that no one-sided difference could judge, so they are left out and "
                "this row proves little. Use other data or biases, or --kinks fail to fail it."
            )
        else:
            warnings.append(
                f"{counted} that no one-sided difference could judge (units on 0 pushed both "
                "ways), so they are left out of this row's verdict: not checked, not passed."
            )
    return tuple(warnings)
