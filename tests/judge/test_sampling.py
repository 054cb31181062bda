"""--sample K: K elements per tensor, spread over it, the same on every run."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from backprop_check import check
from backprop_check.core.backprop import Steps
from backprop_check.judge.sampling import sample_elements
from backprop_check.numeric.targets import Target
from backprop_check.report.data import RunResult
from backprop_check.report.formats import plain_text, to_junit, to_markdown

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


# About 20,000 elements: W¹ alone is 15,000, so 11 per tensor checks fewer than 1 in 200.
_WIDE = small_config(
    input_size=100,
    layers=[
        {"units": 150, "activation": "tanh"},
        {"units": 30, "activation": "tanh"},
        {"units": 3, "activation": "softmax"},
    ],
    batch_size=4,
)


def test_a_sample_that_misses_a_wrong_element_says_how_little_it_saw_everywhere() -> None:
    # Issue 11 (u): with --sample, a 100 % error in one element passed and the verdict line,
    # Markdown and JUnit never said that only ~100 of ~20,000 elements were checked.
    seen = sample_elements(150 * 100, 11, seed=_WIDE["seed"], target=Target(1, "W"))
    truth = check(_WIDE).arrays["dW1"]
    unseen = np.abs(truth).ravel().copy()
    unseen[seen] = 0.0
    worst = np.unravel_index(int(np.argmax(unseen)), truth.shape)

    def doubled(phi, a_prev, *, layer):
        gradient = phi.T @ a_prev / len(phi)
        if layer == 1:
            gradient[worst] *= 2.0  # 100 % off, in one element the sample does not look at
        return gradient

    assert failing(run_with(_WIDE, Steps(grad_w=doubled))) == [(1, "W")]  # a real bug
    report = run_with(_WIDE, Steps(grad_w=doubled), sample=11)
    assert report.passed
    elements = sum(int(np.prod(row.shape)) for row in report.checks)
    checked = sum(row.comparison.checked for row in report.checks)
    assert (checked, elements) == (8 * 11 + 3, 20_505)  # b³ has 3 elements: all of them
    statement = (
        f"checked {checked} of {elements:,} elements: a bug in one element is found with "
        f"probability ≈ {100 * checked / elements:.2g} %"
    )
    assert plain_text(report).splitlines()[-1] == f"PASSED: 9 of 9 checks; {statement}."
    assert report.to_dict()["coverage"]["statement"] == statement
    results = [RunResult("wide.yaml", report=report)]
    assert f"- wide.yaml: {statement}" in to_markdown(results).splitlines()
    suite = ET.fromstring(to_junit(results))[0]
    properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert properties["coverage"] == statement
    assert statement in suite.find("system-out").text
