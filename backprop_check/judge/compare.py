"""Element-wise comparison of analytic and numerical gradients, as plain numbers.

Per element: abs = |a − n|, rel = abs / max(|a|, |n|) (0 when both are 0). An element fails only if
rel > rtol AND abs > atol, so tiny gradients are judged by atol and large ones by rtol.
"""

from __future__ import annotations

import numpy as np

from ..report.data import Comparison

__all__ = ["Comparison", "compare", "element_errors"]

Array = np.ndarray


def element_errors(analytic: Array, numeric: Array) -> tuple[Array, Array]:
    """(abs, rel) errors per element; non-finite values count as infinitely wrong."""
    with np.errstate(invalid="ignore", over="ignore"):
        abs_error = np.abs(analytic - numeric)
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        abs_error = np.where(np.isfinite(abs_error), abs_error, np.inf)
        rel_error = np.divide(abs_error, scale, out=np.zeros_like(abs_error), where=scale > 0)
    rel_error = np.where(np.isfinite(scale), rel_error, np.inf)
    return abs_error, rel_error


def compare(
    analytic: Array,
    numeric: Array,
    *,
    rtol: float,
    atol: float,
    shape: tuple[int, ...] | None = None,
    indices: Array | None = None,
    exclude: Array | None = None,
) -> Comparison:
    """Compare two same-shaped arrays; the worst element is the one furthest from passing.

    With ``indices`` the arrays hold only those flat elements of a tensor of ``shape``, and the
    worst index is reported in that tensor's coordinates. Elements where ``exclude`` is True are
    counted as checked but neither judged nor measured (ReLU kinks, by default).
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"shapes differ: analytic {analytic.shape}, numeric {numeric.shape}")
    full_shape = tuple(analytic.shape) if shape is None else tuple(shape)
    positions = np.arange(analytic.size) if indices is None else np.asarray(indices).reshape(-1)
    judged = np.ones(analytic.size, dtype=bool)
    if exclude is not None:
        judged = ~np.asarray(exclude, dtype=bool).reshape(-1)
    analytic, numeric = analytic.reshape(-1)[judged], numeric.reshape(-1)[judged]
    positions = positions[judged]
    abs_error, rel_error = element_errors(analytic, numeric)
    failing = (rel_error > rtol) & (abs_error > atol)
    # How far an element is from passing: it fails when both ratios exceed 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.minimum(
            np.divide(rel_error, rtol) if rtol > 0 else np.where(rel_error > 0, np.inf, 0.0),
            np.divide(abs_error, atol) if atol > 0 else np.where(abs_error > 0, np.inf, 0.0),
        )
    distance = np.nan_to_num(distance, nan=0.0, posinf=np.finfo(np.float64).max)
    worst = int(np.argmax(distance)) if analytic.size else None
    with np.errstate(invalid="ignore", over="ignore"):
        denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        difference = np.linalg.norm(analytic - numeric)
    if not np.isfinite(difference) or not np.isfinite(denominator):
        rel_norm_error = float("inf")
    else:
        rel_norm_error = float(difference / denominator) if denominator > 0 else 0.0
    return Comparison(
        shape=full_shape,
        checked=int(judged.size),
        excluded=int(judged.size - np.count_nonzero(judged)),
        max_abs_error=float(abs_error.max(initial=0.0)),
        max_rel_error=float(rel_error.max(initial=0.0)),
        rel_norm_error=rel_norm_error,
        worst_index=()
        if worst is None
        else tuple(int(i) for i in np.unravel_index(int(positions[worst]), full_shape)),
        worst_analytic=0.0 if worst is None else float(analytic[worst]),
        worst_numeric=0.0 if worst is None else float(numeric[worst]),
        failed=int(np.count_nonzero(failing)),
    )
