"""One-sentence hints for failing rows: each pattern is recognised, and only where it applies."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from backprop_check.core.backprop import grad_w
from backprop_check.judge.hints import PATTERNS, find_hint, hint

RTOL, ATOL = 1e-5, 1e-8


_OPTIONS = {
    "quantity": "W",
    "layer": 2,
    "batch_size": 8,
    "output_units": 3,
    "rtol": RTOL,
    "atol": ATOL,
}


def _hint(analytic, numeric, **overrides) -> str | None:
    return hint(analytic, numeric, **(_OPTIONS | overrides))


def _found(analytic, numeric, **overrides):
    """The pattern and factor a hint found."""
    found = find_hint(analytic, numeric, **(_OPTIONS | overrides))
    assert found is not None
    return found.pattern, found.factor


def _gradient(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values well away from zero, so every element is judged by rtol."""
    return rng.uniform(0.1, 1.0, shape) * rng.choice([-1.0, 1.0], shape)


# --------------------------------------------------------------------------- nothing to say


def test_passing_rows_get_no_hint(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    assert _hint(numeric.copy(), numeric) is None
    noisy = numeric * (1 + 1e-7 * rng.standard_normal(numeric.shape))
    assert _hint(noisy, numeric) is None
    assert _hint(np.zeros(0), np.zeros(0), quantity="b") is None


def test_the_more_specific_pattern_wins_where_several_fit(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 4))
    symmetric = numeric + numeric.T
    # −n of a symmetric tensor is a sign flip, a factor −1 and a transpose at once.
    assert _found(-symmetric, symmetric) == ("sign flip", -1.0)
    # 2n of it is a factor and a transpose: the factor is the simpler reading.
    assert _found(2 * symmetric, symmetric) == ("constant factor", 2.0)
    # A NaN beside a sign flip: nothing can be measured, so non-finite comes first.
    flipped = -numeric
    flipped[0, 0] = np.nan
    assert _found(flipped, numeric)[0] == "non-finite"
    # All zero is a factor of 0 too, but not a factor anyone divides by: a missing term.
    assert _found(np.zeros_like(numeric), numeric)[0] == "missing term"
    # One wrong row with z all of one sign: the slice, since the side says nothing.
    one_row = numeric.copy()
    one_row[2] *= 1.7
    z = np.abs(rng.standard_normal((4, 4)))
    assert _found(one_row, numeric, quantity="phi", pre_activation=z)[0] == "one slice"
    assert PATTERNS.index("sign flip") < PATTERNS.index("constant factor")


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        _hint(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="quantity"):
        _hint(np.ones(2), np.zeros(2), quantity="z")
    with pytest.raises(ValueError, match="pre_activation"):
        _hint(np.ones((2, 3)), np.zeros((2, 3)), quantity="phi", pre_activation=np.ones((3, 2)))


# --------------------------------------------------------------------------- sign flip


def test_sign_flip(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    assert _hint(-numeric, numeric) == (
        "∇W² has the opposite sign of the finite differences everywhere: a sign is flipped "
        "(e.g. −(y − a) vs (y − a), or a subtraction reversed)."
    )
    assert _found(-numeric, numeric) == ("sign flip", -1.0)


def test_sign_flip_ignores_elements_that_are_noise(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, 10)
    numeric[:3] = 1e-12
    analytic = -numeric
    analytic[:3] = 3e-9  # positive like the numeric value, but both are below atol
    assert "opposite sign" in _hint(analytic, numeric, quantity="b")


def test_tiny_values_failing_by_a_hair_are_not_a_sign_flip() -> None:
    # |a − n| = 1.5 atol fails, and so would 0.5 atol flipped: nothing here is a fix.
    hint_text = _hint(np.array([1.5e-8, 0.0]), np.zeros(2), quantity="b")
    assert "opposite sign" not in hint_text
    assert hint_text.startswith("Only unit 0 of ∇b² fails")


# --------------------------------------------------------------------------- constant factor


def test_missing_factor_two(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (8, 3))
    assert _hint(0.5 * numeric, numeric, quantity="phi", layer=3) == (
        "φ³ is 0.500 × the finite differences: a missing factor 2 "
        "(e.g. the 2 from differentiating a square)."
    )


def test_sum_over_the_batch_is_the_batch_size(rng: np.random.Generator) -> None:
    phi, a_prev = rng.standard_normal((8, 4)), rng.standard_normal((8, 6))
    summed = phi.T @ a_prev  # Eq. 3 without the 1/B of the batch mean
    assert _found(summed, grad_w(phi, a_prev)) == ("constant factor", pytest.approx(8.0))
    assert _hint(summed, grad_w(phi, a_prev), layer=3) == (
        "∇W³ is 8.00 × the finite differences, the batch size: a sum over the batch where the "
        "mean was meant (or a missing 1/B)."
    )


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (2.0, "is 2.00 × the finite differences: an extra factor 2"),
        (1 / 8, "is 0.125 × the finite differences, one over the batch size: an extra 1/B"),
        (3.0, "is 3.00 × the finite differences, the number of output units n: a missing 1/n"),
        (1 / 3, "is 0.333 × the finite differences, one over the number of output units n"),
        (1.5, "is 1.50 × the finite differences, n/2: the 2/n of the mean squared error is"),
        (2 / 3, "is 0.667 × the finite differences, 2/n: an extra 2/n"),
    ],
)
def test_named_factors(rng: np.random.Generator, factor: float, expected: str) -> None:
    numeric = _gradient(rng, (4, 6))
    assert expected in _hint(factor * numeric, numeric)
    pattern, found = _found(factor * numeric, numeric)
    assert pattern == "constant factor"
    assert found == pytest.approx(factor, rel=1e-9)


def test_negative_named_factor_says_the_sign_is_flipped(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, 5)
    assert _hint(-2 * numeric, numeric, quantity="b") == (
        "∇b² is -2.00 × the finite differences: an extra factor 2 (e.g. a term counted twice), "
        "and the sign is flipped."
    )


def test_unnamed_constant_factor(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    assert _hint(1.37 * numeric, numeric) == (
        "∇W² is a constant 1.37 × the finite differences: a constant factor is off."
    )
    pattern, factor = _found(1.37 * numeric, numeric)
    assert (pattern, factor) == ("constant factor", pytest.approx(1.37))


def test_equal_candidates_are_all_named(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (2, 2))
    twice = _hint(2 * numeric, numeric, quantity="phi", batch_size=2, output_units=2)
    assert twice == (
        "φ² is 2.00 × the finite differences (here 2 = B = n): an extra factor 2 "
        "(e.g. a term counted twice)."
    )
    half = _hint(numeric / 2, numeric, quantity="phi", batch_size=2, output_units=2)
    assert half.startswith("φ² is 0.500 × the finite differences (here 1/2 = 1/B = 1/n): a missing")
    only_batch = _hint(2 * numeric, numeric, batch_size=2, output_units=3)
    assert "(here 2 = B)" in only_batch
    batch_is_n = _hint(5 * numeric, numeric, batch_size=5, output_units=5)
    assert "5.00 × the finite differences, the batch size (here B = n): a sum over" in batch_is_n


def test_near_zero_numeric_elements_do_not_break_the_ratio(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    numeric[0, :3] = 0.0
    numeric[1, :3] = 3e-8  # a few atol: its ratio is mostly noise
    analytic = 2 * numeric
    analytic[0, :3] = 4e-9
    analytic[1, :3] += 1.5e-8
    assert _hint(analytic, numeric).startswith(
        "∇W² is 2.00 × the finite differences: an extra factor 2"
    )


def test_factor_is_found_through_finite_difference_noise(rng: np.random.Generator) -> None:
    exact = _gradient(rng, (4, 6))
    numeric = exact * (1 + 1e-7 * rng.standard_normal(exact.shape))
    assert _hint(8 * exact, numeric).startswith("∇W² is 8.00 × the finite differences, the batch")
    assert _hint(1.37 * exact, numeric).startswith("∇W² is a constant 1.37 ×")


def test_random_errors_are_not_a_constant_factor(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric * rng.uniform(1.5, 2.5, numeric.shape)
    assert "×" not in _hint(analytic, numeric)


# --------------------------------------------------------------------------- transposed


def test_transposed_weight_gradient(rng: np.random.Generator) -> None:
    phi, a_prev = rng.standard_normal((8, 5)), rng.standard_normal((8, 5))
    swapped = a_prev.T @ phi / 8  # a (φ)ᵀ instead of φ (a)ᵀ
    assert _hint(swapped, grad_w(phi, a_prev)) == (
        "∇W² matches the transpose of the finite differences: W is transposed somewhere "
        "(e.g. a¹ (φ²)ᵀ instead of φ² (a¹)ᵀ)."
    )


def test_transposed_phi(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 4))
    assert _hint(numeric.T, numeric, quantity="phi", layer=1) == (
        "φ¹ matches the transpose of the finite differences: samples and units are swapped "
        "somewhere (e.g. a formula for one column vector applied to arrays with a row per sample)."
    )


def test_factor_two_on_a_square_tensor_is_not_transposed(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (5, 5))
    numeric = numeric + numeric.T  # symmetric: a ≈ nᵀ too, but 2n is a factor, not a transpose
    result = _hint(2 * numeric, numeric)
    assert "transpose" not in result
    assert "2.00 ×" in result


def test_transpose_of_a_wrong_tensor_is_not_claimed(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (5, 5))
    assert "transpose" not in _hint(2 * numeric.T, numeric)


# --------------------------------------------------------------------------- missing term


def test_missing_term(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    analytic[[0, 1, 3], [2, 5, 0]] = 0.0
    analytic[2, 4] *= 1.1  # one wrong but non-zero element: zeros are still most of the failures
    assert _hint(analytic, numeric) == (
        "∇W² is zero where the finite differences are not (3 of 24 elements): a term is missing."
    )


def test_all_zero_is_a_missing_term_not_a_factor(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    assert "is zero where the finite differences are not (24 of 24" in _hint(
        np.zeros_like(numeric), numeric
    )


def test_zeros_in_a_minority_are_not_a_missing_term(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric * rng.uniform(1.5, 2.5, numeric.shape)
    analytic[0, 0] = 0.0
    assert "is zero where" not in _hint(analytic, numeric)


# --------------------------------------------------------------------------- pre-activation


def _pre_activation(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    z = rng.standard_normal(shape)
    z[0, 0], z[0, 1] = -0.5, 0.5  # both sides present whatever the seed
    return z


def test_wrong_only_for_negative_inputs(rng: np.random.Generator) -> None:
    z = _pre_activation(rng, (6, 5))
    g = _gradient(rng, z.shape)
    numeric = g * (z > 0)  # ReLU: φ is 0 where z < 0
    analytic = numeric + 0.01 * g * (z < 0)  # a leaky slope
    count = int(np.count_nonzero(z < 0))
    assert _hint(analytic, numeric, quantity="phi", layer=1, pre_activation=z) == (
        f"φ¹ is wrong only where z¹ < 0 ({count} elements): σ' is wrong for negative inputs "
        "(e.g. a leaky slope where ReLU' is 0)."
    )


def test_wrong_only_for_positive_inputs(rng: np.random.Generator) -> None:
    z = _pre_activation(rng, (6, 5))
    numeric = _gradient(rng, z.shape)
    analytic = numeric * np.where(z > 0, 1.5, 1.0)
    count = int(np.count_nonzero(z > 0))
    assert _hint(analytic, numeric, quantity="phi", layer=2, pre_activation=z) == (
        f"φ² is wrong only where z² > 0 ({count} elements): σ' is wrong for positive inputs "
        "(e.g. a ReLU' slope other than 1)."
    )


def test_wrong_only_at_the_kink(rng: np.random.Generator) -> None:
    z = _pre_activation(rng, (6, 5))
    z[[1, 4], [2, 3]] = 0.0
    numeric = _gradient(rng, z.shape)
    analytic = np.where(z == 0, 0.5, numeric)
    assert _hint(analytic, numeric, quantity="phi", layer=1, pre_activation=z) == (
        "φ¹ is wrong only where z¹ = 0 (2 elements): the derivative at the kink (ReLU'(0) should "
        "be 0, e.g. > not >=; see docs/derivation.md#relu-kink), or the finite differences "
        "straddle the kink."
    )


def test_pre_activation_needs_failures_on_one_side_only(rng: np.random.Generator) -> None:
    z = _pre_activation(rng, (6, 5))
    numeric = _gradient(rng, z.shape)
    analytic = numeric * rng.uniform(1.5, 2.5, z.shape)
    assert "only where" not in _hint(analytic, numeric, quantity="phi", pre_activation=z)
    # Everything on one side says nothing about the side.
    negative = -np.abs(z)
    assert "only where" not in _hint(analytic, numeric, quantity="phi", pre_activation=negative)


def test_pre_activation_is_only_read_for_phi(rng: np.random.Generator) -> None:
    z = _pre_activation(rng, (6, 5))
    numeric = _gradient(rng, z.shape)
    analytic = numeric * np.where(z > 0, 1.5, 1.0)
    assert "only where" not in _hint(analytic, numeric, quantity="W", pre_activation=z)


# --------------------------------------------------------------------------- one slice


def test_one_bad_row_of_a_weight_gradient(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    analytic[3] *= rng.uniform(1.5, 2.5, 6)
    assert _hint(analytic, numeric) == (
        "Only row 3 of ∇W² fails (unit 3 of layer 2): the error involves that unit alone "
        "(e.g. its column of φ², or an index that is off)."
    )


def test_one_bad_column_of_a_weight_gradient(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    analytic[:, 4] *= rng.uniform(1.5, 2.5, 4)
    assert _hint(analytic, numeric, layer=1) == (
        "Only column 4 of ∇W¹ fails (input 4): the error involves a⁰ of that unit alone "
        "(e.g. a wrong activation, or an index that is off)."
    )
    assert "(unit 4 of layer 2)" in _hint(analytic, numeric, layer=3)


def test_one_bad_sample_and_one_bad_unit_of_phi(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (6, 4))
    sample = numeric.copy()
    sample[5] *= rng.uniform(1.5, 2.5, 4)
    assert _hint(sample, numeric, quantity="phi").startswith(
        "Only sample 5 of φ² fails: the error depends on that sample's values"
    )
    unit = numeric.copy()
    unit[:, 1] *= rng.uniform(1.5, 2.5, 6)
    assert _hint(unit, numeric, quantity="phi").startswith(
        "Only unit 1 of φ² fails, in every sample: the error involves that unit alone"
    )


def test_one_bad_element(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    analytic[2, 5] *= 1.3
    assert _hint(analytic, numeric).startswith(
        "Only element (2, 5) of ∇W² fails, between unit 2 of layer 2 and unit 5 of layer 1:"
    )
    assert _hint(analytic, numeric, quantity="phi").startswith(
        "Only sample 2, unit 5 of φ² fails: a single value is off"
    )
    bias = _gradient(rng, 5)
    wrong = bias.copy()
    wrong[3] = 2.5 * bias[3]
    assert _hint(wrong, bias, quantity="b").startswith("Only unit 3 of ∇b² fails:")


# --------------------------------------------------------------------------- scattered, non-finite


def test_scattered_errors(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    analytic[[0, 1, 3], [2, 5, 0]] *= [1.1, 1.05, 0.98]
    assert _hint(analytic, numeric) == (
        "3 of 24 elements of ∇W² fail with no simple pattern (max rel error 9.1e-02)."
    )


def test_nan_in_analytic_gives_a_sentence(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    analytic[1, 1] = np.nan
    analytic[2, 0] = np.inf
    assert _hint(analytic, numeric) == (
        "∇W² is NaN or infinite at 2 of 24 elements: an overflow or an undefined operation "
        "(e.g. log(0) or 0/0)."
    )
    assert "NaN or infinite at 4 of 4" in _hint(np.full(4, np.nan), np.ones(4), quantity="b")


def test_extreme_values_raise_no_warning() -> None:
    # Ratios of 1e300 to 1e-10 overflow; warnings are errors in this project's pytest config.
    analytic, numeric = np.array([1e300, -1e300, 1e-300]), np.array([1e-10, 2e-10, 1.0])
    assert _hint(analytic, numeric, quantity="b") == (
        "3 of 3 elements of ∇b² fail with no simple pattern (max rel error 1.0e+00)."
    )


def test_non_finite_numeric_values_are_blamed_on_the_loss(rng: np.random.Generator) -> None:
    numeric = _gradient(rng, (4, 6))
    analytic = numeric.copy()
    numeric[0, 0] = np.inf
    assert _hint(analytic, numeric).startswith(
        "The finite differences of ∇W² are not finite at 1 of 24 elements: the loss overflows"
    )


# --------------------------------------------------------------------------- across patterns


def _scenarios() -> dict[str, Callable[[np.random.Generator], dict]]:
    """One input per pattern, for a square φ of a two-digit layer (the longest symbols)."""

    def build(rng, change, z=None):
        numeric = _gradient(rng, (5, 5))
        return {"analytic": change(numeric.copy()), "numeric": numeric, "pre_activation": z}

    def kink(rng):
        z = _pre_activation(rng, (5, 5))
        z[[1, 3], [2, 4]] = 0.0
        return build(rng, lambda n: np.where(z == 0, 0.5 + n, n), z)

    def one_row(a):
        a[2] *= 1.7
        return a

    def missing(a):
        a[[0, 2], [1, 3]] = 0.0
        return a

    def scattered(a):
        a[[0, 2, 4], [1, 3, 0]] *= 1.3
        return a

    def nan(a):
        a[0, 0] = np.nan
        return a

    return {
        "non-finite": lambda rng: build(rng, nan),
        "sign flip": lambda rng: build(rng, np.negative),
        "constant factor": lambda rng: build(rng, lambda a: 1.37 * a),
        "transposed": lambda rng: build(rng, np.transpose),
        "missing term": lambda rng: build(rng, missing),
        "pre-activation sign": kink,
        "one slice": lambda rng: build(rng, one_row),
        "scattered": lambda rng: build(rng, scattered),
    }


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_pattern_fires_alone_and_reads_well(rng: np.random.Generator, pattern: str) -> None:
    options = {"quantity": "phi", "layer": 12, "batch_size": 5, "output_units": 7}
    scenario = _scenarios()[pattern](rng)
    result = _hint(**scenario, **options)
    assert result is not None
    found = find_hint(**scenario, **(_OPTIONS | options))
    assert found is not None
    assert (found.pattern, found.sentence) == (pattern, result)
    assert result.endswith(".")
    assert result == result.strip()
    assert len(result) <= 200, len(result)
