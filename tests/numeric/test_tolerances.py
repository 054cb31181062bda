"""The default steps and tolerances: a correct gradient passes, a small error is caught.

For every method, in float32 (and float64 for the stated resolution): on a handful of seeded
networks the built-in gradients pass, and ∇W wrong by 1 % in every element, or by 5 % in one
element, fails — in every tensor where that error is larger than twice the absolute tolerance
the check judges with (atol, or the round-off floor above it), which is all a finite difference
can promise. ``resolves`` is held to the same test with its own size.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from backprop_check import check
from backprop_check.core.backprop import Gradients, backward
from backprop_check.judge.checker import Checker
from backprop_check.numeric.finite_differences import METHODS
from backprop_check.numeric.precision import judging_atol
from backprop_check.report.formats.text import plain_text
from backprop_check.spec.config import load_config

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = {
    "sigmoid_bce": ROOT / "configs" / "sigmoid_bce.yaml",
    "deep_mixed": ROOT / "configs" / "deep_mixed.yaml",
    "iris_softmax_cce": ROOT / "configs" / "iris_softmax_cce.yaml",
    "relu_softmax_bce": {
        "input_size": 5,
        "layers": [{"units": 7, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
        "loss": "binary_crossentropy",
        "batch_size": 17,
        "seed": 3,
    },
    "tanh_sigmoid_bce": {  # ∇W up to 0.67 at a loss near 1: above even forward's float32 floor
        "input_size": 4,
        "layers": [{"units": 8, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_crossentropy",
        "batch_size": 2,
        "seed": 4,
        "init": "normal",
    },
    "tanh_linear_mse": {
        "input_size": 4,
        "layers": [{"units": 8, "activation": "tanh"}, {"units": 3, "activation": "linear"}],
        "loss": "mse",
        "batch_size": 4,
        "seed": 5,
        "init": "normal",
    },
    "tanh_sigmoid_cce": {
        "input_size": 3,
        "layers": [
            {"units": 6, "activation": "tanh"},
            {"units": 4, "activation": "linear"},
            {"units": 4, "activation": "sigmoid"},
        ],
        "loss": "categorical_crossentropy",
        "batch_size": 3,
        "seed": 8,
    },
}


def _checker(network: str, method: str, dtype: str, analytic=None, **overrides) -> Checker:
    config = load_config(NETWORKS[network]).with_overrides(
        dtype=dtype, method=method, kinks="report"
    )
    if overrides:
        config = config.with_overrides(**overrides)
    return Checker(config, analytic=analytic)


def _with_dw(corrupt):
    """The built-in analytic side with every ∇W^j replaced by ``corrupt(j, ∇W^j)``."""

    def analytic(network, trace, y) -> Gradients:
        built_in = backward(network, trace, y)
        dw = tuple(corrupt(j, d) for j, d in enumerate(built_in.dW, start=1))
        return dataclasses.replace(built_in, dW=dw)

    return analytic


def _rows(report, quantity: str):
    return {
        row.layer: row
        for layer in report.layers
        for row in layer.checks
        if row.quantity == quantity
    }


def _unkinked_largest(dw: np.ndarray, row) -> tuple[int, ...] | None:
    """The largest |∇W| element the check judges (kinks are left out under --kinks report)."""
    kinked = set(row.kink_indices)
    if row.kinks > len(kinked):
        return None  # more kinks than listed: cannot tell which elements are judged
    order = np.argsort(-np.abs(dw), axis=None)
    for flat in order:
        index = tuple(int(i) for i in np.unravel_index(int(flat), dw.shape))
        if index not in kinked:
            return index
    return None


def _corruptions_caught(network: str, method: str, dtype: str, size: float, whole: bool) -> int:
    """Check ∇W × (1 + size) (whole) or its largest judged element × (1 + size); return how
    many tensors had that error above twice the judging atol, asserting each of them failed."""
    checker = _checker(network, method, dtype)
    correct = checker.run()
    assert correct.passed, correct.diagnosis
    options = checker.config.check
    atol = judging_atol(
        options.absolute_tolerance,
        checker.engine.sample_losses,
        eps=options.step,
        method=method,
    )
    rows = _rows(correct, "W")
    targets = {}
    for j, dw in enumerate(checker.gradients.dW, start=1):
        index = _unkinked_largest(dw, rows[j])
        if index is not None and size * abs(float(dw[index])) > 2 * atol:
            targets[j] = index

    def corrupt(layer: int, dw: np.ndarray) -> np.ndarray:
        if layer not in targets:
            return dw
        if whole:
            return dw * (1 + size)
        wrong = dw.copy()
        wrong[targets[layer]] *= 1 + size
        return wrong

    report = _checker(network, method, dtype, analytic=_with_dw(corrupt)).run()
    failed = {j for j, row in _rows(report, "W").items() if not row.passed}
    assert failed == set(targets), (network, method, size, whole, failed, targets)
    return len(targets)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_float32_defaults_catch_one_percent_everywhere_and_five_percent_in_one_element(
    method: str,
) -> None:
    whole = single = 0
    for network in sorted(NETWORKS):
        whole += _corruptions_caught(network, method, "float32", 0.01, whole=True)
        single += _corruptions_caught(network, method, "float32", 0.05, whole=False)
    # Not vacuous: on these networks some ∇W tensors carry errors this size above atol.
    assert whole >= 1
    assert single >= 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_method_catches_the_error_it_says_it_resolves(method: str, dtype: str) -> None:
    resolves = METHODS[method].defaults(dtype).resolves
    caught = sum(
        _corruptions_caught(network, method, dtype, resolves, whole=False)
        for network in ("sigmoid_bce", "tanh_sigmoid_bce", "tanh_sigmoid_cce")
    )
    assert caught >= 1


def test_a_tolerance_looser_than_the_error_lets_it_pass() -> None:
    """The checks above can fail: with rtol at 2 % a 1 % error in every ∇W element passes."""
    loose = _checker("sigmoid_bce", "central", "float32", rtol=0.02)
    assert loose.run().passed
    report = _checker(
        "sigmoid_bce", "central", "float32", analytic=_with_dw(lambda _, dw: dw * 1.01), rtol=0.02
    ).run()
    assert report.passed
    strict = _checker(
        "sigmoid_bce", "central", "float32", analytic=_with_dw(lambda _, dw: dw * 1.01)
    ).run()
    assert not strict.passed


def test_complex_step_passes_a_correct_softmax_bce_network_near_saturation() -> None:
    """Issue 11 (g): φ² ≈ 2 with 1 − a ≈ 2e-6 lost 1.5e-9 in the general Eq. 1, above rtol."""
    config = {
        "input_size": 4,
        "layers": [{"units": 6, "activation": "linear"}, {"units": 3, "activation": "softmax"}],
        "loss": "binary_crossentropy",
        "batch_size": 1,
        "seed": 24,
        "init": "normal",
    }
    checker = Checker(load_config(config).with_overrides(method="complex-step"))
    assert np.max(checker.engine.trace.a(2)) > 1 - 1e-5  # the top output is nearly saturated
    assert checker.run().passed


# --------------------------------------------------------------------------- stated in the report


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", sorted(METHODS))
def test_what_a_check_resolves_is_stated_only_at_the_settings_it_was_measured(method, dtype):
    defaults = METHODS[method].defaults(dtype)
    at = {"eps": defaults.eps, "rtol": defaults.rtol, "atol": defaults.atol}
    assert METHODS[method].resolves(dtype, **at) == defaults.resolves
    # Stricter tolerances resolve at least as much; another step or looser ones were not measured.
    assert METHODS[method].resolves(dtype, **{**at, "rtol": defaults.rtol / 2}) == defaults.resolves
    for changed in ({"eps": defaults.eps * 2}, {"rtol": defaults.rtol * 2}, {"atol": 1.0}):
        assert METHODS[method].resolves(dtype, **{**at, **changed}) is None


def test_the_report_states_what_it_resolves_in_its_header_and_json() -> None:
    # Issue 11 item 4: "float32 that means what it says", in the report itself.
    config = load_config(NETWORKS["sigmoid_bce"]).with_overrides(dtype="float32")
    report = check(config)
    assert report.resolves == METHODS["central"].float32.resolves == 7e-3
    assert "resolves errors above 0.7 % (float32, central)" in plain_text(report).splitlines()
    assert report.to_dict()["resolves"] == 7e-3
    # A step of one's own was not measured: nothing is claimed.
    other = check(config, eps=3e-3)
    assert other.resolves is None
    assert "resolves errors" not in plain_text(other)
    assert other.to_dict()["resolves"] is None
    assert check(config, directions=2).resolves is None
