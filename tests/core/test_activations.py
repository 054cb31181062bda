"""Each activation's value and derivative, checked against central differences and closed forms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_check.core.activations import ACTIVATIONS, get_activation

ELEMENTWISE = sorted(name for name, act in ACTIVATIONS.items() if act.derivative is not None)


def _numeric_derivative(function, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return (function(z + eps) - function(z - eps)) / (2 * eps)


def _derivative_agrees(activation, z: np.ndarray) -> bool:
    return np.allclose(
        activation.derivative(z), _numeric_derivative(activation.value, z), atol=1e-8
    )


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(name: str, rng: np.random.Generator) -> None:
    z = rng.standard_normal((4, 7)) * 3
    z = z[np.abs(z) > 1e-3].reshape(-1)  # keep clear of ReLU's kink at 0
    assert _derivative_agrees(get_activation(name), z)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_a_wrong_derivative_is_detected(name: str, rng: np.random.Generator) -> None:
    activation = get_activation(name)
    broken = dataclasses.replace(activation, derivative=lambda z: 1.1 * activation.derivative(z))
    z = rng.standard_normal(20) + 0.5  # some positive entries, so ReLU' is non-zero somewhere
    assert not _derivative_agrees(broken, z)


def test_values_match_their_textbook_definitions(rng: np.random.Generator) -> None:
    z = rng.standard_normal((3, 4))
    np.testing.assert_allclose(get_activation("relu").value(z), np.maximum(z, 0))
    np.testing.assert_allclose(get_activation("sigmoid").value(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(get_activation("tanh").value(z), np.tanh(z))
    np.testing.assert_array_equal(get_activation("linear").value(z), z)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(get_activation("softmax").value(z), expected)


def test_relu_derivative_is_zero_at_zero_as_the_seed_defines() -> None:
    z = np.array([-1.0, 0.0, 1e-300, 2.0])
    np.testing.assert_array_equal(get_activation("relu").derivative(z), [0, 0, 1, 1])


def test_softmax_jacobian_product_matches_finite_differences(rng: np.random.Generator) -> None:
    from backprop_check.core.backprop import phi_output_softmax

    softmax = get_activation("softmax").value
    z, g = rng.standard_normal(5), rng.standard_normal(5)
    numeric = np.array(
        [
            np.dot(g, _numeric_derivative(lambda t, i=i: softmax(z + t * np.eye(5)[i]), 0.0))
            for i in range(5)
        ]
    )
    np.testing.assert_allclose(phi_output_softmax(g, softmax(z)), numeric, atol=1e-9)


def test_sigmoid_and_softmax_are_stable_at_extreme_inputs() -> None:
    z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    sigmoid = get_activation("sigmoid")
    s = sigmoid.value(z)
    assert np.all(np.isfinite(s))
    assert s[0, 0] == 0.0
    assert s[0, -1] == 1.0
    np.testing.assert_allclose(sigmoid.log_value(z)[0, [0, -1]], [-1000.0, 0.0])
    np.testing.assert_allclose(sigmoid.log_one_minus_value(z)[0, [0, -1]], [0.0, -1000.0])
    softmax = get_activation("softmax")
    p = softmax.value(z)
    np.testing.assert_allclose(p.sum(), 1.0)
    np.testing.assert_allclose(softmax.log_value(z)[0, 0], -2000.0)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_complex_inputs_give_the_derivative_in_the_imaginary_part(
    name: str, rng: np.random.Generator
) -> None:
    activation = get_activation(name)
    z = rng.standard_normal((2, 4)) + 0.3
    h = 1e-20
    imaginary = activation.value(z + 1j * h * np.eye(4)[1]).imag / h
    eps = 1e-6
    step = eps * np.eye(4)[1]
    central = (activation.value(z + step) - activation.value(z - step)) / (2 * eps)
    np.testing.assert_allclose(imaginary, central, atol=1e-8)


# --------------------------------------------------------------------------- facts in the registry


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_piecewise_linear_means_exactly_linear_between_kinks(
    name: str, rng: np.random.Generator
) -> None:
    activation = get_activation(name)
    z = rng.uniform(0.5, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    h = 0.25  # never crosses 0 from |z| ≥ 0.5
    if activation.derivative is None:
        assert not activation.piecewise_linear
        return
    linear = activation.value(z) + h * activation.derivative(z)
    exact = np.allclose(activation.value(z + h), linear, rtol=0, atol=1e-15)
    assert exact == activation.piecewise_linear


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_saturation_and_off_ranges_are_where_the_derivative_vanishes(name: str) -> None:
    activation = get_activation(name)
    if activation.saturates_beyond is not None:
        beyond = activation.saturates_beyond * np.array([[-1.01, 1.01]])
        assert np.all(np.abs(activation.derivative(beyond)) < 1e-8)
        assert np.all(np.abs(activation.derivative(beyond / 10)) > 1e-8)
    if activation.off_at_or_below is not None:
        off = activation.off_at_or_below
        assert np.all(activation.derivative(np.array([[off, off - 1.0, off - 1e-9]])) == 0.0)
        assert np.all(activation.derivative(np.array([[off + 1e-9, off + 1.0]])) > 0.0)


def test_titles_and_default_inits_are_filled_for_every_built_in() -> None:
    assert all(activation.display_name for activation in ACTIVATIONS.values())
    assert {a.default_init for a in ACTIVATIONS.values()} <= {"he", "xavier"}
    # He's scale is for units that are off half the time: ReLU's kink at 0.
    assert [n for n, a in ACTIVATIONS.items() if a.default_init == "he"] == [
        n for n, a in ACTIVATIONS.items() if a.off_at_or_below == 0.0
    ]
