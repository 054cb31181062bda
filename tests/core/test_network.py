"""Forward pass, initialisation and data generation."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.core.activations import get_activation
from backprop_check.core.losses import get_loss
from backprop_check.core.network import init_network, random_batch


def _network(rng, init="auto", activations=("relu", "sigmoid", "softmax"), units=(6, 5, 3)):
    return init_network(
        input_size=4,
        units=units,
        activations=[get_activation(name) for name in activations],
        loss=get_loss("cce"),
        init=init,
        rng=rng,
    )


def test_forward_follows_the_seed_equations(rng: np.random.Generator) -> None:
    network = _network(rng)
    x = rng.standard_normal((3, 4))
    trace = network.forward(x)
    a = x
    for j in range(1, 4):
        z = np.array([network.W(j) @ a_s + network.b(j) for a_s in a])  # z^j = w^j a^{j-1} + b^j
        np.testing.assert_allclose(trace.z(j), z)
        a = network.activation(j).value(z)
        np.testing.assert_allclose(trace.a(j), a)
    assert trace.a(0) is x


def test_shapes_follow_the_seed(rng: np.random.Generator) -> None:
    network = _network(rng)
    assert [w.shape for w in network.weights] == [(6, 4), (5, 6), (3, 5)]
    assert [b.shape for b in network.biases] == [(6,), (5,), (3,)]
    assert network.depth == 3
    assert all(w.dtype == np.float64 for w in network.weights)


@pytest.mark.parametrize(
    ("init", "expected_std"),
    [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 800)), ("normal", 1.0)],
)
def test_init_schemes_scale_the_weights(init: str, expected_std: float) -> None:
    rng = np.random.default_rng(0)
    network = init_network(
        input_size=400,
        units=(400,),
        activations=[get_activation("tanh")],
        loss=get_loss("mse"),
        init=init,
        rng=rng,
    )
    assert network.W(1).std() == pytest.approx(expected_std, rel=0.02)


def test_auto_init_uses_he_for_relu_and_xavier_otherwise() -> None:
    rng = np.random.default_rng(0)
    network = init_network(
        input_size=400,
        units=(400, 400),
        activations=[get_activation("relu"), get_activation("tanh")],
        loss=get_loss("mse"),
        init="auto",
        rng=rng,
    )
    assert network.W(1).std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert network.W(2).std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "binary_crossentropy", "mse"])
def test_labels_fit_the_loss(loss: str, rng: np.random.Generator) -> None:
    x, y = random_batch(
        batch_size=50, input_size=3, output_size=4, labels=get_loss(loss).labels, rng=rng
    )
    assert x.shape == (50, 3)
    assert y.shape == (50, 4)
    if loss == "categorical_crossentropy":
        np.testing.assert_array_equal(y.sum(axis=1), 1.0)
        assert set(np.unique(y)) == {0.0, 1.0}
    elif loss == "binary_crossentropy":
        assert set(np.unique(y)) == {0.0, 1.0}
    else:
        assert len(np.unique(y)) == y.size


def test_same_seed_same_numbers() -> None:
    first = _network(np.random.default_rng(5))
    second = _network(np.random.default_rng(5))
    for w1, w2 in zip(first.weights, second.weights, strict=True):
        np.testing.assert_array_equal(w1, w2)
