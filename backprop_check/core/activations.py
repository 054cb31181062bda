"""Activation functions as a registry: name → value σ(z) and derivative σ'(z).

Every function accepts real or complex arrays (samples as rows), so the complex-step method can
push an imaginary perturbation through them; branches are chosen on the real part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "sigmoid"]

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation. ``derivative`` is elementwise σ'(z); softmax has none and uses a Jacobian."""

    name: str
    value: Callable[[Array], Array]
    derivative: Callable[[Array], Array] | None
    formula: str
    derivative_formula: str
    hidden_ok: bool = True
    # Points where σ' jumps; a finite difference straddling one measures an average slope.
    kinks: tuple[float, ...] = ()
    # Outputs lie strictly inside (0, 1), so log-based losses are defined.
    probabilities: bool = False
    log_value: Callable[[Array], Array] | None = None
    log_one_minus_value: Callable[[Array], Array] | None = None
    # Complex-analytic, so the complex-step method applies (not so for abs, where, max, ...).
    complex_safe: bool = True
    # How the docs name it, and the anchor of docs/derivation.md that writes its Eq. 2 out, if any.
    title: str = ""
    section: str | None = None
    # Piecewise linear: a change passes through unchanged in slope until some unit changes side,
    # so the perturbation engine can carry it linearly.
    piecewise_linear: bool = False
    # |z| beyond which σ'(z) < 1e-8: a wrong σ' there changes nothing a difference can see.
    saturates_beyond: float | None = None
    # σ' is 0 wherever z ≤ this: a unit there is off, and a layer all off checks nothing.
    off_at_or_below: float | None = None
    # The weight scale `init: auto` picks for a layer of this activation.
    default_init: str = "xavier"

    @property
    def display_name(self) -> str:
        """The name the docs use: the title, or the registry name for formula activations."""
        return self.title or self.name


def _relu(z: Array) -> Array:
    return np.where(z.real > 0, z, 0.0)


def _relu_derivative(z: Array) -> Array:
    # The derivation's convention (docs/derivation.md#relu-kink): σ'(0) = 0.
    return (z.real > 0).astype(z.real.dtype)


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^(−z)), for real or complex arrays and scalars, without overflow."""
    # Split on the sign so exp never overflows: 1/(1+e^{-z}) for z ≥ 0, e^z/(1+e^z) below.
    z = np.asarray(z)
    out = np.empty_like(z)
    positive = z.real >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def _mirrored(z: Array) -> Array:
    """z with its real part made ≥ 0 by z → −z: even functions such as σ' and tanh' take the same
    value there, and e^(−z) can neither overflow nor be rounded against 1."""
    return np.where(z.real >= 0, z, -z)


def _sigmoid_derivative(z: Array) -> Array:
    """σ'(z) = σ(z) ∘ (1 − σ(z)) = e^(−|z|) / (1 + e^(−|z|))²"""
    # σ(z)(1 − σ(z)) computed as written rounds 1 − σ(z) to 0 beyond z ≈ 37 (float64), ≈ 17
    # (float32), where σ' is still e^(−z): a saturated unit would report no slope at all.
    decay = np.exp(-_mirrored(z))
    return decay / (1.0 + decay) ** 2


def _log_sigmoid(z: Array) -> Array:
    # log σ(z) = −log(1+e^{-z}) for z ≥ 0 and z − log(1+e^{z}) below: no overflow, no log(0).
    out = np.empty_like(z)
    positive = z.real >= 0
    out[positive] = -np.log1p(np.exp(-z[positive]))
    negative = z[~positive]
    out[~positive] = negative - np.log1p(np.exp(negative))
    return out


def _log_one_minus_sigmoid(z: Array) -> Array:
    return _log_sigmoid(-z)


def _tanh_derivative(z: Array) -> Array:
    """tanh'(z) = 1 − tanh(z)² = 4 e^(−2|z|) / (1 + e^(−2|z|))²"""
    # 1 − tanh(z)² rounds to 0 beyond |z| ≈ 19 (float64), ≈ 9 (float32); this form does not.
    decay = np.exp(-2.0 * _mirrored(z))
    return 4.0 * decay / (1.0 + decay) ** 2


def _shifted(z: Array) -> Array:
    # Subtracting the row maximum leaves softmax unchanged and keeps exp ≤ 1.
    return z - np.max(z.real, axis=-1, keepdims=True)


def _softmax(z: Array) -> Array:
    exp_z = np.exp(_shifted(z))
    return exp_z / np.sum(exp_z, axis=-1, keepdims=True)


def _log_softmax(z: Array) -> Array:
    shifted = _shifted(z)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _logsumexp(z: Array) -> Array:
    top = np.max(z.real, axis=-1, keepdims=True)
    return top + np.log(np.sum(np.exp(z - top), axis=-1, keepdims=True))


def _log_one_minus_softmax(z: Array) -> Array:
    # log1p(−p) is exact where p ≤ 1/2, i.e. everywhere but the largest unit. There 1 − p is the
    # other units' share, log Σ_{k≠top} e^{z_k} − log Σ_k e^{z_k}, taken as two log-sum-exps: left
    # over from 1 − p it would keep only the digits of p above the rounding of 1.
    with np.errstate(divide="ignore"):
        result = np.log1p(-_softmax(z))
    top = np.argmax(z.real, axis=-1)[..., None]
    others = z.copy()
    np.put_along_axis(others, top, -np.inf, axis=-1)
    np.put_along_axis(result, top, _logsumexp(others) - _logsumexp(z), axis=-1)
    return result


# sigmoid' and tanh' fall below ~1e-8 beyond |z| = 20.
_SATURATED_Z = 20.0

ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation(
            name="relu",
            value=_relu,
            derivative=_relu_derivative,
            formula="max(z, 0)",
            derivative_formula="1 if z > 0 else 0",
            kinks=(0.0,),
            title="ReLU",
            section="relu-hidden",
            piecewise_linear=True,
            off_at_or_below=0.0,
            default_init="he",
        ),
        Activation(
            name="sigmoid",
            value=sigmoid,
            derivative=_sigmoid_derivative,
            formula="1 / (1 + e^(−z))",
            derivative_formula="σ(z) ∘ (1 − σ(z))",
            probabilities=True,
            log_value=_log_sigmoid,
            log_one_minus_value=_log_one_minus_sigmoid,
            title="sigmoid",
            section="sigmoid-hidden",
            saturates_beyond=_SATURATED_Z,
        ),
        Activation(
            name="tanh",
            value=np.tanh,
            derivative=_tanh_derivative,
            formula="tanh(z)",
            derivative_formula="1 − tanh(z)²",
            title="tanh",
            saturates_beyond=_SATURATED_Z,
        ),
        Activation(
            name="linear",
            value=lambda z: z,
            derivative=np.ones_like,
            formula="z",
            derivative_formula="1",
            title="linear",
            piecewise_linear=True,
        ),
        Activation(
            name="softmax",
            value=_softmax,
            derivative=None,
            formula="e^z / Σ_k e^(z_k)",
            derivative_formula="diag(a) − a aᵀ (a Jacobian, not elementwise)",
            hidden_ok=False,
            probabilities=True,
            log_value=_log_softmax,
            log_one_minus_value=_log_one_minus_softmax,
            title="softmax",
        ),
    )
}


def get_activation(name: str) -> Activation:
    """The registered activation called ``name`` (KeyError if there is none)."""
    return ACTIVATIONS[name]
