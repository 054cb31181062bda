"""A from-scratch backpropagation, written as a reader of the derivation would, checked by bpcheck.

    bpcheck run configs/softmax_cce.yaml --impl configs/my_backprop_example.py

Every function works on ONE sample, with 1-D numpy arrays, in the notation of
docs/derivation.md#notation (z^j = w^j a^{j-1} + b^j, a^j = σ(z^j), φ^j = ∇_{z^j} L). bpcheck
calls them for each sample of the batch and averages ∇W and ∇b over it. Define any subset: the
steps you leave out stay built in. To see the checker catch a mistake, put back one of the printed
typos (docs/derivation.md#errata), e.g. in phi_hidden use sigma(z) instead of
activation_derivative(activation, z): the report then fails φ at that layer with Eq. 2.
"""

import numpy as np


def sigma(name, z):
    """σ(z) for the activations this file knows."""
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    return z


def activation_derivative(name, z):
    """σ'(z) (docs/derivation.md#activations).

    ReLU' = 1 where z > 0 else 0; sigmoid' = σ(z)(1 − σ(z)).
    """
    if name == "relu":
        return (z > 0).astype(float)
    if name == "sigmoid":
        s = sigma("sigmoid", z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    return np.ones_like(z)


def loss_gradient(name, a, y):
    """∇_a L for one sample (docs/derivation.md#losses)."""
    if name == "mse":
        return -2.0 / a.size * (y - a)
    if name == "binary_crossentropy":
        return -y / a + (1.0 - y) / (1.0 - a)
    return -y / a


def phi_output(z, a, y, activation, loss):
    """Eq. 1: φ^J = ∇_{a^J} L ∘ σ'(z^J), or a closed form (docs/derivation.md#special-cases)."""
    if activation == "softmax" and loss == "categorical_crossentropy":
        return a - y  # docs/derivation.md#softmax-cce (one-hot y)
    if activation == "sigmoid" and loss == "binary_crossentropy":
        return a - y  # docs/derivation.md#sigmoid-bce: the simplified form
    g = loss_gradient(loss, a, y)
    if activation == "softmax":
        return a * (g - a @ g)  # softmax's derivative is a Jacobian: diag(a) − a aᵀ
    return g * activation_derivative(activation, z)


def phi_hidden(w_next, phi_next, z, activation):
    """Eq. 2: φ^j = (w^{j+1})ᵀ φ^{j+1} ∘ σ'(z^j)."""
    return w_next.T @ phi_next * activation_derivative(activation, z)


def grad_w(phi, a_prev):
    """Eq. 3: ∇_{w^j} L = φ^j (a^{j-1})ᵀ."""
    return np.outer(phi, a_prev)


def grad_b(phi):
    """Eq. 4: ∇_{b^j} L = φ^j."""
    return phi
