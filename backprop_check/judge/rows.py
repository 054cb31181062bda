"""Rows of the report that are not plain comparisons: skipped tensors, error maps, warnings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.notation import quantity_symbol
from ..numeric.targets import Target
from ..report.data import LayerReport, QuantityCheck
from .compare import Comparison, element_errors

__all__ = ["error_map", "skipped_row", "unresolved_warnings"]

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


def skipped_row(target: Target, depth: int, shape: tuple[int, ...], where: str) -> QuantityCheck:
    """A row that cannot be checked: the user's backward() in ``where`` gives no φ to compare."""
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
        note=f"not checked: backward() in {where} returns ∇W and ∇b only, no φ.",
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
