"""Elements whose step crosses a kink (a ReLU at 0), judged by the kink policy.

At a kink the central difference averages two slopes, so it proves nothing: ``report`` leaves such
elements out, ``fail`` judges them anyway, ``bracket`` passes one when the analytic value lies
between the two one-sided differences (a subgradient) by judging it against the nearest point of
that interval.
"""

from __future__ import annotations

import numpy as np

from ..numeric.engine import PerturbationEngine
from ..numeric.finite_differences import METHODS
from ..numeric.targets import Target
from .elements import ElementEstimates

__all__ = ["judge_kinks", "listed_kinks"]

Array = np.ndarray

# Steps, as fractions of eps, of the one-sided differences that bracket a kink.
_BRACKET_SCALES = (1.0, 0.1, 0.01)
# Kink positions listed per tensor in the report (all are counted).
_LISTED_KINKS = 100


def listed_kinks(positions: Array, shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The first of the kinked flat positions, as indices into the tensor, for the report."""
    return tuple(
        tuple(int(i) for i in np.unravel_index(int(p), shape)) for p in positions[:_LISTED_KINKS]
    )


def judge_kinks(
    policy: str,
    engine: PerturbationEngine,
    target: Target,
    elements: Array,
    analytic: Array,
    estimates: ElementEstimates,
    *,
    step: float,
    dtype: str,
) -> tuple[Array, Array | None]:
    """The numeric values to judge, and which elements to leave unjudged (None: none)."""
    if policy == "report":
        return estimates.values, estimates.kinks
    if policy == "fail" or not estimates.kinks.any():
        return estimates.values, None
    kinked = elements[estimates.kinks]
    low, high = _one_sided_range(engine, target, kinked, step=step, dtype=dtype)
    judged = estimates.values.copy()
    judged[estimates.kinks] = np.clip(analytic[estimates.kinks], low, high)
    return judged, None


def _one_sided_range(
    engine: PerturbationEngine, target: Target, elements: Array, *, step: float, dtype: str
) -> tuple[Array, Array]:
    """The smallest and largest one-sided slope of each element, over a few steps.

    Second-order one-sided differences, since a first-order one misses the analytic value at an
    end of the interval by O(ε); at three scales, since a W or b element moves many samples and
    another sample's kink may lie between 0 and ε. Richardson's larger step would straddle more
    kinks; no bracket step exceeds central's.
    """

    def change(h: float) -> Array:
        return engine.loss_changes(target, h, elements).changes.real

    base = min(step, METHODS["central"].defaults(dtype).eps)
    slopes = []
    for scale in _BRACKET_SCALES:
        h = base * scale
        slopes.append((4 * change(h) - change(2 * h)) / (2 * h))
        slopes.append((change(-2 * h) - 4 * change(-h)) / (2 * h))
    return np.min(slopes, axis=0), np.max(slopes, axis=0)
