"""--directions K: random directional derivatives, and elements once a direction disagrees."""

from __future__ import annotations

import numpy as np

from backprop_check import check
from backprop_check.core.backprop import Steps
from backprop_check.judge.directions import random_directions
from backprop_check.numeric.targets import Target

from ..helpers import run_with, small_config


def test_directions_are_unit_vectors_of_the_tensors_shape_and_reproducible() -> None:
    def drawn(quantity: str) -> np.ndarray:
        return np.stack(list(random_directions((3, 4), 5, seed=1, target=Target(2, quantity))))

    directions = drawn("W")
    assert directions.shape == (5, 3, 4)
    np.testing.assert_allclose(np.linalg.norm(directions.reshape(5, -1), axis=1), 1.0)
    assert np.array_equal(directions, drawn("W"))
    assert not np.array_equal(directions, drawn("b"))


def _wrong_last_bias(phi, *, layer):
    # One element of ∇b³ off by 1 %: a directional check must notice, then localise it.
    gradient = np.mean(phi, axis=0)
    if gradient.shape == (3,):
        gradient[2] *= 1.01
    return gradient


def test_directions_mode_passes_and_then_points_at_elements_when_it_fails() -> None:
    report = check(small_config(), directions=3)
    assert report.passed
    assert {c.mode for c in report.checks} == {"directions"}
    assert all(c.comparison.checked == 3 for c in report.checks)

    report = run_with(small_config(), Steps(grad_b=_wrong_last_bias), directions=3)
    failing = [c for c in report.checks if not c.passed]
    assert [(c.layer, c.quantity) for c in failing] == [(3, "b")]
    row = failing[0]
    assert row.mode == "full"
    assert row.comparison.worst_index == (2,)
    assert row.note.endswith("checked element by element.")
