"""Finite-difference estimates for chosen elements of one tensor, in chunks across threads.

An element whose estimate disagrees with its analytic value is estimated a second time, by
Richardson's extrapolation of central differences at the same step (:func:`second_opinion`):
a step too large for a sharply curved loss (saturated logits, large weights in float32) puts
a truncation error of several percent into a central or one-sided difference, and that is the
step's error, not the gradient's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..numeric.finite_differences import METHODS, Method
from ..numeric.targets import Target
from ..report.data import ProgressEvent
from .checked_loss import CheckedLoss
from .compare import element_errors

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["ElementEstimates", "estimate_elements", "second_opinion"]

Array = np.ndarray
ProgressCallback = Callable[[ProgressEvent], None]

# Elements × samples handled per task: big enough to amortise numpy's per-call cost, small
# enough for the temporaries to stay in cache and for the tasks to balance across threads.
_BLOCK = 1 << 14


@dataclass(frozen=True)
class ElementEstimates:
    """Finite-difference results for some elements of one tensor.

    ``kinks`` marks elements whose steps moved some unit across a kink or off one it sat on
    exactly (by a real or an imaginary step); ``error`` is the
    method's own error estimate where it has one (Richardson).
    """

    values: Array
    kinks: Array
    error: Array | None


def estimate_elements(
    engine: CheckedLoss,
    method: Method,
    target: Target,
    elements: Array,
    *,
    step: float,
    pool: Executor,
    progress: ProgressCallback | None = None,
    label: str = "",
) -> ElementEstimates:
    """The method's derivative estimate for each flat element index, chunked over ``pool``."""
    chunks = _chunks(engine, target, elements)
    if progress is not None:
        progress(ProgressEvent(label=label, completed=0, total=elements.size))
    values = np.zeros(elements.size)
    kinks = np.zeros(elements.size, dtype=bool)
    error: Array | None = None
    done = 0
    estimates = pool.map(
        lambda chunk: _estimate(engine, method, target, elements[chunk], step), chunks
    )
    for chunk, result in zip(chunks, estimates, strict=True):
        values[chunk], kinks[chunk] = result.values, result.kinks
        if result.error is not None:
            error = np.zeros(elements.size) if error is None else error
            error[chunk] = result.error
        done += chunk.size
        if progress is not None:
            progress(ProgressEvent(label=label, completed=done, total=elements.size))
    return ElementEstimates(values=values, kinks=kinks, error=error)


def _chunks(engine: CheckedLoss, target: Target, elements: Array) -> list[Array]:
    """Positions in ``elements`` for each task: column blocks of W where the engine has a block
    path and every element is checked, else runs of about _BLOCK element-samples."""
    columns = engine.block_columns(target)
    shape = engine.shape(target)
    if columns is not None and np.array_equal(elements, np.arange(int(np.prod(shape)))):
        grid = np.arange(elements.size).reshape(shape)
        return [grid[:, start : start + columns].ravel() for start in range(0, shape[1], columns)]
    samples_per_element = 1 if target.quantity == "phi" else engine.batch_size
    size = max(1, min(engine.chunk_size(target), _BLOCK // samples_per_element))
    return [
        np.arange(start, min(start + size, elements.size))
        for start in range(0, elements.size, size)
    ]


def _estimate(
    engine: CheckedLoss, method: Method, target: Target, elements: Array, step: float
) -> ElementEstimates:
    kinks = np.zeros(elements.size, dtype=bool)

    def evaluate(h: complex) -> Array:
        changes = engine.loss_changes(target, h, elements)
        # A unit exactly on its kink and merely moved counts too: a step to one side of it, or an
        # imaginary one, measures only one of its two slopes.
        kinks[changes.kinks | changes.on_kinks] = True
        return changes.changes

    # numpy's error state is per thread: a worker starts from the default, which warns. An
    # overflowing loss shows up as an unresolvable row instead (rows.no_verdict).
    with np.errstate(all="ignore"):
        estimate = method.estimate(evaluate, step)
    return ElementEstimates(values=np.real(estimate.derivative), kinks=kinks, error=estimate.error)


def second_opinion(
    engine: CheckedLoss,
    method: Method,
    target: Target,
    elements: Array,
    analytic: Array,
    estimates: ElementEstimates,
    *,
    step: float,
    dtype: str,
    rtol: float,
    atol: float,
    pool: Executor,
) -> ElementEstimates:
    """The estimates, with every element that disagrees (and is on no kink) estimated again by
    (4 D(ε/2) − D(ε))/3, D the central difference: truncation O(ε⁴) instead of O(ε²) or O(ε).
    Where the method's defaults for ``dtype`` say so (``Tolerances.reestimate``), every element
    on no kink is: there truncation could also make a wrong value agree.

    Its round-off, about (4·2 + 1)/3 · u|L|/2ε, stays within the judging atol's tenfold margin
    over u|L|/ε, so it is judged with the same tolerances and resolves as much. Richardson's own
    estimates are taken again at ε/2. Where its steps reach a kink, the element is marked for
    the one-sided judgement (:mod:`.kinks`). The complex step has no truncation to speak of.
    """
    if not method.subtracts:
        return estimates
    abs_error, rel_error = element_errors(analytic, estimates.values)
    disagree = (rel_error > rtol) & (abs_error > atol) | method.defaults(dtype).reestimate
    disagree = np.flatnonzero(disagree & ~estimates.kinks)
    if disagree.size == 0:
        return estimates
    richardson = METHODS["richardson"]
    again = step / 2 if method is richardson else step
    refined = estimate_elements(
        engine, richardson, target, elements[disagree], step=again, pool=pool
    )
    values, kinks = estimates.values.copy(), estimates.kinks.copy()
    values[disagree] = refined.values
    kinks[disagree] = refined.kinks
    return ElementEstimates(values=values, kinks=kinks, error=estimates.error)
