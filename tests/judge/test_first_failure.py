"""Issue 10 (4): the diagnosis names the equation from ∇W and ∇b when φ is not checked.

∇b^j is the batch mean of φ^j: ∇W^j and ∇b^j failing together mean φ^j (Eq. 1 at the output,
Eq. 2 below), ∇W^j alone Eq. 3, ∇b^j alone Eq. 4, every row off by B the reduction. A φ that was
never checked is never said to pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from backprop_check import check

from .impl_networks import config, user_code

WITHOUT_PHI: dict[str, Any] = {}
WITH_PHI: dict[str, Any] = {"returns": ["dW", "db", "phi"]}


@pytest.mark.parametrize(
    ("bug", "layer", "quantity", "equation", "words"),
    [
        ("output_sign", 2, "phi", 1, "so φ² is wrong: the error is in Eq. 1"),
        ("wrong_sigma_prime", 1, "phi", 2, "so φ¹ is wrong, while the layer above passes: the "
                                           "error is in Eq. 2 between layers 2 and 1"),
        ("wrong_activation_in_dW", 1, "W", 3, "∇b¹ passes but ∇W¹ fails: the error is in Eq. 3"),
        ("db_first_sample", 1, "b", 4, "∇W¹ passes but ∇b¹ fails: the error is in Eq. 4"),
    ],
)  # fmt: skip
def test_without_phi_the_equation_comes_from_w_and_b(
    bug: str, layer: int, quantity: str, equation: int, words: str
) -> None:
    report = check(config(), impl=user_code(bug=bug))
    assert not report.passed
    assert report.first_failure is not None
    assert report.first_failure.to_dict() == {
        "layer": layer,
        "quantity": quantity,
        "equation": equation,
    }
    assert words in report.diagnosis
    # φ was never checked: it is never said to pass.
    assert "φ² passes" not in report.diagnosis
    assert "φ¹ passes" not in report.diagnosis
    assert all(c.skipped for c in report.checks if c.quantity == "phi")


@pytest.mark.parametrize(
    ("bug", "layer", "equation"), [("output_sign", 2, 1), ("wrong_sigma_prime", 1, 2)]
)
def test_with_phi_returned_the_phi_row_itself_is_named(bug: str, layer: int, equation: int) -> None:
    report = check(config(**WITH_PHI), impl=user_code(bug=bug, **WITH_PHI))
    assert report.first_failure is not None
    assert report.first_failure.to_dict() == {
        "layer": layer,
        "quantity": "phi",
        "equation": equation,
    }
    failing_phi = [c for c in report.checked if c.quantity == "phi" and not c.passed]
    assert [c.layer for c in failing_phi][-1] == layer


def test_a_batch_factor_on_every_row_is_the_reduction_not_a_phi() -> None:
    report = check(config(), impl=user_code(bug="sum_for_mean"))
    assert report.first_failure is not None
    assert report.first_failure.quantity == "W"
    assert report.first_failure.equation == 3
    assert report.diagnosis.startswith(
        "Every failing ∇W and ∇b is B × the finite differences (B = 5, the batch size): the "
        "error is in the reduction of Eq. 3 and Eq. 4"
    )


def test_a_correct_backward_has_no_first_failure_and_counts_only_checked_rows() -> None:
    report = check(config(), impl=user_code())
    assert report.first_failure is None
    assert report.diagnosis == (
        "All 4 checked rows pass; 2 φ rows not checked: backward() in your functions returns ∇W "
        "and ∇b only, no φ."
    )


def test_a_bias_alone_off_by_b_is_eq4_not_the_reduction() -> None:
    # ∇b^j summed over the batch while ∇W^j is right: the bias's own Eq. 4, at its layer, even
    # though the factor is exactly B (a reduction would scale ∇W too).
    case = {"returns": ["dW", "db", "phi"]}
    code = user_code(**case)

    def backward(weights, biases, x, y):
        dW, db, phi = code["backward"](weights, biases, x, y)
        return dW, [db[0], 5 * db[1]], phi

    report = check(config(**case), impl={"backward": backward})
    assert report.first_failure is not None
    assert report.first_failure.to_dict() == {"layer": 2, "quantity": "b", "equation": 4}
    assert "reduction" not in report.diagnosis.split(".")[0]
