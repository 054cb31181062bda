"""Rows not checked (a φ your backward does not give) are never counted as passed."""

from __future__ import annotations

from backprop_check import check
from backprop_check.report.formats.sentences import interrupted_summary, verdict_line

from ...judge.impl_networks import config, user_code


def test_an_interrupted_run_counts_unchecked_rows_apart() -> None:
    report = check(config(), impl=user_code())
    text = interrupted_summary([], "net.yaml", report.checks[:3], 6)
    # Layer 1's φ¹ (not checked), ∇W¹ and ∇b¹ (pass).
    assert text == (
        "Interrupted while checking net.yaml: 3 of 6 checks done, 2 passed, 0 failed, "
        "1 not checked."
    )


def test_the_verdict_counts_only_checked_rows() -> None:
    report = check(config(), impl=user_code())
    assert verdict_line(report) == "PASSED: 4 of 4 checked rows; 2 not checked."
    failing = check(config(), impl=user_code(bug="db_first_sample"))
    assert verdict_line(failing) == "FAILED: 1 of 4 checked rows failed; 2 not checked."
