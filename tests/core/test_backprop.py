"""Equations 1–4 one by one, the seed's special cases, and an independent autodiff reference."""

from __future__ import annotations

import dataclasses

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from backprop_check.core.activations import get_activation
from backprop_check.core.backprop import (
    SPECIAL_CASES,
    Steps,
    backward,
    grad_b,
    grad_w,
    output_phi,
    phi_hidden,
    phi_output,
    phi_output_softmax,
    special_case,
)
from backprop_check.core.losses import get_loss
from backprop_check.core.network import init_network, random_batch


def test_eq1_is_an_elementwise_product(rng: np.random.Generator) -> None:
    g, d = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    np.testing.assert_array_equal(phi_output(g, d), g * d)


def test_eq2_matches_the_seed_component_form(rng: np.random.Generator) -> None:
    """φ_i^j = Σ_k w_{k,i}^{j+1} φ_k^{j+1} σ'(z_i^j), for each sample."""
    w_next = rng.standard_normal((3, 4))
    phi_next, dsigma = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    expected = np.array(
        [
            [sum(w_next[k, i] * phi_next[s, k] for k in range(3)) * dsigma[s, i] for i in range(4)]
            for s in range(2)
        ]
    )
    np.testing.assert_allclose(phi_hidden(w_next, phi_next, dsigma), expected)


def test_eq3_is_the_batch_mean_of_outer_products(rng: np.random.Generator) -> None:
    phi, a_prev = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    expected = np.mean([np.outer(phi[s], a_prev[s]) for s in range(5)], axis=0)
    np.testing.assert_allclose(grad_w(phi, a_prev), expected)
    assert grad_w(phi, a_prev).shape == (3, 4)


def test_eq4_is_the_batch_mean_of_phi(rng: np.random.Generator) -> None:
    phi = rng.standard_normal((5, 3))
    np.testing.assert_allclose(grad_b(phi), phi.mean(axis=0))


@pytest.mark.parametrize(("activation", "loss"), sorted(SPECIAL_CASES))
def test_special_cases_equal_the_general_eq1(
    activation: str, loss: str, rng: np.random.Generator
) -> None:
    act, loss_fn = get_activation(activation), get_loss(loss)
    z = rng.standard_normal((4, 3))
    a = act.value(z)
    y = np.eye(3)[[0, 2, 1, 1]] if loss != "mse" else rng.standard_normal((4, 3))
    grad_a = loss_fn.gradient(a, y)
    general = (
        phi_output_softmax(grad_a, a)
        if act.derivative is None
        else phi_output(grad_a, act.derivative(z))
    )
    np.testing.assert_allclose(SPECIAL_CASES[(activation, loss)].phi(z, a, y), general, atol=1e-12)


def test_softmax_cce_special_case_handles_labels_that_do_not_sum_to_one(
    rng: np.random.Generator,
) -> None:
    """NOTES.md: in general φ^J = a^J Σ_j y_j − y, not a^J − y."""
    z = rng.standard_normal((2, 3))
    a = get_activation("softmax").value(z)
    y = np.array([[0.5, 0.5, 1.0], [0.0, 0.0, 0.0]])
    general = phi_output_softmax(get_loss("cce").gradient(a, y), a)
    np.testing.assert_allclose(
        SPECIAL_CASES[("softmax", "categorical_crossentropy")].phi(z, a, y), general
    )
    assert not np.allclose(a - y, general)


# --------------------------------------------------------------------------- autograd reference


def _reference_forward(weights, biases, x, activations):
    a = x
    zs = []
    for w, b, name in zip(weights, biases, activations, strict=True):
        z = anp.dot(a, w.T) + b
        zs.append(z)
        if name == "relu":
            a = z * (z > 0)
        elif name == "sigmoid":
            a = 1 / (1 + anp.exp(-z))
        elif name == "tanh":
            a = anp.tanh(z)
        elif name == "linear":
            a = z
        else:
            shifted = z - anp.max(z, axis=1, keepdims=True)
            a = anp.exp(shifted) / anp.sum(anp.exp(shifted), axis=1, keepdims=True)
    return zs, a


def _reference_loss(a, y, loss):
    if loss == "mse":
        return anp.mean(anp.mean((y - a) ** 2, axis=1))
    if loss == "binary_crossentropy":
        return anp.mean(anp.sum(-y * anp.log(a) - (1 - y) * anp.log(1 - a), axis=1))
    return anp.mean(-anp.sum(y * anp.log(a), axis=1))


NETWORKS = [
    (("relu", "sigmoid", "softmax"), (7, 5, 3), "categorical_crossentropy"),
    (("relu", "relu"), (6, 2), "mse"),
    (("sigmoid", "sigmoid"), (5, 3), "binary_crossentropy"),
    (("tanh", "linear", "relu", "softmax"), (6, 5, 4, 3), "mse"),
    (("tanh", "softmax"), (4, 3), "binary_crossentropy"),
    (("linear", "sigmoid"), (4, 3), "categorical_crossentropy"),
]


@pytest.mark.parametrize(("activations", "units", "loss"), NETWORKS)
def test_analytic_gradients_match_autograd(
    activations, units, loss, rng: np.random.Generator
) -> None:
    network = init_network(
        input_size=4,
        units=units,
        activations=[get_activation(name) for name in activations],
        loss=get_loss(loss),
        init="auto",
        rng=rng,
    )
    x, y = random_batch(
        batch_size=6, input_size=4, output_size=units[-1], labels=get_loss(loss).labels, rng=rng
    )
    gradients = backward(network, network.forward(x), y)

    def total(params):
        weights, biases = params
        return _reference_loss(_reference_forward(weights, biases, x, activations)[1], y, loss)

    d_weights, d_biases = autograd.grad(total)((list(network.weights), list(network.biases)))
    for j in range(network.depth):
        np.testing.assert_allclose(gradients.dW[j], d_weights[j], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gradients.db[j], d_biases[j], rtol=1e-10, atol=1e-12)

    # φ^j is ∂L_s/∂z^j_s; with the batch mean L, that is B · ∂L/∂z^j.
    trace = network.forward(x)
    for j in range(1, network.depth + 1):

        def from_z(z, j=j):
            a = z
            for k in range(j, network.depth + 1):
                if k > j:
                    a = anp.dot(a, network.W(k).T) + network.b(k)
                a = _reference_forward([np.eye(a.shape[1])], [0.0], a, [activations[k - 1]])[1]
            return _reference_loss(a, y, loss)

        np.testing.assert_allclose(
            gradients.phis[j - 1],
            x.shape[0] * autograd.grad(from_z)(trace.z(j)),
            rtol=1e-10,
            atol=1e-12,
        )


def test_output_phi_takes_the_special_case_not_the_loss_gradient(rng: np.random.Generator) -> None:
    """softmax + CCE goes straight to a − y (seed §3.3.1): ∇_a L is never formed."""
    broken_loss = dataclasses.replace(
        get_loss("cce"), gradient=lambda a, y: np.full_like(a, np.nan)
    )
    network = init_network(
        input_size=3,
        units=(3,),
        activations=[get_activation("softmax")],
        loss=broken_loss,
        init="auto",
        rng=rng,
    )
    z = rng.standard_normal((2, 3))
    a = get_activation("softmax").value(z)
    y = np.eye(3)[[0, 1]]
    np.testing.assert_array_equal(output_phi(network, z, a, y), a - y)


def test_special_case_is_dropped_exactly_when_phi_or_its_derivatives_are_replaced(
    rng: np.random.Generator, monkeypatch
) -> None:
    network = init_network(
        input_size=3,
        units=(3,),
        activations=[get_activation("softmax")],
        loss=get_loss("cce"),
        init="auto",
        rng=rng,
    )
    key = ("softmax", "categorical_crossentropy")
    assert special_case(network) is SPECIAL_CASES[key]
    assert special_case(network, Steps(grad_w=lambda phi, a_prev, *, layer: phi.T @ a_prev))
    general = Steps(loss_gradient=lambda loss, a, y, *, layer: loss.gradient(a, y))
    for replaced in (
        general,
        Steps(activation_derivative=lambda activation, z, *, layer: activation.derivative(z)),
        Steps(phi_output=lambda z, a, y, activation, loss, *, layer: a - y),
    ):
        assert special_case(network, replaced) is None
    # What special_case says is what backward does: a NaN special case is used, or not.
    nan = dataclasses.replace(SPECIAL_CASES[key], phi=lambda z, a, y: np.full_like(a, np.nan))
    monkeypatch.setitem(SPECIAL_CASES, key, nan)
    trace = network.forward(rng.standard_normal((2, 3)))
    y = np.eye(3)[[0, 2]]
    assert np.isnan(backward(network, trace, y).phis[0]).all()
    assert np.isfinite(backward(network, trace, y, general).phis[0]).all()
