"""Elements on ReLU kinks, by policy: left out (report), judged (fail), or bracketed."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from backprop_check import check
from backprop_check.core.backprop import Steps, backward
from backprop_check.judge.checker import Checker
from backprop_check.judge.elements import estimate_elements
from backprop_check.judge.kinks import kink_convention
from backprop_check.numeric.finite_differences import DTYPES, KINK_POLICIES, METHODS
from backprop_check.spec.config import load_config
from backprop_check.spec.data import Dataset

from ..helpers import CONFIGS, derivative_of, failing, run_with, small_config

KINKS = CONFIGS[0].parent / "relu_kinks.yaml"


def test_kink_config_passes_with_kinks_counted_and_listed() -> None:
    report = check(KINKS)
    assert report.passed, report.diagnosis
    assert report.kink_policy == "report"
    assert sum(c.kinks for c in report.checks) > 20
    phi1 = report.layers[0].checks[0]
    assert phi1.kinks == len(phi1.kink_indices) > 0
    # Every kink is judged again by one-sided differences: none is left out.
    assert phi1.comparison.excluded == phi1.unjudged == 0
    assert phi1.comparison.checked == 36
    assert phi1.dead > 0  # dead ReLUs: analytic and numeric both exactly zero
    document = report.to_dict()["layers"][0]["checks"][0]
    assert document["kink_indices"] == [list(index) for index in phi1.kink_indices]


def test_a_naive_check_fails_at_the_kinks() -> None:
    # The central difference itself is wrong at the kinks: judged as it is, it fails there.
    checker = Checker(load_config(KINKS))
    failed = set()
    for target in checker.targets:
        size = int(np.prod(checker.engine.shape(target)))
        with ThreadPoolExecutor(1) as pool:
            naive = estimate_elements(
                checker.engine, checker.method, target, np.arange(size), step=1e-5, pool=pool
            )
        wrong = ~np.isclose(
            naive.values, checker.analytic(target).reshape(-1), rtol=1e-5, atol=1e-8
        )
        if wrong.any():
            failed.add((target.layer, target.quantity))
            assert naive.kinks[wrong].all()  # only at kinks
    assert failed
    # Judged again one-sidedly, the same elements pass under every policy.
    assert check(KINKS, kinks="fail").passed


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
    # The one-sided steps shrink until they cross no kink: every element gets a verdict.
    assert sum(c.unjudged for c in report.checks) == 0
    assert check(relu_net, eps=0.3, kinks="fail").passed


def test_every_policy_in_the_table_is_accepted_and_reported() -> None:
    for policy in KINK_POLICIES:
        report = check(KINKS, kinks=policy)
        assert report.kink_policy == policy
        assert np.isfinite(report.loss_value)


# --------------------------------------------------------------------------- exactly on a kink


def _relu_one(activation, z, *, layer):
    """A user's σ' with ReLU'(0) = 1: the right-hand slope, as legitimate as the seed's 0."""
    return (z >= 0).astype(z.dtype) if activation.name == "relu" else activation.derivative(z)


def _on_zero(seed: int, *, zero_all_biases: bool = False, dtype: str = "float64", batch=None):
    """relu → relu → softmax + CCE whose first-layer biases are 0, some input rows blank and some
    first-layer units without weights, so z¹ is exactly 0 there: one or several samples on a kink
    for each b¹ and W¹ element."""
    rng = np.random.default_rng(seed)
    inputs, first, second = (int(n) for n in rng.integers(3, 8, size=3))
    batch = int(rng.integers(1, 7)) if batch is None else batch
    x = rng.standard_normal((batch, inputs))
    x[rng.random(batch) < 0.4] = 0.0
    x[0] = 0.0
    weights = (
        rng.standard_normal((first, inputs)),
        rng.standard_normal((second, first)),
        rng.standard_normal((3, second)),
    )
    # Units with no weights at all sit on their kink in every sample, and a W¹ element moves
    # them by h·x: several samples at once, to both sides when x has both signs.
    weights[0][rng.random(first) < 0.3] = 0.0
    later = (lambda n: np.zeros(n)) if zero_all_biases else (lambda n: rng.standard_normal(n) / 10)
    biases = (np.zeros(first), later(second), later(3))
    config = load_config(
        {
            "input_size": inputs,
            "layers": [
                {"units": first, "activation": "relu"},
                {"units": second, "activation": "relu"},
                {"units": 3, "activation": "softmax"},
            ],
            "loss": "cce",
            "batch_size": batch,
            "dtype": dtype,
        }
    )
    y = np.eye(3)[rng.integers(0, 3, batch)]
    data = Dataset(path=Path(f"<on zero {seed}>"), x=x, y=y, weights=weights, biases=biases)
    return dataclasses.replace(config, data=data)


def _scaled_bias(factor: float) -> Steps:
    """Steps whose ∇b¹ is ``factor`` × the truth; σ' stays built in (ReLU'(0) = 0)."""

    def grad_b(phi, *, layer):
        return phi.mean(axis=0) * (factor if layer == 1 else 1.0)

    return Steps(grad_b=grad_b)


def test_a_blank_row_and_zero_biases_no_longer_hide_a_wrong_bias_gradient() -> None:
    # Issue 11 (c): every b¹ perturbation sits on a kink, all ∇b¹ elements used to be left out,
    # and ∇b¹ = −3× the truth passed with "All 9 checks passed".
    for zero_all in (False, True):
        config = _on_zero(4, zero_all_biases=zero_all)
        correct = run_with(config)
        assert correct.passed
        assert correct.arrays["db1"].any()  # a −3× corruption of it shows
        report = run_with(config, _scaled_bias(-3.0))
        assert failing(report) == [(1, "b")], report.diagnosis
        row = report.layers[0].checks[2]
        assert row.kinks == row.comparison.checked
        assert row.unjudged == 0


def test_one_kinked_pre_activation_in_a_batch_of_one_hides_no_row() -> None:
    # One input, and W¹[0, 0] = b¹[0] = 0: z¹[0, 0] is exactly 0 and every element of row 0 of
    # W¹ and b¹[0] sits on a kink. Scaling ∇W¹ or ∇b¹ must fail all the same.
    config = _on_zero(5, batch=1)
    x = np.zeros_like(config.data.x)
    x[0, 0] = 1.3
    weights = list(config.data.weights)
    weights[0] = weights[0].copy()
    weights[0][0, 0] = 0.0
    data = dataclasses.replace(config.data, x=x, weights=tuple(weights))
    config = dataclasses.replace(config, data=data)

    def grad_w(phi, a_prev, *, layer):
        return phi.T @ a_prev * (1.5 if layer == 1 else 1.0)

    correct = run_with(config)
    assert correct.passed
    assert correct.layers[0].checks[2].kinks >= 1
    assert failing(run_with(config, Steps(grad_w=grad_w))) == [(1, "W")]
    assert failing(run_with(config, _scaled_bias(1.5))) == [(1, "b")]
    # Issue 11 (c): what sits on the kink itself used to be left out of every layer-1 row, so a
    # ReLU'(0) = ½ there (neither side's slope) passed φ¹, ∇W¹ and ∇b¹ alike.
    half = derivative_of("relu", lambda z: np.where(z == 0, 0.5, z > 0), layers={1})
    assert failing(run_with(config, half)) == [(1, "phi"), (1, "W"), (1, "b")]


NETWORKS_ON_ZERO = 40


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bracket_and_report_raise_no_false_alarm_on_pre_activations_exactly_0(dtype) -> None:
    # Issue 11 (e), (f): correct gradients, and a legitimate ReLU'(0) = 1 (said through
    # activation_derivative, or hidden in a whole backward), on 40 networks with one or several
    # samples on a kink per element: 0 false alarms, every element judged.
    tallies = {"false alarms": 0, "unjudged": 0, "checks": 0}
    sides = (
        None,
        Steps(activation_derivative=_relu_one),
        lambda n, t, y: backward(n, t, y, Steps(activation_derivative=_relu_one)),
    )
    for seed in range(NETWORKS_ON_ZERO):
        config = _on_zero(seed, dtype=dtype)
        for policy in ("report", "bracket"):
            for analytic in sides:
                report = run_with(config, analytic, kinks=policy)
                tallies["checks"] += 1
                tallies["false alarms"] += not report.passed
                tallies["unjudged"] += sum(row.unjudged for row in report.checks)
    assert tallies == {"false alarms": 0, "unjudged": 0, "checks": 6 * NETWORKS_ON_ZERO}


def test_a_wrong_element_on_a_kink_fails_under_report_and_fail() -> None:
    # The other side of (e): every visible corruption of a kinked element is caught.
    caught = tried = 0
    for seed in range(NETWORKS_ON_ZERO // 2):
        config = _on_zero(seed)
        for factor in (-3.0, 1.5):
            for policy in ("report", "fail"):
                report = run_with(config, _scaled_bias(factor), kinks=policy)
                row = report.layers[0].checks[2]
                if row.kinks and report.arrays["db1"].any():  # 0 scaled is no corruption
                    tried += 1
                    caught += not row.passed
    assert caught == tried > 0


def test_a_side_no_difference_can_take_is_unjudged_said_and_failed_by_kinks_fail() -> None:
    # Every z exactly 0 (blank input, all biases 0) and a whole backward with ReLU'(0) = 1:
    # turning unit i on also switches later units sitting on their kinks, so no one-sided
    # difference measures what σ'(0) = 1 means there. Those elements get no verdict.
    config = _on_zero(7, zero_all_biases=True, batch=1)

    def relu_one(n, t, y):
        return backward(n, t, y, Steps(activation_derivative=_relu_one))

    report = run_with(config, relu_one)
    bias = report.layers[0].checks[2]
    assert bias.passed
    assert 2 * bias.unjudged > bias.comparison.checked
    assert bias.comparison.excluded == bias.unjudged
    assert any(w.startswith(f"∇b¹: {bias.unjudged} of ") for w in report.warnings)
    assert report.to_dict()["layers"][0]["checks"][2]["unjudged"] == bias.unjudged
    strict = run_with(config, relu_one, kinks="fail")
    row = strict.layers[0].checks[2]
    assert (row.passed, row.unresolved) == (False, "kinks")
    assert "cannot be judged" in strict.diagnosis


# --------------------------------------------------------------------------- every method


def _relu_half(activation, z, *, layer):
    """ReLU'(0) = ½ (np.heaviside(z, 0.5)): the slope of neither side, wrong at an exact 0."""
    return np.heaviside(z, 0.5) if activation.name == "relu" else activation.derivative(z)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_accepts_either_side_on_exact_zeros_and_neither_is_refused(
    method: str, dtype: str
) -> None:
    # KINKS.md item 10: the complex step never flagged a kink and always measured ReLU'(0) = 0,
    # and a forward or backward step to a unit's off side did not flag it either, so a user's
    # correct ReLU'(0) = 1 failed on networks with pre-activations exactly on 0.
    matters = refused = 0
    for seed in range(6):
        config = _on_zero(seed, dtype=dtype).with_overrides(method=method)
        assert run_with(config).passed
        assert run_with(config, Steps(activation_derivative=_relu_one)).passed
        checker = Checker(config, analytic=Steps(activation_derivative=_relu_one))
        if any(
            not np.array_equal(one, zero)
            for one, zero in zip(checker.gradients.dW, Checker(config).gradients.dW, strict=True)
        ):
            matters += 1
            refused += not run_with(config, Steps(activation_derivative=_relu_half)).passed
    assert refused == matters > 0


def test_the_convention_is_read_from_every_layer_a_step_reaches() -> None:
    # A kink in a later layer decides a sigmoid layer's elements too: a built-in σ' there used
    # to leave the side unknown, so either side passed and a wrong ∇W² matching the other one
    # went through (found by the property run, benchmarks/verdicts.py).
    network = Checker(
        load_config(
            small_config(
                layers=[
                    {"units": 3, "activation": "relu"},
                    {"units": 4, "activation": "sigmoid"},
                    {"units": 4, "activation": "relu"},
                    {"units": 2, "activation": "linear"},
                ],
                loss="mse",
            )
        )
    ).network
    one = Steps(activation_derivative=_relu_one)
    assert [kink_convention(Steps(), network, j) for j in (1, 2, 3, 4)] == ["off"] * 3 + [None]
    assert [kink_convention(one, network, j) for j in (1, 2, 3)] == ["on"] * 3
    # σ'(0) = 1 in layer 3 only: layer 1's steps reach both conventions, layer 3's one.
    mixed = derivative_of("relu", lambda z: (z >= 0).astype(z.dtype), layers={3})
    assert [kink_convention(mixed, network, j) for j in (1, 2, 3)] == [None, "on", "on"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", list(METHODS))
def test_the_kink_config_leaves_no_element_unjudged_in_either_dtype(method, dtype) -> None:
    # Units within eps of 0 (not on it) cross at every step to one side; the other side is the
    # measured one. The side that crossed used to be taken as σ'(0) = 0's, unmeasured, and float32
    # left 4 of 36 φ¹ elements (19 in all) unjudged without a word.
    report = check(KINKS, dtype=dtype, method=method)
    assert report.passed, report.diagnosis
    assert sum(row.unjudged for row in report.checks) == 0
    assert not any("sit on ReLU kinks" in warning for warning in report.warnings)
