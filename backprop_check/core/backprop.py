"""Analytic gradients through the Equations 1–4 of docs/derivation.md#equations, samples as rows.

φ^j is the derivation's per-sample φ^j = ∇_{z^j} L_s (one row per sample). With the batch loss
L = mean_s L_s, ∇W^j and ∇b^j are batch means of the per-sample Eq. 3 and Eq. 4
(docs/derivation.md#batch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import get_activation, sigmoid
from .network import Network, Trace

__all__ = [
    "BUILT_IN",
    "LOGIT_FORMS",
    "SPECIAL_CASES",
    "Gradients",
    "SpecialCase",
    "Steps",
    "backward",
    "grad_b",
    "grad_w",
    "output_phi",
    "phi_hidden",
    "phi_output",
    "phi_output_softmax",
    "special_case",
]

Array = np.ndarray


def phi_output(grad_a: Array, dsigma: Array) -> Array:
    """φ^J = ∇_{a^J} L ∘ σ'(z^J)   (Eq. 1)"""
    return grad_a * dsigma


def phi_output_softmax(grad_a: Array, a: Array) -> Array:
    """φ^J = a^J ∘ (∇_{a^J} L − a^J · ∇_{a^J} L)   (Eq. 1 through the softmax Jacobian)"""
    # Σ_i a_i = 1, so g may be measured from any g_t. Measured from the largest output's, that
    # output's own φ_t = −a_t Σ_{i≠t} a_i (g_i − g_t) is a sum of small terms; written as
    # a_t (g_t − a·g) it would be a difference of two nearly equal ones when a_t is near 1.
    top = np.argmax(a, axis=-1)[..., None]
    shifted = grad_a - np.take_along_axis(grad_a, top, axis=-1)
    return a * (shifted - np.sum(a * shifted, axis=-1, keepdims=True))


def phi_hidden(w_next: Array, phi_next: Array, dsigma: Array) -> Array:
    """φ^j = (w^{j+1})ᵀ φ^{j+1} ∘ σ'(z^j)   (Eq. 2)"""
    # Rows are samples, so (w^{j+1})ᵀ φ^{j+1} for every sample at once is φ^{j+1} w^{j+1}.
    return (phi_next @ w_next) * dsigma


def grad_w(phi: Array, a_prev: Array) -> Array:
    """∇_{w^j} L = φ^j (a^{j-1})ᵀ   (Eq. 3), averaged over the batch"""
    return phi.T @ a_prev / phi.shape[0]


def grad_b(phi: Array) -> Array:
    """∇_{b^j} L = φ^j   (Eq. 4), averaged over the batch"""
    return np.mean(phi, axis=0)


def _relu_mse(z: Array, a: Array, y: Array) -> Array:
    """φ^J = −(2/n)(y − a^J) where z^J > 0, else 0   (docs/derivation.md#relu-mse)"""
    return np.where(z > 0, -2.0 / a.shape[-1] * (y - a), 0.0)


def _sigmoid_bce(z: Array, a: Array, y: Array) -> Array:
    """φ^J = a^J − y = (1 − y) ∘ σ(z^J) − y ∘ σ(−z^J)   (docs/derivation.md#sigmoid-bce)"""
    # For y = 1, a − y is −(1 − a): once a rounds to 1 it is 0, while −σ(−z) keeps its digits.
    return (1.0 - y) * a - y * sigmoid(-z)


# Above this share of the top output, a_t Σ_j y_j − y_t starts to lose bits to the rounding of
# a_t near 1 (a_t − 1 keeps those of 1 − a_t only); below it, it is the derivation's formula as
# printed.
_TOP_SHARE = 0.875


def _softmax_cce(z: Array, a: Array, y: Array) -> Array:
    """φ^J = a^J Σ_j y_j − y, which is a^J − y for one-hot y   (docs/derivation.md#softmax-cce)
    at the top unit t: φ_t = Σ_{k≠t} y_k − (1 − a_t) Σ_j y_j with 1 − a_t = Σ_{k≠t} a_k."""
    label_sum = np.sum(y, axis=-1, keepdims=True)
    phi = a * label_sum - y
    top = np.argmax(a, axis=-1)[..., None]
    other_a, other_y = _without(a, top), _without(y, top)
    phi_top = (
        np.sum(other_y, axis=-1, keepdims=True)
        - np.sum(other_a, axis=-1, keepdims=True) * label_sum
    )
    saturated = np.take_along_axis(a, top, axis=-1) > _TOP_SHARE
    np.put_along_axis(
        phi, top, np.where(saturated, phi_top, np.take_along_axis(phi, top, axis=-1)), axis=-1
    )
    return phi


def _without(values: Array, top: Array) -> Array:
    """A copy of ``values`` with the top unit's entry set to 0."""
    rest = values.copy()
    np.put_along_axis(rest, top, 0.0, axis=-1)
    return rest


def _sigmoid_cce(z: Array, a: Array, y: Array) -> Array:
    """φ^J = −y ∘ (1 − a^J) = −y ∘ σ(−z^J)   (sigmoid + CCE: −y/a ∘ a(1 − a))"""
    return -y * sigmoid(-z)


def _softmax_bce(z: Array, a: Array, y: Array) -> Array:
    """φ^J_j = u_j − a_j Σ_i u_i with u_i = a_i ∂L/∂a_i = −y_i + (1 − y_i) a_i / (1 − a_i)
    (softmax + BCE), summed apart from the top unit t = argmax z, whose u_t ~ 1/(1 − a_t) is not
    formed:   φ_t = −y_t (1 − a_t) + (1 − y_t) a_t − a_t U,
              φ_j = u_j − a_j U + y_t a_j − (1 − y_t) a_t q_j   (j ≠ t),
    with U = Σ_{i≠t} u_i and q_j = a_j / (1 − a_t) = e^{z_j} / Σ_{k≠t} e^{z_k}."""
    top = np.argmax(z, axis=-1)[..., None]
    a_top, y_top = np.take_along_axis(a, top, axis=-1), np.take_along_axis(y, top, axis=-1)
    # Every unit but the top one has a_i ≤ 1/2: a_i / (1 − a_i) ≤ 1, and 1 − a_i keeps its digits.
    others = _without(a, top)
    u = -y + (1.0 - y) * others / (1.0 - others)
    np.put_along_axis(u, top, 0.0, axis=-1)
    u_sum = np.sum(u, axis=-1, keepdims=True)
    logits_without_top = z.copy()
    np.put_along_axis(logits_without_top, top, -np.inf, axis=-1)
    q = get_activation("softmax").value(logits_without_top)
    complement = np.sum(others, axis=-1, keepdims=True)  # 1 − a_t, kept from the small units
    phi = u - others * u_sum + y_top * others - (1.0 - y_top) * a_top * q
    phi_top = -y_top * complement + (1.0 - y_top) * a_top - a_top * u_sum
    np.put_along_axis(phi, top, phi_top, axis=-1)
    return phi


@dataclass(frozen=True)
class SpecialCase:
    """A closed form of Eq. 1 for one pairing of activation and loss.

    docs/derivation.md#special-cases derives each.
    """

    phi: Callable[[Array, Array, Array], Array]
    formula: str
    # The anchors of docs/derivation.md that derive it, and that say what it corrects, if anything.
    section: str
    remark: str = ""


SPECIAL_CASES: dict[tuple[str, str], SpecialCase] = {
    ("relu", "mse"): SpecialCase(_relu_mse, "−(2/n)(y − a) where z > 0, else 0", "relu-mse"),
    ("sigmoid", "binary_crossentropy"): SpecialCase(
        _sigmoid_bce, "a − y", "sigmoid-bce", remark="errata-bce-sign"
    ),
    ("softmax", "categorical_crossentropy"): SpecialCase(
        _softmax_cce, "a Σ_j y_j − y  (= a − y for one-hot y)", "softmax-cce"
    ),
}


# Eq. 1 in closed form for the other pairings whose general form ∇_a L ∘ σ'(z) divides by an
# output rounded to 0 or 1 when the output saturates: written from the logits z^J, it stays finite
# and keeps its digits. Unlike the derivation's special cases, these are Eq. 1 itself, not a step a
# user is asked to check, so a failing φ^J still points at ∇_a L and σ'.
LOGIT_FORMS: dict[tuple[str, str], Callable[[Array, Array, Array], Array]] = {
    ("sigmoid", "categorical_crossentropy"): _sigmoid_cce,
    ("softmax", "binary_crossentropy"): _softmax_bce,
}


@dataclass(frozen=True)
class Gradients:
    """Per-layer analytic results; index j−1 holds layer j."""

    phis: tuple[Array, ...] | None  # None when a user's own backward gives only ∇W and ∇b
    dW: tuple[Array, ...]
    db: tuple[Array, ...]


@dataclass(frozen=True)
class Steps:
    """Replacements for the steps of backpropagation, each on a whole batch (samples as rows).

    A step left as None is the built-in one. Each receives ``layer`` (the derivation's j) so that a
    replacement can say where it went wrong. When ``loss_gradient`` or ``activation_derivative``
    is replaced, Eq. 1 takes its general form ∇_a L ∘ σ'(z): a special case such as a − y would
    otherwise hide the replaced derivative (:func:`special_case`).
    """

    activation_derivative: Callable[..., Array] | None = None  # (activation, z, *, layer)
    loss_gradient: Callable[..., Array] | None = None  # (loss, a, y, *, layer)
    phi_output: Callable[..., Array] | None = None  # (z, a, y, activation, loss, *, layer)
    phi_hidden: Callable[..., Array] | None = None  # (w_next, phi_next, z, activation, *, layer)
    grad_w: Callable[..., Array] | None = None  # (phi, a_prev, *, layer), batch mean
    grad_b: Callable[..., Array] | None = None  # (phi, *, layer), batch mean


BUILT_IN = Steps()


def special_case(network: Network, steps: Steps = BUILT_IN) -> SpecialCase | None:
    """The derivation's closed form of Eq. 1 that computes φ^J with these steps, or None.

    None when the pairing has none, or when φ^J, ∇_a L or σ' is replaced: then φ^J is the
    replacement's, or the general ∇_a L ∘ σ'(z) that lets a replaced derivative show.
    """
    if (
        steps.phi_output is not None
        or steps.loss_gradient is not None
        or steps.activation_derivative is not None
    ):
        return None
    return SPECIAL_CASES.get((network.activation(network.depth).name, network.loss.name))


def output_phi(network: Network, z: Array, a: Array, y: Array) -> Array:
    """φ^J by the derivation's special case for this pairing, else by its closed form from the
    logits, else by the general Eq. 1."""
    activation = network.activation(network.depth)
    pairing = (activation.name, network.loss.name)
    special = special_case(network)
    if special is not None:
        return special.phi(z, a, y)
    if pairing in LOGIT_FORMS:
        return LOGIT_FORMS[pairing](z, a, y)
    grad_a = _loss_gradient(network, z, a, y)
    if activation.derivative is None:
        return phi_output_softmax(grad_a, a)
    return phi_output(grad_a, activation.derivative(z))


def _loss_gradient(network: Network, z: Array, a: Array, y: Array) -> Array:
    """∇_a L, from the output's logs where the loss offers that (saturated outputs)."""
    loss = network.loss
    if loss.gradient_at is not None:
        return loss.gradient_at(network.output(z, a), y)
    return loss.gradient(a, y)


def _sigma_prime(network: Network, steps: Steps, layer: int, z: Array) -> Array:
    activation = network.activation(layer)
    if steps.activation_derivative is not None:
        return steps.activation_derivative(activation, z, layer=layer)
    assert activation.derivative is not None, "validation keeps softmax out of hidden layers"
    return activation.derivative(z)


def _output_phi(network: Network, trace: Trace, y: Array, steps: Steps) -> Array:
    J = network.depth
    z, a = trace.z(J), trace.a(J)
    activation, loss = network.activation(J), network.loss
    if steps.phi_output is not None:
        return steps.phi_output(z, a, y, activation, loss, layer=J)
    if special_case(network, steps) is not None:
        return output_phi(network, z, a, y)
    # Eq. 1 from the logits, where the pairing has that form and neither of its factors is
    # replaced (softmax has no elementwise σ' to replace): finite and exact at saturation.
    pairing = (activation.name, loss.name)
    sigma_replaced = steps.activation_derivative is not None and activation.derivative is not None
    if pairing in LOGIT_FORMS and steps.loss_gradient is None and not sigma_replaced:
        return LOGIT_FORMS[pairing](z, a, y)
    grad_a = (
        steps.loss_gradient(loss, a, y, layer=J)
        if steps.loss_gradient is not None
        else _loss_gradient(network, z, a, y)
    )
    if activation.derivative is None:
        # Softmax's derivative is a Jacobian, not an elementwise σ': it stays built in.
        return phi_output_softmax(grad_a, a)
    return phi_output(grad_a, _sigma_prime(network, steps, J, z))


def backward(network: Network, trace: Trace, y: Array, steps: Steps = BUILT_IN) -> Gradients:
    """Equations 1–4 from the output layer down to layer 1."""
    J = network.depth
    phis: list[Array] = [_output_phi(network, trace, y, steps)]
    for j in range(J - 1, 0, -1):
        if steps.phi_hidden is not None:
            phi = steps.phi_hidden(
                network.W(j + 1), phis[0], trace.z(j), network.activation(j), layer=j
            )
        else:
            phi = phi_hidden(network.W(j + 1), phis[0], _sigma_prime(network, steps, j, trace.z(j)))
        phis.insert(0, phi)
    dW, db = [], []
    for j in range(1, J + 1):
        phi, a_prev = phis[j - 1], trace.a(j - 1)
        dW.append(steps.grad_w(phi, a_prev, layer=j) if steps.grad_w else grad_w(phi, a_prev))
        db.append(steps.grad_b(phi, layer=j) if steps.grad_b else grad_b(phi))
    return Gradients(phis=tuple(phis), dW=tuple(dW), db=tuple(db))
