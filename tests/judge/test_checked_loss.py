"""Issue 10 (1): the checked loss s · mean_s L_s + R under every method and mode.

The penalty R = c Σ_j ‖W^j‖² and the reduction's scale s enter the finite differences themselves,
so the built-in backward with Eq. 3 + ∇R, and your code in your reduction, pass under every method,
sampled or along random directions; code that leaves the penalty out fails under each of them.
"""

from __future__ import annotations

from typing import Any

import pytest

from backprop_check import check
from backprop_check.numeric.finite_differences import METHODS

from .impl_networks import config, user_code

MODES: list[dict[str, Any]] = [{}, {"sample": 6}, {"directions": 3}]


def _built_in(**top: Any) -> dict[str, Any]:
    document = config(**top)
    del document["impl"]
    return document


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("penalty", [{"l2": 0.3}, {"half_l2": 0.3}])
def test_the_built_in_backward_with_a_penalty_passes_under_every_method(
    method: str, penalty: dict[str, float]
) -> None:
    report = check(_built_in(regularization=penalty), method=method)
    assert report.passed, report.diagnosis
    term = "2λW" if "l2" in penalty else "λW"
    assert {c.term for c in report.checks if c.quantity == "W"} == {term}


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("mode", MODES, ids=str)
def test_your_sum_with_a_penalty_passes_and_without_it_fails(
    method: str, mode: dict[str, Any]
) -> None:
    case = {"reduce": "sum", "regularization": {"l2": 0.3}}
    right = check(config(**case), impl=user_code(**case), method=method, **mode)
    assert right.passed, right.diagnosis
    wrong = check(config(**case), impl=user_code(bug="no_penalty", **case), method=method, **mode)
    assert not wrong.passed
    assert wrong.first_failure is not None
    assert wrong.first_failure.quantity == "W"
    assert all(c.passed for c in wrong.checked if c.quantity == "b")


def test_the_penalty_is_added_once_not_per_sample() -> None:
    # Code that adds R (and ∇R) per sample under reduce: sum adds it B times: it fails.
    case = {"reduce": "sum", "regularization": {"l2": 0.3}}
    b_times = user_code(reduce="sum", regularization={"l2": 0.3 * 5})
    report = check(config(**case), impl=b_times)
    assert not report.passed
    assert "your code's L2 gradient is 3·W" in report.diagnosis
