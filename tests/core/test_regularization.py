"""The L2 penalties: R = c Σ_j ‖W^j‖² and ∇R = 2cW, against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.core.regularization import (
    PENALTIES,
    Regularization,
    penalty_gradient,
    penalty_value,
)


@pytest.mark.parametrize(("kind", "coefficient"), [("l2", 0.3), ("half_l2", 0.15)])
def test_the_coefficient_of_each_penalty(kind: str, coefficient: float) -> None:
    regularization = Regularization(kind, 0.3)
    assert regularization.coefficient == pytest.approx(coefficient)
    assert regularization.label == f"{kind}: 0.3"
    assert regularization.penalty is PENALTIES[kind]


def test_the_value_excludes_nothing_but_biases(rng: np.random.Generator) -> None:
    weights = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    expected = 0.2 * sum(float(np.sum(w**2)) for w in weights)
    assert penalty_value(weights, 0.2) == pytest.approx(expected)


def test_the_gradient_matches_finite_differences(rng: np.random.Generator) -> None:
    w = rng.normal(size=(3, 2))
    eps = 1e-6
    numeric = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = eps
        numeric[index] = (penalty_value([w + step], 0.4) - penalty_value([w - step], 0.4)) / (
            2 * eps
        )
    assert np.allclose(penalty_gradient(w, 0.4), numeric, rtol=1e-6)
    assert not np.allclose(0.5 * penalty_gradient(w, 0.4), numeric, rtol=1e-6)
