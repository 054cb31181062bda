"""The checker, checked: a zoo of wrong backpropagations that the finite differences must catch.

Each mutant is one mistake a reader of the derivation could make: the printed typos of the
derivation we started from (docs/derivation.md#errata) and the usual slips of hand-written code.
Every mutant runs through the same machinery as a user's check, on a network where its mistake
shows (square layers for a missing transpose, a sigmoid + BCE output for the BCE sign, …). The
correct build must pass on every one of those networks; every catchable mutant must fail, and the
report says on which row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.backprop import Gradients, Steps, backward, grad_w
from ..core.network import Network, Trace
from ..core.notation import derivation_link, quantity_symbol
from ..report.data import CheckReport
from ..report.data.selftest import MutantResult, SelftestReport
from ..spec.config import Config, load_config
from ..spec.data import Dataset
from .checker import AnalyticSide, Checker

__all__ = ["MUTANTS", "Mutant", "MutantResult", "SelftestReport", "run_selftest"]

Array = np.ndarray

# Square hidden layers (6 → 6 → 6 → 6) so that a transposed W or a^j for a^{j-1} keeps its shape
# and has to be caught by the numbers.
_HIDDEN = [
    {"units": 6, "activation": "sigmoid"},
    {"units": 6, "activation": "relu"},
    {"units": 6, "activation": "sigmoid"},
]
_OUTPUTS = {
    "softmax_cce": ({"units": 3, "activation": "softmax"}, "categorical_crossentropy"),
    "sigmoid_bce": ({"units": 3, "activation": "sigmoid"}, "binary_crossentropy"),
    "linear_mse": ({"units": 3, "activation": "linear"}, "mse"),
}


def _config(output: str) -> dict[str, Any]:
    layer, loss = _OUTPUTS[output]
    return {"input_size": 6, "layers": [*_HIDDEN, layer], "loss": loss, "batch_size": 5, "seed": 3}


@dataclass(frozen=True)
class Mutant:
    """One wrong backpropagation, where it comes from, and the network that exposes it."""

    name: str
    origin: str
    explanation: str
    analytic: AnalyticSide
    output: str = "softmax_cce"
    # Why the usual network cannot expose it, and a network and check that can (or None if
    # nothing can): said honestly in the report either way.
    why_not: str = ""
    special_case: Callable[[], Config] | None = None

    def config(self) -> Config:
        return self.special_case() if self.special_case else load_config(_config(self.output))


def _sigma_for_sigma_prime(activation: Any, z: Array, *, layer: int) -> Array:
    return activation.value(z)


def _sigma_prime_at_a(activation: Any, z: Array, *, layer: int) -> Array:
    return activation.derivative(activation.value(z))


def _sigma_prime_at_x(network: Network, trace: Trace, y: Array) -> Gradients:
    """σ(x) ∘ (1 − σ(x)) read with x the network's input instead of the layer's own z."""
    x = trace.a(0)

    def at_input(activation: Any, z: Array, *, layer: int) -> Array:
        return activation.derivative(x) if layer < network.depth else activation.derivative(z)

    return backward(network, trace, y, Steps(activation_derivative=at_input))


def _a_j_for_a_j_minus_1(network: Network, trace: Trace, y: Array) -> Gradients:
    """∇W^j = φ^j (a^j)ᵀ, from the printed z^j = w^j a^j + b^j.

    docs/derivation.md#errata-a-j-for-a-j-minus-1
    """
    correct = backward(network, trace, y)
    dW = tuple(
        grad_w(correct.phis[j - 1], trace.a(j)) if trace.a(j).shape == trace.a(j - 1).shape else dw
        for j, dw in enumerate(correct.dW, start=1)
    )
    return dataclasses.replace(correct, dW=dW)


def _missing_transpose(
    w_next: Array, phi_next: Array, z: Array, activation: Any, *, layer: int
) -> Array:
    # Only a square W^{j+1} lets the slip run at all; elsewhere numpy itself would refuse it.
    if w_next.shape[0] == w_next.shape[1]:
        return (phi_next @ w_next.T) * activation.derivative(z)
    return (phi_next @ w_next) * activation.derivative(z)


def _bce_sign(loss: Any, a: Array, y: Array, *, layer: int) -> Array:
    return -y / a - (1 - y) / (1 - a)


def _mse_without_two_over_n(loss: Any, a: Array, y: Array, *, layer: int) -> Array:
    return -(y - a)


def _sum_over_batch(phi: Array, a_prev: Array, *, layer: int) -> Array:
    return phi.T @ a_prev


def _bias_of_last_sample(phi: Array, *, layer: int) -> Array:
    # A per-sample loop that assigns db = φ instead of adding to it: only the last sample stays.
    return phi[-1]


def _softmax_sign(z: Array, a: Array, y: Array, activation: Any, loss: Any, *, layer: int) -> Array:
    return y - a


def _relu_prime_half_at_zero(activation: Any, z: Array, *, layer: int) -> Array:
    if activation.name == "relu":
        return np.heaviside(z, 0.5).astype(z.dtype)
    return activation.derivative(z)


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "sigma-for-sigma-prime",
        derivation_link("errata-sigma-for-sigma-prime"),
        "Eq. 2 with σ(z^j) where σ'(z^j) belongs",
        Steps(activation_derivative=_sigma_for_sigma_prime),
    ),
    Mutant(
        "a-j-for-a-j-minus-1",
        derivation_link("errata-a-j-for-a-j-minus-1"),
        "Eq. 3 as φ^j (a^j)ᵀ, from z^j = w^j a^j + b^j as printed, instead of φ^j (a^{j-1})ᵀ",
        _a_j_for_a_j_minus_1,
    ),
    Mutant(
        "bce-sign",
        derivation_link("errata-bce-sign"),
        "∇_ŷ L = −y/ŷ − (1−y)/(1−ŷ) as printed; the second sign is +",
        Steps(loss_gradient=_bce_sign),
        output="sigmoid_bce",
    ),
    Mutant(
        "sigma-prime-at-x",
        derivation_link("errata-sigma-prime-at-x"),
        "σ'(x) = σ(x) ∘ (1 − σ(x)) read with x the network input, not the layer's own z",
        _sigma_prime_at_x,
    ),
    Mutant(
        "missing-transpose",
        "common slip",
        "Eq. 2 with w^{j+1} φ^{j+1} where (w^{j+1})ᵀ φ^{j+1} belongs",
        Steps(phi_hidden=_missing_transpose),
    ),
    Mutant(
        "sigma-prime-at-a",
        "common slip",
        "σ' evaluated at the activation a^j instead of the pre-activation z^j",
        Steps(activation_derivative=_sigma_prime_at_a),
    ),
    Mutant(
        "mse-without-2-over-n",
        "common slip",
        "∇_a L of the mean squared error as −(y − a), missing its 2/n",
        Steps(loss_gradient=_mse_without_two_over_n),
        output="linear_mse",
    ),
    Mutant(
        "sum-over-batch",
        "common slip",
        "Eq. 3 summed over the batch instead of averaged: a factor B",
        Steps(grad_w=_sum_over_batch),
    ),
    Mutant(
        "bias-not-reduced",
        "common slip",
        "Eq. 4 taken from one sample (db = φ overwritten in a loop) instead of the batch mean",
        Steps(grad_b=_bias_of_last_sample),
    ),
    Mutant(
        "softmax-sign",
        "common slip",
        "softmax + cross-entropy φ^J = y − a instead of a − y",
        Steps(phi_output=_softmax_sign),
    ),
    Mutant(
        "relu-prime-half-at-zero",
        "common slip",
        "ReLU'(z) as np.heaviside(z, 0.5), so ReLU'(0) = ½: the slope of neither side "
        "(0, the left one, and 1, the right one, are both accepted)",
        Steps(activation_derivative=_relu_prime_half_at_zero),
        why_not=(
            "it differs only where z is exactly 0, which random data never hits; checked instead "
            "on a batch with a zero input and zero first-layer biases (every z¹ of that sample "
            "exactly 0), where one-sided differences measure both slopes and ½ matches neither"
        ),
        special_case=lambda: _kink_case(),
    ),
)


def _kink_case() -> Config:
    """A batch whose first sample puts every first-layer pre-activation exactly on 0."""
    config = load_config(
        {
            "input_size": 4,
            "layers": [{"units": 6, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
            "loss": "cce",
            "batch_size": 5,
            "seed": 3,
        }
    )
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 4))
    x[0] = 0.0
    weights = (rng.standard_normal((6, 4)), rng.standard_normal((3, 6)))
    biases = (np.zeros(6), rng.standard_normal(3) * 0.1)
    y = np.eye(3)[rng.integers(0, 3, 5)]
    data = Dataset(path=Path("<selftest kink batch>"), x=x, y=y, weights=weights, biases=biases)
    return dataclasses.replace(config, data=data)


def _check(config: Config, analytic: AnalyticSide | None) -> CheckReport:
    return Checker(config, analytic=analytic).run()


def _first_failure(report: CheckReport) -> tuple[str, float]:
    for layer in reversed(report.layers):
        for row in layer.checks:
            if not row.passed:
                symbol = quantity_symbol(row.quantity, row.layer)
                return (
                    f"{symbol} (Eq. {row.equation}, layer {row.layer})",
                    row.comparison.max_rel_error,
                )
    return "", 0.0


def _describe(mutant: Mutant) -> str:
    if mutant.special_case is not None:
        return "a zero-input batch on ReLU's kink"
    layer, loss = _OUTPUTS[mutant.output]
    return f"6 → 6 sigmoid → 6 relu → 6 sigmoid → 3 {layer['activation']}, {loss}"


def run_selftest(mutants: tuple[Mutant, ...] = MUTANTS) -> SelftestReport:
    """Run the correct build and every mutant on the networks that expose them."""
    correct_failures = []
    cases = {_describe(mutant): mutant.config for mutant in mutants}
    for name, config in cases.items():
        report = _check(config(), None)
        if not report.passed:
            correct_failures.append(f"{name}: {report.diagnosis}")
    results = []
    for mutant in mutants:
        report = _check(mutant.config(), mutant.analytic)
        row, error = _first_failure(report)
        results.append(
            MutantResult(
                name=mutant.name,
                origin=mutant.origin,
                explanation=mutant.explanation,
                caught=not report.passed,
                row=row,
                error=error,
                diagnosis=report.diagnosis,
                network=_describe(mutant),
                why_not=mutant.why_not,
            )
        )
    return SelftestReport(
        correct_passed=not correct_failures,
        correct_failures=tuple(correct_failures),
        results=tuple(results),
    )
