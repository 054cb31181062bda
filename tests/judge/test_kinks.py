"""Elements on ReLU kinks, by policy: left out (report), judged (fail), or bracketed."""

from __future__ import annotations

import numpy as np

from backprop_check import check
from backprop_check.numeric.finite_differences import KINK_POLICIES

from ..helpers import CONFIGS, derivative_of, failing, run_with, small_config

KINKS = CONFIGS[0].parent / "relu_kinks.yaml"


def test_kink_config_passes_with_kinks_counted_and_listed() -> None:
    report = check(KINKS)
    assert report.passed, report.diagnosis
    assert report.kink_policy == "report"
    assert sum(c.kinks for c in report.checks) > 20
    phi1 = report.layers[0].checks[0]
    assert phi1.kinks == len(phi1.kink_indices) > 0
    assert phi1.comparison.excluded == phi1.kinks
    assert phi1.dead > 0  # dead ReLUs: analytic and numeric both exactly zero
    document = report.to_dict()["layers"][0]["checks"][0]
    assert document["kink_indices"] == [list(index) for index in phi1.kink_indices]


def test_a_naive_check_fails_at_the_kinks() -> None:
    report = check(KINKS, kinks="fail")
    assert not report.passed
    failed = {(c.layer, c.quantity) for c in report.checks if not c.passed}
    assert failed <= {(c.layer, c.quantity) for c in report.checks if c.kinks}


def test_bracket_passes_kinks_whose_analytic_value_is_a_subgradient() -> None:
    assert check(KINKS, kinks="bracket").passed


def test_bracket_still_fails_a_wrong_derivative_at_a_kink() -> None:
    # ReLU'(0) = 1 is outside no bracket, but ReLU' = 2 where z > 0 is outside every one.
    report = run_with(KINKS, derivative_of("relu", lambda z: 2.0 * (z > 0)), kinks="bracket")
    assert not report.passed
    assert failing(report)[0] == (2, "phi")


def test_kinks_found_at_a_large_step_are_left_out_by_default() -> None:
    # ReLU into a linear output with MSE: piecewise quadratic, so a central difference is exact
    # everywhere except where a step crosses a kink, even at eps 0.3.
    relu_net = small_config(
        layers=[{"units": 8, "activation": "relu"}, {"units": 3, "activation": "linear"}],
        loss="mse",
    )
    report = check(relu_net, eps=0.3)
    assert sum(c.kinks for c in report.checks) > 0
    assert report.passed
    assert not check(relu_net, eps=0.3, kinks="fail").passed


def test_every_policy_in_the_table_is_accepted_and_reported() -> None:
    for policy in KINK_POLICIES:
        report = check(KINKS, kinks=policy)
        assert report.kink_policy == policy
        assert np.isfinite(report.loss_value)
