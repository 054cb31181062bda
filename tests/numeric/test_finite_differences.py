"""The finite-difference core on functions whose derivatives are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.numeric.finite_differences import METHODS, get_method


def _changes(function, theta: np.ndarray):
    """evaluate(h)[i] = f(θ + h e_i) − f(θ), the contract the core works with."""

    def evaluate(h: complex) -> np.ndarray:
        base = function(theta.astype(complex) if np.iscomplexobj(h) else theta)
        return np.array([function(theta + h * e) - base for e in np.eye(theta.size)])

    return evaluate


def _sin_sum(t: np.ndarray):
    return np.sum(np.sin(t) * np.exp(0.3 * t))


def _sin_sum_gradient(t: np.ndarray) -> np.ndarray:
    return np.exp(0.3 * t) * (np.cos(t) + 0.3 * np.sin(t))


THETA = np.array([0.7, -1.2, 2.5])


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_method_meets_its_own_tolerances_with_its_default_step(name: str) -> None:
    method = get_method(name).defaults("float64")
    estimate = get_method(name).estimate(_changes(_sin_sum, THETA), method.eps).derivative
    np.testing.assert_allclose(
        estimate, _sin_sum_gradient(THETA), rtol=method.rtol, atol=method.atol
    )


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_method_rejects_a_derivative_wrong_by_ten_times_its_rtol(name: str) -> None:
    method = get_method(name).defaults("float64")
    estimate = get_method(name).estimate(_changes(_sin_sum, THETA), method.eps).derivative
    wrong = _sin_sum_gradient(THETA) * (1 + 10 * method.rtol)
    assert not np.allclose(estimate, wrong, rtol=method.rtol, atol=method.atol)


def test_central_is_exact_on_quadratics(rng: np.random.Generator) -> None:
    matrix = rng.standard_normal((4, 4))
    theta = rng.standard_normal(4)
    estimate = get_method("central").estimate(_changes(lambda t: t @ matrix @ t, theta), 1e-3)
    np.testing.assert_allclose(estimate.derivative, (matrix + matrix.T) @ theta, rtol=1e-9)


@pytest.mark.parametrize(("name", "order"), [("forward", 1), ("central", 2), ("richardson", 4)])
def test_truncation_error_has_the_documented_order(name: str, order: int) -> None:
    theta = np.array([0.7])
    method = get_method(name)
    errors = [
        abs(
            method.estimate(_changes(_sin_sum, theta), h).derivative[0]
            - _sin_sum_gradient(theta)[0]
        )
        for h in (4e-2, 2e-2)
    ]
    assert errors[0] / errors[1] == pytest.approx(2**order, rel=0.1)


def test_complex_step_reaches_machine_precision_where_central_cannot() -> None:
    exact = _sin_sum_gradient(THETA)
    complex_error = np.max(
        np.abs(
            get_method("complex-step").estimate(_changes(_sin_sum, THETA), 1e-20).derivative - exact
        )
    )
    central_error = np.max(
        np.abs(get_method("central").estimate(_changes(_sin_sum, THETA), 1e-6).derivative - exact)
    )
    assert complex_error < 1e-15
    assert central_error > 100 * complex_error


def test_richardson_error_estimate_bounds_the_error() -> None:
    estimate = get_method("richardson").estimate(_changes(_sin_sum, THETA), 1e-2)
    actual = np.abs(estimate.derivative - _sin_sum_gradient(THETA))
    assert estimate.error is not None
    assert np.all(actual <= estimate.error)
    assert get_method("central").estimate(_changes(_sin_sum, THETA), 1e-2).error is None
