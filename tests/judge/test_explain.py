"""`explain`: the right equation for every layer, with the seed's special cases."""

from __future__ import annotations

import pytest

from backprop_check.judge.explain import explain
from backprop_check.spec.config import load_config

from ..helpers import small_config

DERIVATIVE_SIGMOID = "σ'(z) = σ(z) ∘ (1 − σ(z))"
OUTPUTS = {
    ("relu", "mse"): (
        "−(2/n)(y − a²) where z² > 0, else 0",
        "ReLU + mean squared error, Eq. 1, seed §3.1.1",
    ),
    ("sigmoid", "binary_crossentropy"): (
        "a² − y",
        "sigmoid + binary cross-entropy, Eq. 1, seed §3.2.1, sign fixed as in NOTES.md",
    ),
    ("softmax", "categorical_crossentropy"): (
        "a² Σ_j y_j − y  (= a² − y for one-hot y)",
        "softmax + categorical cross-entropy, Eq. 1, seed §3.3.1",
    ),
    ("sigmoid", "mse"): (
        f"∇_a L ∘ σ'(z²) with ∇_a L = −(2/n)(y − a) and {DERIVATIVE_SIGMOID}",
        "sigmoid + mean squared error, Eq. 1",
    ),
    ("sigmoid", "categorical_crossentropy"): (
        f"∇_a L ∘ σ'(z²) with ∇_a L = −y/a and {DERIVATIVE_SIGMOID}",
        "sigmoid + categorical cross-entropy, Eq. 1",
    ),
    ("softmax", "mse"): (
        "a² ∘ (g − a²·g) with g = ∇_a L = −(2/n)(y − a)",
        "softmax + mean squared error, Eq. 1 through the softmax Jacobian",
    ),
    ("softmax", "binary_crossentropy"): (
        "a² ∘ (g − a²·g) with g = ∇_a L = −y/a + (1 − y)/(1 − a)",
        "softmax + binary cross-entropy, Eq. 1 through the softmax Jacobian",
    ),
    ("tanh", "mse"): (
        "∇_a L ∘ σ'(z²) with ∇_a L = −(2/n)(y − a) and σ'(z) = 1 − tanh(z)²",
        "tanh + mean squared error, Eq. 1",
    ),
    ("linear", "mse"): (
        "∇_a L ∘ σ'(z²) with ∇_a L = −(2/n)(y − a) and σ'(z) = 1",
        "linear + mean squared error, Eq. 1",
    ),
}


@pytest.mark.parametrize(("output", "loss"), sorted(OUTPUTS))
def test_every_pairing_gets_its_own_eq1(output: str, loss: str) -> None:
    config = small_config(
        layers=[{"units": 5, "activation": "relu"}, {"units": 3, "activation": output}], loss=loss
    )
    layers = explain(load_config(config))
    phi = layers[0].lines[0]
    assert (phi.symbol, phi.formula, phi.source) == ("φ²", *OUTPUTS[(output, loss)])
    assert phi.shape == "batch × 3"


@pytest.mark.parametrize(
    ("hidden", "derivative", "source"),
    [
        ("relu", "1 if z > 0 else 0", "ReLU, Eq. 2, seed §3.1.2"),
        ("sigmoid", "σ(z) ∘ (1 − σ(z))", "sigmoid, Eq. 2, seed §3.2.2"),
        ("tanh", "1 − tanh(z)²", "tanh, Eq. 2"),
        ("linear", "1", "linear, Eq. 2"),
    ],
)
def test_hidden_layers_use_eq2_with_their_derivative(
    hidden: str, derivative: str, source: str
) -> None:
    config = small_config(
        layers=[{"units": 5, "activation": hidden}, {"units": 3, "activation": "softmax"}]
    )
    phi = explain(load_config(config))[1].lines[0]
    assert phi.formula == f"(W²)ᵀ φ² ∘ σ'(z¹) with σ'(z) = {derivative}"
    assert phi.source == source


def test_eq3_and_eq4_with_shapes_from_the_output_down() -> None:
    layers = explain(load_config(small_config()))
    assert [(layer.layer, layer.role) for layer in layers] == [
        (3, "output"),
        (2, "hidden"),
        (1, "hidden"),
    ]
    w2, b2 = layers[1].lines[1:]
    assert (w2.symbol, w2.formula, w2.source, w2.shape) == (
        "∇W²",
        "φ² (a¹)ᵀ, averaged over the batch",
        "Eq. 3",
        "5 × 6",
    )
    assert (b2.symbol, b2.formula, b2.source, b2.shape) == (
        "∇b²",
        "φ², averaged over the batch",
        "Eq. 4",
        "5",
    )
    assert layers[2].lines[1].formula.endswith("(a⁰ = x)")
    assert layers[0].to_dict()["equations"][0]["symbol"] == "φ³"
