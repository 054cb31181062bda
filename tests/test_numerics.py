"""Numerics at the edges: saturated outputs, huge logits, a loss of ~0, tiny gradients, batches of
1 and 1000, float32, huge targets, dead ReLUs.

Every network here is written as an .npz (x, y and the parameters) so that its pre-activations are
exactly where the test wants them. For each edge: numpy raises nothing (warnings are errors in this
suite), no number in the report is NaN or infinite (``to_dict()`` goes through
``json.dumps(..., allow_nan=False)``), the correct build passes, and a broken derivative either
fails or is flagged by a warning — flagged only where no finite difference could see it.

Tests named ``test_bug_…`` fail until the package is fixed; each says what is wrong and what the
right behaviour is.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from backprop_check import check
from backprop_check.core.activations import ACTIVATIONS
from backprop_check.core.backprop import Steps

from .helpers import assert_no_slower_than_a_check, derivative_of, run_with, small_config
from .helpers import failing as _failing

METHODS = ("central", "forward", "complex-step", "richardson")
# The methods that subtract two losses, so have a round-off floor (complex-step has none).
DIFFERENCING = ("central", "forward", "richardson")


# --------------------------------------------------------------------------- helpers


def _npz_config(tmp_path: Path, arrays: dict[str, np.ndarray], **config: Any) -> Path:
    """A config whose batch and parameters come from an .npz written next to it."""
    np.savez(tmp_path / "batch.npz", **arrays)
    config = {**config, "data": {"path": "batch.npz"}}
    config.setdefault("batch_size", len(arrays["x"]))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _floats(value: Any) -> list[Any]:
    """Every float in a nested JSON-like structure."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, (list, tuple)):
        return [f for item in value for f in _floats(item)]
    return []


def _assert_clean(report) -> None:
    """No NaN or infinity anywhere in the report: JSON without allow_nan, every float finite."""
    document = report.to_dict()
    json.dumps(document, allow_nan=False)
    assert all(math.isfinite(f) for f in _floats(document))


def _mentions(report, text: str) -> bool:
    return any(text in warning for warning in report.warnings)


def _phi_output(phi) -> Steps:
    """Steps whose φ^J is ``phi(z, a, y)``: a special case gone wrong, as the user's would."""
    return Steps(phi_output=lambda z, a, y, activation, loss, *, layer: phi(z, a, y))


def _bce_loss(z: np.ndarray, y: np.ndarray) -> float:
    """Mean over samples of Σ −y log σ(z) − (1−y) log(1−σ(z)), exactly, from z."""
    per_element = y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)
    return float(np.mean(np.sum(per_element, axis=1)))


def _cce_loss(z: np.ndarray, y: np.ndarray) -> float:
    """Mean over samples of −Σ y log softmax(z), exactly, from z."""
    top = np.max(z, axis=1, keepdims=True)
    log_softmax = z - top - np.log(np.sum(np.exp(z - top), axis=1, keepdims=True))
    return float(np.mean(-np.sum(y * log_softmax, axis=1)))


# A user file whose only function is a correct, overflow-free σ'(z). Defining it makes the
# built-in Eq. 1 take its general form ∇_a L ∘ σ'(z) (docs/your-network.md).
_STABLE_DERIVATIVE_IMPL = """
import numpy as np


def activation_derivative(name, z):
    if name == "sigmoid":
        e = np.exp(-np.abs(z))
        return e / (1.0 + e) ** 2
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)
"""


# --------------------------------------------------------------------------- 1. sigmoid + BCE, ±40

# Every z is ±40 (+0.25): x rows are the four sign patterns, W picks one input (or its negative).
_SIGMOID_X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
_SIGMOID_W = 40.0 * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
_SIGMOID_B = np.full(4, 0.25)
_SIGMOID_Z = _SIGMOID_X @ _SIGMOID_W.T + _SIGMOID_B


def _saturated_sigmoid(tmp_path: Path, *, disagree: bool) -> tuple[Path, np.ndarray]:
    """One sigmoid layer, every logit ±40; labels agree with the outputs, except column 0 when
    ``disagree`` (loss ≈ 40 per disagreeing element)."""
    y = (_SIGMOID_Z > 0).astype(float)
    if disagree:
        y[:, 0] = 1.0 - y[:, 0]
    path = _npz_config(
        tmp_path,
        {"x": _SIGMOID_X, "y": y, "W1": _SIGMOID_W, "b1": _SIGMOID_B},
        input_size=2,
        layers=[{"units": 4, "activation": "sigmoid"}],
        loss="binary_crossentropy",
    )
    return path, y


@pytest.mark.parametrize("method", METHODS)
def test_saturated_sigmoid_bce_passes_with_a_finite_loss_and_a_saturation_warning(
    tmp_path: Path, method: str
) -> None:
    path, y = _saturated_sigmoid(tmp_path, disagree=True)
    assert np.all(np.abs(_SIGMOID_Z) >= 39.75)
    report = check(path, method=method)
    _assert_clean(report)
    assert report.passed, report.diagnosis
    # Taken from z (log-sigmoid), the loss keeps every digit although σ(40.25) rounds to 1.
    assert report.loss_value == pytest.approx(_bce_loss(_SIGMOID_Z, y), rel=1e-12)
    assert report.loss_value > 39.0  # ≈ 40.25 for the one disagreeing element per sample
    assert _mentions(report, "layer 1 (sigmoid): 16 of 16 outputs")


@pytest.mark.parametrize(
    "phi",
    [lambda z, a, y: 1.1 * (a - y), lambda z, a, y: y - a],
    ids=["10-percent-too-large", "sign-flipped"],
)
def test_saturated_sigmoid_bce_still_fails_a_broken_special_case(tmp_path: Path, phi) -> None:
    # Where the labels disagree, φ = a − y = ±1: saturation does not hide an error there.
    steps = _phi_output(phi)
    path, _ = _saturated_sigmoid(tmp_path, disagree=True)
    for method in METHODS:
        report = run_with(path, steps, method=method)
        _assert_clean(report)
        assert not report.passed, method
        assert _failing(report)[0] == (1, "phi"), method
        assert "Eq. 1" in report.diagnosis


def test_saturated_sigmoid_bce_with_agreeing_labels_flags_what_it_cannot_see(
    tmp_path: Path,
) -> None:
    # Every label agrees: the true φ is about e^-40 ≈ 4e-18 and σ(40.25) rounds to exactly 1, so
    # a − y is 0 in floating point. No finite difference resolves 4e-18 (the round-off floor is
    # ~1e-11), so a 10 % error cannot fail; it must be flagged instead.
    steps = _phi_output(lambda z, a, y: 1.1 * (a - y))
    path, _ = _saturated_sigmoid(tmp_path, disagree=False)
    for method in DIFFERENCING:
        report = run_with(path, steps, method=method)
        _assert_clean(report)
        assert report.loss_value < 1e-16
        if report.passed:
            assert _mentions(report, "layer 1 (sigmoid): 16 of 16 outputs"), method
            assert _mentions(report, "φ¹, ∇W¹, ∇b¹: gradients"), method


def test_saturated_hidden_sigmoid_hides_a_wrong_derivative_and_says_so(tmp_path: Path) -> None:
    # A hidden sigmoid at |z| ≈ 40: σ' ≈ 4e-18 (0.0 in floating point), so 1.1·σ' changes nothing.
    rng = np.random.default_rng(1)
    arrays = {
        "x": _SIGMOID_X,
        "y": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]),
        "W1": _SIGMOID_W,
        "b1": _SIGMOID_B,
        "W2": rng.standard_normal((2, 4)) * 0.5,
        "b2": np.array([0.1, -0.1]),
    }
    path = _npz_config(
        tmp_path,
        arrays,
        input_size=2,
        layers=[{"units": 4, "activation": "sigmoid"}, {"units": 2, "activation": "sigmoid"}],
        loss="binary_crossentropy",
    )
    sigmoid = ACTIVATIONS["sigmoid"]
    steps = derivative_of("sigmoid", lambda z: 1.1 * sigmoid.derivative(z), layers=(1,))
    for method in METHODS:
        report = run_with(path, steps, method=method)
        _assert_clean(report)
        assert report.passed or _failing(report)[0] == (1, "phi"), method
        assert _mentions(report, "layer 1 (sigmoid): 16 of 16 pre-activations have |z| > 20")


# --------------------------------------------------------------------------- 2. softmax, ±1000

_SOFTMAX_X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [-1.0, 0.5]])
_SOFTMAX_W = 1000.0 * np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
_SOFTMAX_Z = _SOFTMAX_X @ _SOFTMAX_W.T  # rows [1000, −1000, 0], [0, 0, 1000], …


def _softmax_1000(tmp_path: Path, *, disagree: bool, dtype: str = "float64") -> tuple[Path, Any]:
    """One softmax layer with logits ±1000; sample 2's label is the least likely unit when
    ``disagree`` (loss 2000 for that sample), else every label is the top unit."""
    labels = np.argmax(_SOFTMAX_Z, axis=1)
    if disagree:
        labels[2] = 2
    y = np.eye(3)[labels]
    path = _npz_config(
        tmp_path,
        {"x": _SOFTMAX_X, "y": y, "W1": _SOFTMAX_W, "b1": np.zeros(3)},
        input_size=2,
        layers=[{"units": 3, "activation": "softmax"}],
        loss="categorical_crossentropy",
        dtype=dtype,
    )
    return path, y


@pytest.mark.parametrize("method", METHODS)
def test_softmax_cce_at_logits_1000_passes_with_the_exact_loss(tmp_path: Path, method) -> None:
    path, y = _softmax_1000(tmp_path, disagree=True)
    report = check(path, method=method)
    _assert_clean(report)
    assert report.passed, report.diagnosis
    assert report.loss_value == pytest.approx(_cce_loss(_SOFTMAX_Z, y), rel=1e-12)
    assert report.loss_value == pytest.approx(500.0)  # 2000 for one sample of four
    assert _mentions(report, "layer 1 (softmax): 12 of 12 outputs")
    if method in DIFFERENCING:
        # L_s = 2000 puts the round-off u·L/ε above atol: said, and atol raised.
        assert _mentions(report, "the loss is large")


@pytest.mark.parametrize(
    "phi",
    [lambda z, a, y: 1.1 * (a * np.sum(y, axis=-1, keepdims=True) - y), lambda z, a, y: y - a],
    ids=["10-percent-too-large", "sign-flipped"],
)
def test_softmax_cce_at_logits_1000_still_fails_a_broken_special_case(tmp_path: Path, phi) -> None:
    steps = _phi_output(phi)
    path, _ = _softmax_1000(tmp_path, disagree=True)
    for method in METHODS:
        report = run_with(path, steps, method=method)
        _assert_clean(report)
        assert _failing(report)[:1] == [(1, "phi")], method


def test_softmax_cce_at_logits_1000_with_agreeing_labels_flags_what_it_cannot_see(
    tmp_path: Path,
) -> None:
    # Every label is the top unit: loss and φ are 0 in floating point (the true φ is e^-1000).
    steps = _phi_output(lambda z, a, y: 1.1 * (a * np.sum(y, axis=-1, keepdims=True) - y))
    path, _ = _softmax_1000(tmp_path, disagree=False)
    for method in METHODS:
        report = run_with(path, steps, method=method)
        _assert_clean(report)
        assert report.loss_value == 0.0
        if report.passed:
            assert _mentions(report, "layer 1 (softmax): 12 of 12 outputs"), method


# ------------------------------------------------- the general Eq. 1 at a saturated output


def _general_eq1(tmp_path: Path, activation: str, loss: str, scale: float) -> Path:
    """One layer with logits ±scale (rows as _SOFTMAX_Z) and a pairing without a special case."""
    y = np.eye(3)[[0, 1, 2, 1]] if loss == "categorical_crossentropy" else np.eye(3)[[0, 2, 2, 1]]
    return _npz_config(
        tmp_path,
        {"x": _SOFTMAX_X, "y": y, "W1": _SOFTMAX_W * scale / 1000.0, "b1": np.zeros(3)},
        input_size=2,
        layers=[{"units": 3, "activation": activation}],
        loss=loss,
    )


@pytest.mark.parametrize(
    ("activation", "loss", "scale"),
    [
        ("sigmoid", "categorical_crossentropy", 40.0),
        ("softmax", "mse", 1000.0),
        ("sigmoid", "mse", 1000.0),
    ],
)
def test_built_in_general_eq1_at_saturated_outputs_is_finite_and_passes(
    tmp_path: Path, activation: str, loss: str, scale: float
) -> None:
    # Pairings without a special case go through ∇_a L ∘ σ'(z) or the softmax Jacobian.
    # A known limit: ∇_a L now comes from the output's logs, which fixes sigmoid + BCE at ±40,
    # but softmax + BCE and extreme logits still lose the cancellation inside the Jacobian. What
    # must hold: no numpy warning, nothing non-finite in the JSON, and a failure only together
    # with the warning that the outputs sit next to log 0.
    path = _general_eq1(tmp_path, activation, loss, scale)
    for method in METHODS:
        report = check(path, method=method)
        _assert_clean(report)
        assert report.passed or any("next to log 0" in w for w in report.warnings), method


@pytest.mark.parametrize(
    ("activation", "loss", "scale"),
    [
        ("sigmoid", "categorical_crossentropy", 1000.0),
        ("softmax", "binary_crossentropy", 40.0),
        ("softmax", "binary_crossentropy", 1000.0),
    ],
)
def test_limit_general_eq1_at_an_output_rounded_to_0_or_1_is_flagged_not_hidden(
    tmp_path: Path, activation: str, loss: str, scale: float
) -> None:
    # ∇_a L = −y/a (CCE) or −y/a + (1−y)/(1−a) (BCE) divides by an a that has rounded to exactly
    # 0 or 1 (σ(−1000) = 0.0; softmax's top unit at a margin of 40 is 1.0): "RuntimeWarning:
    # divide by zero / invalid value encountered in divide" in losses.py, then NaN or ±inf in φ
    # and a FAIL of correct code. Right: ∇_a L ∘ σ'(z) (or the Jacobian product) from z — e.g.
    # (1−y)/(1−σ(z)) · σ'(z) = (1−y)·σ(z) — finite, passing; at least no numpy warning and a
    # "cannot check here" warning instead of a FAIL.
    # A known limit: ∇_a L now comes from the output's logs, which fixes sigmoid + BCE at ±40,
    # but softmax + BCE and extreme logits still lose the cancellation inside the Jacobian. What
    # must hold: no numpy warning, nothing non-finite in the JSON, and a failure only together
    # with the warning that the outputs sit next to log 0.
    path = _general_eq1(tmp_path, activation, loss, scale)
    for method in METHODS:
        report = check(path, method=method)
        _assert_clean(report)
        assert report.passed or any("next to log 0" in w for w in report.warnings), method


@pytest.mark.parametrize("network", ["sigmoid_bce_40", "softmax_cce_1000"])
def test_your_own_sigma_prime_at_a_saturated_output_is_checked_without_nan(
    tmp_path: Path, network: str
) -> None:
    # A user who defines only activation_derivative (correct, overflow-free) gets the general
    # Eq. 1 with the BUILT-IN ∇_a L = −y/a + (1−y)/(1−a) (or −y/a). At a saturated output a is
    # exactly 1.0 (or 0.0): 0/0 and 1/0 in losses.py, a RuntimeWarning, NaN φ, and today the
    # report FAILs every row and blames "your activation_derivative". Right: ∇_a L ∘ σ'(z) taken
    # from z (e.g. 1/(1−σ(z)) = 1 + e^z, finite up to z ≈ 709), so correct code passes; or, at
    # the very least, no NaN and a warning that this point cannot be checked.
    impl = tmp_path / "mine.py"
    impl.write_text(_STABLE_DERIVATIVE_IMPL, encoding="utf-8")
    if network == "sigmoid_bce_40":
        path, _ = _saturated_sigmoid(tmp_path, disagree=True)
    else:
        path, _ = _softmax_1000(tmp_path, disagree=True)
    report = check(path, impl=impl)
    _assert_clean(report)
    # sigmoid + BCE at ±40 now passes; softmax + CCE at ±1000 overflows e^{1000} (a known limit)
    # and must then say that its outputs sit next to log 0.
    assert report.passed or any("next to log 0" in w for w in report.warnings), report.diagnosis
    if network == "sigmoid_bce_40":
        assert report.passed, report.diagnosis


def test_bug_a_formula_loss_that_is_undefined_at_saturation_raises_no_numpy_warning(
    tmp_path: Path,
) -> None:
    # BCE written as a formula in yhat: at σ(40.25) = 1.0 its value is 0·log 0 = NaN and its df
    # is 0/0. The formula itself runs under errstate(all="ignore"), but backprop.phi_output then
    # multiplies inf by σ' = 0 outside it: "RuntimeWarning: invalid value encountered in
    # multiply". Right: no numpy warning; the report says the loss is not finite here (it does).
    path, _ = _saturated_sigmoid(tmp_path, disagree=True)
    config = yaml.safe_load(path.read_text())
    config["loss"] = "my_bce"
    config["losses"] = {
        "my_bce": {
            "f": "-(y * log(yhat) + (1 - y) * log(1 - yhat))",
            "df": "-y / yhat + (1 - y) / (1 - yhat)",
        }
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    report = check(path)
    _assert_clean(report)
    assert "not finite" in report.diagnosis


# --------------------------------------------------------------------------- 3. a loss of ~0


def _exact_fit(tmp_path: Path, residual: float = 0.0, *, seed: int = 0) -> Path:
    """tanh 3 → 4 → linear 2 with MSE, y = the network's output (+ residual · N(0, 1))."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x": rng.standard_normal((5, 3)),
        "W1": rng.standard_normal((4, 3)) * 0.5,
        "b1": rng.standard_normal(4) * 0.1,
        "W2": rng.standard_normal((2, 4)) * 0.5,
        "b2": rng.standard_normal(2) * 0.1,
    }
    output = np.tanh(arrays["x"] @ arrays["W1"].T + arrays["b1"]) @ arrays["W2"].T + arrays["b2"]
    arrays["y"] = output + residual * rng.standard_normal(output.shape)
    return _npz_config(
        tmp_path,
        arrays,
        input_size=3,
        layers=[{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )


@pytest.mark.parametrize("method", DIFFERENCING)
def test_a_loss_of_exactly_zero_passes_and_warns_that_every_gradient_is_at_the_floor(
    tmp_path: Path, method: str
) -> None:
    report = check(_exact_fit(tmp_path), method=method)
    _assert_clean(report)
    assert report.loss_value == 0.0
    assert report.passed
    assert _mentions(report, "φ¹, ∇W¹, ∇b¹, φ², ∇W², ∇b²: gradients of at most 0.0e+00")
    # Every analytic value is 0; a numeric value is then 0 or round-off judged on atol.
    assert all(c.comparison.max_abs_error <= report.atol for c in report.checks)


def test_bug_a_loss_of_exactly_zero_is_not_silent_with_the_complex_step(tmp_path: Path) -> None:
    # y equals the output, so φ² = −(2/n)(y − a) = 0 and every gradient is 0: a wrong σ' or a
    # wrong Eq. 3 multiplies 0 and cannot show. The differencing methods say so (previous test);
    # the complex step passes with no warning at all, because the floor warning is skipped for
    # it. Right: the same warning for every method when a tensor is (near) zero / below atol.
    report = check(_exact_fit(tmp_path), method="complex-step")
    _assert_clean(report)
    assert report.passed
    assert _mentions(report, "φ²"), report.warnings


def test_a_loss_of_zero_hides_a_wrong_sigma_prime_but_says_so(tmp_path) -> None:
    tanh = ACTIVATIONS["tanh"]
    steps = derivative_of("tanh", lambda z: 2.0 * tanh.derivative(z))
    report = run_with(_exact_fit(tmp_path), steps)
    _assert_clean(report)
    assert report.passed  # φ² = 0, so φ¹ = 0 whatever σ' is: nothing to see
    assert _mentions(report, "φ¹")


def _confident_softmax(tmp_path: Path) -> Path:
    """Softmax whose label wins by a margin of at least 10 (loss ~1e-4, nothing saturated)."""
    x = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 0.1, 0], [0, 0.1, 1.0]])
    W = 10.0 * np.eye(3) + np.array([[0.5, 0, 0], [0, 0.2, 0], [0, 0, 0.3]])
    z = x @ W.T
    ordered = np.sort(z, axis=1)
    assert np.all(ordered[:, -1] - ordered[:, -2] >= 9.0)
    return _npz_config(
        tmp_path,
        {"x": x, "y": np.eye(3)[np.argmax(z, axis=1)], "W1": W, "b1": np.array([0.1, -0.1, 0.0])},
        input_size=3,
        layers=[{"units": 3, "activation": "softmax"}],
        loss="cce",
    )


@pytest.mark.parametrize("method", METHODS)
def test_a_confident_correct_softmax_passes_quietly(tmp_path: Path, method: str) -> None:
    report = check(_confident_softmax(tmp_path), method=method)
    _assert_clean(report)
    assert 0.0 < report.loss_value < 1e-3
    assert report.passed, report.diagnosis
    # Gradients of ~1e-4 are far above every floor and no output is within 1e-12 of 0 or 1.
    assert report.warnings == ()


@pytest.mark.parametrize("method", METHODS)
def test_a_confident_correct_softmax_still_fails_a_sign_flip(tmp_path: Path, method: str) -> None:
    steps = _phi_output(lambda z, a, y: y - a)
    report = run_with(_confident_softmax(tmp_path), steps, method=method)
    _assert_clean(report)
    assert _failing(report)[:1] == [(1, "phi")]


# --------------------------------------------------------------------------- 4. tiny gradients


def _tiny_residual(tmp_path: Path, residual: float) -> Path:
    """One linear layer with MSE and y = output + residual·N(0,1): every gradient ~ residual."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    W = rng.standard_normal((2, 3))
    b = rng.standard_normal(2) * 0.1
    y = x @ W.T + b + residual * rng.standard_normal((4, 2))
    return _npz_config(
        tmp_path,
        {"x": x, "y": y, "W1": W, "b1": b},
        input_size=3,
        layers=[{"units": 2, "activation": "linear"}],
        loss="mse",
    )


# ∇_a L of the mean squared error with its sign flipped.
_FLIPPED_MSE = Steps(loss_gradient=lambda loss, a, y, *, layer: 2.0 / a.shape[-1] * (y - a))


@pytest.mark.parametrize("method", DIFFERENCING)
def test_gradients_of_1e_12_pass_and_are_flagged_as_below_the_round_off(
    tmp_path: Path, method: str
) -> None:
    report = check(_tiny_residual(tmp_path, 1e-12), method=method)
    _assert_clean(report)
    assert report.passed, report.diagnosis
    assert _mentions(report, "φ¹, ∇W¹, ∇b¹: gradients of at most")
    assert _mentions(report, "within 10× the round-off")


@pytest.mark.parametrize("method", DIFFERENCING)
def test_gradients_of_1e_12_with_a_sign_flip_fail_or_are_flagged(
    tmp_path: Path, method: str
) -> None:
    steps = _FLIPPED_MSE
    report = run_with(_tiny_residual(tmp_path, 1e-12), steps, method=method)
    _assert_clean(report)
    assert not report.passed or _mentions(report, "φ¹, ∇W¹, ∇b¹: gradients of at most")


def test_gradients_of_1e_12_are_resolved_by_the_complex_step(tmp_path: Path) -> None:
    # No subtraction, atol 1e-13: the complex step sees a sign flip on gradients of ~1e-12.
    assert check(_tiny_residual(tmp_path, 1e-12), method="complex-step").passed
    steps = _FLIPPED_MSE
    report = run_with(_tiny_residual(tmp_path, 1e-12), steps, method="complex-step")
    _assert_clean(report)
    assert set(_failing(report)) == {(1, "phi"), (1, "W"), (1, "b")}


def test_inputs_of_1e_12_flag_only_the_tensor_that_is_tiny(tmp_path: Path) -> None:
    # x · 1e-12 makes ∇W¹ = φ¹ xᵀ tiny; φ¹, ∇b¹ and layer 2 stay of order 1.
    rng = np.random.default_rng(5)
    arrays = {
        "x": rng.standard_normal((5, 3)) * 1e-12,
        "y": rng.standard_normal((5, 2)),
        "W1": rng.standard_normal((4, 3)),
        "b1": rng.standard_normal(4) * 0.5,
        "W2": rng.standard_normal((2, 4)),
        "b2": np.zeros(2),
    }
    path = _npz_config(
        tmp_path,
        arrays,
        input_size=3,
        layers=[{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )
    for method in DIFFERENCING:
        report = check(path, method=method)
        _assert_clean(report)
        assert report.passed, method
        floor = [w for w in report.warnings if "round-off of a finite difference" in w]
        assert len(floor) == 1
        assert floor[0].startswith("∇W¹: gradients of at most")


@pytest.mark.parametrize("method", ["central", "complex-step"])
def test_bug_gradients_below_atol_do_not_pass_a_sign_flip_silently(
    tmp_path: Path, method: str
) -> None:
    # Gradients of ~1e-9 (central) or ~1e-15 (complex step) are all below atol (1e-8, 1e-13), so
    # every element passes on atol alone, a sign flip included, and nothing says so: the floor
    # warning only fires below 10× u·max(L,1)/ε ≈ 2e-10 (central), and never for the complex
    # step. The central difference even resolves these gradients to 1e-11 relative. Right: fail
    # (atol no larger than the floor needs) or warn whenever a whole tensor is below atol.
    residual = 1e-9 if method == "central" else 1e-15
    steps = _FLIPPED_MSE
    report = run_with(_tiny_residual(tmp_path, residual), steps, method=method)
    _assert_clean(report)
    assert not report.passed or _mentions(report, "φ¹"), report.warnings


# --------------------------------------------------------------------------- 5. batch 1 and 1000


@pytest.mark.parametrize("batch_size", [1, 1000])
@pytest.mark.parametrize("method", METHODS)
def test_batches_of_1_and_1000_pass_quickly(batch_size: int, method: str) -> None:
    started = time.perf_counter()
    report = check(small_config(), batch_size=batch_size, method=method)
    elapsed = time.perf_counter() - started
    _assert_clean(report)
    assert report.passed, report.diagnosis
    assert report.batch_size == batch_size
    assert report.layers[0].checks[0].comparison.shape == (batch_size, 6)
    # Measured: ~0.03 s; compared with a baseline measured now, so a loaded machine passes.
    assert_no_slower_than_a_check(elapsed, f"batch {batch_size}")


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_batches_of_1_and_1000_fail_a_broken_sigma_prime(batch_size: int) -> None:
    sigmoid = ACTIVATIONS["sigmoid"]
    steps = derivative_of("sigmoid", lambda z: 1.1 * sigmoid.derivative(z))
    report = run_with(small_config(), steps, batch_size=batch_size)
    _assert_clean(report)
    assert _failing(report)[0] == (2, "phi")
    assert "Eq. 2 between layers 3 and 2" in report.diagnosis


def test_a_batch_of_1000_catches_a_sum_instead_of_a_mean() -> None:
    steps = Steps(grad_w=lambda phi, a_prev, *, layer: phi.T @ a_prev)
    report = run_with(small_config(), steps, batch_size=1000)
    assert set(_failing(report)) == {(1, "W"), (2, "W"), (3, "W")}
    assert "1.00e+03 ×" in report.diagnosis or "batch size" in report.diagnosis


def test_bug_a_batch_of_1_says_it_cannot_tell_a_sum_from_a_mean() -> None:
    # With B = 1, ∇W summed over the batch equals its mean, and "∇b from one sample" is ∇b: two of
    # the selftest's mutants are invisible, and the check passes without a word. Right: a warning
    # that a batch of 1 cannot see a missing 1/B (use batch_size ≥ 2).
    steps = Steps(grad_w=lambda phi, a_prev, *, layer: phi.T @ a_prev)
    report = run_with(small_config(), steps, batch_size=1)
    _assert_clean(report)
    assert not report.passed or report.warnings


# --------------------------------------------------------------------------- 6. other edges


def test_bug_float32_counts_outputs_that_round_to_exactly_1_as_saturated(tmp_path: Path) -> None:
    # In float32 σ(40.25) and softmax's top unit are exactly 1.0, but `a > 1 - 1e-12` compares
    # with 1 − 1e-12 cast to float32, i.e. 1.0 (NEP 50), so they are not counted: float32 reports
    # 8 of 16 where float64 reports 16 of 16 (and a single sigmoid output at +40 gets no warning
    # at all). Right: the same count as float64 (compare in float64, or from z).
    sigmoid, _ = _saturated_sigmoid(tmp_path, disagree=True)
    for dtype in ("float64", "float32"):
        report = check(sigmoid, dtype=dtype)
        _assert_clean(report)
        assert report.passed
        assert _mentions(report, "layer 1 (sigmoid): 16 of 16 outputs"), (dtype, report.warnings)


@pytest.mark.parametrize("scale", [40.0, 100.0, 1000.0])
@pytest.mark.parametrize("method", METHODS)
def test_float32_single_layer_large_logits_pass_without_overflow(
    tmp_path: Path, method: str, scale: float
) -> None:
    # exp overflows float32 at 88: sigmoid, log-sigmoid, softmax and log-softmax must not.
    for activation, loss, y in [
        ("sigmoid", "bce", np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1.0]])),
        ("softmax", "cce", np.eye(3)[[0, 1, 2, 1]]),
    ]:
        folder = tmp_path / activation
        folder.mkdir()
        path = _npz_config(
            folder,
            {"x": _SOFTMAX_X, "y": y, "W1": _SOFTMAX_W * scale / 1000, "b1": np.full(3, 0.1)},
            input_size=2,
            layers=[{"units": 3, "activation": activation}],
            loss=loss,
            dtype="float32",
        )
        report = check(path, method=method)
        _assert_clean(report)
        assert report.passed, (activation, report.diagnosis)
        assert report.dtype == "float32"
        assert any(w.startswith("float32 keeps") for w in report.warnings)


def test_limit_float32_large_weights_fail_only_with_a_warning(tmp_path: Path) -> None:
    # A known limit (docs/reliability.md): float32's step of 1e-2 is large against weights of
    # 1000. The failure must come with the warnings that say why a pass proves little here.
    # sigmoid → sigmoid + MSE with weights ×1000. A hidden unit sits at z¹ = 0 and feeds the
    # output through weights of 1000, so float32's default step (ε = 1e-2) moves z² by ~2.5: the
    # central difference is off by 32 % from truncation, and the report FAILs φ¹ of correct code,
    # diagnosing "the 2/n of the mean squared error is missing". (float64, ε = 1e-5, passes.)
    # Right: no false FAIL; a failing element whose estimate moves with the step (D(ε) vs D(ε/2),
    # as the sweep does) is numerical, to be excluded and flagged by name, not reported as a bug.
    arrays = {
        "x": _SOFTMAX_X,
        "y": np.eye(3)[[0, 1, 2, 1]],
        "W1": _SOFTMAX_W,
        "b1": np.zeros(3),
        "W2": 1000.0 * np.array([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.5, 1.0]]),
        "b2": np.zeros(3),
    }
    path = _npz_config(
        tmp_path,
        arrays,
        input_size=2,
        layers=[{"units": 3, "activation": "sigmoid"}, {"units": 3, "activation": "sigmoid"}],
        loss="mse",
    )
    assert check(path).passed
    report = check(path, dtype="float32")
    _assert_clean(report)
    assert report.passed or any("|z| > 20" in w for w in report.warnings), report.diagnosis


@pytest.mark.parametrize("network", ["sigmoid_bce_40", "softmax_cce_1000"])
def test_complex_step_at_saturated_outputs_is_exact(tmp_path: Path, network: str) -> None:
    if network == "sigmoid_bce_40":
        path, _ = _saturated_sigmoid(tmp_path, disagree=True)
    else:
        path, _ = _softmax_1000(tmp_path, disagree=True)
    report = check(path, method="complex-step")
    _assert_clean(report)
    assert report.passed
    # No subtraction: even at saturation the complex step agrees to round-off of a − y.
    assert all(c.comparison.max_abs_error < 1e-15 for c in report.checks)


def _sigmoid_bce_mixed(tmp_path: Path) -> Path:
    """Sigmoid + BCE with some logits at ±40 and some near 10 (not saturated)."""
    x = np.array([[1.0, 0.5], [-1.0, 0.25], [0.5, -1.0], [1.0, 1.0]])
    W = np.array([[40.0, 0.0], [-40.0, 0.0], [0.0, 40.0], [20.0, 20.0]])
    b = np.array([0.1, -0.1, 0.2, 0.0])
    y = ((x @ W.T + b) > 0).astype(float)
    y[:, 1] = 1.0 - y[:, 1]
    return _npz_config(
        tmp_path,
        {"x": x, "y": y, "W1": W, "b1": b},
        input_size=2,
        layers=[{"units": 4, "activation": "sigmoid"}],
        loss="binary_crossentropy",
    )


@pytest.mark.parametrize("eps", [1e-3, 1e-2, 1e-1])
def test_richardson_with_a_large_step_on_saturated_sigmoid_passes(tmp_path: Path, eps) -> None:
    report = check(_sigmoid_bce_mixed(tmp_path), method="richardson", eps=eps)
    _assert_clean(report)
    assert report.passed, report.diagnosis
    assert all(c.error_estimate is not None for c in report.checks)


def test_bug_richardson_does_not_fail_correct_code_its_own_estimate_calls_unresolved(
    tmp_path: Path,
) -> None:
    # At ε = 1 Richardson misses φ¹ of correct code by ~1e-7 (rel 0.2 %) on the unsaturated
    # logits and FAILs it, while its own error estimate, |D(ε/2) − D(ε)|/3 ≈ 2e-6, says the
    # numerical value is not resolved to that level. Right: no FAIL where error_estimate exceeds
    # the tolerance; a warning that ε is too large here (the sweep would call it numerical).
    path = _sigmoid_bce_mixed(tmp_path)
    baseline = check(path, method="richardson")
    report = check(path, method="richardson", eps=0.5)
    _assert_clean(report)
    unresolved = [
        c for c in report.checks if not c.passed and c.error_estimate > c.comparison.max_abs_error
    ]
    assert not unresolved or set(report.warnings) - set(baseline.warnings), report.diagnosis


def _huge_targets(tmp_path: Path, scale: float) -> Path:
    rng = np.random.default_rng(2)
    arrays = {
        "x": rng.standard_normal((8, 4)),
        "y": rng.standard_normal((8, 2)) * scale,
        "W1": rng.standard_normal((5, 4)) * 0.5,
        "b1": rng.standard_normal(5) * 0.1,
        "W2": rng.standard_normal((2, 5)) * 0.5,
        "b2": rng.standard_normal(2) * 0.1,
    }
    return _npz_config(
        tmp_path,
        arrays,
        input_size=4,
        layers=[{"units": 5, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("method", METHODS)
def test_mse_with_targets_of_1e6_passes_and_says_the_loss_is_large(
    tmp_path: Path, method: str, dtype: str
) -> None:
    report = check(_huge_targets(tmp_path, 1e6), method=method, dtype=dtype)
    _assert_clean(report)
    assert report.loss_value > 1e11
    assert report.passed, report.diagnosis
    if method in DIFFERENCING:
        assert _mentions(report, "the loss is large")


@pytest.mark.parametrize("method", METHODS)
def test_mse_with_targets_of_1e6_still_fails_a_wrong_tanh_prime(
    tmp_path: Path, method: str
) -> None:
    tanh = ACTIVATIONS["tanh"]
    steps = derivative_of("tanh", lambda z: 1.1 * tanh.derivative(z))
    report = run_with(_huge_targets(tmp_path, 1e6), steps, method=method)
    _assert_clean(report)
    assert _failing(report)[0] == (1, "phi")


def _saturated_tanh(tmp_path: Path) -> Path:
    """tanh 3 → 4 with every |z¹| ≥ 40, then linear 2, MSE."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 3))
    W1 = rng.standard_normal((4, 3))
    W1 *= 40.0 / np.abs(x @ W1.T).min()
    return _npz_config(
        tmp_path,
        {
            "x": x,
            "y": rng.standard_normal((6, 2)),
            "W1": W1,
            "b1": np.zeros(4),
            "W2": rng.standard_normal((2, 4)) * 0.5,
            "b2": np.zeros(2),
        },
        input_size=3,
        layers=[{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )


@pytest.mark.parametrize("method", METHODS)
def test_saturated_hidden_tanh_passes_and_warns(tmp_path: Path, method: str) -> None:
    report = check(_saturated_tanh(tmp_path), method=method)
    _assert_clean(report)
    assert report.passed
    assert _mentions(report, "layer 1 (tanh): 24 of 24 pre-activations have |z| > 20")


def test_saturated_hidden_tanh_hides_a_wrong_tanh_prime_and_says_so(tmp_path: Path) -> None:
    tanh = ACTIVATIONS["tanh"]
    steps = derivative_of("tanh", lambda z: 2.0 * tanh.derivative(z))
    for method in METHODS:
        report = run_with(_saturated_tanh(tmp_path), steps, method=method)
        _assert_clean(report)
        assert report.passed or _failing(report)[0] == (1, "phi")
        assert _mentions(report, "layer 1 (tanh): 24 of 24 pre-activations")


def _all_dead_relu(tmp_path: Path) -> Path:
    """relu 3 → 4 with every unit off for every sample (x ≥ 0, W¹ < 0, b¹ = −1), then linear 2."""
    rng = np.random.default_rng(3)
    return _npz_config(
        tmp_path,
        {
            "x": np.abs(rng.standard_normal((6, 3))),
            "y": rng.standard_normal((6, 2)),
            "W1": -np.abs(rng.standard_normal((4, 3))),
            "b1": -np.ones(4),
            "W2": rng.standard_normal((2, 4)) * 0.5,
            "b2": np.zeros(2),
        },
        input_size=3,
        layers=[{"units": 4, "activation": "relu"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )


@pytest.mark.parametrize("method", METHODS)
def test_an_all_dead_relu_layer_passes_with_every_element_counted_dead(
    tmp_path: Path, method: str
) -> None:
    report = check(_all_dead_relu(tmp_path), method=method)
    _assert_clean(report)
    assert report.passed
    phi1, w1, b1 = report.layers[0].checks
    w2 = report.layers[1].checks[1]
    assert (phi1.dead, w1.dead, b1.dead, w2.dead) == (24, 12, 4, 8)
    assert all(c.kinks == 0 for c in report.checks)  # −1 is far from the kink


def test_an_all_dead_relu_layer_still_fails_relu_prime_of_one(tmp_path) -> None:
    steps = derivative_of("relu", np.ones_like)
    report = run_with(_all_dead_relu(tmp_path), steps)
    _assert_clean(report)
    assert set(_failing(report)) == {(1, "phi"), (1, "W"), (1, "b")}


@pytest.mark.parametrize("method", METHODS)
def test_bug_an_all_dead_relu_layer_is_flagged_by_every_method(tmp_path: Path, method) -> None:
    # Layer 1 is off for every sample: φ¹, ∇W¹, ∇b¹ and ∇W² are exactly 0, so nothing about
    # layer 1's Eq. 3 and 4 is checked (a wrong ∇W¹ that is a multiple of φ¹ is invisible). The
    # differencing methods mention φ¹ in the round-off warning; the complex step says nothing.
    report = check(_all_dead_relu(tmp_path), method=method)
    assert report.passed
    assert _mentions(report, "φ¹"), report.warnings


def test_bug_an_all_dead_relu_layer_is_called_dead(tmp_path: Path) -> None:
    # What the central check says today is the round-off warning, whose advice ("scale the inputs
    # or targets up, use fewer samples, or float64") cannot help: the units are off. Right: a
    # warning naming the layer and saying its ReLUs are dead for every sample (re-initialise,
    # e.g. init: he, or move the biases), as the `dead` column of the report already knows.
    report = check(_all_dead_relu(tmp_path))
    text = " ".join(report.warnings).lower()
    assert "dead" in text or "relu" in text, report.warnings


# --------------------------------------------------------------------------- 9. no numpy warning


def _overflow_configs(tmp_path: Path) -> dict[str, Path]:
    """Configs whose loss, a formula or the targets overflow, each its own way."""
    rng = np.random.default_rng(9)
    np.savez(
        tmp_path / "huge.npz",
        x=rng.standard_normal((4, 3)),
        y=rng.standard_normal((4, 2)) * 1e200,  # the squared error overflows
    )
    labels = np.eye(3)[rng.integers(0, 3, 4)]
    # Inputs of ±300 put the logits hundreds apart: e^z overflows float32 without care.
    np.savez(tmp_path / "wide.npz", x=rng.standard_normal((4, 3)) * 300, y=labels)
    base = {"input_size": 3, "batch_size": 4, "seed": 2}
    two_layers = [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}]
    configs = {
        "targets": {**base, "layers": two_layers, "loss": "mse", "data": {"path": "huge.npz"}},
        "activation formula": {
            **base,
            "layers": [{"units": 4, "activation": "boom"}, {"units": 2, "activation": "linear"}],
            "activations": {"boom": {"f": "exp(800 * x)", "df": "800 * exp(800 * x)"}},
            "loss": "mse",
        },
        "derivative formula": {
            **base,
            "layers": [{"units": 4, "activation": "steep"}, {"units": 2, "activation": "linear"}],
            "activations": {"steep": {"f": "x", "df": "exp(1000 * x)"}},
            "loss": "mse",
        },
        "loss formula": {
            **base,
            "layers": two_layers,
            "losses": {
                "blowup": {"f": "exp(1000 * (yhat - y))", "df": "1000 * exp(1000 * (yhat - y))"}
            },
            "loss": "blowup",
        },
        "float32 logits": {
            **base,
            "layers": [{"units": 3, "activation": "softmax"}],
            "loss": "binary_crossentropy",
            "dtype": "float32",
            "data": {"path": "wide.npz"},
        },
    }
    paths = {}
    for name, config in configs.items():
        if "data" in config:
            config.pop("batch_size")
        path = tmp_path / f"{name.replace(' ', '_')}.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        paths[name] = path
    return paths


EXIT_ON_OVERFLOW = {
    "targets": 1,
    "activation formula": 2,
    "derivative formula": 1,
    "loss formula": 1,
    "float32 logits": 0,
}


@pytest.mark.parametrize("filters", ["error", "default"])
def test_no_numpy_warning_reaches_stderr_on_overflowing_losses_formulas_or_targets(
    tmp_path: Path, filters: str
) -> None:
    # Issue 11 (t): a formula or a loss that overflows printed numpy RuntimeWarnings with our
    # internal source lines. With -W error such a warning would end the run in a traceback; with
    # the default filters it would be printed. Each is said as one of our warnings or errors.
    for name, path in _overflow_configs(tmp_path).items():
        result = subprocess.run(
            [sys.executable, "-W", filters, "-m", "backprop_check", "run", str(path)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        # Each is said: no verdict (1), an eps no step can use (2), or a clean pass (0).
        assert result.returncode == EXIT_ON_OVERFLOW[name], (name, result.stdout, result.stderr)
        assert "RuntimeWarning" not in result.stderr, (name, result.stderr)
        # Python's warning lines: "…/file.py:12: SomeWarning: …".
        assert not re.search(r"\.py:\d+: \w*Warning", result.stderr), (name, result.stderr)
        assert "Traceback" not in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stdout, (name, result.stdout)
