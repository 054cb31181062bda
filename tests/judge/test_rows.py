"""Rows without a plain verdict: why one cannot be judged, and what the report then says."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.judge.compare import compare
from backprop_check.judge.rows import error_map, no_verdict, unjudged_warnings
from backprop_check.report.data import LayerReport, QuantityCheck

FINITE = np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize(
    ("losses", "numeric", "analytic", "reason", "start"),
    [
        (np.array([1.0, np.inf]), FINITE, FINITE, "overflow", "the loss is not finite"),
        (np.array([np.nan, 1.0]), FINITE, FINITE, "NaN", "the loss is not finite"),
        (np.ones(2), np.array([1.0, np.nan, 2.0]), FINITE, "NaN", "the finite differences"),
        (np.ones(2), FINITE, np.array([np.inf, 1.0, 2.0]), "overflow", "the analytic values"),
    ],
)
def test_a_number_that_is_not_finite_leaves_the_row_without_a_verdict(
    losses, numeric, analytic, reason: str, start: str
) -> None:
    found, sentence = no_verdict(
        losses=losses, numeric=numeric, analytic=analytic, unjudged=0, fail_on_kinks=False
    )
    assert found == reason
    assert sentence.startswith(f"no verdict: {start}")
    assert f"({reason}) at 1 of " in sentence


def test_finite_numbers_leave_the_verdict_to_the_comparison() -> None:
    assert no_verdict(
        losses=np.ones(2), numeric=FINITE, analytic=FINITE, unjudged=1, fail_on_kinks=True
    ) == ("", "")


def test_more_than_half_unjudged_fails_only_with_kinks_fail() -> None:
    for unjudged, strict, expected in ((2, True, "kinks"), (2, False, ""), (1, True, "")):
        found, _ = no_verdict(
            losses=np.ones(2),
            numeric=np.ones(3),
            analytic=np.ones(3),
            unjudged=unjudged,
            fail_on_kinks=strict,
        )
        assert found == expected


def test_the_error_map_leaves_unchecked_and_unjudged_elements_blank() -> None:
    analytic, numeric = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.2, 3.0])
    errors = error_map((2, 3), np.array([1, 2, 4]), analytic, numeric, np.array([0, 0, 1], bool))
    assert np.isnan(errors[0, 0])
    assert np.isnan(errors[1, 1])
    assert errors[0, 1] == 0.0
    assert errors[0, 2] == pytest.approx(0.2 / 2.2)


def _layer_with(unjudged: int, checked: int):
    values = np.ones(checked)
    row = QuantityCheck(
        layer=1,
        quantity="b",
        equation=4,
        comparison=compare(values, values, rtol=1e-5, atol=1e-8),
        mode="full",
        unjudged=unjudged,
    )
    return [LayerReport(layer=1, units=8, activation="relu", checks=(row,))]


@pytest.mark.parametrize(("unjudged", "proves_little"), [(1, False), (5, True)])
def test_every_unjudged_element_is_said_out_loud(unjudged: int, proves_little: bool) -> None:
    # Issue 11 item 3: one element left without a verdict is no pass either. A row with one of
    # 8 unjudged used to pass with nothing said in the text, Markdown or JUnit report.
    (warning,) = unjudged_warnings(_layer_with(unjudged, 8))
    assert warning.startswith(f"∇b¹: {unjudged} of 8 elements sit on ReLU kinks")
    assert ("proves little" in warning) == proves_little
    assert "not passed" in warning or proves_little
    assert unjudged_warnings(_layer_with(0, 8)) == ()
