"""Report data: plain values, strict JSON, a status per config."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from backprop_check import check
from backprop_check.judge import compare
from backprop_check.report.data import Comparison, RunResult, json_number
from backprop_check.report.data.coverage import direction_detection

from ...helpers import small_config


def test_json_number_turns_what_json_cannot_hold_into_null() -> None:
    assert [json_number(v) for v in (1.5, 0.0, math.inf, -math.inf, math.nan)] == [
        1.5,
        0.0,
        None,
        None,
        None,
    ]


def test_a_comparison_is_the_one_compare_returns() -> None:
    # One type for one fact: judge.compare builds the report's Comparison, not a copy of it.
    result = compare.compare([1.0, 2.0], [1.0, 2.5], rtol=1e-3, atol=1e-9)
    assert type(result) is Comparison
    assert (result.failed, result.passed, result.worst_index) == (1, False, (1,))


def test_an_unusable_config_is_invalid_and_says_why_in_json() -> None:
    result = RunResult("bad.yaml", error="bad.yaml, line 1: nope")
    assert result.status == "invalid"
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document == {"passed": False, "config": "bad.yaml", "error": "bad.yaml, line 1: nope"}


# --------------------------------------------------------------------------- coverage

# small_config's tensors: φ 5×6, ∇W 6×4, ∇b 6; φ 5×5, ∇W 5×6, ∇b 5; φ 5×3, ∇W 3×5, ∇b 3.
SMALL_ELEMENTS = 30 + 24 + 6 + 25 + 30 + 5 + 15 + 15 + 3


def test_a_full_check_claims_no_partial_coverage() -> None:
    report = check(small_config())
    assert report.coverage is None
    assert report.to_dict()["coverage"] is None


def test_a_sampled_check_says_how_little_it_saw() -> None:
    coverage = check(small_config(), sample=2).coverage
    assert (coverage.mode, coverage.checked, coverage.elements) == ("sample", 18, SMALL_ELEMENTS)
    assert coverage.detection == pytest.approx(18 / SMALL_ELEMENTS)
    assert coverage.statement() == (
        "checked 18 of 153 elements: a bug in one element is found with probability ≈ 11.8 %"
    )


def test_a_sampled_check_of_a_big_network_reads_like_the_readme() -> None:
    big = small_config(
        input_size=100,
        layers=[{"units": 200, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
    )
    coverage = check(big, sample=10, batch_size=2).coverage
    elements = 2 * 200 + 200 * 100 + 200 + 2 * 3 + 3 * 200 + 3
    checked = 10 + 10 + 10 + 6 + 10 + 3  # φ² and ∇b² have fewer than 10 elements: all of them
    assert coverage.statement() == (
        f"checked {checked} of {elements:,} elements: a bug in one element is found with "
        f"probability ≈ {100 * checked / elements:.2g} %"
    )
    assert coverage.statement().endswith("≈ 0.23 %")


def test_the_stated_chance_of_directions_is_what_random_directions_achieve(rng) -> None:
    # One direction v, random on the sphere, against a bug as large as a typical element: the
    # checker compares ⟨a, v⟩ with ⟨n, v⟩ at rtol. The stated chance must match the frequency.
    n, rtol, trials = 400, 0.05, 20_000
    gradient = rng.standard_normal(n)
    wrong = gradient.copy()
    wrong[7] += np.linalg.norm(gradient) / np.sqrt(n)
    directions = rng.standard_normal((trials, n))
    analytic, numeric = directions @ wrong, directions @ gradient
    caught = np.abs(analytic - numeric) > rtol * np.maximum(np.abs(analytic), np.abs(numeric))
    assert direction_detection(elements=n, directions=1, rtol=rtol) == pytest.approx(
        caught.mean(), abs=0.02
    )
    assert direction_detection(elements=n, directions=3, rtol=rtol) == pytest.approx(
        1 - (1 - caught.mean()) ** 3, abs=0.02
    )


def test_a_directional_check_states_its_chance() -> None:
    report = check(small_config(), directions=2)
    coverage = report.coverage
    assert (coverage.mode, coverage.checked, coverage.elements) == ("directions", 2, SMALL_ELEMENTS)
    assert 0.99 < coverage.detection < 1
    assert coverage.statement() == (
        "checked 2 random directions in each of 9 tensors (153 elements in all): a bug as large "
        "as a typical element is found with probability > 99.9 %"
    )
    document = report.to_dict()["coverage"]
    assert document["statement"] == coverage.statement()
    assert document["detection_probability"] == coverage.detection
