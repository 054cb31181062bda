"""The finite-difference core on functions whose derivatives are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.finite_differences import central_difference


def _directional(function, theta: np.ndarray):
    """evaluate(h)[i] = f(θ + h e_i), the contract the core works with."""

    def evaluate(h: float) -> np.ndarray:
        return np.array([function(theta + h * e) for e in np.eye(theta.size)])

    return evaluate


def test_central_difference_is_exact_on_quadratics(rng: np.random.Generator) -> None:
    matrix = rng.standard_normal((4, 4))
    theta = rng.standard_normal(4)
    estimate = central_difference(_directional(lambda t: t @ matrix @ t, theta), 1e-3)
    np.testing.assert_allclose(estimate, (matrix + matrix.T) @ theta, rtol=1e-9)


def test_central_difference_error_is_second_order() -> None:
    theta = np.array([0.7])
    errors = [
        abs(central_difference(_directional(lambda t: np.sin(t[0]), theta), h)[0] - np.cos(0.7))
        for h in (1e-2, 1e-3)
    ]
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.01)


def test_a_wrong_derivative_is_far_from_the_estimate() -> None:
    theta = np.array([0.7])
    estimate = central_difference(_directional(lambda t: np.sin(t[0]), theta), 1e-6)[0]
    assert abs(estimate - np.cos(0.7)) < 1e-9
    assert abs(estimate - (-np.cos(0.7))) > 1
