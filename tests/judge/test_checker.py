"""The whole check: shipped configs pass, and every kind of broken equation is caught and named."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import backprop_check
from backprop_check import ConfigError, check
from backprop_check.core import backprop
from backprop_check.core.activations import ACTIVATIONS
from backprop_check.core.backprop import SPECIAL_CASES, SpecialCase, Steps
from backprop_check.judge.checker import Checker, CheckInterrupted
from backprop_check.numeric.finite_differences import METHODS
from backprop_check.report.data import ProgressEvent
from backprop_check.spec.config import load_config

from ..helpers import (
    COMPLEX_STEP_CONFIGS,
    CONFIGS,
    derivative_of,
    run_with,
    small_config,
    square_config,
)
from ..helpers import failing as _failing

SIGMOID = ACTIVATIONS["sigmoid"]
KINKS = CONFIGS[0].parent / "relu_kinks.yaml"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_passes(path) -> None:
    report = check(path)
    assert report.passed, report.diagnosis
    assert report.diagnosis.startswith("All ")


def test_report_covers_every_layer_and_quantity() -> None:
    report = check(small_config())
    assert [(c.layer, c.quantity, c.equation) for c in report.checks] == [
        (1, "phi", 2), (1, "W", 3), (1, "b", 4),
        (2, "phi", 2), (2, "W", 3), (2, "b", 4),
        (3, "phi", 1), (3, "W", 3), (3, "b", 4),
    ]  # fmt: skip
    assert [c.comparison.shape for c in report.checks[:3]] == [(5, 6), (6, 4), (6,)]
    assert report.loss == "categorical_crossentropy"
    assert report.method == "central"


def test_same_seed_same_numbers_and_overrides_apply() -> None:
    first, second = check(small_config()), check(small_config())
    assert first.to_dict() == second.to_dict()
    other = check(small_config(), seed=8, batch_size=2, eps=1e-5, rtol=1e-4, atol=1e-7)
    assert (other.seed, other.batch_size, other.eps, other.rtol, other.atol) == (
        8,
        2,
        1e-5,
        1e-4,
        1e-7,
    )
    assert other.loss_value != first.loss_value


# --------------------------------------------------------------------------- broken equations


def test_broken_hidden_sigma_prime_fails_eq2_at_that_layer() -> None:
    report = run_with(
        small_config(), derivative_of("sigmoid", lambda z: 1.1 * SIGMOID.derivative(z))
    )
    assert not report.passed
    assert _failing(report)[0] == (2, "phi")
    assert (3, "phi") not in _failing(report)
    assert report.diagnosis.startswith(
        "φ³ passes but φ² fails: the error is in Eq. 2 between layers 3 and 2 — check σ' of layer 2"
    )


def test_seed_typo_sigma_instead_of_sigma_prime_is_caught() -> None:
    """NOTES.md, §2.2: φ^j = (w^{j+1})ᵀ φ^{j+1} ∘ σ(z^j) as printed."""
    report = run_with(small_config(), derivative_of("sigmoid", SIGMOID.value))
    assert "Eq. 2 between layers 3 and 2" in report.diagnosis
    assert report.layers[1].checks[0].comparison.max_rel_error > 0.1


def test_missing_transpose_fails_eq2() -> None:
    def transpose_forgotten(w_next, phi_next, z, activation, *, layer):
        return (phi_next @ w_next.T) * activation.derivative(z)

    report = run_with(square_config(), Steps(phi_hidden=transpose_forgotten))
    assert _failing(report)[0] == (2, "phi")
    assert "Eq. 2 between layers 3 and 2" in report.diagnosis
    assert "transpose of W³" in report.diagnosis


def _mse_without_two_over_n(loss, a, y, *, layer):
    # A classic slip: forgetting the 2/n of the mean squared error.
    return -(y - a)


def test_wrong_loss_gradient_fails_eq1() -> None:
    config = small_config(
        layers=[{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "linear"}],
        loss="mse",
    )
    report = run_with(config, Steps(loss_gradient=_mse_without_two_over_n))
    assert _failing(report)[0] == (2, "phi")
    assert report.diagnosis.startswith("φ² fails at the output layer: the error is in Eq. 1")
    assert "∇_a L of mse" in report.diagnosis


def test_seed_bce_sign_typo_is_caught_through_the_general_eq1() -> None:
    """NOTES.md, §3.2.1: ∇_ŷ L = −y/ŷ − (1−y)/(1−ŷ) as printed."""

    def printed(loss, a, y, *, layer):
        return -y / a - (1 - y) / (1 - a)

    report = run_with(square_config(), Steps(loss_gradient=printed))
    assert _failing(report)[0] == (3, "phi")
    assert "Eq. 1" in report.diagnosis


def test_wrong_special_case_is_named_in_the_diagnosis(monkeypatch) -> None:
    case = SPECIAL_CASES[("softmax", "categorical_crossentropy")]
    monkeypatch.setitem(
        SPECIAL_CASES,
        ("softmax", "categorical_crossentropy"),
        SpecialCase(lambda z, a, y: y - a, case.formula, case.section),
    )
    report = check(small_config())
    assert _failing(report)[0] == (3, "phi")
    assert "the special case φ³ = a Σ_j y_j − y" in report.diagnosis


def _summed_grad_w(phi, a_prev, *, layer):
    return phi.T @ a_prev


def test_eq3_without_the_batch_mean_fails_eq3_only() -> None:
    report = run_with(small_config(), Steps(grad_w=_summed_grad_w))
    assert set(_failing(report)) == {(1, "W"), (2, "W"), (3, "W")}
    assert report.diagnosis.startswith("φ³ passes but ∇W³ fails: the error is in Eq. 3 at layer 3")


def test_seed_typo_a_j_instead_of_a_j_minus_1_fails_eq3() -> None:
    """NOTES.md, §2.4: z^j = w^j a^j + b^j as printed would make ∇W^j = φ^j (a^j)ᵀ."""

    def backward_with_typo(network, trace, y):
        gradients = backprop.backward(network, trace, y)
        wrong = tuple(
            backprop.grad_w(gradients.phis[j - 1], trace.a(j)) for j in range(1, network.depth + 1)
        )
        return dataclasses.replace(gradients, dW=wrong)

    report = run_with(square_config(), backward_with_typo)
    assert set(_failing(report)) == {(1, "W"), (2, "W"), (3, "W")}
    assert "Eq. 3 at layer 3" in report.diagnosis


def test_eq4_summed_instead_of_averaged_fails_eq4() -> None:
    report = run_with(small_config(), Steps(grad_b=lambda phi, *, layer: np.sum(phi, axis=0)))
    assert set(_failing(report)) == {(1, "b"), (2, "b"), (3, "b")}
    assert report.diagnosis.startswith("φ³ passes but ∇b³ fails: the error is in Eq. 4 at layer 3")


def test_diagnosis_counts_the_other_failures() -> None:
    report = run_with(small_config(), derivative_of("relu", np.ones_like))
    assert _failing(report)[0] == (1, "phi")
    assert report.diagnosis.endswith("(2 more checks fail further down.)")


def test_arrays_hold_inputs_and_both_gradients() -> None:
    report = check(small_config())
    assert sorted(report.arrays) == sorted(
        ["x", "y"] + [f"{p}{j}" for p in ("W", "b", "dW", "db", "nW", "nb") for j in (1, 2, 3)]
    )
    np.testing.assert_allclose(report.arrays["dW2"], report.arrays["nW2"], rtol=1e-5, atol=1e-8)
    assert report.arrays["W2"].shape == (5, 6)


def test_seed_typo_sigma_prime_at_x_instead_of_z_fails_eq2() -> None:
    """NOTES.md, §3.2: σ(x) ∘ (1 − σ(x)) read with x the network input, not the layer's own z."""

    def backward_at_x(network, trace, y):
        gradients = backprop.backward(network, trace, y)
        phis = [gradients.phis[-1]]
        for j in range(network.depth - 1, 0, -1):
            at_input = network.activation(j).derivative(trace.a(0))
            phis.insert(0, backprop.phi_hidden(network.W(j + 1), phis[0], at_input))
        return dataclasses.replace(gradients, phis=tuple(phis))

    report = run_with(square_config(), backward_at_x)
    assert _failing(report)[0] == (2, "phi")
    assert "Eq. 2 between layers 3 and 2" in report.diagnosis


# --------------------------------------------------------------------------- methods and modes

METHOD_NAMES = list(METHODS)


@pytest.mark.parametrize("method", METHOD_NAMES)
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_method_passes_every_shipped_config(method: str, path) -> None:
    if method == "complex-step" and path not in COMPLEX_STEP_CONFIGS:
        with pytest.raises(ConfigError, match="complex-step needs complex-analytic formulas"):
            check(path, method=method)
        return
    report = check(path, method=method)
    assert report.passed, report.diagnosis
    assert report.method == method


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_every_method_catches_a_broken_sigma_prime(method: str) -> None:
    broken = derivative_of("sigmoid", lambda z: 1.01 * SIGMOID.derivative(z))
    report = run_with(small_config(), broken, method=method)
    assert _failing(report)[0] == (2, "phi")


def _worst_error(report) -> float:
    return max(c.comparison.max_abs_error for c in report.checks)


def test_complex_step_and_richardson_beat_central_on_a_smooth_network() -> None:
    smooth = square_config()  # tanh, sigmoid, sigmoid + BCE: no kinks anywhere
    central = _worst_error(check(smooth, method="central"))
    assert _worst_error(check(smooth, method="complex-step")) < central / 1000
    assert _worst_error(check(smooth, method="richardson")) < central / 2


def test_richardson_reports_its_error_estimate() -> None:
    report = check(square_config(), method="richardson")
    assert all(c.error_estimate is not None and c.error_estimate >= 0 for c in report.checks)
    assert all(c.error_estimate is None for c in check(square_config()).checks)


def test_jobs_do_not_change_the_numbers() -> None:
    config = load_config(small_config(batch_size=12))
    one = Checker(config, jobs=1).run()
    two = Checker(config, jobs=2, max_memory=2**16).run()
    for a, b in zip(one.checks, two.checks, strict=True):
        assert a.comparison.max_abs_error == pytest.approx(b.comparison.max_abs_error, abs=1e-15)


def test_progress_events_cover_every_tensor() -> None:
    events: list[ProgressEvent] = []
    check(small_config(), progress=events.append)
    finals = {e.label: e for e in events if e.completed == e.total}
    assert sorted(finals) == sorted(
        f"{s} · Eq. {q}"
        for s, q in [
            ("φ¹", 2),
            ("∇W¹", 3),
            ("∇b¹", 4),
            ("φ²", 2),
            ("∇W²", 3),
            ("∇b²", 4),
            ("φ³", 1),
            ("∇W³", 3),
            ("∇b³", 4),
        ]
    )
    assert finals["∇W¹ · Eq. 3"].total == 24


# --------------------------------------------------------------------------- float32


@pytest.mark.parametrize("method", METHOD_NAMES)
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_float32_passes_every_shipped_config_with_its_defaults(method: str, path) -> None:
    if method == "complex-step" and path not in COMPLEX_STEP_CONFIGS:
        return  # refused, as the float64 test shows
    report = check(path, dtype="float32", method=method)
    assert report.passed, report.diagnosis
    assert report.dtype == "float32"
    assert report.warnings[0].startswith("float32 keeps about 7 significant digits")


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_float32_still_catches_a_mutated_derivative(method: str) -> None:
    # Forward differences in float32 only resolve errors above about 10 %.
    broken = derivative_of("sigmoid", lambda z: 1.5 * SIGMOID.derivative(z))
    report = run_with(small_config(), broken, dtype="float32", method=method)
    assert _failing(report)[0] == (2, "phi")


def test_float32_runs_the_network_in_float32() -> None:
    checker = Checker(load_config(small_config()).with_overrides(dtype="float32"))
    assert checker.network.W(1).dtype == np.float32
    assert checker.x.dtype == np.float32
    assert checker.gradients.dW[0].dtype == np.float32
    assert checker.config.check.step == 1e-2


# --------------------------------------------------------------------------- precision warnings


def test_gradients_below_the_round_off_floor_are_flagged() -> None:
    # A large loss puts the round-off floor u·|L|/eps above the tiny first-layer gradients.
    config = small_config(
        input_size=2,
        layers=[{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )
    checker = Checker(load_config(config))
    checker.engine.sample_losses[:] = 1e9
    report = checker.run()
    assert any("within 10× the round-off of a finite difference" in w for w in report.warnings)


def test_saturated_units_are_flagged() -> None:
    config = small_config(
        init="normal",
        input_size=400,
        layers=[{"units": 6, "activation": "sigmoid"}, {"units": 3, "activation": "softmax"}],
    )
    warnings = check(config).warnings
    assert any(w.startswith("layer 1 (sigmoid):") and "|z| > 20" in w for w in warnings)


def test_a_healthy_float64_check_has_no_warnings() -> None:
    assert check(small_config()).warnings == ()


# --------------------------------------------------------------------------- reproducibility


def test_json_carries_what_reproduces_the_run() -> None:
    import hashlib
    import platform

    document = check(KINKS).to_dict()
    assert document["config_sha256"] == hashlib.sha256(KINKS.read_bytes()).hexdigest()
    data = KINKS.parent / "data" / "relu_kinks.npz"
    assert document["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert document["versions"] == {
        "bpcheck": backprop_check.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    assert (document["dtype"], document["kinks"], document["method"]) == (
        "float64",
        "report",
        "central",
    )
    assert (document["seed"], document["batch_size"], document["eps"]) == (0, 6, 1e-5)


# --------------------------------------------------------------------------- hints from real bugs


def _first_failure(report):
    layer, quantity = _failing(report)[0]
    return next(c for c in report.checks if (c.layer, c.quantity) == (layer, quantity))


def test_hint_batch_sum_instead_of_mean() -> None:
    report = run_with(small_config(), Steps(grad_w=_summed_grad_w))
    row = _first_failure(report)
    assert row.hint is not None
    assert "5.00 × the finite differences, the batch size" in row.hint
    assert row.hint in report.diagnosis
    assert report.to_dict()["layers"][2]["checks"][1]["hint"] == row.hint


def test_hint_mse_without_its_two_over_n() -> None:
    config = small_config(
        layers=[{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "linear"}],
        loss="mse",
    )
    report = run_with(config, Steps(loss_gradient=_mse_without_two_over_n))
    assert "the 2/n of the mean squared error is missing" in _first_failure(report).hint


def test_hint_sign_flip() -> None:
    flipped = Steps(phi_output=lambda z, a, y, activation, loss, *, layer: y - a)
    report = run_with(small_config(), flipped)
    assert "opposite sign of the finite differences everywhere" in _first_failure(report).hint


def test_hint_transposed() -> None:
    transposed = Steps(grad_w=lambda phi, a_prev, *, layer: a_prev.T @ phi / phi.shape[0])
    row = _first_failure(run_with(square_config(), transposed))
    assert row.quantity == "W"
    assert "matches the transpose of the finite differences" in row.hint


def test_hint_missing_term() -> None:
    def every_other_unit(phi, *, layer):
        return np.where(np.arange(phi.shape[1]) % 2 == 0, phi.mean(axis=0), 0.0)

    report = run_with(small_config(), Steps(grad_b=every_other_unit))
    assert "is zero where the finite differences are not" in _first_failure(report).hint


def test_hint_wrong_sigma_prime_for_negative_inputs() -> None:
    leaky = derivative_of("relu", lambda z: np.where(z > 0, 1.0, 0.1))
    row = _first_failure(run_with(small_config(), leaky))
    assert (row.layer, row.quantity) == (1, "phi")
    assert "wrong only where z¹ < 0" in row.hint


# --------------------------------------------------------------------------- interrupted runs


def test_ctrl_c_during_a_run_raises_check_interrupted_with_the_rows_done() -> None:
    checker = Checker(load_config(small_config()))
    labels: list[str] = []

    def interrupt_at_the_fifth_tensor(event: ProgressEvent) -> None:
        if event.label not in labels:
            labels.append(event.label)
        if len(labels) == 5:
            raise KeyboardInterrupt

    with pytest.raises(CheckInterrupted) as interrupted:
        checker.run(progress=interrupt_at_the_fifth_tensor)
    assert isinstance(interrupted.value, KeyboardInterrupt)  # Ctrl-C keeps its meaning
    assert interrupted.value.total == 9
    assert [(c.layer, c.quantity) for c in interrupted.value.completed] == [
        (1, "phi"), (1, "W"), (1, "b"), (2, "phi"),
    ]  # fmt: skip
    assert all(row.passed for row in interrupted.value.completed)


def test_the_special_case_in_the_diagnosis_is_the_one_backprop_used(monkeypatch) -> None:
    # Replacing σ' makes Eq. 1 general: a diagnosis of a failing φ^J must then not name a − y.
    case = SPECIAL_CASES[("softmax", "categorical_crossentropy")]
    monkeypatch.setitem(
        SPECIAL_CASES,
        ("softmax", "categorical_crossentropy"),
        SpecialCase(lambda z, a, y: y - a, case.formula, case.section),
    )
    built_in = check(small_config())
    assert "the special case φ³" in built_in.diagnosis
    general = run_with(small_config(), derivative_of("relu", ACTIVATIONS["relu"].derivative))
    assert general.passed  # the general Eq. 1 did not use the broken special case


# --------------------------------------------------------------------------- non-finite numbers


def _npz_config(tmp_path, arrays: dict, **config) -> Path:
    np.savez(tmp_path / "batch.npz", **arrays)
    config = {**config, "data": {"path": "batch.npz"}, "batch_size": len(arrays["x"])}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _overflowing(tmp_path, *, targets: float = 1.0, weights: float = 1.0) -> Path:
    rng = np.random.default_rng(4)
    return _npz_config(
        tmp_path,
        {
            "x": rng.standard_normal((4, 3)),
            "y": rng.standard_normal((4, 2)) * targets,
            "W1": rng.standard_normal((4, 3)),
            "b1": np.zeros(4),
            "W2": rng.standard_normal((2, 4)) * weights,
            "b2": np.zeros(2),
        },
        input_size=3,
        layers=[{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "linear"}],
        loss="mse",
    )


def test_weights_too_large_for_any_step_are_refused(tmp_path) -> None:
    # Weights of 1e200 from a data file overflow the loss too, but first no step below 1e185
    # moves them: the input itself is absurd (exit 2), said with the smallest usable eps.
    with pytest.raises(ConfigError, match=r"smallest usable eps here is \S+e\+18"):
        check(_overflowing(tmp_path, weights=1e200))


def test_a_default_step_too_small_for_the_weights_is_raised_and_said(tmp_path) -> None:
    # float32 weights of ~1e3: forward's default step 7e-4 is below what θ + ε resolves there.
    # The default is the tool's choice, so it is raised (and said); a user's own eps is refused.
    path = _overflowing(tmp_path, weights=1e3)
    report = check(path, dtype="float32", method="forward")
    assert report.eps > 7e-4
    assert any(w.startswith("the default eps 0.0007 of forward is below") for w in report.warnings)
    with pytest.raises(ConfigError, match=r"eps 0.0007 is below what float32 resolves"):
        check(path, dtype="float32", method="forward", eps=7e-4)


def test_an_overflowing_loss_is_never_a_pass(tmp_path) -> None:
    # Issue 11 (a): the round-off floor of an infinite loss is infinite, so every element used to
    # pass, deliberately wrong code included ("All 6 checks passed", exit 0).
    path = _overflowing(tmp_path, targets=1e200)
    wrong = Steps(grad_b=lambda phi, *, layer: -3 * phi.mean(axis=0))
    for analytic in (None, wrong):
        report = run_with(path, analytic)
        assert not report.passed
        assert {row.unresolved for row in report.checks} == {"overflow"}
        assert "cannot be judged" in report.diagnosis
        assert "the loss is not finite (overflow)" in report.diagnosis
        document = report.to_dict()
        json.dumps(document, allow_nan=False)
        assert document["layers"][0]["checks"][0]["unresolved"] == "overflow"
        assert any(
            w.startswith("the loss is not finite (overflow) for 4 of 4") for w in report.warnings
        )


def test_a_nan_in_the_analytic_side_is_an_unresolvable_row() -> None:
    broken = Steps(grad_b=lambda phi, *, layer: phi.mean(axis=0) * (np.nan if layer == 2 else 1))
    report = run_with(small_config(), broken)
    row = report.layers[1].checks[2]
    assert (row.passed, row.unresolved) == (False, "NaN")
    assert row.note.startswith("no verdict: the analytic values are not finite (NaN) at ")
    assert [c for c in report.checks if c.unresolved] == [row]


def test_a_directional_check_of_an_overflowing_loss_is_unresolvable(tmp_path) -> None:
    report = check(_overflowing(tmp_path, targets=1e200), directions=2)
    assert not report.passed
    assert {row.unresolved for row in report.checks} == {"overflow"}


def test_no_numpy_warning_reaches_stderr_when_the_loss_or_a_formula_overflows(tmp_path) -> None:
    # Issue 11 (t). Warnings are errors in this suite, so the library calls above would already
    # fail on one; the command line is checked in a subprocess with Python's default filters.
    path = _overflowing(tmp_path, targets=1e200)
    formula = tmp_path / "formula.yaml"
    formula.write_text(
        yaml.safe_dump(
            {
                "input_size": 3,
                "layers": [
                    {"units": 4, "activation": "boom"},
                    {"units": 2, "activation": "linear"},
                ],
                # σ' overflows: the analytic side is not finite.
                "activations": {"boom": {"f": "x", "df": "exp(1000 * x)"}},
                "loss": "mse",
            }
        ),
        encoding="utf-8",
    )
    for config in (path, formula):
        result = subprocess.run(
            [sys.executable, "-W", "default", "-m", "backprop_check", "run", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert "Warning" not in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- absurd steps


@pytest.mark.parametrize(
    ("eps", "method", "dtype"),
    [
        (1e-30, "central", "float64"),
        (1e-320, "central", "float64"),
        (1e-15, "forward", "float64"),
        (1e-7, "central", "float32"),
        (1e-200, "complex-step", "float64"),
    ],
)
def test_a_step_the_dtype_cannot_resolve_is_refused_with_the_smallest_usable(
    eps: float, method: str, dtype: str
) -> None:
    # Issue 11 (h): every difference was exactly 0, correct gradients failed and the hint
    # blamed ReLU'.
    config = load_config(small_config()).with_overrides(method=method, dtype=dtype)
    config = dataclasses.replace(config, check=dataclasses.replace(config.check, eps=eps))
    with pytest.raises(ConfigError, match=r"key 'check\.eps': eps .* below what") as refused:
        Checker(config)
    smallest = float(re.search(r"smallest usable eps here is (\S+) \(", str(refused.value))[1])
    usable = dataclasses.replace(config, check=dataclasses.replace(config.check, eps=smallest))
    assert Checker(usable).config.check.step == smallest  # accepted at the value it names


def test_a_step_of_zero_or_below_is_refused() -> None:
    config = load_config(small_config())
    for eps in (0.0, -1e-5, float("nan")):
        bad = dataclasses.replace(config, check=dataclasses.replace(config.check, eps=eps))
        with pytest.raises(ConfigError, match="below what float64 resolves"):
            Checker(bad)


def test_the_cli_refuses_an_absurd_eps_with_exit_2(runner) -> None:
    from backprop_check.cli import main

    result = runner.invoke(main, ["run", str(CONFIGS[0]), "--eps", "1e-30"])
    assert result.exit_code == 2
    assert "The smallest usable eps here is" in result.stderr
    assert "Traceback" not in result.output
