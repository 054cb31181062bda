"""The block path for W into softmax + CCE against the plain one-perturbation-at-a-time forward."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_check.numeric import moment_series
from backprop_check.numeric.engine import PerturbationEngine
from backprop_check.numeric.moment_series import MomentSeries
from backprop_check.numeric.targets import Target
from backprop_check.numeric.weight_blocks import rectangle
from backprop_check.spec.build import build_problem
from backprop_check.spec.config import load_config

from ..helpers import small_config
from ..reference import perturbed_losses

DEEP_RELU = small_config(
    layers=[{"units": 7, "activation": "relu"}] * 3 + [{"units": 4, "activation": "softmax"}],
    batch_size=6,
)
TANH_THEN_RELU = small_config(
    layers=[
        {"units": 6, "activation": "tanh"},
        {"units": 5, "activation": "relu"},
        {"units": 3, "activation": "softmax"},
    ]
)


def _problem(config):
    return build_problem(load_config(config))


def _plain(network, x, y, engine, target, step):
    return perturbed_losses(network, x, y, engine.trace, target, step).reshape(-1) - float(
        np.mean(engine.sample_losses)
    )


def test_the_block_path_serves_weights_into_softmax_cce_only() -> None:
    engine = PerturbationEngine(*_problem(DEEP_RELU))
    assert all(engine.block_columns(Target(j, "W")) for j in (1, 2, 3, 4))
    assert engine.block_columns(Target(1, "b")) is None
    mse = small_config(
        layers=[{"units": 6, "activation": "relu"}, {"units": 3, "activation": "linear"}],
        loss="mse",
    )
    assert PerturbationEngine(*_problem(mse)).block_columns(Target(1, "W")) is None
    # A sigmoid between layer 1 and the logits: no linear chain to the output.
    assert PerturbationEngine(*_problem(small_config())).block_columns(Target(1, "W")) is None


@pytest.mark.parametrize("config", [DEEP_RELU, TANH_THEN_RELU])
@pytest.mark.parametrize("step", [1e-6, -1e-6, 0.05, -0.7, 5000.0])
def test_blocks_equal_the_plain_forward(config, step: float) -> None:
    # Large steps send rows across kinks in the chain (left to the row path) and, at 5000, past
    # the range where the block may sum exponentials without a shift.
    network, x, y = _problem(config)
    engine = PerturbationEngine(network, x, y)
    for layer in range(1, network.depth + 1):
        target = Target(layer, "W")
        assert engine.block_columns(target) is not None
        elements = np.arange(network.W(layer).size)
        result = engine.loss_changes(target, step, elements)
        expected = _plain(network, x, y, engine, target, step)
        np.testing.assert_allclose(result.changes, expected, rtol=1e-13, atol=1e-14)


def test_blocks_weigh_soft_and_missing_labels() -> None:
    network, x, _ = _problem(DEEP_RELU)
    rng = np.random.default_rng(3)
    y = rng.random((x.shape[0], 4))
    y[0] = 0.0  # L_s ≡ 0: no loss change at all
    y[1] *= 0.5 / y[1].sum()
    engine = PerturbationEngine(network, x, y)
    target = Target(1, "W")
    assert engine.block_columns(target) is not None
    result = engine.loss_changes(target, 1e-3, np.arange(network.W(1).size))
    np.testing.assert_allclose(
        result.changes, _plain(network, x, y, engine, target, 1e-3), rtol=1e-12, atol=1e-14
    )


def test_any_order_and_any_rectangle_of_elements() -> None:
    network, x, y = _problem(DEEP_RELU)
    engine = PerturbationEngine(network, x, y)
    target = Target(2, "W")
    width = network.W(2).shape[1]
    block = (np.array([1, 4, 6])[:, None] * width + np.array([0, 2, 3, 5])).ravel()
    shuffled = np.random.default_rng(0).permutation(block)
    expected = _plain(network, x, y, engine, target, 1e-4)[shuffled]
    result = engine.loss_changes(target, 1e-4, shuffled)
    np.testing.assert_allclose(result.changes, expected, rtol=1e-12, atol=1e-15)


def test_rows_that_do_not_move_change_exactly_nothing() -> None:
    network, x, y = _problem(DEEP_RELU)
    x = x.copy()
    x[:, 2] = 0.0  # input 2 is zero in every sample: W¹[:, 2] moves nothing
    engine = PerturbationEngine(network, x, y)
    width = network.W(1).shape[1]
    changes = engine.loss_changes(Target(1, "W"), 1e-6, np.arange(network.W(1).size)).changes
    assert np.all(changes.reshape(-1, width)[:, 2] == 0.0)
    assert np.all(changes.reshape(-1, width)[:, 1] != 0.0)


def test_rectangle_recognises_products_of_units_and_inputs() -> None:
    units, inputs, order = rectangle(np.array([5, 6, 9, 10]), 4)
    assert (units.tolist(), inputs.tolist(), order) == ([1, 2], [1, 2], None)
    units, inputs, order = rectangle(np.array([10, 5, 9, 6]), 4)
    assert order is not None
    assert (units.tolist(), inputs.tolist()) == ([1, 2], [1, 2])
    assert rectangle(np.array([5, 6, 9]), 4) is None
    assert rectangle(np.array([5, 6, 9, 11]), 4) is None
    assert rectangle(np.array([], dtype=np.intp), 4) is None


@pytest.mark.parametrize("step", [1e-6, -1e-6, 1e-20j])
def test_blocks_flag_units_on_their_kink_as_the_plain_path_does(step: complex) -> None:
    # Unit 0 of layer 1 sits exactly on its kink in every sample. A step to the off side, or an
    # imaginary one, leaves it flat (no loss change) but still moves it: flagged both ways.
    network, x, y = _problem(DEEP_RELU)
    network.W(1)[0] = 0.0
    network.b(1)[0] = 0.0
    engine = PerturbationEngine(network, x, y)
    target = Target(1, "W")
    everything = np.arange(network.W(1).size)
    blocked = engine.loss_changes(target, step, everything)
    # All but the last element is no rectangle of units × inputs: the engine's column path.
    plain = engine.loss_changes(target, step, everything[:-1])
    width = network.W(1).shape[1]
    assert blocked.on_kinks.reshape(-1, width)[0].all()
    for field in ("kinks", "crossings", "on_kinks"):
        np.testing.assert_array_equal(getattr(blocked, field)[:-1], getattr(plain, field))
    np.testing.assert_allclose(blocked.changes[:-1], plain.changes, rtol=1e-12, atol=1e-15)


def _series_calls(monkeypatch) -> list[int]:
    """Count the samples the moment series serves on blocks (by wrapping its entry)."""
    calls: list[int] = []
    block_totals = MomentSeries.block_totals

    def counted(self, slopes, shifts, units, served, terms):
        calls.append(int(served.sum()))
        return block_totals(self, slopes, shifts, units, served, terms)

    monkeypatch.setattr(MomentSeries, "block_totals", counted)
    return calls


def _without_series(monkeypatch) -> None:
    """No remainder is small enough: every row not at rest goes by the exponentials."""
    monkeypatch.setattr(moment_series, "_SERIES_REMAINDER", 0.0)


@pytest.mark.parametrize("config", [DEEP_RELU, TANH_THEN_RELU])
def test_the_moment_series_serves_small_steps_and_equals_the_plain_forward(
    config, monkeypatch
) -> None:
    calls = _series_calls(monkeypatch)
    network, x, y = _problem(config)
    engine = PerturbationEngine(network, x, y)
    for layer in range(1, network.depth + 1):
        target = Target(layer, "W")
        result = engine.loss_changes(target, 1e-6, np.arange(network.W(layer).size))
        expected = _plain(network, x, y, engine, target, 1e-6)
        np.testing.assert_allclose(result.changes, expected, rtol=1e-13, atol=1e-14)
    # tanh is no piecewise-linear layer: its own W¹ goes by the exponentials.
    assert len(calls) == (network.depth if config is DEEP_RELU else network.depth - 1)
    assert sum(calls) > 0


@pytest.mark.parametrize("step", [1e-6, -1e-4, 2e-3])
def test_the_series_and_the_exponentials_give_the_same_changes(step: float, monkeypatch) -> None:
    # Larger steps need more terms; none is left to the exponentials here (each served).
    network, x, y = _problem(DEEP_RELU)
    target = Target(2, "W")
    elements = np.arange(network.W(2).size)
    calls = _series_calls(monkeypatch)
    by_series = PerturbationEngine(network, x, y).loss_changes(target, step, elements)
    assert calls
    _without_series(monkeypatch)
    by_exps = PerturbationEngine(network, x, y).loss_changes(target, step, elements)
    assert len(calls) == 1
    np.testing.assert_allclose(by_series.changes, by_exps.changes, rtol=1e-12, atol=1e-16)
    np.testing.assert_array_equal(by_series.kinks, by_exps.kinks)


@pytest.mark.skipif(np.finfo(np.longdouble).eps > 1e-18, reason="no extended precision here")
def test_the_series_is_nearer_the_exact_change_than_the_exponentials(monkeypatch) -> None:
    # The output layer's W moves the logits directly: ΔL_s = Y_s (lse(z + δ) − lse(z)) − y_s·δ,
    # worked out in extended precision. Summing exps rounds at an ulp of 1 (1e-16) however small
    # the change; the series keeps a small change's relative precision.
    network, x, y = _problem(DEEP_RELU)
    layer, step = network.depth, 1e-7
    target = Target(layer, "W")
    elements = np.arange(network.W(layer).size)
    trace = PerturbationEngine(network, x, y).trace
    z, a = trace.zs[-1].astype(np.longdouble), trace.a(layer - 1).astype(np.longdouble)
    labels = y.astype(np.longdouble)

    def lse(logits):
        top = np.max(logits, axis=-1, keepdims=True)
        return np.log(np.sum(np.exp(logits - top), axis=-1)) + top[..., 0]

    exact = np.empty(elements.size, dtype=np.longdouble)
    width = a.shape[1]
    for element in elements:
        unit, source = divmod(int(element), width)
        delta = np.zeros_like(z)
        delta[:, unit] = np.longdouble(step) * a[:, source]
        change = labels.sum(axis=1) * (lse(z + delta) - lse(z)) - np.sum(labels * delta, axis=1)
        exact[element] = np.mean(change)

    calls = _series_calls(monkeypatch)
    by_series = PerturbationEngine(network, x, y).loss_changes(target, step, elements).changes
    assert calls
    _without_series(monkeypatch)
    by_exps = PerturbationEngine(network, x, y).loss_changes(target, step, elements).changes
    series_error = np.max(np.abs(by_series - exact))
    exps_error = np.max(np.abs(by_exps - exact))
    assert series_error < 1e-18 < exps_error
