"""The finite-difference core. It knows functions and steps, nothing about layers.

``evaluate(h)`` returns, for every direction i at once, the change f(θ + h·e_i) − f(θ). Each method
combines a few such evaluations into derivative estimates; its default step and tolerances are data
(as in JAX's test utilities), measured on the shipped configs and documented in docs/numerics.md.

The tables here (methods, precisions, kink policies) are the choices the command line offers, so
this module imports no numpy: the arrays it combines bring their own arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DTYPES",
    "KINK_POLICIES",
    "METHODS",
    "Estimate",
    "Method",
    "Tolerances",
    "get_method",
]

Evaluate = Callable[[complex], "np.ndarray"]

# The precisions every method has measured defaults for.
DTYPES: tuple[str, ...] = ("float64", "float32")

# What to do with an element whose step moves some unit across a point where σ' jumps (a ReLU
# at 0): there a central difference averages two slopes and proves nothing, so the element is
# judged again by one-sided differences that cross no kink.
KINK_POLICIES: dict[str, str] = {
    "report": "judge again by one-sided differences; what none can judge is counted and said",
    "fail": "as report, and a tensor with more than half its elements unjudged fails",
    "bracket": "pass when the analytic value lies between the one-sided differences",
}


@dataclass(frozen=True)
class Estimate:
    """Derivative estimates, and for methods that have one an estimate of their own error."""

    derivative: np.ndarray
    error: np.ndarray | None = None


def _central(evaluate: Evaluate, eps: float) -> Estimate:
    """f'(θ) ≈ (f(θ + ε) − f(θ − ε)) / 2ε   (truncation O(ε²), round-off ~u·|f|/ε)"""
    return Estimate((evaluate(eps) - evaluate(-eps)) / (2.0 * eps))


def _forward(evaluate: Evaluate, eps: float) -> Estimate:
    """f'(θ) ≈ (f(θ + ε) − f(θ)) / ε   (truncation O(ε): one evaluation, least accurate)"""
    return Estimate(evaluate(eps) / eps)


def _backward(evaluate: Evaluate, eps: float) -> Estimate:
    """f'(θ) ≈ (f(θ) − f(θ − ε)) / ε   (truncation O(ε); the left slope at a kink)"""
    return Estimate(-evaluate(-eps) / eps)


def _complex_step(evaluate: Evaluate, eps: float) -> Estimate:
    """f'(θ) ≈ Im f(θ + iε) / ε   (no subtraction, so ε can be 1e-20: error ~ machine precision)"""
    return Estimate(evaluate(1j * eps).imag / eps)


def _richardson(evaluate: Evaluate, eps: float) -> Estimate:
    """f'(θ) ≈ (4 D(ε/2) − D(ε)) / 3 with D the central difference   (truncation O(ε⁴))"""
    coarse = _central(evaluate, eps).derivative
    fine = _central(evaluate, eps / 2).derivative
    # The difference of the two central estimates measures the truncation error still left.
    return Estimate((4.0 * fine - coarse) / 3.0, error=abs(fine - coarse) / 3.0)


@dataclass(frozen=True)
class Tolerances:
    """A step and the tolerances that go with it.

    ``resolves`` is the smallest relative error, in one element or in many, that these defaults
    were measured to catch wherever that error is larger than twice the absolute tolerance
    (atol, or the round-off floor where that is higher): what a pass at these defaults rules out.
    ``reestimate``: the step is so large that truncation can bias an estimate by most of rtol
    (float32: up to 0.46 % against rtol 0.5 %), enough to let an error of ``resolves`` through,
    so every element is estimated again by Richardson's extrapolation at the same step.
    """

    eps: float
    rtol: float
    atol: float
    resolves: float
    reestimate: bool = False


@dataclass(frozen=True)
class Method:
    """A finite-difference method and, per precision, the step and tolerances it uses by default."""

    name: str
    estimate: Callable[[Evaluate, float], Estimate]
    evaluations: int
    summary: str
    float64: Tolerances
    float32: Tolerances
    # How reports name it.
    title: str = ""
    # Subtracts two losses, so it loses u·|L|/ε to round-off; the complex step does not.
    subtracts: bool = True
    # Pushes an imaginary step through the network: every function must be complex-analytic.
    complex: bool = False

    def defaults(self, dtype: str) -> Tolerances:
        """The measured defaults for ``dtype`` (one of :data:`DTYPES`)."""
        return self.float32 if dtype == "float32" else self.float64

    def resolves(self, dtype: str, *, eps: float, rtol: float, atol: float) -> float | None:
        """The relative error a check at these settings is known to resolve: the defaults'
        ``resolves``, at their step and no looser tolerances; None at settings not measured."""
        measured = self.defaults(dtype)
        as_measured = eps == measured.eps and rtol <= measured.rtol and atol <= measured.atol
        return measured.resolves if as_measured else None


# Measured on the shipped configs and 600 random networks (every hidden activation, every output
# pairing, batch 1–32, 135,000 elements per method), kinks left out, judged as the checker judges
# (atol raised to the round-off floor 10 u max(|L|, 1)/ε where that is higher): 0 false alarms
# with every default below. float32's rtol is as small as its error floor allows with a margin of
# 1.5× (central) to 200× (complex step), so that a 1 % error in a whole tensor and a 5 % error in
# one element are caught wherever they exceed the absolute tolerance; float64 keeps at least ten
# times its largest error as headroom (docs/numerics.md table).
# Forward and backward differences: one step each way, the same error, the same defaults.
_ONE_SIDED_FLOAT64 = Tolerances(eps=1e-7, rtol=1e-3, atol=1e-6, resolves=2e-3)
# ε = 7e-4, not 1e-3: the truncation ε f''/2 reached 0.47 % of a gradient at 1e-3.
_ONE_SIDED_FLOAT32 = Tolerances(eps=7e-4, rtol=5e-3, atol=1e-3, resolves=7e-3, reestimate=True)

METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method(
            name="central",
            estimate=_central,
            evaluations=2,
            summary="central differences, error O(ε²) plus round-off u·|L|/ε",
            float64=Tolerances(eps=1e-5, rtol=1e-5, atol=1e-8, resolves=2e-5),
            float32=Tolerances(eps=1e-2, rtol=5e-3, atol=1e-4, resolves=7e-3, reestimate=True),
            title="central differences",
        ),
        Method(
            name="forward",
            estimate=_forward,
            evaluations=1,
            summary="forward differences, error O(ε): cheapest, weakest",
            float64=_ONE_SIDED_FLOAT64,
            float32=_ONE_SIDED_FLOAT32,
            title="forward differences",
        ),
        Method(
            name="backward",
            estimate=_backward,
            evaluations=1,
            summary="backward differences, error O(ε): the left slope, as ReLU'(0) = 0 takes it",
            # The mirror image of forward differences: the same error, so the same defaults.
            float64=_ONE_SIDED_FLOAT64,
            float32=_ONE_SIDED_FLOAT32,
            title="backward differences",
        ),
        Method(
            name="complex-step",
            estimate=_complex_step,
            evaluations=1,
            summary="complex step Im L(θ + iε)/ε, no cancellation: error near machine precision",
            float64=Tolerances(eps=1e-20, rtol=1e-10, atol=1e-13, resolves=2e-10),
            float32=Tolerances(eps=1e-10, rtol=1e-4, atol=1e-6, resolves=2e-4),
            title="complex step",
            subtracts=False,
            complex=True,
        ),
        Method(
            name="richardson",
            estimate=_richardson,
            evaluations=4,
            summary="central differences at ε and ε/2 extrapolated, error O(ε⁴), with an estimate",
            float64=Tolerances(eps=1e-4, rtol=1e-6, atol=5e-10, resolves=2e-6),
            float32=Tolerances(eps=2e-2, rtol=1e-3, atol=1e-4, resolves=2e-3),
            title="Richardson-extrapolated central differences",
        ),
    )
}


def get_method(name: str) -> Method:
    """The finite-difference method called ``name`` (KeyError if there is none)."""
    return METHODS[name]
