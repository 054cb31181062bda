"""The finite-difference core. It knows functions and steps, nothing about layers.

``evaluate(h)`` returns, for every direction i at once, f(θ + h·e_i); the methods here turn a few
such evaluations into derivative estimates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["central_difference"]

Evaluate = Callable[[float], np.ndarray]


def central_difference(evaluate: Evaluate, eps: float) -> np.ndarray:
    """∂f/∂θ_i ≈ (f(θ + ε e_i) − f(θ − ε e_i)) / 2ε   (error O(ε²))"""
    return (evaluate(eps) - evaluate(-eps)) / (2.0 * eps)
