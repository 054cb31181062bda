"""Finite-difference estimates for chosen elements of one tensor, in chunks across threads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from ..numeric.finite_differences import Method
from ..numeric.targets import Target
from ..report.data import ProgressEvent
from .checked_loss import CheckedLoss

__all__ = ["ElementEstimates", "estimate_elements"]

Array = np.ndarray
ProgressCallback = Callable[[ProgressEvent], None]

# Elements × samples handled per task: big enough to amortise numpy's per-call cost, small
# enough for the temporaries to stay in cache and for the tasks to balance across threads.
_BLOCK = 1 << 14


@dataclass(frozen=True)
class ElementEstimates:
    """Finite-difference results for some elements of one tensor.

    ``kinks`` marks elements whose steps moved some unit across a kink; ``error`` is the
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
    samples_per_element = 1 if target.quantity == "phi" else engine.batch_size
    size = max(1, min(engine.chunk_size(target), _BLOCK // samples_per_element))
    chunks = [elements[start : start + size] for start in range(0, elements.size, size)]
    if progress is not None:
        progress(ProgressEvent(label=label, completed=0, total=elements.size))
    results = []
    done = 0
    estimates = pool.map(lambda chunk: _estimate(engine, method, target, chunk, step), chunks)
    for chunk, result in zip(chunks, estimates, strict=True):
        results.append(result)
        done += chunk.size
        if progress is not None:
            progress(ProgressEvent(label=label, completed=done, total=elements.size))
    if not results:
        return ElementEstimates(np.zeros(0), np.zeros(0, dtype=bool), None)
    errors = [r.error for r in results]
    return ElementEstimates(
        values=np.concatenate([r.values for r in results]),
        kinks=np.concatenate([r.kinks for r in results]),
        error=None if errors[0] is None else np.concatenate(errors),
    )


def _estimate(
    engine: CheckedLoss, method: Method, target: Target, elements: Array, step: float
) -> ElementEstimates:
    kinks = np.zeros(elements.size, dtype=bool)

    def evaluate(h: complex) -> Array:
        changes = engine.loss_changes(target, h, elements)
        kinks[changes.kinks] = True
        return changes.changes

    # numpy's error state is per thread: a worker starts from the default, which warns. An
    # overflowing loss shows up as an unresolvable row instead (rows.no_verdict).
    with np.errstate(all="ignore"):
        estimate = method.estimate(evaluate, step)
    return ElementEstimates(values=np.real(estimate.derivative), kinks=kinks, error=estimate.error)
