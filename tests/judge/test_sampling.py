"""--sample K: K elements per tensor, spread over it, the same on every run."""

from __future__ import annotations

import numpy as np

from backprop_check import check
from backprop_check.judge.sampling import sample_elements
from backprop_check.numeric.targets import Target

from ..helpers import derivative_of, failing, run_with, small_config


def test_sample_mode_checks_k_stratified_elements_in_every_tensor() -> None:
    report = check(small_config(), sample=3)
    assert report.mode == "sample"
    for row in report.checks:
        size = int(np.prod(row.comparison.shape))
        assert row.comparison.checked == min(3, size)
        assert row.mode == "sample"
    again = check(small_config(), sample=3)
    assert [c.comparison.worst_index for c in again.checks] == [
        c.comparison.worst_index for c in report.checks
    ]


def test_sampled_elements_are_spread_over_the_tensor() -> None:
    elements = sample_elements(24, 4, seed=7, target=Target(1, "W"))
    assert list(elements // 6) == [0, 1, 2, 3]  # one per stratum of six
    assert np.array_equal(elements, sample_elements(24, 4, seed=7, target=Target(1, "W")))
    assert not np.array_equal(elements, sample_elements(24, 4, seed=7, target=Target(2, "W")))


def test_a_sample_as_large_as_the_tensor_is_every_element() -> None:
    assert list(sample_elements(5, 5, seed=0, target=Target(1, "b"))) == [0, 1, 2, 3, 4]
    assert list(sample_elements(5, None, seed=0, target=Target(1, "b"))) == [0, 1, 2, 3, 4]


def test_sample_mode_catches_a_broken_derivative() -> None:
    report = run_with(small_config(), derivative_of("relu", np.ones_like), sample=4)
    assert failing(report)[0] == (1, "phi")
