"""Loss functions as a registry: name → per-sample value L_s and gradient ∇_a L_s.

The batch loss is L = mean over samples of L_s (samples as rows, n = output units).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .activations import Activation

__all__ = [
    "LOSSES",
    "LOSS_ALIASES",
    "LabelKind",
    "Loss",
    "NetworkOutput",
    "canonical_loss_name",
    "get_loss",
]

Array = np.ndarray
LabelKind = Literal["one-hot", "binary", "real"]


class NetworkOutput:
    """The last layer's activations a^J, with logs taken from z^J where that is more stable.

    ``a`` may be None: it is then computed from z^J on first use, so a loss that needs only
    log a^J never pays for a^J.
    """

    def __init__(self, z: Array, a: Array | None, activation: Activation) -> None:
        self.z = z
        self._a = a
        self._activation = activation

    @property
    def a(self) -> Array:
        if self._a is None:
            self._a = self._activation.value(self.z)
        return self._a

    def log(self) -> Array:
        if self._activation.log_value is not None:
            return self._activation.log_value(self.z)
        return np.log(self.a)

    def log_one_minus(self) -> Array:
        if self._activation.log_one_minus_value is not None:
            return self._activation.log_one_minus_value(self.z)
        return np.log1p(-self.a)


@dataclass(frozen=True)
class Loss:
    """One loss. ``value`` gives L_s per sample, shape (B,); ``gradient`` gives ∇_a L_s, (B, n)."""

    name: str
    value: Callable[[NetworkOutput, Array], Array]
    gradient: Callable[[Array, Array], Array]
    formula: str
    gradient_formula: str
    # Needs outputs in (0, 1): only probability-valued activations may feed it.
    needs_probabilities: bool = False
    complex_safe: bool = True
    # ∇_a L from the output's logs, where 1/a would divide by an output rounded to 0 or 1.
    gradient_at: Callable[[NetworkOutput, Array], Array] | None = None
    # What a label y is: a one-hot row, a 0/1 per output, or any real number.
    labels: LabelKind = "real"
    # Takes logs of the outputs, so outputs next to 0 or 1 sit next to log 0. A formula loss may,
    # so it is assumed to.
    takes_logs: bool = True
    title: str = ""

    @property
    def display_name(self) -> str:
        """The name the docs use: the title, or the registry name for formula losses."""
        return self.title or self.name


def _mse(output: NetworkOutput, y: Array) -> Array:
    return np.mean((y - output.a) ** 2, axis=-1)


def _mse_gradient(a: Array, y: Array) -> Array:
    return -2.0 / a.shape[-1] * (y - a)


def _half_sse(output: NetworkOutput, y: Array) -> Array:
    return 0.5 * np.sum((y - output.a) ** 2, axis=-1)


def _half_sse_gradient(a: Array, y: Array) -> Array:
    return -(y - a)


def _bce(output: NetworkOutput, y: Array) -> Array:
    return -np.sum(y * output.log() + (1.0 - y) * output.log_one_minus(), axis=-1)


def _bce_gradient(a: Array, y: Array) -> Array:
    # NOTES.md: the seed prints −y/ŷ − (1−y)/(1−ŷ); the second sign is +.
    return -y / a + (1.0 - y) / (1.0 - a)


def _weighted_reciprocal(weight: Array, log_value: Array) -> Array:
    """weight / value = weight · e^(−log value), and 0 wherever the weight is 0"""
    # 1/value = e^{−log value} is finite until the log passes −709 (−88 in float32); a label of
    # 0 removes its term even then, where 0 · ∞ would put a NaN into the gradient.
    with np.errstate(over="ignore"):
        reciprocal = np.exp(-log_value)
    return weight * np.where(weight == 0, 1.0, reciprocal)


def _bce_gradient_at(output: NetworkOutput, y: Array) -> Array:
    """∇_a L = −y/a + (1 − y)/(1 − a), with 1/a and 1/(1 − a) from the output's logs"""
    return _weighted_reciprocal(1.0 - y, output.log_one_minus()) - _weighted_reciprocal(
        y, output.log()
    )


def _cce_gradient_at(output: NetworkOutput, y: Array) -> Array:
    """∇_a L = −y/a, with 1/a from the output's log"""
    return -_weighted_reciprocal(y, output.log())


def _cce(output: NetworkOutput, y: Array) -> Array:
    return -np.sum(y * output.log(), axis=-1)


def _cce_gradient(a: Array, y: Array) -> Array:
    return -y / a


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            name="mse",
            value=_mse,
            gradient=_mse_gradient,
            formula="L = (1/n) Σ_i (y_i − ŷ_i)²",
            gradient_formula="∇_a L = −(2/n)(y − a)",
            takes_logs=False,
            title="mean squared error",
        ),
        Loss(
            name="half_sse",
            value=_half_sse,
            gradient=_half_sse_gradient,
            formula="L = ½ Σ_i (y_i − ŷ_i)²",
            gradient_formula="∇_a L = −(y − a)",
            takes_logs=False,
            title="half the sum of squared errors (the quadratic cost)",
        ),
        Loss(
            name="binary_crossentropy",
            value=_bce,
            gradient=_bce_gradient,
            formula="L = Σ_i −y_i log ŷ_i − (1 − y_i) log(1 − ŷ_i)",
            gradient_formula="∇_a L = −y/a + (1 − y)/(1 − a)",
            needs_probabilities=True,
            gradient_at=_bce_gradient_at,
            labels="binary",
            title="binary cross-entropy",
        ),
        Loss(
            name="categorical_crossentropy",
            value=_cce,
            gradient=_cce_gradient,
            formula="L = −Σ_j y_j log ŷ_j",
            gradient_formula="∇_a L = −y/a",
            needs_probabilities=True,
            gradient_at=_cce_gradient_at,
            labels="one-hot",
            title="categorical cross-entropy",
        ),
    )
}

LOSS_ALIASES: dict[str, str] = {
    "mse": "mse",
    "mean_squared_error": "mse",
    "squared_error": "mse",
    "half_sse": "half_sse",
    "quadratic": "half_sse",
    "quadratic_cost": "half_sse",
    "half_squared_error": "half_sse",
    "bce": "binary_crossentropy",
    "binary_crossentropy": "binary_crossentropy",
    "binary_cross_entropy": "binary_crossentropy",
    "cce": "categorical_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy",
    "categorical_cross_entropy": "categorical_crossentropy",
    "crossentropy": "categorical_crossentropy",
    "cross_entropy": "categorical_crossentropy",
}


def canonical_loss_name(name: str) -> str | None:
    """The registry name for ``name`` or one of its aliases (case- and dash-insensitive)."""
    return LOSS_ALIASES.get(name.strip().lower().replace("-", "_"))


def get_loss(name: str) -> Loss:
    """The registered loss called ``name`` or an alias of it (KeyError if there is none)."""
    canonical = canonical_loss_name(name)
    if canonical is None:
        raise KeyError(name)
    return LOSSES[canonical]
