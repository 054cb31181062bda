"""The comparison rule: an element fails only if rel > rtol AND abs > atol."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.judge.compare import compare, element_errors


def test_identical_arrays_pass_with_zero_errors(rng: np.random.Generator) -> None:
    a = rng.standard_normal((3, 4))
    result = compare(a, a.copy(), rtol=1e-5, atol=1e-8)
    assert result.passed
    assert (result.max_abs_error, result.max_rel_error, result.rel_norm_error) == (0.0, 0.0, 0.0)
    assert result.shape == (3, 4)


def test_one_wrong_element_fails_and_is_the_worst(rng: np.random.Generator) -> None:
    analytic = rng.standard_normal((3, 4))
    numeric = analytic.copy()
    numeric[2, 1] *= 1.001
    result = compare(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert not result.passed
    assert result.failed == 1
    assert result.worst_index == (2, 1)
    assert result.worst_analytic == analytic[2, 1]
    assert result.worst_numeric == numeric[2, 1]
    assert result.max_rel_error == pytest.approx(0.001 / 1.001, rel=1e-9)


def test_both_zero_passes() -> None:
    assert compare(np.zeros(3), np.zeros(3), rtol=0.0, atol=0.0).passed


def test_tiny_values_are_judged_by_atol() -> None:
    # Relative error 100 %, absolute 1e-12: noise on a vanishing gradient, not a bug.
    result = compare(np.array([1e-12]), np.array([0.0]), rtol=1e-5, atol=1e-8)
    assert result.max_rel_error == 1.0
    assert result.passed


def test_large_values_are_judged_by_rtol() -> None:
    # Absolute error 1e-3 is far above atol, but only 1e-9 relative.
    assert compare(np.array([1e6]), np.array([1e6 + 1e-3]), rtol=1e-5, atol=1e-8).passed
    assert not compare(np.array([1e6]), np.array([1e6 + 1e2]), rtol=1e-5, atol=1e-8).passed


def test_non_finite_values_always_fail() -> None:
    for bad in (np.nan, np.inf):
        result = compare(np.array([1.0, bad]), np.array([1.0, 1.0]), rtol=1.0, atol=1.0)
        assert result.failed == 1
        assert result.worst_index == (1,)
        assert result.max_abs_error == np.inf


def test_norm_ratio() -> None:
    result = compare(np.array([3.0, 4.0]), np.array([0.0, 0.0]), rtol=1e-5, atol=1e-8)
    assert result.rel_norm_error == pytest.approx(1.0)


def test_element_errors_definition() -> None:
    abs_error, rel_error = element_errors(np.array([2.0, -1.0, 0.0]), np.array([1.0, 1.0, 0.0]))
    np.testing.assert_allclose(abs_error, [1.0, 2.0, 0.0])
    np.testing.assert_allclose(rel_error, [0.5, 2.0, 0.0])


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        compare(np.zeros((2, 3)), np.zeros((3, 2)), rtol=1e-5, atol=1e-8)
